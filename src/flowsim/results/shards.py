"""Many runs on Dask, each stored as it finishes: the machinery of sweeps, calibrations and
forecasts.

A run (:class:`RunTask`) is a resolved scenario and a seed; its id is a hash of the resolved
scenario, the seed and the flowsim version, so a run is the same run whichever point index,
worker or order it gets. Runs go to the workers a few at a time (tasks of at most
:data:`MAX_RUNS_PER_TASK`, smaller towards the end), every worker warms its numba kernels
once, and each run is stored in the folder's run store (:mod:`flowsim.results.store`) as it
finishes, so a killed sweep or calibration loses no run that finished; the driver compacts
the store as the runs come in.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from flowsim.results.runs import replication
from flowsim.results.store import COMPACT_EVERY, RunStore, shard_ok
from flowsim.scenario.scenario import Scenario

WARM_UP_DAYS = 14  # long enough to call every daily kernel once
# A Dask task costs the scheduler, the driver and the worker a few milliseconds whatever it
# does (about 2% of a 0.4 s baseline run on one worker, more with more workers): runs go
# to the workers a few at a time. Each run keeps its own seed and shard, so how the runs are
# grouped changes no result, and resume and retries stay per run.
MAX_RUNS_PER_TASK = 10
# Guided scheduling (as OpenMP's): a task takes at most 1/(TASKS_AHEAD x workers) of the
# runs not yet handed out, so tasks shrink to one run towards the end and no worker is left
# finishing a long task while the others wait.
TASKS_AHEAD = 4
# Tasks handed to Dask ahead of time per worker: enough that no worker waits for the
# driver, few enough that a sweep of 100,000 runs does not sit in the scheduler at once.
TASKS_IN_FLIGHT = 4 * TASKS_AHEAD
# Workers assumed when the cluster has none yet (SLURM/PBS jobs still queued): plenty, so
# that tasks stay small unless the sweep is large.
UNKNOWN_WORKERS = 100
# key of the kept series in a run's row until they are stored; never an outcome name
# (those are identifiers: flowsim.experiments.spec.NAME)
SERIES = "kept series"


@dataclass(frozen=True)
class RunTask:
    """What a worker needs for one run: small, so it pickles cheaply.

    ``summary(frame, model)`` turns the run's daily series (and the finished model) into its
    row's values (an experiment's outcomes, a calibration's model values at the observed
    points, the state a forecast starts from); ``names`` are its keys, NaN in the row of a
    run that failed.
    """

    run_id: str
    scenario: Scenario
    seed: int
    summary: Callable[[pd.DataFrame, Any], dict[str, float]]
    names: tuple[str, ...]
    series: tuple[str, ...] = ()


def run_id(scenario: Scenario, seed: int, flowsim_version: str) -> str:
    """The id of a run: SHA-256 (first 20 hex digits) of resolved scenario, seed, version."""
    return run_id_from_hash(scenario.config_hash(), seed, flowsim_version)


def run_id_from_hash(config_hash: str, seed: int, flowsim_version: str) -> str:
    """:func:`run_id` from the resolved scenario's hash (``Scenario.config_hash``)."""
    text = f"{config_hash}:{seed}:{flowsim_version}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def task_sizes(runs: int, workers: int, most: int = MAX_RUNS_PER_TASK) -> list[int]:
    """How many runs each Dask task gets, in the order the tasks are submitted: at most
    ``most``, at most the runs left over ``TASKS_AHEAD`` x ``workers``, at least one."""
    sizes: list[int] = []
    left = runs
    while left > 0:
        size = max(1, min(most, left // (TASKS_AHEAD * max(workers, 1))))
        sizes.append(size)
        left -= size
    return sizes


def batches(
    tasks: Sequence[RunTask], workers: int, most: int = MAX_RUNS_PER_TASK
) -> Iterator[tuple[RunTask, ...]]:
    """``tasks`` (plan order: a point's replications together) cut by :func:`task_sizes`,
    each cut taken only when the next batch is asked for (a sweep's tasks are resolved
    then: :class:`flowsim.experiments.sweep.PlannedTasks`)."""
    start = 0
    for size in task_sizes(len(tasks), workers, most):
        yield tuple(tasks[start : start + size])
        start += size


def execute_runs(tasks: tuple[RunTask, ...], out: str) -> list[dict[str, Any]]:
    """Run several runs in turn (one Dask task) with :func:`execute_run`; returns their rows.

    Skips a run already stored with status ok: a task retried after its worker died does
    not run again what the dead worker had finished.
    """
    return [execute_run(task, out) for task in tasks if not shard_ok(Path(out), task.run_id)]


def execute_run(task: RunTask, out: str) -> dict[str, Any]:
    """Run one simulation and summarise it; never raises (errors are recorded).

    Stores the run under ``out`` (:func:`store_run`: its kept series, then its shard) and
    returns the shard's row. When this worker cannot reach ``out``, the row also carries the
    kept series (under :data:`SERIES`), so that the driver can store both.
    """
    started = time.perf_counter()
    row: dict[str, Any] = {"run_id": task.run_id}
    try:
        with replication(task.scenario, task.seed) as model:
            frame = model.run_to_end()
            row.update(task.summary(frame, model))
        row.update(status="ok", error="")
        if task.series:
            row[SERIES] = frame[["date", *task.series]]
    except Exception as err:  # a failing run is a result: recorded, the sweep goes on
        row.update({name: math.nan for name in task.names})
        last = traceback.extract_tb(err.__traceback__)[-1]
        row.update(status="error", error=f"{type(err).__name__}: {err} ({last.name})")
    row["wall_time_s"] = time.perf_counter() - started
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    try:
        store_run(Path(out), row)
    except OSError:  # the folder is not reachable from this worker: the driver stores it
        return row
    row.pop(SERIES, None)  # stored: the series need not travel back
    return row


def store_run(out: Path, row: dict[str, Any]) -> None:
    """Store a finished run in ``out``'s run store: its row, and its kept series
    (``row[SERIES]``) if any."""
    rest = {name: value for name, value in row.items() if name != SERIES}
    RunStore(out).put(rest, row.get(SERIES))


def warm_up(scenario: Scenario) -> float:
    """Run a short version of ``scenario`` once so this process has its numba kernels
    loaded (or compiled into the on-disk cache); returns the seconds it took."""
    started = time.perf_counter()
    days = min(WARM_UP_DAYS, scenario.days)
    end = scenario.start_date + pd.Timedelta(days=days - 1).to_pytimedelta()
    # no changes or triggers: they may fall outside the shortened run
    short = scenario.model_copy(update={"end_date": end, "changes": [], "triggers": []})
    with replication(short, 0) as model:
        model.run_to_end()
    return time.perf_counter() - started


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - distributed is a dependency
    WorkerPlugin = object  # type: ignore[misc,assignment]


class WarmNumba(WorkerPlugin):  # type: ignore[misc]
    """Worker plugin: warm the numba kernels once per worker, when it joins the cluster.

    Runs in a thread so the worker keeps answering the scheduler during a cold compile.
    Idempotent: a later sweep on the same cluster (an existing scheduler, more
    replications) finds it registered and does not warm the workers again.
    """

    name = "flowsim-warm-numba"
    idempotent = True

    def __init__(self, scenario: Scenario):
        self.scenario = scenario

    async def setup(self, worker: Any) -> None:
        await asyncio.to_thread(warm_up, self.scenario)


def compute_runs(
    client: Any,
    todo: Sequence[RunTask],
    out: Path,
    bar: Any = None,
    runs_per_task: int | None = None,
) -> None:
    """Make every run of ``todo`` on the Dask ``client`` and store each in ``out``'s run
    store as it finishes; ``bar`` (a tqdm bar, optional) counts them.

    Tasks are handed to Dask a window at a time (:data:`TASKS_IN_FLIGHT` per worker thread,
    following the cluster's size), so the scheduler holds a few hundred runs per worker
    however large the sweep. The store is compacted every
    :data:`~flowsim.results.store.COMPACT_EVERY` runs and at the end. A task failing as a
    whole (its worker died too many times) has its runs made again one per task; a run
    that still fails is stored as an error. Runs are stored as they come: a sweep or
    calibration killed meanwhile loses none that finished.
    """
    from distributed import as_completed

    if not todo:
        return
    # warm the kernels once per worker before the runs (new workers warm when they join)
    client.register_plugin(WarmNumba(todo[0].scenario))
    workers = sum(client.nthreads().values()) or UNKNOWN_WORKERS
    waiting = iter(batches(todo, workers, runs_per_task or MAX_RUNS_PER_TASK))
    store = RunStore(out)
    moved: dict[str, str] = {}  # run id -> status of the runs compacted by this call
    since_compaction = 0
    pending: dict[Any, tuple[RunTask, ...]] = {}
    queue = as_completed()

    def submit(batch: tuple[RunTask, ...]) -> None:
        future = _submit(client, batch, out)
        pending[future] = batch
        queue.add(future)

    window = _Window(client, workers)
    for batch in itertools.islice(waiting, window.size()):
        submit(batch)
    for future in queue:
        batch = pending.pop(future)
        failed = future.status == "error"
        missing = _not_stored(store, moved, batch, failed)
        retried = 0
        if failed and len(missing) > 1:
            # the task failed as a whole (its worker died too many times): give each of its
            # runs not yet stored a task of its own, so one bad run takes no other with it
            for task in missing:
                submit((task,))
            retried, missing = len(missing), []
        for row in _rows(future, missing):
            store_run(out, row)
        if bar is not None:
            bar.update(len(batch) - retried)
        future.release()
        for next_batch in itertools.islice(waiting, max(0, window.size() - len(pending))):
            submit(next_batch)
        since_compaction += len(batch) - retried
        if since_compaction >= COMPACT_EVERY:
            moved.update(store.compact())
            since_compaction = 0
    store.compact(final=True)


class _Window:
    """How many tasks to keep handed to Dask: :data:`TASKS_IN_FLIGHT` per worker thread,
    counted again every few seconds, as a cluster's workers come and go."""

    def __init__(self, client: Any, workers: int, every_s: float = 2.0):
        self.client, self.workers, self.every_s = client, workers, every_s
        self.counted = time.monotonic()

    def size(self) -> int:
        if time.monotonic() - self.counted > self.every_s:
            self.counted = time.monotonic()
            self.workers = sum(self.client.nthreads().values()) or self.workers
        return TASKS_IN_FLIGHT * self.workers


def _not_stored(
    store: RunStore, moved: dict[str, str], batch: tuple[RunTask, ...], failed: bool
) -> list[RunTask]:
    """The runs of a finished task not in the store: the worker could not write them, and
    their rows must come back from it (a round trip the others need not make). When the
    task failed, the runs not stored ok: an error row found then is an earlier attempt's
    (``--resume`` retrying a failed run), not this one's. ``moved``: the runs this driver
    compacted meanwhile, with their status."""
    if failed:
        ok = {t.run_id for t in batch if moved.get(t.run_id) == "ok"}
        return [t for t in batch if not (t.run_id in ok or shard_ok(store.folder, t.run_id))]
    return [t for t in batch if not (store.shard_file(t.run_id).is_file() or t.run_id in moved)]


def _submit(client: Any, batch: tuple[RunTask, ...], out: Path) -> Any:
    key = f"flowsim-runs-{batch[0].run_id}-{len(batch)}"
    return client.submit(execute_runs, batch, str(out), key=key, pure=False)


def _rows(future: Any, tasks: list[RunTask]) -> list[dict]:
    """The rows of ``tasks`` from a finished task's result; an error row for each run the
    result lacks (the task failed: its worker died, too many times)."""
    if not tasks:
        return []
    try:
        rows = {row["run_id"]: row for row in future.result()}
        why = "no result returned for this run"
    except Exception as err:
        rows, why = {}, f"{type(err).__name__}: {err}"
    error = {"status": "error", "error": why, "wall_time_s": math.nan, "worker": ""}
    return [
        rows.get(t.run_id) or {**dict.fromkeys(t.names, math.nan), "run_id": t.run_id, **error}
        for t in tasks
    ]
