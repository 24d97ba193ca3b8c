"""Running an experiment on Dask: tasks of a few runs each, Parquet shards, resume, compaction.

A *run* is one design point and one replication. Its seed is the replication's seed derived
from the master seed (:func:`flowsim.results.runs.replication_seeds`): replication ``k`` of every
point uses the same seed, so points share their random numbers (common random numbers). Its
id is a hash of the resolved scenario, the seed and the flowsim version, so a run is the
same run whichever point index, worker or order it gets.

Layout of a sweep folder (``results/<experiment>/``):

- ``shards/<run id>.parquet``: one row per finished run, written by the worker that ran it
  (and by the driver if the worker cannot reach the folder); the store that ``--resume``
  reads;
- ``runs.parquet``: compacted from the shards, one row per run sorted by run index: ``index``,
  ``point``, ``replication``, ``seed``, ``run_id``, one column per lever and uncertainty,
  one per outcome, ``status`` (``ok``, ``error``, ``invalid``, ``missing``) and ``error``;
- ``timings.parquet``: run id, wall time (seconds) and worker of each run done;
- ``series/<run id>.parquet``: the daily series the experiment asks to keep (optional);
- ``manifest.json``: the experiment, its hash, versions, seeds, timings.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flowsim.experiments.outcomes import Outcome, compute_outcomes
from flowsim.experiments.spec import Experiment, baseline_point, design_matrix
from flowsim.results.runs import atomic_path, replication, replication_seeds, versions
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.scenario import Scenario

MANIFEST_VERSION = 1
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
# Workers assumed when the cluster has none yet (SLURM/PBS jobs still queued): plenty, so
# that tasks stay small unless the sweep is large.
UNKNOWN_WORKERS = 100
# key of the kept series in a run's row until they are stored; never an outcome name
# (those are identifiers: experiments.NAME)
SERIES = "kept series"


class SweepError(Exception):
    """A sweep that cannot start (e.g. a folder holding another experiment's runs)."""


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


@dataclass
class Plan:
    """Every run of an experiment: the table of runs and the tasks to compute them."""

    runs: pd.DataFrame  # index, point, replication, seed, run_id, factor values
    tasks: dict[str, RunTask]  # run id -> task (runs sharing a scenario and seed share one)
    invalid: dict[int, str] = field(default_factory=dict)  # point -> why it cannot run
    baseline: int | None = None  # reference point of paired differences


@dataclass(frozen=True)
class OutcomeSummary:
    """An experiment's summary of a run: its outcomes (:mod:`flowsim.experiments.outcomes`)."""

    outcomes: dict[str, Outcome]

    def __call__(self, frame: pd.DataFrame, model: Any = None) -> dict[str, float]:
        return compute_outcomes(frame, self.outcomes)


def run_id(scenario: Scenario, seed: int, flowsim_version: str) -> str:
    """The id of a run: SHA-256 (first 20 hex digits) of resolved scenario, seed, version."""
    return _run_id(scenario.config_hash(), seed, flowsim_version)


def _run_id(config_hash: str, seed: int, flowsim_version: str) -> str:
    text = f"{config_hash}:{seed}:{flowsim_version}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def plan_runs(experiment: Experiment) -> Plan:
    """Resolve every design point and list its replications (point-major order)."""
    spec = experiment.spec
    points = design_matrix(spec)
    seeds = replication_seeds(spec.seed, spec.replications)
    version = versions()["flowsim"]
    summary = OutcomeSummary(dict(spec.outcomes))
    names = tuple(spec.outcomes)
    rows: list[dict[str, Any]] = []
    tasks: dict[str, RunTask] = {}
    invalid: dict[int, str] = {}
    for p, point in enumerate(points):
        try:
            scenario: Scenario | None = experiment.resolve(point)
        except ConfigError as err:
            scenario, invalid[p] = None, "; ".join(err.problems)
        # each replication runs its ensemble member (Scenario.member); hashed once per point
        # and member, not per replication: the hash was most of the plan's time
        members = len(scenario.ensemble.members) if scenario and scenario.ensemble else 1
        resolved = [scenario.member(m) if scenario else None for m in range(members)]
        digests = [r.config_hash() if r is not None else "" for r in resolved]
        for k, seed in enumerate(seeds):
            digest = digests[k % members]
            rid = _run_id(digest, seed, version) if digest else ""
            rows.append(
                {
                    "index": p * spec.replications + k,
                    "point": p,
                    "replication": k,
                    "seed": seed,
                    "run_id": rid,
                    **point,
                }
            )
            if scenario is not None and rid not in tasks:
                tasks[rid] = RunTask(
                    rid, resolved[k % members], seed, summary, names, tuple(spec.series)
                )
    runs = pd.DataFrame(rows)
    runs["seed"] = runs["seed"].astype("uint64")
    return Plan(runs, tasks, invalid, baseline_point(spec, points))


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
    tasks: list[RunTask], workers: int, most: int = MAX_RUNS_PER_TASK
) -> list[tuple[RunTask, ...]]:
    """``tasks`` (plan order: a point's replications together) cut by :func:`task_sizes`."""
    cut, start = [], 0
    for size in task_sizes(len(tasks), workers, most):
        cut.append(tuple(tasks[start : start + size]))
        start += size
    return cut


