"""Backtests: the whole forecasting pipeline judged on years its calibration did not see.

For each origin (by default the ends of 2019, 2020 and 2021), ``flowsim backtest``
calibrates the history on the figures up to the origin (``flowsim calibrate --until``),
carries the fitted ensemble forward from each member's own state at the origin, its
CGRS backlog, residents and waiting list set to the figures observed at the origin
(``flowsim forward``'s anchor), with the observed inputs only (no template), runs the
forecast (each member once) and compares it with the observed outcomes after the origin, up to the
history's end. Nothing observed after the origin reaches the calibration.

Per series and resolution, for each origin and over all origins:

- ARD: the mean over points of ``|median - observed| / observed``, the median over the
  forecast's runs (members x seeds: the bands carry parameter uncertainty);
- the share of observed points inside the central 50% and 90% bands of the runs, and of
  the *predictive* bands, which add to the runs the model's own error per series as the calibration
  up to the origin measured it (:mod:`flowsim.validation.predictive`): the runs' bands say how sure
  the model is of itself, the predictive bands where an observed figure should fall; the coverage
  target is judged on the latter;
- the skill against persistence, ``1 - MAE(forecast) / MAE(persistence)`` (above 0: better
  than persistence). Persistence: a stock stays at its last observed level on or before the
  origin; a flow keeps its last observed rate before the origin (the latest figure of the
  same resolution, per day, times the days of the period).

The targets the issue sets (:data:`TARGETS`) are checked in the report.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flowsim.results.markdown import table, write_block
from flowsim.validation.hindcast import averaged_relative_difference, band_coverage, compare
from flowsim.validation.observed import ModelRun, load_observed, resolutions
from flowsim.validation.predictive import add_predictive, read_scales

DEFAULT_ORIGINS = (dt.date(2019, 12, 31), dt.date(2020, 12, 31), dt.date(2021, 12, 31))
# The series a backtest scores, wherever observed after the origin (stocks first).
SCORED = (
    "cgrs_backlog",
    "cgrs_backlog_cases",
    "in_reception",
    "reception_occupancy_rate",
    "without_reception",
    "cgrs_decisions",
    "cgrs_decisions_cases",
    "dublin_transfers",
)
STOCKS = (
    "cgrs_backlog",
    "cgrs_backlog_cases",
    "in_reception",
    "reception_occupancy_rate",
    "without_reception",
)
# Targets: ARD at most 0.15 on the backlog and occupancy, observed inside the 90% band at
# least 80% of the time, better than persistence on every stock.
TARGETS = {"ard": 0.15, "coverage_90": 0.80, "skill": 0.0}


def persistence(observed: pd.DataFrame, point: pd.Series, origin: pd.Timestamp) -> float:
    """The persistence forecast of an observed point (module docstring): NaN when nothing of
    the series at that resolution (flows) or at all (stocks) was observed by the origin."""
    rows = observed[(observed["series"] == point["series"]) & (observed["end"] <= origin)]
    if point["kind"] == "flow":
        res = resolutions(rows) if len(rows) else []
        rows = rows[[r == point["resolution"] for r in res]]
    if rows.empty:
        return float("nan")
    last = rows.sort_values(["end", "start"]).iloc[-1]
    if point["kind"] != "flow":
        return float(last["value"])
    per_day = last["value"] / ((last["end"] - last["start"]).days + 1)
    return float(per_day * ((point["end"] - point["start"]).days + 1))


def skill(model: np.ndarray, observed: np.ndarray, naive: np.ndarray) -> float:
    """``1 - MAE(model) / MAE(naive)`` over the points where all three are finite (NaN
    when none is, or when the naive forecast is exact)."""
    model, observed, naive = (np.asarray(a, float) for a in (model, observed, naive))
    keep = np.isfinite(model) & np.isfinite(observed) & np.isfinite(naive)
    if not keep.any():
        return float("nan")
    naive_error = np.mean(np.abs(naive[keep] - observed[keep]))
    if naive_error == 0:
        return float("nan")
    return float(1.0 - np.mean(np.abs(model[keep] - observed[keep])) / naive_error)


def score_points(
    run: ModelRun,
    observed: pd.DataFrame,
    origin: dt.date,
    end: dt.date,
    scales: pd.DataFrame,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The forecast's points: observed outcomes of :data:`SCORED` after ``origin`` up to
    ``end`` with the run's quantiles, the predictive quantiles (``predictive_q05`` ...
    ``predictive_q95``: the runs times the model's own error of ``scales``, the error
    scales of the calibration up to the origin) and the persistence forecast; the run's
    values (runs x points) and the predictive samples (draws x points)."""
    start = pd.Timestamp(origin)
    after = observed[
        (observed["start"] > start)
        & (observed["end"] <= pd.Timestamp(end))
        & (observed["role"] == "outcome")
        & (observed["scope"] != "wider")
        & observed["series"].isin(SCORED)
        & (observed["value"] > 0)
    ]
    points, samples = compare(run, after)
    points, predictive = add_predictive(points, samples, scales, seed=int(f"{origin:%Y%m%d}"))
    points["persistence"] = [persistence(observed, p, start) for _, p in points.iterrows()]
    points.insert(0, "origin", pd.Timestamp(origin))
    return points, samples, predictive


