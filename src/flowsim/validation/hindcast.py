"""Hindcast: how well a run reproduces the observed Belgian figures that overlap it.

Every observed figure on a model series (``in_model``, :mod:`flowsim.validation.observed`) whose
period the run covers becomes a *point*: the observed value next to the model's value for the same
period in each replication. Points are grouped by series and resolution (a series' monthly and
annual figures are different series of observations), and each group gets:

- the averaged relative difference (ARD) as the Flee papers report it: the mean over points
  of ``|model - observed| / observed``, the model being the median over replications;
- MASE, the mean absolute error of that median scaled by the mean absolute error of the
  in-sample naive one-step forecast of the observed series itself (each observed point
  predicted by the previous one, in time order). Below 1 the model beats "same as last
  time"; it needs two points or more and observed points that change;
- the share of observed points inside the model's central 50% and 90% bands over
  replications (25-75% and 5-95% quantiles).

Designed so that calibration can reuse the metric functions and :func:`compare` on the
``fit`` split.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim.validation.balance import balance_markdown, workload_balance, yearly_balance
from flowsim.validation.observed import ModelRun, load_observed, resolution
from flowsim.validation.predictive import add_predictive, manifest_scales

POINT_COLUMNS = (
    "series",
    "resolution",
    "kind",
    "role",
    "split",
    "scope",
    "unit",
    "start",
    "end",
    "observed",
    "model_median",
    "model_q05",
    "model_q25",
    "model_q75",
    "model_q95",
    "source_url",
)
SUMMARY_COLUMNS = (
    "series",
    "resolution",
    "kind",
    "role",
    "scope",
    "unit",
    "points",
    "fit_points",
    "hindcast_points",
    "first",
    "last",
    "ard",
    "mase",
    "coverage_50",
    "coverage_90",
    "predictive_50",
    "predictive_90",
)


class HindcastError(ValueError):
    """A results folder or observed file cannot be used; one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def averaged_relative_difference(model: np.ndarray, observed: np.ndarray) -> float:
    """Mean over points of ``|model - observed| / |observed|`` (a fraction; 0.1 = 10%).

    Points whose observed value is zero (no relative difference) or whose model value is NaN
    are left out; NaN when no point is left.
    """
    model, observed = np.asarray(model, float), np.asarray(observed, float)
    keep = (observed != 0) & np.isfinite(model) & np.isfinite(observed)
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs(model[keep] - observed[keep]) / np.abs(observed[keep])))


def mase(model: np.ndarray, observed: np.ndarray) -> float:
    """Mean absolute scaled error of ``model`` against ``observed`` (points in time order).

    The scale is the mean absolute one-step change of the observed series,
    ``mean(|observed[t] - observed[t-1]|)``: the error of the in-sample naive forecast. The
    result is in units of that error (dimensionless). NaN with fewer than two points, a
    constant observed series, or no finite model value.
    """
    model, observed = np.asarray(model, float), np.asarray(observed, float)
    if observed.size < 2:
        return float("nan")
    scale = np.mean(np.abs(np.diff(observed)))
    finite = np.isfinite(model)
    if scale == 0 or not finite.any():
        return float("nan")
    return float(np.mean(np.abs(model[finite] - observed[finite])) / scale)


def band_coverage(samples: np.ndarray, observed: np.ndarray, level: float) -> float:
    """Share of observed points inside the model's central ``level`` band (0 to 1).

    ``samples`` has shape (replications, points); the band of a point runs from the
    ``(1 - level) / 2`` to the ``(1 + level) / 2`` quantile of its replications (linear
    interpolation), ends included. Points with no finite sample are left out; NaN when none
    is left.
    """
    samples, observed = np.atleast_2d(np.asarray(samples, float)), np.asarray(observed, float)
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    keep = np.isfinite(samples).any(axis=0) & np.isfinite(observed)
    if not keep.any():
        return float("nan")
    low, high = np.nanquantile(samples[:, keep], [(1 - level) / 2, (1 + level) / 2], axis=0)
    inside = (observed[keep] >= low) & (observed[keep] <= high)
    return float(inside.mean())


