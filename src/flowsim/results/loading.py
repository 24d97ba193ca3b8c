"""Reading results folders (read only): a run's daily series as a :class:`Scenario`, a
sweep's runs table as a :class:`Sweep`, and the daily series a sweep kept per point.

What was read is kept between picks (:data:`CACHE`): an unchanged folder is not read again,
a folder rewritten since (a run finished, a sweep re-run) is. The frames handed out are
shared between callers: read them, never modify them in place.

Units: counts are persons unless named (places, cases, euros); flows are persons per day;
stocks at the end of the day; dates are calendar days.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from flowsim.results.folders import DashboardError, classify
from flowsim.results.store import RunStore

MAX_SCENARIOS = 12  # at most this many scenarios (sweep points) on one chart
# entries kept between picks (a run, a sweep, a sweep's kept series for a pick of points,
# a run's hindcast points): a 4-year run of 5 replications is ~5 MB in memory
CACHE_SIZE = 32
RUN_FILES = (
    "manifest.json",
    "series.parquet",
    "series_by_region.parquet",
    "series_by_group.parquet",
    "events.parquet",
)
SWEEP_FILES = ("manifest.json", "runs.parquet")

T = TypeVar("T")
Stamp = tuple[int, int, int] | None


def file_stamp(path: Path) -> Stamp:
    """What tells a file's versions apart: (modification time in ns, size in bytes, inode),
    or None when the file is missing. flowsim writes results to a temporary file renamed
    into place, so a rewritten file has a new inode even within one clock tick."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