# --- on the worker ------------------------------------------------------------------------


def execute_runs(tasks: tuple[RunTask, ...], out: str) -> list[dict[str, Any]]:
    """Run several runs in turn (one Dask task) with :func:`execute_run`; returns their rows.

    Skips a run already stored with status ok: a task retried after its worker died does
    not run again what the dead worker had finished.
    """
    return [execute_run(task, out) for task in tasks if not stored_ok(Path(out), task.run_id)]


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
    """Store a finished run: its kept series (``row[SERIES]``, if any) under ``series/``,
    then its row as its shard. The shard comes last, so a stored run has its series."""
    series = row.get(SERIES)
    if series is not None:
        _write_series(out, row["run_id"], series)
    write_shard(out, {name: value for name, value in row.items() if name != SERIES})


def shard_path(out: Path, rid: str) -> Path:
    """Where run ``rid``'s row is stored: ``shards/<run id>.parquet``."""
    return out / "shards" / f"{rid}.parquet"


def stored_ok(out: Path, rid: str) -> bool:
    """Whether run ``rid`` is stored with status ok (a missing or unreadable shard: no)."""
    path = shard_path(out, rid)
    if not path.is_file():  # the usual case, a file-system lookup only
        return False
    try:
        return read_shard(path, ["status"]).column("status")[0].as_py() == "ok"
    except (OSError, pa.ArrowException, KeyError, IndexError):
        return False


def write_shard(out: Path, row: dict[str, Any]) -> Path:
    """Write one run's row as ``shards/<run id>.parquet`` (atomic)."""
    target = shard_path(out, row["run_id"])
    with atomic_path(target) as tmp:  # pyarrow directly: 0.4 ms a run, pandas 1.6 ms
        pq.write_table(pa.Table.from_pylist([row]), tmp)
    return target


def _write_series(out: Path, rid: str, frame: pd.DataFrame) -> None:
    with atomic_path(out / "series" / f"{rid}.parquet") as tmp:
        frame.to_parquet(tmp, index=False)


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


# --- on the driver ------------------------------------------------------------------------