def compare(run: ModelRun, observed: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The observed figures on model series that the run covers, next to the model's values.

    Returns the points table (:data:`POINT_COLUMNS`; values in the point's ``unit``, flows
    over the point's period) and the model's values, shape (replications, points).
    """
    rows, samples = [], []
    usable = observed[observed["in_model"]].sort_values(["series", "end", "start"])
    for _, obs in usable.iterrows():
        if not (run.has(obs["series"]) and run.covers(obs["start"], obs["end"])):
            continue
        values = run.values(obs["series"], obs["kind"], obs["start"], obs["end"])
        q05, q25, q50, q75, q95 = _quantiles(values)
        rows.append(
            {
                "series": obs["series"],
                "resolution": resolution(obs["start"], obs["end"]),
                "kind": obs["kind"],
                "role": obs["role"],
                "split": obs["split"],
                "scope": obs.get("scope", ""),
                "unit": obs["unit"],
                "start": obs["start"],
                "end": obs["end"],
                "observed": obs["value"],
                "model_median": q50,
                "model_q05": q05,
                "model_q25": q25,
                "model_q75": q75,
                "model_q95": q95,
                "source_url": obs.get("source_url", ""),
            }
        )
        samples.append(values)
    points = pd.DataFrame(rows, columns=list(POINT_COLUMNS))
    matrix = np.array(samples, float).T if samples else np.empty((len(run.replications), 0))
    return points, matrix


def _quantiles(values: np.ndarray) -> list[float]:
    if not np.isfinite(values).any():
        return [float("nan")] * 5
    return [float(q) for q in np.nanquantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])]


def summarise(
    points: pd.DataFrame, samples: np.ndarray, predictive: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per series and resolution (:data:`SUMMARY_COLUMNS`): ARD, MASE, coverage of the runs'
    bands and, with ``predictive`` samples (:func:`flowsim.validation.predictive.add_predictive`),
    of the predictive bands (NaN without)."""
    rows = []
    for (series, res), group in points.groupby(["series", "resolution"], sort=True):
        group = group.sort_values(["end", "start"])  # MASE's naive forecast runs in time order
        idx = group.index.to_numpy()
        model, obs = group["model_median"].to_numpy(), group["observed"].to_numpy()
        rows.append(
            {
                "series": series,
                "resolution": res,
                "kind": group["kind"].iloc[0],
                "role": group["role"].iloc[0],
                "scope": group["scope"].iloc[0],
                "unit": group["unit"].iloc[0],
                "points": len(group),
                "fit_points": int((group["split"] == "fit").sum()),
                "hindcast_points": int((group["split"] == "hindcast").sum()),
                "first": group["start"].min(),
                "last": group["end"].max(),
                "ard": averaged_relative_difference(model, obs),
                "mase": mase(model, obs),
                "coverage_50": band_coverage(samples[:, idx], obs, 0.5),
                "coverage_90": band_coverage(samples[:, idx], obs, 0.9),
                "predictive_50": np.nan
                if predictive is None
                else band_coverage(predictive[:, idx], obs, 0.5),
                "predictive_90": np.nan
                if predictive is None
                else band_coverage(predictive[:, idx], obs, 0.9),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def summary_line(row: pd.Series) -> str:
    """One line for a researcher: series, resolution and the four metrics."""

    def fmt(value: float, spec: str) -> str:
        return "n/a" if not np.isfinite(value) else format(value, spec)

    line = (
        f"{row['series']} ({row['resolution']}, {row['kind']}, {row['role']}): "
        f"{row['points']} point{'s' if row['points'] != 1 else ''} "
        f"{row['first']:%Y-%m-%d}..{row['last']:%Y-%m-%d}, "
        f"ARD {fmt(row['ard'], '.1%')}, MASE {fmt(row['mase'], '.2f')}, "
        f"in 50% band {fmt(row['coverage_50'], '.0%')}, "
        f"in 90% band {fmt(row['coverage_90'], '.0%')}"
    )
    if np.isfinite(row.get("predictive_90", np.nan)):
        line += f", in the predictive 90% band {fmt(row['predictive_90'], '.0%')}"
    if row["scope"] == "wider":
        line += " [observed counts more people than the model series]"
    return line


def read_run(folder: str | Path) -> tuple[ModelRun, dict]:
    """A results folder's daily series and manifest (empty if absent), checked.

    Raises :class:`HindcastError` naming the file and the problem.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise HindcastError([f"{folder}: expected a results folder (from flowsim run), found none"])
    path = folder / "series.parquet"
    if not path.is_file():
        raise HindcastError([f"{path}: missing: expected the run's daily series"])
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several unrelated types for a bad file
        raise HindcastError([f"{path}: cannot read as Parquet: {err}"]) from err
    missing = [c for c in ("replication", "date") if c not in frame.columns]
    if missing:
        raise HindcastError([f"{path}: columns: expected replication and date, missing {missing}"])
    if frame.empty:
        raise HindcastError([f"{path}: rows: expected at least one day, found none"])
    manifest_path = folder / "manifest.json"
    manifest: dict = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as err:
            raise HindcastError([f"{manifest_path}: cannot read as JSON: {err}"]) from err
    return ModelRun(frame), manifest


def figure_name(series: str, res: str) -> str:
    """File name of a series' hindcast figure (safe characters only)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"hindcast_{series}_{res}") + ".png"


def run_hindcast(
    results: str | Path,
    observed: str | Path | None = None,
    out: str | Path | None = None,
    docs: Path | None = None,
) -> pd.DataFrame:
    """Compare a results folder with the observed figures; write tables and figures.

    Writes into ``out`` (default: the results folder), each file atomically: ``hindcast.csv`` (the
    summary, :data:`SUMMARY_COLUMNS`), ``hindcast_points.csv`` (every observed point with the
    model's quantiles), ``hindcast_balance.csv`` (the CGRS's monthly workload balance,
    :func:`~flowsim.validation.balance.workload_balance`), ``hindcast_balance_yearly.csv``
    (:func:`~flowsim.validation.balance.yearly_balance`) and
    ``figures/hindcast_<series>_<resolution>.png``; with ``docs``, the yearly balance's observed
    years between the ``balance`` markers of that markdown file. A calibrated scenario's run (its
    manifest carries the calibration's errors) gets predictive bands too: ``predictive_q05`` ... in
    the points, their coverage in the summary (:mod:`flowsim.validation.predictive`). Returns the
    summary. Raises :class:`HindcastError` on a missing or invalid results folder or observed file,
    or docs without the markers.
    """
    from flowsim.results.markdown import block_problem, write_block
    from flowsim.results.runs import atomic_path
    from flowsim.validation.figures import hindcast_figure  # matplotlib only when writing figures
    from flowsim.validation.observed import ObservedError

    if docs is not None and (problem := block_problem(docs, "balance")):
        raise HindcastError([problem])
    run, manifest = read_run(results)
    try:
        table = load_observed(observed)
    except ObservedError as err:
        raise HindcastError(err.problems) from err
    points, samples = compare(run, table)
    scales = manifest_scales(manifest)
    predictive = None
    if not scales.empty:  # a calibrated scenario: the model's own error too
        points, predictive = add_predictive(points, samples, scales)
    summary = summarise(points, samples, predictive)
    balance = workload_balance(run, table) if run.has("cgrs_lodged_cases") else None
    out = Path(out) if out is not None else Path(results)
    tables = [("hindcast.csv", summary), ("hindcast_points.csv", points)]
    if balance is not None:
        yearly = yearly_balance(balance, table)
        tables += [("hindcast_balance.csv", balance), ("hindcast_balance_yearly.csv", yearly)]
        if docs is not None:
            write_block(docs, "balance", balance_markdown(yearly))
    for name, frame in tables:
        with atomic_path(out / name) as tmp:
            frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    scenario = manifest.get("scenario", Path(results).name)
    for (series, res), group in points.groupby(["series", "resolution"], sort=True):
        fig = hindcast_figure(group, f"{scenario}: {series} ({res})", len(run.replications))
        with atomic_path(out / "figures" / figure_name(series, res)) as tmp:
            fig.savefig(tmp, dpi=100, format="png")
    return summary
