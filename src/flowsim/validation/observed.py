"""The observed Belgian figures shipped with flowsim, and how to compare a run with them.

``flowsim/data/observed.csv`` (built by :mod:`flowsim.validation.observed_build`, documented in
``flowsim/data/OBSERVED.md``) has one figure per row: a ``series`` over a period
``[start, end]`` (inclusive dates) of one ``kind``:

- ``stock``: persons (or cases, places) present; at a date when ``start == end``, otherwise
  the figure was reported for the whole period (e.g. "in January 2016") and is compared with
  the model's mean over it;
- ``flow``: persons (cases, ...) over the period, compared with the model's daily flow
  summed over it;
- ``rate``: a ratio (percent, mean days), compared as a ratio: for the rates the model
  derives (:data:`DERIVED_RATES`) the numerator and denominator are aggregated over the
  period first (flows summed, stocks averaged), then divided.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim.engine.rates import DAYS_PER_MONTH
from flowsim.engine.series import FLOW_NAMES, SERIES_NAMES

OBSERVED_FILE = "observed.csv"
REJECTED_FILE = "observed_rejected.csv"
KINDS = ("stock", "flow", "rate")
_REQUIRED = ("series", "in_model", "kind", "role", "split", "start", "end", "value", "unit")


class ObservedError(ValueError):
    """An observed-data file is missing or invalid; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


#: The denominator of a rate per calendar month: the months in the period (days / 30.44).
MONTHS = "months"


@dataclass(frozen=True)
class DerivedRate:
    """A rate the model does not record but derives from two of its series (or from one
    flow and the period's length in months, :data:`MONTHS`)."""

    numerator: str
    denominator: str
    scale: float  # 100 for percent
    unit: str
    description: str


DERIVED_RATES: dict[str, DerivedRate] = {
    "cgrs_protection_rate": DerivedRate(
        "cgrs_positive_decisions",
        "cgrs_decisions",
        100.0,
        "percent",
        "positive first-instance decisions as a share of all (inadmissible included), persons",
    ),
    "reception_occupancy_rate": DerivedRate(
        "in_reception", "reception_capacity", 100.0, "percent", "residents per place"
    ),
    "cgrs_mean_days_to_decision": DerivedRate(
        "cgrs_days_waited",
        "cgrs_decisions",
        1.0,
        "days",
        "mean days since lodging of the persons decided in the period",
    ),
    "io_transmissions_cases_per_month": DerivedRate(
        "io_transmissions_cases",
        MONTHS,
        1.0,
        "cases per month",
        "cases the Immigration Office sent to the CGRS, per month of the period",
    ),
    "io_transmissions_per_month": DerivedRate(
        "io_transmissions",
        MONTHS,
        1.0,
        "persons per month",
        "persons the Immigration Office sent to the CGRS, per month of the period",
    ),
}


def model_unit(series: str) -> str:
    """The unit of a model series or derived rate (series are persons unless named otherwise)."""
    if series in DERIVED_RATES:
        return DERIVED_RATES[series].unit
    if series.endswith("_cases"):
        return "cases"
    if series == "reception_capacity" or series.startswith("capacity_"):
        return "places"
    if series.endswith("_eur"):
        return "EUR"
    return "persons"


def is_model_series(name: str) -> bool:
    """Whether ``name`` is a series a run records or a rate derived from them."""
    return name in SERIES_NAMES or name in DERIVED_RATES


