"""A large sweep of a short scenario (issue 19, part 2): how the store and its readers scale.

Sweeps the reduced chain (``benchmarks/reduced-chain.yaml``, as ``benchmarks/build.py``:
one year, one group, single adults, one centre type, 30,000 pending), or a tenth of it
(``--scenario one-province``, for 100,000-run sweeps), over a Latin hypercube
of three factors (CGRS officers, inflow scale, housing found per month), ``--points`` x
``--replications`` runs, keeping one daily series per run, with ``flowsim sweep`` on a
local Dask cluster of ``--workers``.
Prints runs per second, the driver's peak memory (resident set of the ``flowsim sweep``
process, sampled every 0.2 s), the number of files the results folder holds, and the time
of ``flowsim report`` on it.

Usage: ``.venv/bin/python benchmarks/sweep_scale.py --points 2000 --replications 5``
(10,000 runs, about a quarter of an hour on two cores);
``--scenario one-province --points 20000 --replications 5``: 100,000 runs. ``--kill-after S``
kills the sweep (driver and workers) after S seconds and finishes it with ``--resume``: the
figures are then the two commands' together. The folder is left in a temporary directory
and removed at the end, unless ``--keep DIR`` names where to put it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import yaml

from flowsim.results.store import RunStore
from flowsim.scenario.loading import load_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLOWSIM = Path(sys.executable).with_name("flowsim")
SCENARIOS = ("reduced-chain", "one-province")  # benchmarks/<name>.yaml


def experiment(points: int, replications: int, scenario: str = "reduced-chain") -> dict:
    """The sweep: a Latin hypercube over three factors of ``benchmarks/<scenario>.yaml``:
    officers and housing from 0.75 and 0.67 to 1.25 and 1.33 times the scenario's own."""
    base = load_config(HERE / f"{scenario}.yaml")
    officers = base.cgrs.case_officers_fte
    housing = base.municipalities.housing_persons_per_month
    return {
        "name": f"{scenario}-sweep",
        "description": "benchmark: a large sweep of a short scenario",
        "base": str(HERE / f"{scenario}.yaml"),
        "levers": [
            {
                "name": "officers",
                "field": "cgrs.case_officers_fte",
                "range": [0.75 * officers, 1.25 * officers],
            },
        ],
        "uncertainties": [
            {"name": "inflow", "field": "inflow.scale", "range": [0.8, 1.2]},
            {
                "name": "housing",
                "field": "municipalities.housing_persons_per_month",
                "range": [round(housing * 2 / 3), round(housing * 4 / 3)],
            },
        ],
        "design": {"kind": "latin_hypercube", "samples": points, "seed": 1},
        "replications": replications,
        "seed": 7,
        "outcomes": {
            "peak_without_place": {"series": "without_reception", "stat": "max"},
            "backlog_end": {"series": "cgrs_backlog", "stat": "value", "date": "2024-12-31"},
        },
        "series": ["in_reception"],
    }


def run_watched(command: list[str], kill_after: float | None = None) -> tuple[float, int]:
    """Run ``command``; its wall seconds and its peak resident memory (bytes). With
    ``kill_after``, the process is killed (SIGKILL) after that many seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        if kill_after is not None and time.perf_counter() - started > kill_after:
            for child in watched.children(recursive=True):  # its local cluster's workers
                child.kill()
            process.kill()
            process.wait()
            return time.perf_counter() - started, peak
        time.sleep(0.2)
    if process.returncode:
        raise SystemExit(f"{command[1]} failed ({process.returncode})")
    return time.perf_counter() - started, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", choices=SCENARIOS, default="reduced-chain")
    parser.add_argument("--keep", type=Path, help="leave the results folder here")
    parser.add_argument(
        "--kill-after",
        type=float,
        help="kill the sweep (driver and workers) after this many seconds, then --resume it",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        spec = experiment(args.points, args.replications, args.scenario)
        (work / "sweep.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        out = work / "results"
        runs = args.points * args.replications
        sweep = [str(FLOWSIM), "sweep", str(work / "sweep.yaml"), "--out", str(out)]
        sweep += ["--workers", str(args.workers)]
        seconds, peak = 0.0, 0
        if args.kill_after:
            seconds, peak = run_watched(sweep, kill_after=args.kill_after)
            stored = RunStore(out).count()
            print(f"killed after {seconds:.0f} s with {stored:,} runs stored")
            sweep.append("--resume")
        more, more_peak = run_watched(sweep)
        seconds, peak = seconds + more, max(peak, more_peak)
        files = sum(1 for p in out.rglob("*") if p.is_file())
        report, _ = run_watched([str(FLOWSIM), "report", str(out)])
        runs_table = pd.read_parquet(out / "runs.parquet")
        stored = pd.read_parquet(out / "store" / "rows")
        print(
            f"{runs:,} runs on {args.workers} workers: {seconds:.0f} s, "
            f"{runs / seconds:.1f} runs/s; driver peak {peak / 2**20:.0f} MiB; "
            f"{files:,} files in the results folder; flowsim report {report:.1f} s"
        )
        print(
            f"runs.parquet: {runs_table['status'].value_counts().to_dict()}; "
            f"stored rows {len(stored):,} ({stored['run_id'].nunique():,} runs)"
        )
        if args.keep:
            shutil.copytree(out, args.keep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