def stored_rows(out: Path) -> pd.DataFrame:
    """Every run stored in ``out/shards`` (one row per run id), or an empty table."""
    folder = out / "shards"
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame(columns=["run_id", "status", "error"])
    # one table per file, one conversion to pandas: 0.3 ms CPU a shard, against 0.9 ms
    # with pq.read_table per file and 2.3 ms with pandas per file
    tables = [read_shard(f) for f in files]
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def read_shard(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One shard's row (``columns`` only, if given) as an Arrow table."""
    # ParquetFile, not pq.read_table: read_table goes through the dataset machinery, three
    # times the cost for a one-row file; one thread, as a one-row file has nothing to share
    with open(path, "rb") as file:
        return pq.ParquetFile(file).read(columns=columns, use_threads=False)


def done_ids(out: Path, outcomes: dict[str, Outcome]) -> set[str]:
    """Run ids already stored with status ok and every outcome: ``--resume`` skips them.

    Runs that raised are run again (the failure may have been the machine's).
    """
    stored = stored_rows(out)
    if stored.empty or not set(outcomes) <= set(stored.columns):
        return set()
    return set(stored.loc[stored["status"] == "ok", "run_id"])


def compact(out: Path, plan: Plan, outcomes: dict[str, Outcome]) -> pd.DataFrame:
    """Join the plan with the stored shards into ``runs.parquet`` (sorted by run index) and
    ``timings.parquet``; runs with no shard yet are ``missing``."""
    stored = stored_rows(out)
    names = list(outcomes)
    for name in names:
        if name not in stored.columns:
            stored[name] = math.nan
    for column, default in (("wall_time_s", math.nan), ("worker", "")):
        if column not in stored.columns:
            stored[column] = default
    keep = stored[stored["run_id"].isin(plan.tasks)]
    runs = plan.runs.merge(keep[["run_id", *names, "status", "error"]], "left", on="run_id")
    runs["status"] = runs["status"].fillna("missing")
    runs["error"] = runs["error"].fillna("")
    for p, why in plan.invalid.items():
        runs.loc[runs["point"] == p, ["status", "error"]] = ["invalid", why]
    runs[names] = runs[names].astype("float64")
    runs = runs.sort_values("index", kind="stable").reset_index(drop=True)
    with atomic_path(out / "runs.parquet") as tmp:
        runs.to_parquet(tmp, index=False)
    timings = keep[["run_id", "wall_time_s", "worker"]].sort_values("run_id")
    with atomic_path(out / "timings.parquet") as tmp:
        timings.reset_index(drop=True).to_parquet(tmp, index=False)
    return runs


@dataclass
class SweepSummary:
    """What a sweep did: counts by status, runs skipped as stored, wall time (s)."""

    out: Path
    runs: int
    statuses: dict[str, int]
    skipped: int
    computed: int
    wall_time_s: float


def run_sweep(
    experiment: Experiment,
    out: Path,
    client: Any,
    resume: bool = False,
    progress: bool = True,
    runs_per_task: int | None = None,
) -> SweepSummary:
    """Run every run of ``experiment`` on the Dask ``client`` and write ``out``.

    Without ``resume``, ``out`` must not hold runs already. With it, stored runs are skipped
    (never run twice) and the rest computed; the experiment's outcomes must be those the
    stored runs were computed with. ``runs_per_task``: the most runs one Dask task makes
    (default :data:`MAX_RUNS_PER_TASK`; 1: a task per run); it changes no result.
    """
    started = time.perf_counter()
    spec = experiment.spec
    plan = plan_runs(experiment)
    manifest_path = out / "manifest.json"
    if not resume and (out / "shards").is_dir() and any((out / "shards").iterdir()):
        raise SweepError(f"{out}: holds runs already; use --resume or another --out")
    if resume and manifest_path.is_file():
        stored = json.loads(manifest_path.read_text(encoding="utf-8"))
        mine = json.loads(json.dumps(_outcome_defs(spec.outcomes)))
        if stored.get("outcomes") != mine:
            raise SweepError(
                f"{out}: its runs were summarised with other outcome definitions; "
                "run into another --out"
            )
    done = done_ids(out, spec.outcomes) if resume else set()
    todo = [task for rid, task in plan.tasks.items() if rid not in done]
    _write_manifest(out, experiment, plan, extra={"state": "running"})

    bar = _progress_bar(len(plan.tasks), len(plan.tasks) - len(todo), progress)
    compute_runs(client, todo, out, bar, runs_per_task)
    bar.close()

    runs = compact(out, plan, spec.outcomes)
    wall = time.perf_counter() - started
    statuses = {str(k): int(v) for k, v in runs["status"].value_counts().sort_index().items()}
    timings = pd.read_parquet(out / "timings.parquet")
    _write_manifest(
        out,
        experiment,
        plan,
        extra={
            "state": "complete" if statuses.keys() <= {"ok", "error", "invalid"} else "partial",
            "statuses": statuses,
            "timings": {
                "wall_time_s": round(wall, 3),
                "runs_computed": len(todo),
                "runs_skipped_as_stored": len(plan.tasks) - len(todo),
                "mean_run_s": round(float(timings["wall_time_s"].mean()), 4)
                if len(timings)
                else None,
                "workers": int(timings["worker"].nunique()),
            },
        },
    )
    return SweepSummary(out, len(runs), statuses, len(plan.tasks) - len(todo), len(todo), wall)


def compute_runs(
    client: Any,
    todo: list[RunTask],
    out: Path,
    bar: Any = None,
    runs_per_task: int | None = None,
) -> None:
    """Make every run of ``todo`` on the Dask ``client`` and store each (shard, kept series)
    under ``out`` as it finishes; ``bar`` (a tqdm bar, optional) counts them.

    A task failing as a whole (its worker died too many times) has its runs made again one
    per task; a run that still fails is stored as an error. Runs are stored as they come:
    a sweep or calibration killed meanwhile loses none that finished.
    """
    from distributed import as_completed

    if not todo:
        return
    # warm the kernels once per worker before the runs (new workers warm when they join)
    client.register_plugin(WarmNumba(todo[0].scenario))
    workers = sum(client.nthreads().values()) or UNKNOWN_WORKERS
    pending = {
        _submit(client, batch, out): batch
        for batch in batches(todo, workers, runs_per_task or MAX_RUNS_PER_TASK)
    }
    queue = as_completed(list(pending))
    for future in queue:
        batch = pending.pop(future)
        failed = future.status == "error"
        missing = _not_stored(out, batch, failed)
        retried = 0
        if failed and len(missing) > 1:
            # the task failed as a whole (its worker died too many times): give each of its
            # runs not yet stored a task of its own, so one bad run takes no other with it
            for task in missing:
                single = _submit(client, (task,), out)
                pending[single] = (task,)
                queue.add(single)
            retried, missing = len(missing), []
        for row in _rows(future, missing):
            store_run(out, row)
        if bar is not None:
            bar.update(len(batch) - retried)
        future.release()


def _not_stored(out: Path, batch: tuple[RunTask, ...], failed: bool) -> list[RunTask]:
    """The runs of a finished task with no shard: the worker could not write them, and
    their rows must come back from it (a round trip the others need not make). When the
    task failed, the runs not stored ok: an error shard found then is an earlier attempt's
    (``--resume`` retrying a failed run), not this one's."""
    if failed:
        return [task for task in batch if not stored_ok(out, task.run_id)]
    return [task for task in batch if not shard_path(out, task.run_id).is_file()]


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


def _progress_bar(total: int, initial: int, enabled: bool) -> Any:
    from tqdm import tqdm

    # tqdm shows runs done, elapsed time, rate and ETA. Written to a log (a batch job, nohup)
    # rather than a terminal, it updates at most every 30 s so the log stays readable.
    terminal = sys.stderr.isatty()
    return tqdm(
        total=total,
        initial=initial,
        unit="run",
        desc="flowsim sweep",
        disable=not enabled,
        file=sys.stderr,
        mininterval=0.5 if terminal else 30.0,
        ascii=not terminal,
    )


def _outcome_defs(outcomes: dict[str, Outcome]) -> dict[str, Any]:
    return {name: o.model_dump(mode="json", by_alias=True) for name, o in outcomes.items()}


def _write_manifest(out: Path, experiment: Experiment, plan: Plan, extra: dict) -> None:
    spec = experiment.spec
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "experiment": spec.name,
        "source": experiment.source,
        "spec": spec.model_dump(mode="json", by_alias=True),
        "spec_hash": spec.spec_hash(),
        "scenario_sources": experiment.sources,
        "design": spec.design.kind,
        "points": int(plan.runs["point"].nunique()),
        "replications": spec.replications,
        "runs": len(plan.runs),
        "distinct_runs": len(plan.tasks),
        "master_seed": spec.seed,
        "replication_seeds": replication_seeds(spec.seed, spec.replications),
        "baseline_point": plan.baseline,
        "levers": [f.name for f in spec.levers],
        "uncertainties": [f.name for f in spec.uncertainties],
        "outcomes": _outcome_defs(spec.outcomes),
        "series": list(spec.series),
        "invalid_points": {str(p): why for p, why in plan.invalid.items()},
        "versions": {**versions(), **_sweep_versions()},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **extra,
    }
    with atomic_path(out / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _sweep_versions() -> dict[str, str]:
    from flowsim.results.runs import _version

    return {name: _version(name) for name in ("dask", "distributed", "SALib")}


# --- clusters -----------------------------------------------------------------------------

# Dask settings of the processes flowsim starts (local cluster, SLURM/PBS workers). A
# worker's statistical profiler samples the thread running the model every 10 ms, its event
# loop checks its own health every 20 ms, and the worker, the nanny and the scheduler poll
# memory and system counters 2-10 times a second: Python work that takes the GIL from the
# model or a core from the workers. Measured with perf (worker CPU per run against a plain
# process, both normalised by the numba kernels' samples): +15% with Dask's defaults, +5%
# without the profiler and ticks; the pollers cost the driver 5 of its 22 ms a run.
# None changes a result: they feed Dask's dashboard, and the memory limits are still
# enforced, within a second instead of 0.1 s.
DASK_SETTINGS: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def worker_exports() -> list[str]:
    """Shell lines setting :data:`DASK_SETTINGS` through environment variables
    (``DASK_DISTRIBUTED__WORKER__...``), for job scripts of workers started elsewhere."""
    lines = []
    for key, value in DASK_SETTINGS.items():
        name = "DASK_" + "__".join(part.upper().replace("-", "_") for part in key.split("."))
        lines.append(f"export {name}={value}")
    return lines


def jobqueue_cluster(kind: str, options: dict[str, Any]) -> Any:
    """A dask-jobqueue cluster (``slurm`` or ``pbs``) from the experiment's ``cluster``
    section; no job is submitted until it is scaled. Its job script sets
    :data:`DASK_SETTINGS` before any line of the section's own ``job_script_prologue``."""
    if kind == "slurm":
        from dask_jobqueue import SLURMCluster as ClusterClass
    elif kind == "pbs":
        from dask_jobqueue import PBSCluster as ClusterClass
    else:
        raise SweepError(f"--cluster: expected slurm or pbs, got {kind!r}")
    settings = {"cores": 1, "processes": 1, "memory": "4GB", **options}
    settings["job_script_prologue"] = [
        *worker_exports(),
        *(settings.get("job_script_prologue") or []),
    ]
    return ClusterClass(**settings)


LOCALHOST = "127.0.0.1"  # where a local cluster listens


def make_client(
    cluster_options: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    jobs: int = 1,
) -> Any:
    """A Dask client: an existing scheduler by address, a SLURM/PBS cluster scaled to
    ``jobs`` jobs (options from ``cluster_options``, an experiment's or a calibration's
    ``cluster`` section), or (default) a LocalCluster of ``workers`` single-threaded
    processes (default: the machine's cores), listening on 127.0.0.1 only."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler)
    if cluster is not None:
        options = dict(getattr(cluster_options, cluster, {}) or {})
        made = jobqueue_cluster(cluster, options)
        made.scale(jobs=jobs)
        return Client(made)
    n = workers or os.cpu_count() or 1
    # One thread per worker: a run is single-threaded numba and the GIL would serialise
    # threads; dashboard on a free port so several sweeps can share a machine. Dask starts
    # workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's adaptive mmap
    # threshold: every array of every run then comes fresh from the kernel (8,400 more page
    # faults and about 0.02 s of system time a baseline run, some 5%); a worker runs one
    # model at a time, so the memory glibc keeps for reuse is at most one run's.
    settings = {
        **DASK_SETTINGS,
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    with dask.config.set(settings):  # the nanny hands the worker the settings of this moment
        # this machine only: a local sweep's scheduler, workers and dashboard have no login
        local = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host=LOCALHOST,
            dashboard_address=f"{LOCALHOST}:0",
        )
    return Client(local)
