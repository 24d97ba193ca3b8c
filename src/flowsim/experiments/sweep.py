"""Running an experiment on Dask: its plan of runs, resume, compaction, its manifest (the runs
themselves: :mod:`flowsim.results.shards`, on a client from :mod:`flowsim.results.clusters`).

A *run* is one design point and one replication. Its seed is the replication's seed derived
from the master seed (:func:`flowsim.results.runs.replication_seeds`): replication ``k`` of every
point uses the same seed, so points share their random numbers (common random numbers). Its
id is a hash of the resolved scenario, the seed and the flowsim version, so a run is the
same run whichever point index, worker or order it gets.

Layout of a sweep folder (``results/<experiment>/``):

- the run store (:mod:`flowsim.results.store`): one row per finished run, written by the
  worker that ran it (and by the driver if the worker cannot reach the folder), compacted
  into ``store/rows/`` and ``store/series/`` (the daily series the experiment asks to keep)
  as the sweep goes; what ``--resume`` reads;
- ``runs.parquet``: compacted from the shards, one row per run sorted by run index: ``index``,
  ``point``, ``replication``, ``seed``, ``run_id``, one column per lever and uncertainty,
  one per outcome, ``status`` (``ok``, ``error``, ``invalid``, ``missing``) and ``error``;
- ``timings.parquet``: run id, wall time (seconds) and worker of each run done;
- ``manifest.json``: the experiment, its hash, versions, seeds, timings.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from flowsim.experiments.design import baseline_point, design_matrix
from flowsim.experiments.outcomes import Outcome, compute_outcomes
from flowsim.experiments.spec import Experiment
from flowsim.results.clusters import SweepError
from flowsim.results.runs import atomic_path, replication_seeds, versions
from flowsim.results.shards import RunTask, compute_runs, run_id_from_hash
from flowsim.results.store import RunStore
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.scenario import Scenario

MANIFEST_VERSION = 1


class PlannedTasks(Mapping[str, RunTask]):
    """Every distinct run of an experiment by run id, each made into its task only when
    asked for. A resolved scenario holds some 34 KB: a plan of 100,000 runs keeps each run's
    point, ensemble member and seed, and resolves a point's scenario again when its runs are
    handed to Dask (points come in plan order, so the last one is kept)."""

    def __init__(self, experiment: Experiment, points: list[dict[str, Any]]):
        spec = experiment.spec
        self._experiment, self._points = experiment, points
        self._summary = OutcomeSummary(dict(spec.outcomes))
        self._names, self._series = tuple(spec.outcomes), tuple(spec.series)
        self._runs: dict[str, tuple[int, int, int]] = {}  # run id -> point, member, seed
        self._last: tuple[int, Scenario] | None = None  # the point resolved last

    def add(self, rid: str, point: int, member: int, seed: int) -> None:
        """Plan run ``rid``: ``member`` of point ``point``'s scenario with ``seed``."""
        self._runs.setdefault(rid, (point, member, seed))

    def __getitem__(self, rid: str) -> RunTask:
        point, member, seed = self._runs[rid]
        if self._last is None or self._last[0] != point:
            self._last = (point, self._experiment.resolve(self._points[point]))
        scenario = self._last[1].member(member)
        return RunTask(rid, scenario, seed, self._summary, self._names, self._series)

    def __iter__(self) -> Iterator[str]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    def pending(self, done: set[str]) -> _Pending:
        """The runs not in ``done``, in plan order, as tasks made when taken."""
        return _Pending(self, [rid for rid in self._runs if rid not in done])


class _Pending(Sequence[RunTask]):
    """Run ids in order, each made into its task when indexed (slices too)."""

    def __init__(self, tasks: PlannedTasks, ids: list[str]):
        self._tasks, self._ids = tasks, ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, k: int | slice) -> RunTask | list[RunTask]:  # type: ignore[override]
        if isinstance(k, slice):
            return [self._tasks[rid] for rid in self._ids[k]]
        return self._tasks[self._ids[k]]


@dataclass
class Plan:
    """Every run of an experiment: the table of runs and the tasks to compute them."""

    runs: pd.DataFrame  # index, point, replication, seed, run_id, factor values
    tasks: PlannedTasks  # run id -> task (runs sharing a scenario and seed share one)
    invalid: dict[int, str] = field(default_factory=dict)  # point -> why it cannot run
    baseline: int | None = None  # reference point of paired differences


@dataclass(frozen=True)
class OutcomeSummary:
    """An experiment's summary of a run: its outcomes (:mod:`flowsim.experiments.outcomes`)."""

    outcomes: dict[str, Outcome]

    def __call__(self, frame: pd.DataFrame, model: Any = None) -> dict[str, float]:
        return compute_outcomes(frame, self.outcomes)


def plan_runs(experiment: Experiment) -> Plan:
    """Resolve every design point to hash its runs and list its replications (point-major
    order); the scenarios are resolved again when their runs go out (:class:`PlannedTasks`)."""
    spec = experiment.spec
    points = design_matrix(spec)
    seeds = replication_seeds(spec.seed, spec.replications)
    version = versions()["flowsim"]
    rows: list[dict[str, Any]] = []
    tasks = PlannedTasks(experiment, points)
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
            rid = run_id_from_hash(digest, seed, version) if digest else ""
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
            if scenario is not None:
                tasks.add(rid, p, k % members, seed)
    runs = pd.DataFrame(rows)
    runs["seed"] = runs["seed"].astype("uint64")
    return Plan(runs, tasks, invalid, baseline_point(spec, points))


def done_ids(out: Path, outcomes: dict[str, Outcome]) -> set[str]:
    """Run ids already stored with status ok and every outcome: ``--resume`` skips them.

    Runs that raised are run again (the failure may have been the machine's).
    """
    store = RunStore(out)
    if not store.holds_runs() or not set(outcomes) <= set(store.columns()):
        return set()
    return store.ok_ids()


def compact(out: Path, plan: Plan, outcomes: dict[str, Outcome]) -> pd.DataFrame:
    """Join the plan with the stored runs into ``runs.parquet`` (sorted by run index) and
    ``timings.parquet``; runs not stored yet are ``missing``."""
    stored = RunStore(out).rows()
    names = list(outcomes)
    for name in names:
        if name not in stored.columns:
            stored[name] = math.nan
    for column, default in (("wall_time_s", math.nan), ("worker", "")):
        if column not in stored.columns:
            stored[column] = default
    keep = stored[stored["run_id"].isin(list(plan.tasks))]
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
    """What a sweep did: counts by status, runs skipped as stored, wall time (s), and the
    runs stored ok in the folder that match no run of this sweep (``unmatched``: stored by
    another version of its scenarios, seeds or flowsim, so not reused)."""

    out: Path
    runs: int
    statuses: dict[str, int]
    skipped: int
    computed: int
    wall_time_s: float
    unmatched: int = 0


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
    if not resume and RunStore(out).holds_runs():
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
    unmatched = len(done - plan.tasks.keys())
    todo = plan.tasks.pending(done)
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
    skipped = len(plan.tasks) - len(todo)
    return SweepSummary(out, len(runs), statuses, skipped, len(todo), wall, unmatched)


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