class FolderCache:
    """What was loaded from results folders, kept between picks.

    An entry is keyed by what was loaded (a kind and a folder) and remembers the stamps
    (:func:`file_stamp`) of the files it was read from; it is read again when any of them
    changed, appeared or vanished. Past ``size`` entries the least recently used goes.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[tuple[Stamp, ...], Any]] = OrderedDict()

    def get(self, key: Hashable, files: Iterable[Path], load: Callable[[], T]) -> T:
        """The value under ``key`` if ``files`` are unchanged since it was loaded, else
        ``load()`` (remembered with the files' stamps)."""
        # stamped before reading: a file rewritten while being read leaves the old stamp,
        # so the next pick reads it again rather than keeping a half-new value
        stamps = tuple(file_stamp(f) for f in files)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamps:
            self._entries.move_to_end(key)
            return entry[1]
        value = load()
        self._entries[key] = (stamps, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry (the next load reads the files)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


CACHE = FolderCache()  # one per kernel: the page of one visitor (Voila starts one per page)


@dataclass
class Scenario:
    """One scenario's daily series over replications: ``frame`` has ``replication``,
    ``date`` (datetime64) and one column per series; ``by_region`` likewise with
    ``region``, ``by_group`` with ``grouping`` and ``group`` (single runs only)."""

    label: str
    frame: pd.DataFrame
    by_region: pd.DataFrame | None = None
    source: str = ""
    by_group: pd.DataFrame | None = None
    manifest: dict = field(default_factory=dict)  # a run's manifest (seeds, config)
    events: pd.DataFrame | None = None  # a run's trigger events (replication, date, ...)


@dataclass
class Sweep:
    """A finished sweep: its runs table, manifest, factors, outcomes and point labels."""

    path: Path
    manifest: dict
    runs: pd.DataFrame
    factors: list[str]
    outcomes: list[str]
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.manifest.get("experiment", self.path.name))


def _read_manifest(path: Path) -> dict:
    folder = classify(path)
    if not folder.ok:
        raise DashboardError(f"{path.name}: {folder.problem}")
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several types for damaged files
        raise DashboardError(f"{path.parent.name}/{path.name} cannot be read: {err}") from err


def run_files(path: str | Path) -> list[Path]:
    """The files :func:`load_run` reads from a run's folder (some may be missing)."""
    return [Path(path) / name for name in RUN_FILES]


def load_run(path: str | Path) -> Scenario:
    """A single run's folder as one :class:`Scenario` (read only; kept in :data:`CACHE`
    until one of its files changes)."""
    path = Path(path)
    return CACHE.get(("run", path.resolve()), run_files(path), lambda: _read_run(path))


def _read_run(path: Path) -> Scenario:
    manifest = _read_manifest(path)
    frame = _read_parquet(path / "series.parquet")
    if not {"replication", "date"} <= set(frame.columns):
        raise DashboardError(f"{path.name}: series.parquet has no replication/date columns")
    frame["date"] = pd.to_datetime(frame["date"])
    by = {}
    for name in ("series_by_region", "series_by_group", "events"):
        by[name] = None
        if (path / f"{name}.parquet").is_file():
            by[name] = _read_parquet(path / f"{name}.parquet")
            by[name]["date"] = pd.to_datetime(by[name]["date"])
    # the folder's name labels the scenario: unique under the root, and what the user picked
    return Scenario(
        path.name,
        frame,
        by["series_by_region"],
        source=str(manifest.get("scenario", "")),
        by_group=by["series_by_group"],
        manifest=manifest,
        events=by["events"],
    )


def load_sweep(path: str | Path) -> Sweep:
    """A finished sweep's folder (read only): runs, factors, outcomes and point labels
    (kept in :data:`CACHE` until its manifest or runs table changes)."""
    path = Path(path)
    files = [path / name for name in SWEEP_FILES]
    return CACHE.get(("sweep", path.resolve()), files, lambda: _read_sweep(path))


def _read_sweep(path: Path) -> Sweep:
    manifest = _read_manifest(path)
    runs = _read_parquet(path / "runs.parquet")
    spec = manifest.get("spec", {})
    factors = [f["name"] for f in spec.get("levers", []) + spec.get("uncertainties", [])]
    outcomes = list(manifest.get("outcomes", {}))
    missing = [c for c in ("point", "replication", "status", *factors) if c not in runs]
    if missing:
        raise DashboardError(f"{path.name}: runs.parquet lacks {missing}: another version?")
    return Sweep(path, manifest, runs, factors, outcomes, point_labels(runs, factors))


def sweep_points(sweep: Sweep, limit: int = MAX_SCENARIOS) -> list[int]:
    """Points with a successful run, the baseline first, at most ``limit``."""
    ok = sweep.runs[sweep.runs["status"] == "ok"]
    points = sorted(int(p) for p in ok["point"].unique())
    baseline = sweep.manifest.get("baseline_point")
    if baseline in points:
        points = [baseline, *[p for p in points if p != baseline]]
    return points[:limit]


def sweep_scenarios(sweep: Sweep, points: Iterable[int] | None = None) -> list[Scenario]:
    """The kept series of each point (its successful runs, from the sweep's run store) as a
    :class:`Scenario`; points without stored series are left out. Reads those runs' series
    only, and keeps them in :data:`CACHE` until the sweep's files or its store change."""
    chosen = tuple(sweep_points(sweep) if points is None else points)
    store = RunStore(sweep.path)
    stamped = [sweep.path / name for name in SWEEP_FILES] + store.files()
    key = ("sweep series", sweep.path.resolve(), chosen)
    return CACHE.get(key, stamped, lambda: _read_sweep_series(sweep, store, chosen))


def _read_sweep_series(sweep: Sweep, store: RunStore, points: tuple[int, ...]) -> list[Scenario]:
    ok = sweep.runs[(sweep.runs["status"] == "ok") & sweep.runs["point"].isin(points)]
    try:
        series = store.series(ok["run_id"])
    except Exception as err:  # pyarrow raises several types for damaged files
        raise DashboardError(f"{sweep.path.name}: its kept series cannot be read: {err}") from err
    if series.empty:
        return []
    # points sharing a run (the same scenario and seed) each get its series
    runs = ok[["point", "replication", "run_id"]].astype({"replication": int})
    frame = runs.merge(series, on="run_id").drop(columns="run_id")
    frame["date"] = pd.to_datetime(frame["date"])
    found = []
    for point in points:  # in the order of the points asked for
        part = frame[frame["point"] == point]
        if len(part):
            part = part.drop(columns="point").reset_index(drop=True)
            columns = [c for c in part.columns if c != "replication"] + ["replication"]
            found.append(Scenario(point_label(sweep, point), part[columns], source=sweep.name))
    return found


def point_label(sweep: Sweep, point: int) -> str:
    """A sweep point as a scenario: ``<folder>: factor=value, ...``."""
    return f"{sweep.path.name}: {sweep.labels.get(point, point)}"


def point_labels(runs: pd.DataFrame, factors: list[str]) -> dict[int, str]:
    """A readable label per point: ``factor=value, ...``."""
    first = runs.drop_duplicates("point")
    columns = {f: first[f].tolist() for f in factors}  # column by column: 20,000 points
    return {
        int(p): ", ".join(f"{f}={_fmt(columns[f][k])}" for f in factors)
        for k, p in enumerate(first["point"].tolist())
    }


def _fmt(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | float | np.floating | np.integer):
        return f"{float(value):.4g}"
    return str(value)
