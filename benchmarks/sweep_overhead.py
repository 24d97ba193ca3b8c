"""Overhead per run of a sweep, measured side by side with a plain process (issue 4).

    .venv/bin/python benchmarks/sweep_overhead.py --runs 100 --repeats 4
    .venv/bin/python benchmarks/sweep_overhead.py --plain-only       # A/A test

A sweep on one local worker and one plain Python process (``flowsim.results.runs.replication``
in a loop) make the same baseline runs **at the same time**, each side on one of the two
CPUs, and the sides **swap CPUs every ``--swap`` seconds** (1 s) for as long as they run.
All the sweep's processes (this driver with the Dask scheduler and the worker's nanny, and
the worker) follow the sweep's CPU, so everything the sweep does beyond the model competes
with its own worker, not with the plain process. The side that finishes first keeps its CPU
busy with more runs until the other is done, so neither finishes on a quieter machine.

Why side by side, and why swap often: on a shared VM each CPU's speed drifts by 20-60% from
one minute to the next, and the two differ. Running both sides at once gives them the same
moments; swapping every second gives them the same CPUs in equal shares within each
moment. (Swapping only between blocks of 50 runs left the two CPUs' drift within a block in
the comparison: blocks differed by -9% to +33%.)

Each repeat is one whole sweep (``run_sweep``: plan, tasks, outcomes, shards, compaction,
manifests) of ``--runs`` runs against the plain process making the same seeds. Printed per
repeat and over all: the sweep's wall time against the plain process's, the **overhead per
run beyond the model itself** (sum of sweep walls / sum of plain walls - 1), the time between
runs in the worker (Dask, the sweep's bookkeeping: the sweep's wall against
``timings.parquet``); then the same in CPU time, per thread (``/proc``): the thread running
the model against the plain process, and the sweep's own work (the worker's other threads,
the driver with the scheduler and the nanny) against the model's. ``--plain-only`` puts a
second plain process in the sweep's place: what the measurement shows when both sides are
the same.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from flowsim.experiments.sweep import plan_runs, run_sweep
from flowsim.results.clusters import make_client
from flowsim.results.runs import replication
from flowsim.results.shards import MAX_RUNS_PER_TASK, WarmNumba
from sweep import experiment, keep_busy, plain_process  # benchmarks/sweep.py


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of process ``pid`` (from ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError):  # a thread that has just ended
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[int(tid)] = (int(fields[11]) + int(fields[12])) / tick
    return seconds


def pin(pid: int, cpu: int) -> None:
    """Pin every thread of process ``pid`` to CPU ``cpu`` (threads started later inherit)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
            os.sched_setaffinity(int(tid), {cpu})


def swap_cpus(sides: list[list[int]], cpus: tuple[int, int], every_s: float, done) -> None:
    """Until ``done`` is set: pin the processes of side i to ``cpus[i]``, then every
    ``every_s`` seconds to the other CPU (all their threads: :func:`pin`)."""
    turn = 0
    while True:
        for i, pids in enumerate(sides):
            for pid in pids:
                with contextlib.suppress(FileNotFoundError):  # a process that has just ended
                    pin(pid, cpus[(i + turn) % 2])
        turn += 1
        if done.wait(every_s):
            return


