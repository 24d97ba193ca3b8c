"""Reading results folders (read only): a run's daily series as a :class:`Scenario`, a
sweep's runs table as a :class:`Sweep`, and the daily series a sweep kept per point.

Units: counts are persons unless named (places, cases, euros); flows are persons per day;
stocks at the end of the day; dates are calendar days.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from flowsim.dashboard.folders import DashboardError, classify

MAX_SCENARIOS = 12  # at most this many scenarios (sweep points) on one chart


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


def load_run(path: str | Path) -> Scenario:
    """A single run's folder as one :class:`Scenario` (read only)."""
    path = Path(path)
    manifest = _read_manifest(path)
    frame = _read_parquet(path / "series.parquet")
    if not {"replication", "date"} <= set(frame.columns):
        raise DashboardError(f"{path.name}: series.parquet has no replication/date columns")
    frame["date"] = pd.to_datetime(frame["date"])
    by = {}
    for name in ("series_by_region", "series_by_group"):
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
    )


def load_sweep(path: str | Path) -> Sweep:
    """A finished sweep's folder (read only): runs, factors, outcomes and point labels."""
    from flowsim.report import point_labels

    path = Path(path)
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
    """The kept series (``series/<run id>.parquet``) of each point as a :class:`Scenario`;
    points without stored series are left out."""
    folder = sweep.path / "series"
    if not folder.is_dir():
        return []
    ok = sweep.runs[sweep.runs["status"] == "ok"]
    found = []
    for p in sweep_points(sweep) if points is None else points:
        parts = []
        for row in ok[ok["point"] == p].itertuples():
            file = folder / f"{row.run_id}.parquet"
            if file.is_file():
                part = _read_parquet(file)
                if len(part):
                    parts.append(part.assign(replication=int(row.replication)))
        if parts:
            frame = pd.concat(parts, ignore_index=True)
            frame["date"] = pd.to_datetime(frame["date"])
            found.append(Scenario(point_label(sweep, p), frame, source=sweep.name))
    return found


def point_label(sweep: Sweep, point: int) -> str:
    """A sweep point as a scenario: ``<folder>: factor=value, ...``."""
    return f"{sweep.path.name}: {sweep.labels.get(point, point)}"
