"""The dashboard of results: finding, loading, shaping and drawing what runs and sweeps wrote.

``notebooks/dashboard.ipynb`` (served by ``make dashboard``) is a thin shell around
:func:`build_app`; ``flowsim report`` draws its fan charts and sensitivity charts with
:func:`fan_figure` and :func:`sensitivity_figure`, and ``figures.overview`` its bands with
:func:`draw_fan`, so one figure is drawn by one piece of code.

Sections: finding results folders (:func:`discover`, never raising: a folder that cannot be
read is listed with the reason), loading (:func:`load_run`, :func:`load_sweep`), shaping
(pure functions on frames: :func:`derive`, :func:`fan_quantiles`, :func:`observed_points`,
:func:`fan_table`), drawing (matplotlib ``Figure`` objects, no pyplot state), and the page
(ipywidgets, imported only there). Nothing here writes into a results folder.

Units: counts are persons unless named (places, cases, euros); flows are persons per day,
shown as 30-day means; stocks at the end of the day; dates are calendar days.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from flowsim.config import CENTRE_TYPES

MANIFEST_VERSION = 1  # the results and sweep manifests this dashboard reads
WINDOW = 30  # days: flows and rates are shown as means over this window
BANDS = ((0.05, 0.95), (0.25, 0.75))  # 90% and 50% bands over replications
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_SCENARIOS = 12  # at most this many scenarios (sweep points) on one chart
# matplotlib's tab10: ten colours told apart by colour-blind readers more often than not
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# lines of one scenario within a panel (five: one per reception place type)
LINESTYLES = ("-", "--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)))


class DashboardError(ValueError):
    """A results folder cannot be shown; the message says why in one line."""


# --- finding results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Folder:
    """A folder under the results root: ``kind`` is ``run``, ``sweep`` or ``problem``."""

    path: Path
    kind: str
    label: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.kind != "problem"


def default_root() -> Path:
    """The results root: ``$FLOWSIM_RESULTS``, else ``results/`` here or one folder up (the
    notebook runs in ``notebooks/``)."""
    if os.environ.get("FLOWSIM_RESULTS"):
        return Path(os.environ["FLOWSIM_RESULTS"])
    for candidate in (Path("results"), Path("..") / "results"):
        if candidate.is_dir():
            return candidate.resolve()
    return Path("results").resolve()


def discover(root: str | Path) -> list[Folder]:
    """Every results folder directly under ``root`` (sorted by name), classified.

    Never raises: a folder that is not a readable run or sweep of this flowsim version is
    listed with ``kind="problem"`` and a one-line reason. Hidden folders are skipped.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    return [
        classify(p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")
    ]


def classify(path: Path) -> Folder:
    """What ``path`` holds: a finished run, a finished sweep, or a problem with its reason."""
    name = path.name
    shards = path / "shards"
    manifest_file = path / "manifest.json"
    if not manifest_file.is_file():
        if (path / "calibration.csv").is_file():
            return Folder(
                path,
                "problem",
                name,
                "a calibration (flowsim calibrate): its fit is in fit.csv and figures/fit.png; "
                "run the fitted config to see it here",
            )
        if shards.is_dir():
            n = len(list(shards.glob("*.parquet")))
            return Folder(path, "problem", name, f"a sweep still running: {n} runs stored")
        return Folder(path, "problem", name, "no manifest.json: not a flowsim results folder")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return Folder(path, "problem", name, f"manifest.json cannot be read: {err}")
    if not isinstance(manifest, dict):
        return Folder(path, "problem", name, "manifest.json is not a JSON object")
    version = manifest.get("manifest_version")
    if version != MANIFEST_VERSION:
        return Folder(
            path,
            "problem",
            name,
            f"written by another flowsim version (manifest version {version}, this dashboard "
            f"reads {MANIFEST_VERSION}): run it again with this flowsim",
        )
    if "spec" in manifest:
        if not (path / "runs.parquet").is_file():
            n = len(list(shards.glob("*.parquet"))) if shards.is_dir() else 0
            return Folder(
                path,
                "problem",
                name,
                f"a sweep not finished: {n} of {manifest.get('runs', '?')} runs stored, no "
                "runs.parquet yet (wait, or `flowsim sweep SPEC --resume`)",
            )
        return Folder(path, "sweep", f"{name} (sweep, {manifest.get('runs', '?')} runs)")
    if not (path / "series.parquet").is_file():
        return Folder(path, "problem", name, "series.parquet is missing: an unfinished run")
    reps = manifest.get("replications", "?")
    return Folder(path, "run", f"{name} ({reps} replications)")


# --- loading ------------------------------------------------------------------------------


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


# --- shaping (pure functions) -------------------------------------------------------------


def _rolling_sum(frame: pd.DataFrame, column: str, window: int) -> pd.Series:
    """Per replication, the sum of ``column`` over the last ``window`` days (fewer at start)."""
    ordered = frame.sort_values(["replication", "date"])
    rolled = ordered.groupby("replication")[column].transform(
        lambda s: s.rolling(window, min_periods=1).sum()
    )
    return rolled.reindex(frame.index)


def derive(frame: pd.DataFrame, window: int = WINDOW) -> pd.DataFrame:
    """``frame`` with the derived series the dashboard shows (where their parts exist):

    - ``protection_rate_pct``: positive CGRS decisions / all, percent, over ``window`` days;
    - ``days_to_decision``: mean days since lodging of the persons decided, same window;
    - ``occupancy_pct``: residents per place, percent;
    - ``resettled_this_year``: resettlement arrivals since 1 January (persons, cumulative);
    - ``tp_total``: persons under temporary protection (emergency, crisis, sustainable).
    A ratio with no decision in the window is NaN.
    """
    out = frame.copy()
    cols = set(frame.columns)
    if {"cgrs_positive_decisions", "cgrs_decisions"} <= cols:
        den = _rolling_sum(frame, "cgrs_decisions", window)
        num = _rolling_sum(frame, "cgrs_positive_decisions", window)
        out["protection_rate_pct"] = 100.0 * num / den.where(den > 0)
        if "cgrs_days_waited" in cols:
            waited = _rolling_sum(frame, "cgrs_days_waited", window)
            out["days_to_decision"] = waited / den.where(den > 0)
    if "occupancy_rate" in cols:
        out["occupancy_pct"] = 100.0 * frame["occupancy_rate"]
    if "resettlement_arrivals" in cols:
        year = pd.to_datetime(frame["date"]).dt.year
        ordered = frame.assign(_year=year).sort_values(["replication", "date"])
        cum = ordered.groupby(["replication", "_year"])["resettlement_arrivals"].cumsum()
        out["resettled_this_year"] = cum.reindex(frame.index)
    tp = [c for c in ("tp_in_emergency", "tp_in_crisis_housing", "tp_in_sustainable_housing")]
    if set(tp) <= cols:
        out["tp_total"] = frame[tp].sum(axis=1)
    return out


def fan_quantiles(
    frame: pd.DataFrame, column: str, window: int | None = None, qs: Sequence[float] = QUANTILES
) -> pd.DataFrame:
    """Per date, quantiles over replications of one series: index ``date``, one column per
    quantile (floats). ``window``: a rolling mean over that many days first (flows)."""
    wide = frame.pivot_table(index="date", columns="replication", values=column, dropna=False)
    if window:
        wide = wide.rolling(window, min_periods=1).mean()
    return wide.quantile(list(qs), axis=1).T


def observed_points(
    observed: pd.DataFrame | None,
    series: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    per_day: bool,
) -> pd.DataFrame:
    """Observed figures of ``series`` whose period lies within ``[start, end]``, drawn at
    the middle of their period: columns ``date, value, start, end``.

    ``per_day``: flows are divided by the days of their period, so that they read in the
    same unit as the model's daily flow (persons per day, mean over the period).
    """
    columns = ["date", "value", "start", "end"]
    if observed is None or observed.empty:
        return pd.DataFrame(columns=columns)
    rows = observed[
        (observed["series"] == series) & (observed["start"] >= start) & (observed["end"] <= end)
    ].copy()
    if rows.empty:
        return pd.DataFrame(columns=columns)
    if per_day:
        days = (rows["end"] - rows["start"]).dt.days + 1
        rows["value"] = rows["value"] / days
    rows["date"] = rows["start"] + (rows["end"] - rows["start"]) / 2
    return rows[columns].sort_values("date").reset_index(drop=True)


def scenario_colours(labels: Iterable[str]) -> dict[str, str]:
    """One colour per scenario, in the order given (cycling after ten)."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(dict.fromkeys(labels))}


# --- what each view shows -----------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """One chart: ``lines`` are (column, label); ``window`` days of rolling mean for flows;
    ``observed`` the name of the matching observed series (:mod:`flowsim.observed`)."""

    title: str
    unit: str
    lines: tuple[tuple[str, str], ...]
    window: int | None = None
    observed: tuple[str, ...] = ()

    @property
    def per_day(self) -> bool:
        return self.window is not None


_MEAN = f"({WINDOW}-day mean)"
PLACE_TYPES = {  # reception place types (config.CENTRE_TYPES) as the charts name them
    "collective": "Collective centres",
    "lri": "Local reception initiatives (LRI)",
    "emergency": "Emergency places",
    "private_operator": "Private operators",
    "convention": "Convention places",
}
assert set(PLACE_TYPES) == set(CENTRE_TYPES)
VIEWS: dict[str, tuple[Panel, ...]] = {
    "Main series": (
        Panel("Applications", f"persons per day {_MEAN}", (("applications", "applications"),),
              WINDOW, ("applications",)),
        Panel("In reception", "persons", (("in_reception", "in reception"),),
              observed=("in_reception",)),
        Panel("Pending at the CGRS", "persons", (("cgrs_backlog", "pending"),),
              observed=("cgrs_backlog",)),
        Panel("Entitled, without a place", "persons", (("without_reception", "without a place"),)),
    ),
    "Reception": (
        Panel("Whole network: residents against places", "persons / places",
              (("in_reception", "residents"), ("reception_capacity", "places")),
              observed=("in_reception", "reception_capacity")),
        Panel("Occupancy rate", "percent of places", (("occupancy_pct", "occupancy"),),
              observed=("reception_occupancy_rate",)),
        *(
            Panel(f"{PLACE_TYPES[t]}: residents against places",
                  "persons / places",
                  ((f"in_reception_{t}", "residents"), (f"capacity_{t}", "places")),
                  observed=("capacity_lri",) if t == "lri" else ())
            for t in CENTRE_TYPES
        ),
        Panel("Entitled, without a place", "persons", (("without_reception", "without a place"),)),
    ),
    "Procedure": (
        Panel("Backlogs", "persons",
              (("cgrs_backlog", "pending at the CGRS"), ("call_backlog", "pending at CALL")),
              observed=("cgrs_backlog",)),
        Panel("Decisions", f"persons per day {_MEAN}",
              (("cgrs_decisions", "CGRS decisions"), ("call_decisions", "CALL decisions")),
              WINDOW, ("cgrs_decisions",)),
        Panel("CGRS protection rate", f"percent of decisions {_MEAN}",
              (("protection_rate_pct", "protection rate"),), observed=("cgrs_protection_rate",)),
        Panel("Time to a CGRS decision", f"days since lodging {_MEAN}",
              (("days_to_decision", "mean days"),), observed=("cgrs_mean_days_to_decision",)),
    ),
    "Outflow and return": (
        Panel("Status holders in reception", "persons",
              (("status_holders_in_reception", "in reception"),
               ("status_holders_overstaying", "past the transition period"))),
        Panel("Housing found through municipalities", f"persons per day {_MEAN}",
              (("housed_by_municipalities", "housed"),), WINDOW),
        Panel("Returns", f"persons per day {_MEAN}",
              (("avr_departures", "assisted voluntary return"), ("forced_returns", "forced")),
              WINDOW, ("avr_departures", "forced_returns")),
        Panel("After an order to leave", f"persons per day {_MEAN}",
              (("subsequent_applications", "subsequent application"),
               ("irregular_stay", "irregular stay")), WINDOW),
    ),
    "Resettlement and temporary protection": (
        Panel("Resettlement against the pledge", "persons (calendar year)",
              (("resettlement_pledge", "pledge"), ("resettled_this_year", "arrived so far")),
              observed=("resettlement_pledge",)),
        Panel("Resettlement pipeline", "persons",
              (("resettlement_awaiting_transfer", "selected, awaiting transfer"),)),
        Panel("Temporary protection stocks", "persons",
              (("tp_in_emergency", "emergency"), ("tp_in_crisis_housing", "crisis housing"),
               ("tp_in_sustainable_housing", "sustainable housing"), ("tp_total", "total"))),
        Panel("Temporary protection registrations", f"persons per day {_MEAN}",
              (("tp_registrations", "registrations"),), WINDOW, ("tp_registrations",)),
    ),
    "Costs": (
        Panel("Cost per day", "euros per day",
              (("cost_eur", "all"), ("reception_cost_eur", "reception nights"),
               ("reintegration_eur", "reintegration packages"))),
        Panel("Reception cost by place type", "euros per day",
              tuple((f"reception_cost_{t}_eur", t.replace("_", " ")) for t in CENTRE_TYPES)),
    ),
}  # fmt: skip
REGION_SERIES = {
    "in_reception": "persons in reception",
    "reception_capacity": "places",
    "pending_cgrs": "persons pending at the CGRS",
    "status_holders": "status holders in reception (persons)",
}
REGION_VIEW = "Regions"
REGION_NAMES = {  # regions.CENTRE_REGIONS as the charts name them
    "brussels": "Brussels-Capital",
    "flanders": "Flanders",
    "wallonia": "Wallonia",
    "unassigned": "Not tied to one region (places spanning regions, never placed)",
}
GROUP_SERIES = {  # series_by_group columns: who waits without a place, and how long
    "without_reception": "persons entitled to a place without one",
    "in_reception": "persons in reception",
    "pending_cgrs": "persons pending at the CGRS",
    "cgrs_median_days_waited": f"median days waited by those decided {_MEAN}",
}


@dataclass(frozen=True)
class Breakdown:
    """A view with one panel per category of a results table (regions, household types,
    nationality groups)."""

    view: str
    table: str  # the Scenario attribute holding the table
    category: str  # its column naming the category
    series: dict[str, str]  # column -> axis label (unit)
    names: dict[str, str] = field(default_factory=dict)  # category -> panel title
    grouping: str | None = None  # series_by_group's grouping to keep
    smoothed: tuple[str, ...] = ()  # columns shown as a rolling mean (noisy daily values)
    alphabetical: bool = False  # panels in name order (else in the order of the table)
    absent: str = "no results by category in the folders picked"


BREAKDOWNS = {
    b.view: b
    for b in (
        Breakdown(
            REGION_VIEW,
            "by_region",
            "region",
            REGION_SERIES,
            REGION_NAMES,
            alphabetical=True,
            absent="no results by region in the folders picked (sweeps keep none)",
        ),
        Breakdown(
            "By household type",
            "by_group",
            "group",
            GROUP_SERIES,
            {"single_man": "Single men", "single_woman": "Single women",
             "family": "Families", "unaccompanied_minor": "Unaccompanied minors"},
            grouping="household_type",
            smoothed=("cgrs_median_days_waited",),
            absent="no results by group in the folders picked (sweeps keep none)",
        ),
        Breakdown(
            "By nationality group",
            "by_group",
            "group",
            GROUP_SERIES,
            grouping="nationality_group",
            smoothed=("cgrs_median_days_waited",),
            absent="no results by group in the folders picked (sweeps keep none)",
        ),
    )
}  # fmt: skip


# --- drawing ------------------------------------------------------------------------------


def draw_fan(
    ax: Axes,
    q: pd.DataFrame,
    colour: str | None = None,
    label: str | None = None,
    linestyle: str = "-",
    bands: Sequence[tuple[float, float]] = BANDS,
) -> str:
    """Median line and shaded bands of ``q`` (from :func:`fan_quantiles`); returns the
    colour used. Wider bands are lighter."""
    (line,) = ax.plot(q.index, q[0.5], color=colour, lw=1.4, ls=linestyle, label=label)
    colour = line.get_color()
    for i, (low, high) in enumerate(bands):
        ax.fill_between(q.index, q[low], q[high], color=colour, alpha=0.12 + 0.12 * i, lw=0)
    return colour


def _tick(value: float, _position: Any = None) -> str:
    """A y tick readable at a glance: 1.5 M, 12,000, 0.25 (no offset or 1e6 above the axis)."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.4g} M"
    if size >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _date_axis(ax: Axes) -> None:
    """Calendar dates on x (concise labels), readable numbers on y."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.set_xlabel("date")


def fan_table(scenarios: Sequence[Scenario], panels: Sequence[Panel]) -> pd.DataFrame:
    """The numbers behind :func:`fan_figure`: one row per scenario, panel line and date
    with the quantiles over replications (``q05 ... q95``) in the panel's unit."""
    parts = []
    for sc in scenarios:
        frame = derive(sc.frame)
        for panel in panels:
            for column, label in panel.lines:
                if column not in frame or frame[column].isna().all():
                    continue
                q = fan_quantiles(frame, column, panel.window)
                q.columns = [f"q{round(100 * c):02d}" for c in q.columns]
                parts.append(
                    q.reset_index().assign(
                        scenario=sc.label,
                        panel=panel.title,
                        series=column,
                        line=label,
                        unit=panel.unit,
                    )
                )
    if not parts:
        return pd.DataFrame(columns=["scenario", "panel", "series", "line", "unit", "date"])
    table = pd.concat(parts, ignore_index=True)
    first = ["scenario", "panel", "series", "line", "unit", "date"]
    return table[first + [c for c in table.columns if c not in first]]


def fan_figure(
    scenarios: Sequence[Scenario],
    panels: Sequence[Panel],
    colours: dict[str, str] | None = None,
    observed: pd.DataFrame | None = None,
    title: str = "",
    columns: int = 2,
) -> Figure:
    """A grid of fan charts, one panel per :class:`Panel`: per scenario (one colour each)
    and series (one line style each), the median over replications with its 50% and 90%
    bands; observed Belgian figures as black marks where they fall within the dates shown
    (a horizontal bar spans a figure's period). Panels with no data say so."""
    colours = colours or scenario_colours(sc.label for sc in scenarios)
    derived = [(sc, derive(sc.frame)) for sc in scenarios]
    rows = max(1, math.ceil(len(panels) / columns))
    fig = Figure(figsize=(6.5 * columns, 3.4 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax, panel in zip(axes, panels, strict=False):
        drawn = False
        for sc, frame in derived:
            for k, (column, label) in enumerate(panel.lines):
                if column not in frame or frame[column].isna().all():
                    continue
                q = fan_quantiles(frame, column, panel.window)
                name = label if len(scenarios) == 1 else f"{sc.label}: {label}"
                ls = LINESTYLES[k % len(LINESTYLES)]
                legend = len(panel.lines) > 1 or len(scenarios) > 1
                draw_fan(ax, q, colours.get(sc.label), name if legend else None, ls)
                drawn = True
        if drawn and derived:
            dates = pd.concat([f["date"] for _, f in derived])
            _draw_observed(ax, observed, panel, dates.min(), dates.max())
        if not drawn:
            ax.text(
                0.5,
                0.5,
                "not recorded in these results",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="0.4",
            )
        ax.set_title(panel.title)
        ax.set_ylabel(panel.unit)
        _date_axis(ax)
        ax.grid(alpha=0.3)
        if drawn:
            ax.set_ylim(bottom=0)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(loc="best", fontsize=7)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle((title + ": " if title else "") + "median, 50% and 90% bands over replications")
    return fig


def _draw_observed(
    ax: Axes, observed: pd.DataFrame | None, panel: Panel, start: Any, end: Any
) -> None:
    labelled = False
    for series in panel.observed:
        pts = observed_points(observed, series, start, end, panel.per_day)
        if pts.empty:
            continue
        half = (pts["end"] - pts["start"]) / 2
        ax.errorbar(
            pts["date"],
            pts["value"],
            xerr=[half, half],
            fmt="o",
            color="black",
            ms=3.5,
            lw=0.8,
            capsize=2,
            label=None if labelled else "observed (Belgium)",
        )
        labelled = True


def _categories(sc: Scenario, breakdown: Breakdown) -> pd.DataFrame | None:
    table = getattr(sc, breakdown.table)
    if table is not None and breakdown.grouping is not None:
        table = table[table["grouping"] == breakdown.grouping]
    return table


def breakdown_figure(
    scenarios: Sequence[Scenario],
    breakdown: Breakdown,
    column: str,
    colours: dict[str, str] | None = None,
) -> Figure:
    """One panel per category (region, household type, ...) of ``column``, one colour per
    scenario, median and bands over replications."""
    colours = colours or scenario_colours(sc.label for sc in scenarios)
    tables = [(sc, t) for sc in scenarios if (t := _categories(sc, breakdown)) is not None]
    categories = list(dict.fromkeys(c for _, t in tables for c in t[breakdown.category]))
    if breakdown.alphabetical:
        categories.sort()
    if not categories:
        raise DashboardError(breakdown.absent)
    unit = breakdown.series.get(column, column)
    window = WINDOW if column in breakdown.smoothed else None
    cols = 2
    rows = math.ceil(len(categories) / cols)
    fig = Figure(figsize=(13, 3.3 * rows + 0.6), layout="constrained")
    # each category on its own scale: regions differ by two orders of magnitude
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, category in zip(axes, categories, strict=False):
        for sc, table in tables:
            part = table[table[breakdown.category] == category]
            if len(part):
                q = fan_quantiles(part, column, window)
                draw_fan(ax, q, colours.get(sc.label), sc.label)
        ax.set_title(breakdown.names.get(category, category.replace("_", " ")))
        ax.set_ylabel(unit)
        _date_axis(ax)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[0].legend(loc="best", fontsize=7)
    for ax in axes[len(categories) :]:
        ax.set_visible(False)
    fig.suptitle(f"{unit}, {breakdown.view.lower()}: median, 50% and 90% bands over replications")
    return fig


def breakdown_table(
    scenarios: Sequence[Scenario], breakdown: Breakdown, column: str
) -> pd.DataFrame:
    """The numbers behind :func:`breakdown_figure`: scenario, category, date, quantiles."""
    parts = []
    window = WINDOW if column in breakdown.smoothed else None
    for sc in scenarios:
        table = _categories(sc, breakdown)
        if table is None:
            continue
        for category, part in table.groupby(breakdown.category):
            q = fan_quantiles(part, column, window)
            q.columns = [f"q{round(100 * c):02d}" for c in q.columns]
            parts.append(
                q.reset_index().assign(
                    scenario=sc.label, **{breakdown.category: category}, series=column
                )
            )
    if not parts:
        return pd.DataFrame(columns=["scenario", breakdown.category, "series", "date"])
    return pd.concat(parts, ignore_index=True)


def region_figure(
    scenarios: Sequence[Scenario], column: str, colours: dict[str, str] | None = None
) -> Figure:
    """One panel per region of ``column`` (from ``series_by_region``)."""
    return breakdown_figure(scenarios, BREAKDOWNS[REGION_VIEW], column, colours)


def region_table(scenarios: Sequence[Scenario], column: str) -> pd.DataFrame:
    """The numbers behind :func:`region_figure`: scenario, region, date, quantiles."""
    return breakdown_table(scenarios, BREAKDOWNS[REGION_VIEW], column)


# --- sweeps -------------------------------------------------------------------------------


def outcome_summary(sweep: Sweep) -> pd.DataFrame:
    """Per point and outcome: replications, mean and 95% interval of the mean, with the
    point's label (see :func:`flowsim.report.outcome_table`)."""
    from flowsim.report import outcome_table

    table = outcome_table(sweep.runs, sweep.outcomes)
    return table.assign(scenario=table["point"].map(sweep.labels))


def outcome_display(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcome_summary` as one row per scenario and one ``mean [low, high]`` cell per
    outcome, for reading."""

    def cell(r: pd.Series) -> str:
        return f"{_num(r['mean'])} [{_num(r['ci_low'])}, {_num(r['ci_high'])}]"

    if summary.empty:
        return pd.DataFrame()
    cells = summary.assign(cell=summary.apply(cell, axis=1))
    wide = cells.pivot_table(
        index=["point", "scenario"], columns="outcome", values="cell", aggfunc="first"
    )
    return wide.rename_axis(columns=None).reset_index()


def _num(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


def outcome_unit(definition: dict | None) -> str:
    """The unit of a sweep outcome from its definition in the manifest (``series``,
    ``stat``): days for ``days_above``/``longest_above``, the series' total for ``sum``, the
    series' own unit (per day for a flow) otherwise; empty when unknown."""
    from flowsim.observed import model_unit
    from flowsim.series import FLOW_NAMES

    if not definition or "series" not in definition:
        return ""
    series, stat = definition["series"], definition.get("stat", "")
    if stat in ("days_above", "longest_above"):
        return "days"
    if series in ("occupancy_rate", "lri_occupancy"):
        return "share of places"
    unit = model_unit(series)
    if stat == "sum":
        return f"{unit}, total over the period"
    return f"{unit} per day" if series in FLOW_NAMES else unit


def _outcome_axis(sweep: Sweep, outcome: str) -> str:
    unit = outcome_unit(sweep.manifest.get("outcomes", {}).get(outcome))
    return f"{outcome} ({unit})" if unit else outcome


def scatter_table(sweep: Sweep, factor: str, outcome: str) -> pd.DataFrame:
    """Successful runs' ``factor`` value and ``outcome``: the numbers behind the scatter."""
    ok = sweep.runs[sweep.runs["status"] == "ok"]
    return ok[["point", "replication", factor, outcome]].reset_index(drop=True)


def scatter_figure(
    table: pd.DataFrame,
    factor: str,
    outcome: str,
    colours: dict[int, str] | None = None,
    title: str = "",
    ylabel: str = "",
) -> Figure:
    """Each run's outcome against one factor's value, with the mean over replications of
    each point as a larger mark, coloured by point (``colours``; one colour when there are
    more points than :data:`PALETTE` has colours). Categorical factors are spread along the
    x axis."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    x = table[factor]
    if not pd.api.types.is_numeric_dtype(x):
        order = {v: i for i, v in enumerate(sorted(x.astype(str).unique()))}
        x = x.astype(str).map(order)
        ax.set_xticks(list(order.values()), list(order))
    points = table["point"]
    if not colours or points.nunique() > len(PALETTE):
        colours = dict.fromkeys(points.unique(), PALETTE[0])
    ax.scatter(x, table[outcome], s=12, alpha=0.5, c=points.map(colours).tolist(), label="run")
    means = table.assign(_x=x).groupby("point")[["_x", outcome]].mean()
    ax.scatter(
        means["_x"],
        means[outcome],
        s=45,
        c=[colours[p] for p in means.index],
        edgecolors="black",
        label="mean over a scenario's replications",
    )
    ax.set_xlabel(factor)
    ax.set_ylabel(ylabel or outcome)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or f"{outcome} against {factor}")
    return fig


def sensitivity_figure(kind: str, found: pd.DataFrame, outcome: str) -> Figure:
    """The sensitivity chart of one outcome from :func:`flowsim.report.sensitivity_table`:
    Sobol first-order and total indices, Morris mu* and sigma, factorial main effects
    (tornado) or rank correlations (Latin hypercube), with their 95% intervals."""
    fig = Figure(figsize=(7, 1.5 + 0.45 * max(1, len(found))), layout="constrained")
    ax = fig.subplots()
    y_pos = np.arange(len(found))
    if kind == "sobol":
        ax.barh(y_pos - 0.2, found["S1"], 0.4, xerr=found["S1_conf"], label="first order")
        ax.barh(y_pos + 0.2, found["ST"], 0.4, xerr=found["ST_conf"], label="total")
        ax.set_xlabel("Sobol index (share of variance, 95% interval)")
        ax.legend(fontsize=8)
        title = f"Sobol indices: {outcome}"
    elif kind == "morris":
        ax.barh(y_pos, found["mu_star"], 0.6, xerr=found["mu_star_conf"], label="mu*")
        ax.plot(found["sigma"], y_pos, "kd", label="sigma")
        ax.set_xlabel(f"mu* of {outcome}, in its unit (95% interval)")
        ax.legend(fontsize=8)
        title = f"Morris indices: {outcome}"
    elif kind == "factorial":
        ax.barh(y_pos, found["high"] - found["low"], left=found["low"], color=PALETTE[0])
        ax.set_xlabel(f"mean {outcome} over the factor's values (others averaged)")
        title = f"Main effects: {outcome}"
    else:
        ax.barh(y_pos, found["spearman"], color=PALETTE[0])
        ax.set_xlim(-1, 1)
        ax.set_xlabel(f"rank correlation with {outcome}")
        title = f"Rank correlations: {outcome}"
    ax.set_yticks(y_pos, list(found["factor"]))
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="x")
    return fig


# --- downloads ----------------------------------------------------------------------------


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (nothing written to disk)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def download_links(png: bytes, table: pd.DataFrame, stem: str) -> str:
    """HTML links downloading the figure (PNG) and the table behind it (CSV) from data URIs,
    so the page needs no server-side file."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem) or "figure"
    png64 = base64.b64encode(png).decode("ascii")
    csv64 = base64.b64encode(table.to_csv(index=False).encode("utf-8")).decode("ascii")
    style = "margin-right:1.5em"
    return (
        f'<a download="{stem}.png" href="data:image/png;base64,{png64}" style="{style}">'
        f"Download the figure (PNG)</a>"
        f'<a download="{stem}.csv" href="data:text/csv;base64,{csv64}">'
        f"Download the table behind it (CSV)</a>"
    )


# --- one view, whatever was picked --------------------------------------------------------


@dataclass
class Shown:
    """What a view shows: a figure and its table, or a message; ``html`` an extra table."""

    figure: Figure | None = None
    table: pd.DataFrame | None = None
    message: str = ""
    html: str = ""


SWEEP_VIEWS = ("Sweep: outcomes", "Sweep: outcome against a factor", "Sweep: sensitivity")
HINDCAST_VIEW = "Hindcast: runs against observed figures"


def view_names() -> list[str]:
    """Every view, in the order the page offers them."""
    return [*VIEWS, *BREAKDOWNS, HINDCAST_VIEW, *SWEEP_VIEWS]


_HINDCAST_CACHE: dict[tuple, tuple[pd.DataFrame, np.ndarray]] = {}


def hindcast_points(
    scenario: Scenario, observed: pd.DataFrame, key: tuple = ()
) -> tuple[pd.DataFrame, np.ndarray]:
    """The observed figures the run covers next to the run's values over their periods
    (:func:`flowsim.hindcast.compare`), remembered under ``key`` (a run's path and file
    time) since the page asks for them again at every pick."""
    from flowsim.hindcast import compare
    from flowsim.observed import ModelRun

    if key and key in _HINDCAST_CACHE:
        return _HINDCAST_CACHE[key]
    found = compare(ModelRun(scenario.frame), observed)
    if key:
        if len(_HINDCAST_CACHE) > 8:
            _HINDCAST_CACHE.clear()
        _HINDCAST_CACHE[key] = found
    return found


def hindcast_groups(points: pd.DataFrame) -> list[str]:
    """``series (resolution)`` of every group of observed points, in order."""
    pairs = points[["series", "resolution"]].drop_duplicates()
    return sorted(f"{s} ({r})" for s, r in zip(pairs["series"], pairs["resolution"], strict=True))


def _run_key(folder: Folder) -> tuple:
    series = folder.path / "series.parquet"
    return (str(folder.path), series.stat().st_mtime_ns) if series.is_file() else ()


def hindcast_options(folders: Sequence[Folder], observed: pd.DataFrame | None) -> list[str]:
    """The groups of observed points the first picked run can be compared with."""
    runs = [f for f in folders if f.kind == "run"]
    if not runs or observed is None:
        return []
    try:
        points, _ = hindcast_points(load_run(runs[0].path), observed, _run_key(runs[0]))
    except DashboardError:
        return []
    return hindcast_groups(points)


def _show_hindcast(
    folders: Sequence[Folder],
    observed: pd.DataFrame | None,
    colours: dict[str, str],
    option: str | None,
) -> Shown:
    from flowsim.figures import hindcast_figure
    from flowsim.hindcast import summarise

    runs = [f for f in folders if f.kind == "run"]
    if not runs:
        return Shown(message="This view compares single runs with observed figures: pick a run.")
    if observed is None:
        return Shown(message="The observed figures could not be loaded.")
    try:
        scenario = load_run(runs[0].path)
    except DashboardError as err:
        return Shown(message=str(err))
    points, samples = hindcast_points(scenario, observed, _run_key(runs[0]))
    groups = hindcast_groups(points)
    if not groups:
        return Shown(message=f"{scenario.label}: no observed figure falls within its dates.")
    chosen = option if option in groups else groups[0]
    series, res = chosen[:-1].split(" (")
    group = points[(points["series"] == series) & (points["resolution"] == res)]
    reps = int(scenario.frame["replication"].nunique())
    fig = hindcast_figure(group, f"{scenario.label}: {chosen}", reps, colours[scenario.label])
    summary = summarise(points, samples)
    html = summary.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-")
    note = "comparing the first run picked" if len(runs) > 1 else ""
    return Shown(fig, group.reset_index(drop=True), note, html=html)


def load_scenarios(folders: Sequence[Folder]) -> tuple[list[Scenario], list[str]]:
    """Scenarios from the picked folders (a run: one; a sweep: its points with kept series,
    at most :data:`MAX_SCENARIOS` in all) and one note per folder that gave none."""
    scenarios: list[Scenario] = []
    notes = []
    for folder in folders:
        try:
            if folder.kind == "run":
                scenarios.append(load_run(folder.path))
            elif folder.kind == "sweep":
                found = sweep_scenarios(load_sweep(folder.path))
                if not found:
                    notes.append(f"{folder.path.name}: the sweep kept no daily series")
                scenarios.extend(found)
            else:
                notes.append(f"{folder.path.name}: {folder.problem}")
        except DashboardError as err:
            notes.append(str(err))
    if len(scenarios) > MAX_SCENARIOS:
        notes.append(f"showing the first {MAX_SCENARIOS} of {len(scenarios)} scenarios")
        scenarios = scenarios[:MAX_SCENARIOS]
    return scenarios, notes


def colour_map(folders: Sequence[Folder]) -> dict[str, str]:
    """One colour per scenario of the picked folders (a run, or a sweep's points in
    :func:`sweep_points` order), the same in every view of one pick."""
    labels: list[str] = []
    for folder in folders:
        if folder.kind == "run":
            labels.append(folder.path.name)
        elif folder.kind == "sweep":
            try:
                sweep = load_sweep(folder.path)
            except DashboardError:
                continue
            labels += [point_label(sweep, p) for p in sweep_points(sweep, limit=len(sweep.runs))]
    return scenario_colours(labels)


def show(
    view: str,
    folders: Sequence[Folder],
    observed: pd.DataFrame | None = None,
    option: str | None = None,
    second: str | None = None,
) -> Shown:
    """Build one view for the picked folders. ``option``: the series (the views by region
    and by group), the outcome (sweep views); ``second``: the factor (scatter). Problems come
    back as a message, never as an exception of ours."""
    if not folders:
        return Shown(message="Pick one or more results folders.")
    colours = colour_map(folders)
    if view == HINDCAST_VIEW:
        return _show_hindcast(folders, observed, colours, option)
    if view in SWEEP_VIEWS:
        return _show_sweep(view, folders, colours, option, second)
    scenarios, notes = load_scenarios(folders)
    note = "; ".join(notes)
    if not scenarios:
        return Shown(message=note or "Nothing to show for these folders.")
    if view in BREAKDOWNS:
        breakdown = BREAKDOWNS[view]
        column = option if option in breakdown.series else next(iter(breakdown.series))
        try:
            fig = breakdown_figure(scenarios, breakdown, column, colours)
        except DashboardError as err:
            return Shown(message=str(err))
        return Shown(fig, breakdown_table(scenarios, breakdown, column), note)
    panels = VIEWS[view]
    fig = fan_figure(scenarios, panels, colours, observed, title=view)
    return Shown(fig, fan_table(scenarios, panels), note)


def _show_sweep(
    view: str,
    folders: Sequence[Folder],
    colours: dict[str, str],
    option: str | None,
    second: str | None,
) -> Shown:
    sweeps = [f for f in folders if f.kind == "sweep"]
    if not sweeps:
        return Shown(message="This view is for sweeps: pick a sweep folder.")
    try:
        sweep = load_sweep(sweeps[0].path)
    except DashboardError as err:
        return Shown(message=str(err))
    note = "showing the first sweep picked" if len(sweeps) > 1 else ""
    if not sweep.outcomes:
        return Shown(message=f"{sweep.name}: the sweep defines no outcomes")
    outcome = option if option in sweep.outcomes else sweep.outcomes[0]
    if view == SWEEP_VIEWS[0]:
        summary = outcome_summary(sweep)
        html = "<p>Mean over replications [95% interval of the mean], per scenario:</p>"
        html += outcome_display(summary).to_html(index=False, classes="flowsim-outcomes")
        keys = {p: point_label(sweep, p) for p in summary["point"].unique()}
        point_colours = {p: colours.get(k, PALETTE[0]) for p, k in keys.items()}
        fig = outcome_interval_figure(
            summary, outcome, point_colours, _outcome_axis(sweep, outcome)
        )
        return Shown(fig, summary, note, html=html)
    if view == SWEEP_VIEWS[1]:
        if not sweep.factors:
            return Shown(message=f"{sweep.name}: the sweep has no factors")
        factor = second if second in sweep.factors else sweep.factors[0]
        table = scatter_table(sweep, factor, outcome)
        points = table["point"].unique()
        point_colours = {p: colours.get(point_label(sweep, p), PALETTE[0]) for p in points}
        axis = _outcome_axis(sweep, outcome)
        fig = scatter_figure(table, factor, outcome, point_colours, sweep.name, axis)
        return Shown(fig, table, note)
    from flowsim.report import sensitivity_table

    try:
        spec = _spec(sweep)
        kind, found = sensitivity_table(sweep.runs, spec, outcome)
    except DashboardError as err:
        return Shown(message=str(err))
    if found is None:
        return Shown(message=f"{outcome}: some points have no successful run; no indices")
    return Shown(sensitivity_figure(kind, found, outcome), found.assign(outcome=outcome), note)


def _spec(sweep: Sweep) -> Any:
    from pydantic import ValidationError

    from flowsim.experiments import Spec

    try:
        return Spec.model_validate(sweep.manifest["spec"])
    except (KeyError, ValidationError) as err:
        raise DashboardError(f"{sweep.name}: its experiment spec cannot be read: {err}") from err


MAX_INTERVAL_ROWS = 40  # the interval chart shows this many scenarios; the table has all


def outcome_interval_figure(
    summary: pd.DataFrame, outcome: str, colours: dict[int, str] | None = None, label: str = ""
) -> Figure:
    """Mean of one outcome per scenario (sweep point) with its 95% interval, coloured by
    point (``colours``), at most :data:`MAX_INTERVAL_ROWS` points."""
    rows = summary[summary["outcome"] == outcome].reset_index(drop=True)
    rows = rows.head(MAX_INTERVAL_ROWS)
    colours = colours or {}
    fig = Figure(figsize=(10, 1.2 + 0.4 * max(1, len(rows))), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(rows))
    for i, r in rows.iterrows():
        low, high = r["mean"] - r["ci_low"], r["ci_high"] - r["mean"]
        err = None if math.isnan(low) else [[low], [high]]
        colour = colours.get(int(r["point"]), PALETTE[0])
        ax.errorbar([r["mean"]], [i], xerr=err, fmt="o", color=colour, capsize=3)
    ax.set_yticks(
        y, [f"{p}: {s}" for p, s in zip(rows["point"], rows["scenario"], strict=True)], fontsize=7
    )
    ax.invert_yaxis()
    ax.set_xlabel(f"{label or outcome}: mean over replications, 95% interval")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title(f"{outcome} by scenario")
    return fig


# --- the page (ipywidgets) ----------------------------------------------------------------


def build_app(root: str | Path | None = None) -> Any:
    """The dashboard as one ipywidgets box: folder picker (several at once), view, option
    pickers, the figure, its download links and the table. Needs ``.[dashboard]``."""
    import ipywidgets as w

    root = Path(root) if root is not None else default_root()
    folders = discover(root)
    try:
        from flowsim.observed import load_observed

        observed = load_observed()
    except Exception:  # the observed marks are a bonus: the page works without them
        observed = None
    header = w.HTML(f"<p>Results folder: <code>{root}</code></p>")
    usable = [f for f in folders if f.ok]
    problems = [f for f in folders if not f.ok]
    problem_html = "".join(f"<li><b>{f.label}</b>: {f.problem}</li>" for f in problems)
    notes = w.HTML(f"<p>Not shown:</p><ul>{problem_html}</ul>" if problems else "")
    if not usable:
        message = (
            f"No results to show under <code>{root}</code>. Run "
            "<code>make run</code> or <code>.venv/bin/flowsim run CONFIG</code> "
            "(or <code>flowsim sweep SPEC</code>), then reload this page."
        )
        return w.VBox([header, w.HTML(f"<p class='flowsim-message'>{message}</p>"), notes])

    picker = w.SelectMultiple(
        options=[(f.label, i) for i, f in enumerate(usable)],
        value=(0,),
        rows=min(8, max(3, len(usable))),
        description="Results",
        layout=w.Layout(width="60%"),
    )
    picker.add_class("flowsim-folders")
    view = w.Dropdown(options=view_names(), value=view_names()[0], description="View")
    view.add_class("flowsim-view")
    option = w.Dropdown(options=[], description="Series")
    option.add_class("flowsim-option")
    second = w.Dropdown(options=[], description="Factor")
    second.add_class("flowsim-factor")
    image = w.Image(format="png", layout=w.Layout(max_width="100%"))
    image.add_class("flowsim-figure")
    message = w.HTML()
    message.add_class("flowsim-message")
    links = w.HTML()
    extra = w.HTML()
    status = w.HTML()
    status.add_class("flowsim-status")

    def picked() -> list[Folder]:
        return [usable[i] for i in picker.value]

    def refresh_options() -> None:
        """The option pickers follow the view and the sweeps picked."""
        name = view.value
        opts: list[str] = []
        factors: list[str] = []
        if name in BREAKDOWNS:
            opts = list(BREAKDOWNS[name].series)
        elif name == HINDCAST_VIEW:
            opts = hindcast_options(picked(), observed)
        elif name in SWEEP_VIEWS:
            sweeps = [f for f in picked() if f.kind == "sweep"]
            if sweeps:
                try:
                    s = load_sweep(sweeps[0].path)
                    opts, factors = s.outcomes, s.factors
                except DashboardError:
                    pass
        option.description = "Outcome" if name in SWEEP_VIEWS else "Series"
        option.layout.width = "28em" if name == HINDCAST_VIEW else ""
        # a new list of options leaves no value picked (ipywidgets 8): pick the first
        for picker_, choices in ((option, opts), (second, factors)):
            if list(picker_.options) != choices:
                picker_.options = choices
            if choices and picker_.value not in choices:
                picker_.value = choices[0]
        option.layout.display = "" if opts else "none"
        second.layout.display = "" if name == SWEEP_VIEWS[1] and factors else "none"

    busy = []  # set while drawing: changing the option lists must not draw again

    def render(_change: Any = None) -> None:
        if busy:
            return
        busy.append(True)
        try:
            _render()
        finally:
            busy.clear()

    def _render() -> None:
        status.value = "<i>drawing...</i>"
        refresh_options()
        try:
            shown = show(view.value, picked(), observed, option.value, second.value)
        except Exception as err:  # shown in the page: never a stack trace
            shown = Shown(message=f"Could not draw this view: {type(err).__name__}: {err}")
        message.value = f"<p style='color:#a33'>{shown.message}</p>" if shown.message else ""
        extra.value = shown.html
        if shown.figure is not None:
            png = figure_png(shown.figure)
            image.value = png
            image.layout.display = ""
            table = shown.table if shown.table is not None else pd.DataFrame()
            links.value = download_links(png, table, view.value.lower().replace(" ", "_"))
        else:
            image.layout.display = "none"
            links.value = ""
        # a marker the browser test waits for: how many times the page was drawn
        status.value = f"<span data-renders='{len(drawn)}'></span>"
        drawn.append(view.value)

    drawn: list[str] = []
    for widget in (picker, view, option, second):
        widget.observe(render, names="value")
    render()
    help_html = w.HTML(
        "<p>Pick one or several folders (Ctrl/Cmd-click). Lines: median over replications; "
        "shaded: 50% (darker) and 90% bands; black marks: observed Belgian figures over their "
        "period (flows as a daily mean over it). One colour per scenario on every chart.</p>"
    )
    return w.VBox(
        [
            header,
            help_html,
            picker,
            w.HBox([view, option, second]),
            message,
            image,
            links,
            extra,
            status,
            notes,
        ]
    )