def load_observed(path: str | Path | None = None) -> pd.DataFrame:
    """The observed figures (default: the shipped ``flowsim/data/observed.csv``).

    ``start`` and ``end`` are ``Timestamp``s (inclusive), ``value`` a float in ``unit``,
    ``in_model`` and ``approximate`` booleans. Raises :class:`ObservedError` naming the file
    and the problem when it is missing or invalid.
    """
    if path is None:
        with resources.as_file(resources.files("flowsim.data") / OBSERVED_FILE) as file:
            return _validated(pd.read_csv(file, keep_default_na=False), file)
    path = Path(path)
    if not path.is_file():
        raise ObservedError([f"{path}: expected an observed-data CSV file, found none"])
    try:
        table = pd.read_csv(path, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ObservedError([f"{path}: cannot read as CSV: {err}"]) from err
    return _validated(table, path)


def load_rejected() -> pd.DataFrame:
    """The shared rows the build could not use, each with its ``reason``."""
    with resources.as_file(resources.files("flowsim.data") / REJECTED_FILE) as file:
        return pd.read_csv(file, dtype=str, keep_default_na=False)


def _validated(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise ObservedError([f"{path}: columns: expected {list(_REQUIRED)}, missing {missing}"])
    problems = []
    table = table.copy()
    for column in ("start", "end"):
        parsed = pd.to_datetime(table[column], format="%Y-%m-%d", errors="coerce")
        for i in np.flatnonzero(parsed.isna()):
            problems.append(f"{path}: row {i + 2}: {column}: expected a YYYY-MM-DD date")
        table[column] = parsed
    value = pd.to_numeric(table["value"], errors="coerce")
    for i in np.flatnonzero(~np.isfinite(value.to_numpy(float))):
        problems.append(f"{path}: row {i + 2}: value: expected a finite number")
    table["value"] = value
    for i in np.flatnonzero(~table["kind"].isin(KINDS)):
        problems.append(f"{path}: row {i + 2}: kind: expected one of {KINDS}")
    for i in np.flatnonzero(table["end"] < table["start"]):
        problems.append(f"{path}: row {i + 2}: end: expected on or after start")
    for column in ("in_model", "approximate"):
        if column in table.columns:
            table[column] = table[column].astype(str).str.lower() == "true"
    if problems:
        raise ObservedError(problems)
    return table


def resolution(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``day``, ``month``, ``quarter``, ``year`` (calendar ones) or ``span`` of a period."""
    if start == end:
        return "day"
    whole_months = start.day == 1 and end == end + pd.offsets.MonthEnd(0)
    if whole_months:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months == 1:
            return "month"
        if months == 3 and start.month % 3 == 1:
            return "quarter"
        if months == 12 and start.month == 1:
            return "year"
    return "span"


def resolutions(table: pd.DataFrame) -> list[str]:
    """:func:`resolution` of every row of a table with ``start`` and ``end``."""
    return [resolution(s, e) for s, e in zip(table["start"], table["end"], strict=True)]


def available(observed: pd.DataFrame) -> pd.DataFrame:
    """Which series exist, for which dates: one row per series and resolution.

    Columns: ``series, resolution, in_model, kind, role, unit, points, fit, hindcast,
    first, last`` (``fit``/``hindcast``: points in each split; ``first``/``last``: the
    earliest start and latest end).
    """
    table = observed.assign(resolution=resolutions(observed))
    grouped = table.groupby(["series", "resolution"], sort=True)
    return grouped.agg(
        in_model=("in_model", "first"),
        kind=("kind", "first"),
        role=("role", "first"),
        unit=("unit", "first"),
        points=("value", "size"),
        fit=("split", lambda s: int((s == "fit").sum())),
        hindcast=("split", lambda s: int((s == "hindcast").sum())),
        first=("start", "min"),
        last=("end", "max"),
    ).reset_index()


class ModelRun:
    """A run's daily series (``series.parquet``) arranged for comparison with observed periods.

    ``frame`` has ``replication``, ``date`` and one column per series; flows are per day,
    stocks at the end of the day (:mod:`flowsim.engine.series`).
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.dates = pd.DatetimeIndex(sorted(pd.to_datetime(frame["date"].unique())))
        self.replications = np.sort(frame["replication"].unique())
        self._wide: dict[str, pd.DataFrame] = {}

    def has(self, series: str) -> bool:
        """Whether the run recorded ``series`` (or the parts of a derived rate)."""
        if series in DERIVED_RATES:
            rate = DERIVED_RATES[series]
            parts = [rate.numerator] + ([] if rate.denominator == MONTHS else [rate.denominator])
            return all(part in self.frame for part in parts)
        return series in self.frame.columns

    def covers(self, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """Whether every day of ``[start, end]`` is in the run."""
        return len(self.dates) > 0 and self.dates[0] <= start and end <= self.dates[-1]

    def window(self, column: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Daily values of ``column`` on ``[start, end]``: shape (days, replications)."""
        if column not in self._wide:
            frame = self.frame.assign(date=pd.to_datetime(self.frame["date"]))
            self._wide[column] = frame.pivot(index="date", columns="replication", values=column)
        return self._wide[column].loc[start:end].to_numpy(float)

    def _aggregate(self, column: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        if column == MONTHS:
            months = ((end - start).days + 1) / DAYS_PER_MONTH
            return np.full(len(self.replications), months)
        days = self.window(column, start, end)
        # Flows add up over the period; a stock over a period is its mean level.
        return days.sum(axis=0) if column in FLOW_NAMES else days.mean(axis=0)

    def values(self, series: str, kind: str, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """The model's counterpart of an observed figure: one value per replication.

        ``flow``: the daily flow summed over ``[start, end]`` (persons over the period);
        ``stock``: the level at the date, or its mean over the period; ``rate``: a derived
        rate (:data:`DERIVED_RATES`) of the aggregated parts, in its unit. NaN where a rate's
        denominator is zero. The run must cover the period (:meth:`covers`).
        """
        if not self.covers(start, end):
            raise ValueError(f"{series}: the run does not cover {start:%Y-%m-%d}..{end:%Y-%m-%d}")
        if kind == "rate":
            if series not in DERIVED_RATES:
                raise ValueError(f"{series}: no derived rate of that name")
            rate = DERIVED_RATES[series]
            num = self._aggregate(rate.numerator, start, end)
            den = self._aggregate(rate.denominator, start, end)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(den > 0, rate.scale * num / den, np.nan)
        if kind == "flow":
            return self.window(series, start, end).sum(axis=0)
        if kind == "stock":
            return self.window(series, start, end).mean(axis=0)
        raise ValueError(f"{series}: kind must be one of {KINDS}, got {kind!r}")


def observed_flow_total(
    observed: pd.DataFrame, series: str, start: pd.Timestamp, end: pd.Timestamp
) -> float:
    """The sum of a flow's observed figures whose periods tile ``[start, end]`` exactly.

    Only figures lying inside ``[start, end]`` and finer than it are used; they must cover
    every day once (no gap, no overlap), else ``ValueError``. Units as in ``observed``.
    """
    rows = observed[
        (observed["series"] == series)
        & (observed["kind"] == "flow")
        & (observed["start"] >= start)
        & (observed["end"] <= end)
        & ~((observed["start"] == start) & (observed["end"] == end))
    ].sort_values("start")
    expected = start
    for row_start, row_end in zip(rows["start"], rows["end"], strict=True):
        if row_start != expected:
            raise ValueError(
                f"{series}: observed periods do not tile {start:%Y-%m-%d}..{end:%Y-%m-%d} "
                f"(gap or overlap at {expected:%Y-%m-%d})"
            )
        expected = row_end + pd.Timedelta(days=1)
    if rows.empty or expected != end + pd.Timedelta(days=1):
        raise ValueError(f"{series}: observed periods do not reach {end:%Y-%m-%d}")
    return float(rows["value"].sum())


def flow_consistency(observed: pd.DataFrame) -> pd.DataFrame:
    """Each flow figure over a year next to the sum of its twelve monthly figures.

    One row per (series, year) where the annual figure and all twelve months exist:
    ``series, year, annual, months_sum, relative_difference`` ((months - annual) / annual).
    """
    flows = observed[observed["kind"] == "flow"]
    found = resolutions(flows)
    months = flows[[r == "month" for r in found]]
    rows = []
    for (_, row), res in zip(flows.iterrows(), found, strict=True):
        if res != "year":
            continue
        try:
            total = observed_flow_total(months, row["series"], row["start"], row["end"])
        except ValueError:
            continue
        rows.append(
            {
                "series": row["series"],
                "year": row["start"].year,
                "annual": row["value"],
                "months_sum": total,
                "relative_difference": (total - row["value"]) / row["value"],
            }
        )
    columns = ["series", "year", "annual", "months_sum", "relative_difference"]
    return pd.DataFrame(rows, columns=columns)
