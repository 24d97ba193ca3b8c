"""Do the shipped configs give the same results as at another commit? (issue 19, part 6)

Runs every scenario in ``configs/*.yaml`` (replications 0 and 1 of seed 3, so an ensemble's
first two members) with the working tree's sources and with those of ``--against`` (a git
revision, checked out in a temporary worktree), then compares the daily series column by
column (a series the working tree adds is listed, not counted as a difference). Prints one
line per config and exits 1 if any series differs; a change meant to alter results is
explained in its commit.

Usage: ``.venv/bin/python benchmarks/same_results.py [--against HEAD] [configs/x.yaml ...]``
(a few minutes: each side runs in its own process; kernels are compiled only for the
modules whose sources differ from ones already cached, see ``engine/numba_cache.py``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SEED = 3

CHILD = f"""
import sys
from pathlib import Path
from flowsim.model import simulate
from flowsim.scenario import load_config
out = Path(sys.argv[1])
for config in sys.argv[2:]:
    scenario = load_config(config)
    for replication in (0, 1):
        frame = simulate(scenario.member(replication), {SEED} + replication)
        frame.to_parquet(out / f"{{Path(config).stem}}-{{replication}}.parquet")
"""


def run_side(src: Path, out: Path, configs: list[Path]) -> None:
    """Run every config with the flowsim package under ``src``; series into ``out``."""
    out.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, "-c", CHILD, str(out), *map(str, configs)]
    subprocess.run(command, env=env, check=True, cwd=ROOT)


def differences(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """The columns that differ between two runs' series, with the largest difference. A
    series only the newer run has is no difference (see :func:`new_series`); one it lost is."""
    lost = [c for c in before.columns if c not in after.columns]
    if lost or len(before) != len(after):
        return [
            f"series lost {lost}" if lost else f"days differ ({len(before)} against {len(after)})"
        ]
    found = []
    for column in before.columns:
        a, b = before[column].to_numpy(), after[column].to_numpy()
        if a.dtype.kind in "fiub" and b.dtype.kind in "fiub":
            if not np.array_equal(a, b, equal_nan=True):
                found.append(f"{column} (largest difference {np.nanmax(np.abs(a - b)):.6g})")
        elif not (a == b).all():
            found.append(column)
    return found


def new_series(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Series the newer run adds (an intended addition, listed beside the verdict)."""
    return [c for c in after.columns if c not in before.columns]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="*", type=Path, help="default: configs/*.yaml")
    parser.add_argument("--against", default="HEAD", help="git revision to compare with")
    args = parser.parse_args()
    configs = [c.resolve() for c in args.configs] or sorted((ROOT / "configs").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "tree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(tree), args.against], check=True)
        try:
            run_side(tree / "src", Path(folder) / "before", configs)
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=True)
        run_side(ROOT / "src", Path(folder) / "after", configs)
        failed = False
        for config in configs:
            for replication in (0, 1):
                name = f"{config.stem}-{replication}.parquet"
                before = pd.read_parquet(Path(folder) / "before" / name)
                after = pd.read_parquet(Path(folder) / "after" / name)
                found = differences(before, after)
                failed |= bool(found)
                verdict = "identical" if not found else "DIFFERS: " + ", ".join(found[:8])
                added = new_series(before, after)
                if added:
                    verdict += f" (new series: {', '.join(added)})"
                print(f"{config.name} replication {replication}: {verdict}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
