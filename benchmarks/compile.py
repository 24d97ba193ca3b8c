"""The first replication from a cold kernel cache, and after an edit (issue 19): seconds to
load the calibrated baseline, to run its first replication (numba compiling every kernel it
needs), then two warm replications in the same process. With ``--edit MODULE`` (a path
below ``src/flowsim``, e.g. ``institutions/returns.py``), the module is then edited (a
comment appended) and the same is measured again: only the kernels of the edited module
and of the modules importing it are compiled again.

The package is copied into a temporary folder and the kernel cache is a fresh temporary
folder (``NUMBA_CACHE_DIR``), so nothing compiled before counts and the checkout is never
edited; each measurement runs in a child process, so this process's imports do not count.
Usage: ``.venv/bin/python benchmarks/compile.py [--edit institutions/returns.py]`` (about
two minutes, four with ``--edit``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "belgium-baseline.yaml"

CHILD = f"""
import time
started = time.perf_counter()
from flowsim.scenario import load_config
from flowsim.model import simulate
scenario = load_config({str(BASELINE)!r})
loaded = time.perf_counter()
simulate(scenario, 1)
first = time.perf_counter()
simulate(scenario, 2)
second = time.perf_counter()
simulate(scenario, 3)
third = time.perf_counter()
print(f"import and load {{loaded - started:.1f}} s, first replication {{first - loaded:.1f}} s "
      f"(compiling), warm {{second - first:.2f}} s and {{third - second:.2f}} s", flush=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edit", help="a module below src/flowsim to edit after the cold run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "src"
        shutil.copytree(
            ROOT / "src" / "flowsim",
            source / "flowsim",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(folder) / "kernels"))
        env["PYTHONPATH"] = str(source)
        print("cold cache:", end=" ", flush=True)
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, check=False)
        if done.returncode or not args.edit:
            return done.returncode
        with open(source / "flowsim" / args.edit, "a", encoding="utf-8") as handle:
            handle.write("\n# an edit (benchmarks/compile.py)\n")
        print(f"after an edit to {args.edit}:", end=" ", flush=True)
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, check=False)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
