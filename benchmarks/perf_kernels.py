"""Where a baseline run's time goes, numba kernels by name: Linux `perf` with a perf map.

    .venv/bin/python benchmarks/perf_kernels.py --runs 10
    perf report -i perf.data --no-children --sort symbol

`perf` cannot name code that numba compiled at run time. This script compiles the kernels
afresh (in a temporary numba cache: code loaded from the cache keeps no symbol table), writes
``/tmp/perf-<pid>.map`` with the address and size of every compiled function, then records
``--runs`` baseline runs (set-up included) with ``perf record -p`` on this process. Takes
about two minutes to compile first.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# before numba is imported: a fresh cache, so every kernel is compiled in this process
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="flowsim-profile-")
atexit.register(shutil.rmtree, os.environ["NUMBA_CACHE_DIR"], True)

from numba.core.registry import CPUDispatcher  # noqa: E402

from flowsim.results.runs import replication  # noqa: E402
from flowsim.scenario.loading import load_config  # noqa: E402

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "belgium-baseline.yaml"


def compiled_functions() -> dict[int, str]:
    """Address -> symbol of every function compiled for flowsim's kernels so far."""
    found: dict[int, str] = {}
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("flowsim"):
            continue
        for value in vars(module).values():
            if not isinstance(value, CPUDispatcher):
                continue
            for compiled in value.overloads.values():
                library = compiled.library
                for function in library._final_module.functions:
                    if not function.is_declaration:
                        address = library.get_pointer_to_function(function.name)
                        if address:
                            found[address] = function.name
    return found


def write_perf_map(functions: dict[int, str]) -> Path:
    """``/tmp/perf-<pid>.map``: one line per function, its size up to the next one."""
    target = Path(f"/tmp/perf-{os.getpid()}.map")
    starts = sorted(functions)
    with target.open("w") as out:
        for here, after in zip(starts, [*starts[1:], starts[-1] + 4096], strict=True):
            size = after - here if after - here < 2**20 else 4096
            out.write(f"{here:x} {size:x} {functions[here]}\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", default="perf.data")
    args = parser.parse_args()
    scenario = load_config(BASELINE)
    with replication(scenario, 0) as model:  # compiles every kernel
        model.run_to_end()
    print(f"perf map: {write_perf_map(compiled_functions())}", file=sys.stderr)
    perf = subprocess.Popen(
        ["perf", "record", "-F", "4000", "-o", args.out, "-p", str(os.getpid())],
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # perf attaches
    for seed in range(1, args.runs + 1):
        with replication(scenario, seed) as model:
            model.run_to_end()
    perf.send_signal(signal.SIGINT)
    perf.wait()
    print(f"profile: {args.out} (perf report -i {args.out} --sort symbol)", file=sys.stderr)


if __name__ == "__main__":
    main()
