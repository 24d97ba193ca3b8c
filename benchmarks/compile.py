"""The first replication from a cold kernel cache (issue 19): seconds to load the calibrated
baseline, to run its first replication (numba compiling every kernel it needs), then two
warm replications in the same process.

The cache is a fresh temporary folder (``NUMBA_CACHE_DIR``), so nothing compiled before
counts; the run happens in a child process, so this process's imports do not either.
Usage: ``.venv/bin/python benchmarks/compile.py`` (about a minute and a half).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "belgium-baseline.yaml"

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
      f"(compiling), warm {{second - first:.2f}} s and {{third - second:.2f}} s")
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, check=False)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