def measure(
    runs: int,
    repeats: int,
    cpus: tuple[int, int],
    runs_per_task: int,
    swap_s: float,
    plain_only: bool = False,
) -> pd.DataFrame:
    """One row per repeat: wall seconds of the sweep and of the plain process; the mean
    wall time of a run inside the worker; CPU seconds of the thread running the model (the
    worker's busiest), of the worker's other threads, of this driver (scheduler and nanny
    included) and of the plain process. ``plain_only``: a second plain process instead of
    the sweep (an A/A test)."""
    exps = [experiment(runs, seed=r + 1) for r in range(repeats)]
    seeds = [[int(s) for s in plan_runs(e).runs["seed"]] for e in exps]
    context = multiprocessing.get_context("spawn")
    start, stop = context.Barrier(3 if plain_only else 2), context.Event()
    results = [context.Queue(), context.Queue()]
    plain = [
        context.Process(target=plain_process, args=(seeds, start, q, stop))
        for q in results[: 2 if plain_only else 1]
    ]
    client = None
    scenario = exps[0].bases[""]
    if not plain_only:
        client = make_client(exps[0].spec.cluster, workers=1)
        client.register_plugin(WarmNumba(scenario))  # what run_sweep does first
        with replication(scenario, 0) as model:  # this driver fills its CPU after its sweep
            model.run_to_end()
    for process in plain:
        process.start()
    worker = next(iter(client.run(os.getpid).values())) if client else 0
    # the nanny of a local worker lives in this driver process
    sides = [[p.pid] for p in plain] if plain_only else [[plain[0].pid], [os.getpid(), worker]]
    done = threading.Event()
    swapper = threading.Thread(target=swap_cpus, args=(sides, cpus, swap_s, done), daemon=True)
    swapper.start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            for r in range(repeats):
                if client is None:
                    start.wait()
                    wall, model_cpu = results[1].get()
                    row = {"sweep": wall, "in_run": wall / runs, "model_cpu": model_cpu}
                    row.update(other_cpu=0.0, driver_cpu=0.0)
                else:
                    threads, driver = thread_cpu(worker), time.process_time()
                    start.wait()
                    out = Path(folder) / f"repeat-{r}"
                    swept = run_sweep(
                        exps[r], out, client, progress=False, runs_per_task=runs_per_task
                    )
                    driver = time.process_time() - driver
                    after = thread_cpu(worker)
                    used = sorted((after[t] - threads.get(t, 0.0) for t in after), reverse=True)
                    row = {
                        "sweep": swept.wall_time_s,
                        "in_run": pd.read_parquet(out / "timings.parquet")["wall_time_s"].mean(),
                        "model_cpu": used[0],
                        "other_cpu": sum(used[1:]),
                        "driver_cpu": driver,
                    }
                    # the plain side still running: this side's CPU stays as busy
                    keep_busy(scenario, lambda: not results[0].empty(), itertools.count(2**41))
                plain_wall, plain_cpu = results[0].get()
                stop.set()
                start.wait()
                stop.clear()
                rows.append({**row, "plain": plain_wall, "plain_cpu": plain_cpu})
    finally:
        done.set()
        swapper.join()
        if client is not None:
            cluster = client.cluster
            client.close()
            cluster.close()
        for process in plain:
            process.join()
    return pd.DataFrame(rows).assign(runs=runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per sweep (and per side)")
    parser.add_argument("--repeats", type=int, default=4, help="sweeps, one after the other")
    parser.add_argument("--swap", type=float, default=1.0, help="seconds between CPU swaps")
    parser.add_argument(
        "--runs-per-task",
        type=int,
        default=MAX_RUNS_PER_TASK,
        help="the most runs a Dask task makes (1: a task per run)",
    )
    parser.add_argument(
        "--plain-only",
        action="store_true",
        help="a second plain process instead of the sweep: an A/A test of the measurement",
    )
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("needs two CPUs")
    table = measure(
        args.runs, args.repeats, (cpus[0], cpus[1]), args.runs_per_task, args.swap, args.plain_only
    )
    table["overhead"] = table["sweep"] / table["plain"] - 1
    print(table.round(4).to_string(index=False))

    runs = table["runs"].sum()
    plain_run = table["plain"].sum() / runs
    in_run = (table["in_run"] * table["runs"]).sum() / runs
    sweep_run = table["sweep"].sum() / runs
    cpu_columns = ("model_cpu", "other_cpu", "driver_cpu", "plain_cpu")
    ms = {name: table[name].sum() / runs * 1000 for name in cpu_columns}  # a run, ms
    own = ms["other_cpu"] + ms["driver_cpu"]
    print(
        ("plain against plain (A/A); " if args.plain_only else "")
        + f"runs per task at most {args.runs_per_task}; {runs} runs a side; "
        f"CPUs swapped every {args.swap:g} s\n"
        f"wall time: overhead per run beyond the model {sweep_run / plain_run - 1:+.1%} "
        f"(repeats {table['overhead'].min():+.1%} to {table['overhead'].max():+.1%}, "
        f"median {statistics.median(table['overhead']):+.1%})\n"
        f"  per run: plain {plain_run:.3f} s, in the worker {in_run:.3f} s "
        f"({in_run / plain_run - 1:+.1%}), sweep {sweep_run:.3f} s "
        f"(between runs {sweep_run / in_run - 1:+.1%})\n"
        f"CPU per run: plain {ms['plain_cpu']:.1f} ms; the model's thread {ms['model_cpu']:.1f} ms"
        f" ({ms['model_cpu'] / ms['plain_cpu'] - 1:+.1%}); the sweep's own work "
        f"{own:.1f} ms ({own / ms['model_cpu']:.1%} of the model's): worker's other threads "
        f"{ms['other_cpu']:.1f} ms, driver with scheduler and nanny {ms['driver_cpu']:.1f} ms"
    )


if __name__ == "__main__":
    main()