def summarise_points(
    points: pd.DataFrame, samples: np.ndarray, predictive: np.ndarray
) -> pd.DataFrame:
    """One row per origin (and ``all``), series and resolution: points, ARD, coverage of
    the runs' 50% and 90% bands (``coverage_50``, ``coverage_90``) and of the predictive
    ones (``predictive_50``, ``predictive_90``), MAE of the forecast and of persistence,
    skill."""
    rows = []
    groups = [("all", points)] + [
        (f"{o:%Y-%m-%d}", points[points["origin"] == o]) for o in sorted(points["origin"].unique())
    ]
    for origin, part in groups:
        for (series, res), group in part.groupby(["series", "resolution"], sort=True):
            idx = group.index.to_numpy()
            median, obs = group["model_median"].to_numpy(), group["observed"].to_numpy()
            naive = group["persistence"].to_numpy()
            rows.append(
                {
                    "origin": origin,
                    "series": series,
                    "resolution": res,
                    "kind": "stock" if series in STOCKS else group["kind"].iloc[0],
                    "points": len(group),
                    "ard": averaged_relative_difference(median, obs),
                    "coverage_50": band_coverage(samples[:, idx], obs, 0.5),
                    "coverage_90": band_coverage(samples[:, idx], obs, 0.9),
                    "predictive_50": band_coverage(predictive[:, idx], obs, 0.5),
                    "predictive_90": band_coverage(predictive[:, idx], obs, 0.9),
                    "mae": float(np.mean(np.abs(median - obs))),
                    "mae_persistence": float(np.nanmean(np.abs(naive - obs)))
                    if np.isfinite(naive).any()
                    else float("nan"),
                    "skill": skill(median, obs, naive),
                }
            )
    return pd.DataFrame(rows)


def markdown(summary: pd.DataFrame, settings: str) -> str:
    """The backtest table for ``docs/validation.md``: every origin pooled, then by origin,
    and the targets with whether they are met."""
    pooled = summary[summary["origin"] == "all"]

    def pct(x: float) -> str:
        return "n/a" if not np.isfinite(x) else f"{100 * x:.0f}%"

    def num(x: float) -> str:
        return "n/a" if not np.isfinite(x) else f"{x:.2f}"

    header = [
        "series",
        "resolution",
        "points",
        "ARD",
        "in the runs' 50% / 90% bands",
        "in the predictive 50% / 90% bands",
        "skill vs persistence",
    ]
    rows = [
        [
            f"`{r['series']}`",
            r["resolution"],
            r["points"],
            pct(r["ard"]),
            f"{pct(r['coverage_50'])} / {pct(r['coverage_90'])}",
            f"{pct(r['predictive_50'])} / {pct(r['predictive_90'])}",
            num(r["skill"]),
        ]
        for _, r in pooled.iterrows()
    ]
    lines = [settings, "", table(header, rows)]
    lines += ["By origin (ARD / in the predictive 90% band / skill):", ""]
    origins = [o for o in summary["origin"].unique() if o != "all"]
    rows = []
    for (series, res), group in summary[summary["origin"] != "all"].groupby(
        ["series", "resolution"], sort=True
    ):
        cells = []
        for o in origins:
            row = group[group["origin"] == o]
            cells.append(
                "-"
                if row.empty
                else f"{pct(row['ard'].iloc[0])} / {pct(row['predictive_90'].iloc[0])} / "
                f"{num(row['skill'].iloc[0])}"
            )
        rows.append([f"`{series}`", res, *cells])
    lines.append(table(["series", "resolution", *(f"from {o}" for o in origins)], rows).rstrip())
    lines += ["", "Targets (all origins pooled):", ""]
    lines += [f"- {line}" for line in target_lines(pooled)]
    return "\n".join(lines) + "\n"


def target_lines(pooled: pd.DataFrame) -> list[str]:
    """Each target and whether the pooled backtest meets it."""
    out = []
    backlog_occupancy = pooled[
        pooled["series"].isin(
            ["cgrs_backlog", "cgrs_backlog_cases", "in_reception", "reception_occupancy_rate"]
        )
    ]
    for _, r in backlog_occupancy.iterrows():
        ok = r["ard"] <= TARGETS["ard"]
        out.append(
            f"ARD <= 0.15 on `{r['series']}` ({r['resolution']}): {r['ard']:.2f}, "
            f"{'met' if ok else 'not met'}"
        )
    points = pooled["points"].to_numpy()

    def share(column: str) -> float:
        return float(np.nansum(pooled[column].to_numpy() * points) / max(points.sum(), 1))

    inside = share("predictive_90")
    out.append(
        f"observed inside the predictive 90% band at least 80% of the time: "
        f"{100 * inside:.0f}%, {'met' if inside >= TARGETS['coverage_90'] else 'not met'} "
        f"(inside the runs' 90% band, parameters and seeds only: "
        f"{100 * share('coverage_90'):.0f}%)"
    )
    for _, r in pooled[pooled["kind"] == "stock"].iterrows():
        ok = np.isfinite(r["skill"]) and r["skill"] > TARGETS["skill"]
        out.append(
            f"better than persistence on `{r['series']}` ({r['resolution']}): skill "
            f"{r['skill']:.2f}, {'met' if ok else 'not met'}"
        )
    return out


