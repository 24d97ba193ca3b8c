"""The forecast table: what a calibrated run says about the years it forecasts.

``flowsim forecast RESULTS`` reads a results folder of a calibrated scenario (the baseline or the
hindcast, each replication one ensemble member) and writes, for every whole year of the run, the
stocks at its end and its totals of the CGRS's flows, and the stocks on any extra day asked for
(``--on``): the median over replications, the runs' 90% band (members and seeds: how sure the model
is of itself) and the predictive 90% band (the runs times the model's own error on that series, as
its calibration measured it, :mod:`flowsim.validation.predictive`; only for series the calibration
compared with an observed figure). It replaces a table typed by hand from a run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim.results.catalogue import entry
from flowsim.results.markdown import table
from flowsim.validation.observed import ModelRun
from flowsim.validation.predictive import (
    MIN_EFFECTIVE_POINTS,
    add_predictive,
    manifest_scales,
    measured,
)

# Stocks at the end of each year (and on the days asked for) and flows totalled per year:
# what a reader of the forecast looks for first.
STOCKS = (
    "cgrs_backlog",
    "cgrs_backlog_cases",
    "in_reception",
    "without_reception",
    "status_holders_in_reception",
)
FLOWS = ("cgrs_decisions", "cgrs_decisions_cases", "cgrs_lodged", "cgrs_lodged_cases")
COLUMNS = [
    "series",
    "label",
    "unit",
    "kind",
    "start",
    "end",
    "median",
    "q05",
    "q95",
    "predictive_q05",
    "predictive_q95",
    "predictive_note",  # why there is no predictive band, if there is none
]


def forecast_points(run: ModelRun, on: list[dt.date]) -> pd.DataFrame:
    """The figures of the table, without values: every stock of :data:`STOCKS` at the end
    of each whole year of the run and on each day of ``on`` inside it, every flow of
    :data:`FLOWS` over each whole year (``series``, ``kind``, ``start``, ``end``,
    ``resolution``: day for a stock, year for a flow)."""
    first, last = run.dates.min(), run.dates.max()
    years = [
        y
        for y in range(first.year, last.year + 1)
        if first <= pd.Timestamp(y, 1, 1) and pd.Timestamp(y, 12, 31) <= last
    ]
    days = sorted({pd.Timestamp(y, 12, 31) for y in years} | {pd.Timestamp(d) for d in on})
    days = [d for d in days if first <= d <= last]
    rows = [(s, "stock", d, d, "day") for s in STOCKS if run.has(s) for d in days]
    rows += [
        (s, "flow", pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31), "year")
        for s in FLOWS
        if run.has(s)
        for y in years
    ]
    return pd.DataFrame(rows, columns=["series", "kind", "start", "end", "resolution"])


def forecast_table(
    run: ModelRun, scales: pd.DataFrame, on: list[dt.date] | None = None, seed: int = 0
) -> pd.DataFrame:
    """The forecast table (:data:`COLUMNS`; values in persons or cases, flows summed over
    the year): median and 5-95% quantiles over the run's replications, and the predictive
    ones where ``scales`` (:data:`flowsim.validation.predictive.ERROR_COLUMNS`) has the series (NaN
    otherwise). Deterministic in ``seed``."""
    points = forecast_points(run, on or [])
    if points.empty:
        return pd.DataFrame(columns=COLUMNS)
    samples = np.column_stack(
        [run.values(p.series, p.kind, p.start, p.end) for p in points.itertuples()]
    )
    fitted = points["series"].isin(set(scales["series"])).to_numpy()
    out = points.drop(columns="resolution").copy()
    out["label"] = [entry(s).label for s in out["series"]]
    out["unit"] = [entry(s).unit for s in out["series"]]
    out["median"] = np.median(samples, axis=0)
    out["q05"], out["q95"] = np.quantile(samples, [0.05, 0.95], axis=0)
    out["predictive_q05"] = np.nan
    out["predictive_q95"] = np.nan
    if fitted.any():
        found, _ = add_predictive(points[fitted], samples[:, fitted], scales, seed)
        bands = ["predictive_q05", "predictive_q95"]
        out.loc[fitted, bands] = found[bands].to_numpy()
    out["predictive_note"] = [
        _why_no_band(scales, s) if not np.isfinite(q) else ""
        for s, q in zip(out["series"], out["predictive_q05"], strict=True)
    ]
    return out[COLUMNS]


def _why_no_band(scales: pd.DataFrame, series: str) -> str:
    mine = scales[scales["series"] == series]
    if mine.empty:
        return "not observed in the fit"
    years = mine["effective_points"].max()
    return f"observed in {years:.0f} year(s) only: its error is not measured"


def _count(value: float) -> str:
    """Persons or cases for reading: whole, thousands separated (``-`` when missing)."""
    return "-" if not np.isfinite(value) else f"{value:,.0f}"


def markdown(frame: pd.DataFrame, settings: str) -> str:
    """The forecast table for a document: one row per figure and date (or year), counts
    written whole with separators."""
    rows = []
    for r in frame.itertuples():
        when = f"{r.end:%d %B %Y}" if r.kind == "stock" else f"{r.start:%Y} (year)"
        band = f"{_count(r.q05)}-{_count(r.q95)}"
        measured = np.isfinite(r.predictive_q05)
        predictive = (
            f"{_count(r.predictive_q05)}-{_count(r.predictive_q95)}"
            if measured
            else r.predictive_note
        )
        figure = r.label if f"({r.unit})" in r.label else f"{r.label} ({r.unit})"
        rows.append([figure, when, _count(r.median), band, predictive])
    header = ["figure", "on / over", "median", "runs' 90% band", "predictive 90% band"]
    return f"{settings}\n\n{table(header, rows)}"


def run_forecast(
    results: Path, on: list[dt.date] | None = None, docs: Path | None = None
) -> pd.DataFrame:
    """Write ``forecast.csv`` into the results folder and, with ``docs``, the table between
    the ``forecast`` markers of that markdown file. Returns the table. Raises
    :class:`flowsim.validation.hindcast.HindcastError` for a missing or invalid results folder and
    :class:`ValueError` for docs without the markers."""
    from flowsim.results.markdown import block_problem, write_block
    from flowsim.results.runs import atomic_path
    from flowsim.validation.hindcast import read_run

    if docs is not None and (problem := block_problem(docs, "forecast")):
        raise ValueError(problem)
    run, manifest = read_run(results)
    scales = manifest_scales(manifest)
    frame = forecast_table(run, scales, on)
    with atomic_path(Path(results) / "forecast.csv") as tmp:
        frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    if docs is not None:
        members = len(set(manifest.get("replication_members") or [])) or "?"
        settings = (
            f"`flowsim forecast {results}` on the run of `{manifest.get('source', '?')}` "
            f"({len(run.replications)} replications, {members} ensemble members, master seed "
            f"{manifest.get('master_seed', '?')}); the predictive band adds the calibration's "
            f"error per series ({len(measured(scales))} series measured on at least "
            f"{MIN_EFFECTIVE_POINTS:.0f} years)."
        )
        write_block(docs, "forecast", markdown(frame, settings))
    return frame