def run_backtest(
    config: Path,
    out: Path,
    client: Any,
    origins: tuple[dt.date, ...] = DEFAULT_ORIGINS,
    observed: Path | None = None,
    particles: int | None = None,
    rounds: int | None = None,
    replications: int | None = None,
    docs: Path | None = None,
    progress: Any = None,
    anchor: bool = True,
) -> pd.DataFrame:
    """Calibrate up to each origin, carry forward, forecast, score (module docstring);
    write ``out/backtest_points.csv``, ``out/backtest.csv`` (the summary), ``out/backtest.md``
    and ``out/figures/backtest_*.png``; with ``docs``, put the table and figures there.
    With ``anchor``, each forecast starts from the stocks observed at its origin (as
    ``flowsim forward`` does by default), else from each member's own state.
    Resumable: each step stores its runs. Returns the summary."""
    from flowsim.engine.series import SERIES_NAMES
    from flowsim.scenario.loading import load_config
    from flowsim.validation.calibration import calibrate
    from flowsim.validation.calibration_outputs import ensemble_series
    from flowsim.validation.forward import write_forward

    say = progress or (lambda _line: None)
    table = load_observed(observed)
    history = load_config(config)
    all_points, all_samples, all_predictive = [], [], []
    for origin in origins:
        folder = out / f"from-{origin:%Y-%m-%d}"
        say(f"origin {origin}: calibrating on the figures up to it")
        result = calibrate(
            config,
            observed=observed,
            until=origin,
            out=folder / "calibration",
            client=client,
            particles=particles,
            rounds=rounds,
            replications=replications,
            progress=say,
        )
        say(f"origin {origin}: carrying the ensemble forward")
        forecast_path = folder / "forecast.yaml"
        forecast = write_forward(
            result.out / "fitted.yaml",
            origin,
            forecast_path,
            client,
            end=history.end_date,
            name=f"{history.name}-from-{origin:%Y}",
            runs=folder / "states",
            observed=table if anchor else None,
        )
        frame = ensemble_series(client, forecast, 0, folder / "forecast-runs", list(SERIES_NAMES))
        scales = read_scales(result.out / "errors.csv")
        points, samples, predictive = score_points(
            ModelRun(frame), table, origin, history.end_date, scales
        )
        all_points.append(points)
        all_samples.append(samples)
        all_predictive.append(predictive)
        say(f"origin {origin}: {len(points)} observed points scored")
    points = pd.concat(all_points, ignore_index=True)
    summary = summarise_points(points, _side_by_side(all_samples), _side_by_side(all_predictive))
    _write(out, points, summary)
    figures = _figures(out, points)
    settings = (
        f"Backtest of `{config}` from {', '.join(str(o) for o in origins)} to "
        f"{history.end_date}: each origin calibrated on the figures up to it, the ensemble "
        f"carried forward from each member's state at the origin"
        + (", its stocks set to those observed then," if anchor else "")
        + " with observed inputs only, each member run once (`flowsim backtest`)."
    )
    text = markdown(summary, settings)
    from flowsim.results.runs import atomic_path

    with atomic_path(out / "backtest.md") as tmp:
        tmp.write_text(text, encoding="utf-8")
    if docs is not None:
        write_block(docs, "backtest", text, figures)
    return summary


def _side_by_side(per_origin: list[np.ndarray]) -> np.ndarray:
    """Each origin's samples (rows x its points) side by side, padded with NaN rows
    (origins may differ in runs)."""
    rows = max(s.shape[0] for s in per_origin)
    padded = [np.vstack([s, np.full((rows - s.shape[0], s.shape[1]), np.nan)]) for s in per_origin]
    return np.hstack(padded)


def _write(out: Path, points: pd.DataFrame, summary: pd.DataFrame) -> None:
    from flowsim.results.runs import atomic_path

    for name, frame in (("backtest_points.csv", points), ("backtest.csv", summary)):
        with atomic_path(out / name) as tmp:
            frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")


def _figures(out: Path, points: pd.DataFrame) -> list[Path]:
    """One figure per scored series and resolution: each origin's forecast bands against
    the observed points and persistence."""
    from flowsim.results.runs import atomic_path
    from flowsim.validation.figures import backtest_figure

    written = []
    for (series, res), group in points.groupby(["series", "resolution"], sort=True):
        fig = backtest_figure(group, f"{series} ({res})")
        path = out / "figures" / f"backtest_{series}_{res}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=90, format="png")
        written.append(path)
    return written
