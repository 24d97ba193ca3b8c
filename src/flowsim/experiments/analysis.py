"""The numbers of a sweep, shown by its report and by the dashboard: outcomes by point with
their 95% intervals, paired differences against each point's reference, the sensitivity of
an outcome to the factors (Sobol, Morris, main effects, rank correlations) and scenario
discovery (PRIM boxes, EMA workbench).

Pure functions of a sweep's runs table (``runs.parquet``, :mod:`flowsim.experiments.sweep`)
and its spec; units are those of each outcome.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from flowsim.experiments.design import reference_points, salib_problem
from flowsim.experiments.intervals import (
    CONFIDENCE,
    mean_half_width,
    mean_interval,
    number_text,
    welch_interval,
)
from flowsim.experiments.spec import Discovery, Spec


def outcome_table(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per point and outcome: replications used, mean, 95% interval (runs with status ok)."""
    ok = runs[runs["status"] == "ok"]
    # one pass per statistic over every point (a sweep may have 20,000 points), in the
    # order point by point, then the outcomes as listed
    by_point = ok.groupby("point", sort=True)[outcomes]
    n, mean = by_point.count(), by_point.mean()
    half = mean_half_width(by_point.std(ddof=1).to_numpy(), n.to_numpy())
    mean_values = mean.to_numpy(np.float64)
    return pd.DataFrame(
        {
            "point": np.repeat(n.index.to_numpy(np.int64), len(outcomes)),
            "outcome": np.tile(np.array(outcomes, dtype=object), len(n)),
            "n": n.to_numpy(np.int64).ravel(),
            "mean": mean_values.ravel(),
            "ci_low": (mean_values - half).ravel(),
            "ci_high": (mean_values + half).ravel(),
        },
        columns=["point", "outcome", "n", "mean", "ci_low", "ci_high"],
    )


def paired_differences(
    runs: pd.DataFrame, references: int | Mapping[int, int], outcomes: list[str]
) -> pd.DataFrame:
    """Per point and outcome: the mean of the differences point - reference over the
    replications both ran (paired by replication: common random numbers) with its 95%
    interval, and the unpaired Welch interval for comparison. ``references``: each point's
    reference point (:func:`flowsim.experiments.design.reference_points`), or one point every
    other point is compared with."""
    ok = runs[runs["status"] == "ok"]
    if not isinstance(references, Mapping):
        references = {int(p): references for p in ok["point"].unique() if p != references}
    by_point = {int(p): g.set_index("replication") for p, g in ok.groupby("point", sort=True)}
    rows = []
    for point in sorted(references):
        reference = references[point]
        if point not in by_point or reference not in by_point:
            continue
        other, base = by_point[point], by_point[reference]
        shared = other.index.intersection(base.index)
        for name in outcomes:
            diff = other.loc[shared, name].to_numpy() - base.loc[shared, name].to_numpy()
            mean, low, high = mean_interval(diff)
            u_low, u_high = welch_interval(other[name].to_numpy(), base[name].to_numpy())
            rows.append(
                {
                    "point": int(point),
                    "reference": int(reference),
                    "outcome": name,
                    "pairs": int(np.count_nonzero(~np.isnan(diff))),
                    "mean_difference": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "unpaired_ci_low": u_low,
                    "unpaired_ci_high": u_high,
                }
            )
    columns = ["point", "reference", "outcome", "pairs", "mean_difference", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=[*columns, "unpaired_ci_low", "unpaired_ci_high"])


def sweep_references(runs: pd.DataFrame, spec: Spec) -> dict[int, int]:
    """Each point's reference (:func:`flowsim.experiments.design.reference_points`) from the
    factor values a sweep's runs table records."""
    if spec.design.kind != "factorial":  # sampling designs have no reference points
        return {}
    factors = [f.name for f in spec.factors]
    first = runs.drop_duplicates("point").set_index("point").sort_index()
    if first.empty or not set(factors) <= set(first.columns):
        return {}
    # every point 0..last, None where a point has no run: a frame's rows as records at
    # once, not a lookup per point and factor (a sweep may have 20,000 points)
    table = first[factors].reindex(range(int(first.index.max()) + 1)).astype(object)
    points = table.where(table.notna(), None).to_dict("records")
    return reference_points(spec, points)


def point_means(runs: pd.DataFrame, outcome: str, points: int) -> np.ndarray | None:
    """Mean of an outcome over replications for every point 0..points-1, or None when a
    point has no successful run (SALib needs the whole sample)."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point")[outcome].mean().reindex(range(points))
    return None if means.isna().any() else means.to_numpy(np.float64)


def sobol_indices(spec: Spec, y: np.ndarray) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with 95% intervals (SALib)."""
    from SALib.analyze import sobol

    problem = salib_problem(spec)
    found = sobol.analyze(
        problem,
        y,
        calc_second_order=spec.design.second_order,
        conf_level=CONFIDENCE,
        seed=spec.seed,
    )
    return pd.DataFrame(
        {
            "factor": problem["names"],
            "S1": found["S1"],
            "S1_conf": found["S1_conf"],
            "ST": found["ST"],
            "ST_conf": found["ST_conf"],
        }
    )


def morris_indices(spec: Spec, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Morris elementary effects: mu* with its 95% interval half-width, and sigma (SALib)."""
    from SALib.analyze import morris

    problem = salib_problem(spec)
    found = morris.analyze(
        problem, x, y, conf_level=CONFIDENCE, num_levels=spec.design.levels, seed=spec.seed
    )
    return pd.DataFrame(
        {
            "factor": problem["names"],
            "mu_star": found["mu_star"],
            "mu_star_conf": found["mu_star_conf"],
            "sigma": found["sigma"],
        }
    )


def main_effects(runs: pd.DataFrame, factors: list[str], outcome: str) -> pd.DataFrame:
    """Per factor: the lowest and highest mean outcome over its values (the others
    averaged), for a tornado chart of a factorial design."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for f in factors:
        by_level = ok.groupby(f)[outcome].mean()
        rows.append({"factor": f, "low": by_level.min(), "high": by_level.max()})
    return pd.DataFrame(rows)


def rank_correlations(runs: pd.DataFrame, factors: list[str], outcome: str) -> pd.DataFrame:
    """Per numeric factor: Spearman rank correlation with the outcome over runs."""
    ok = runs[runs["status"] == "ok"]
    rows = []
    for f in factors:
        if pd.api.types.is_numeric_dtype(ok[f]) and ok[f].nunique() > 1:
            rho = stats.spearmanr(ok[f], ok[outcome]).statistic
            rows.append({"factor": f, "spearman": float(rho)})
    return pd.DataFrame(rows, columns=["factor", "spearman"])


def runs_of_interest(runs: pd.DataFrame, rule: Discovery) -> np.ndarray:
    """Which runs PRIM describes: those whose ``rule.outcome`` is above ``rule.above`` (or
    below ``rule.below``), as a boolean array in the rows' order; a missing value is not of
    interest."""
    values = runs[rule.outcome].to_numpy(np.float64)
    return values > rule.above if rule.above is not None else values < rule.below


def rule_text(rule: Discovery) -> str:
    """The runs of interest in words: ``peak_without > 1,200``."""
    if rule.above is not None:
        return f"{rule.outcome} > {number_text(rule.above)}"
    return f"{rule.outcome} < {number_text(rule.below)}"


def prim_boxes(
    x: pd.DataFrame, y: np.ndarray, threshold: float = 0.8
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM (EMA workbench) on factor values ``x`` and a boolean ``y`` (the runs of
    interest). Returns the box limits of the chosen box and the peeling trajectory
    (coverage, density, mass and restricted factors ``res_dim`` per box, one row per box).

    The chosen box has the highest coverage among those with density >= ``threshold``, the
    densest of them on a tie (the trajectory often keeps full coverage for several peels);
    the densest box when none reaches the threshold. Its limits: one row per restricted
    factor, ``min`` and ``max`` (for a categorical factor both are the kept categories),
    with the factor's whole sampled range ``range_min``, ``range_max``; its coverage,
    density, mass and number (``box``) are in the table's ``attrs``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench warns about optional parallel back-ends
        from ema_workbench.analysis import prim

        data = x.copy()
        for column in data.columns:
            if not pd.api.types.is_numeric_dtype(data[column]):
                data[column] = data[column].astype("category")
        # ema-workbench 2.x (Python 3.11) requires the density threshold; 3.x (Python 3.12+)
        # dropped it: the box is chosen below from the peeling trajectory either way
        accepts = inspect.signature(prim.Prim).parameters
        options = {"threshold": threshold} if "threshold" in accepts else {}
        box = prim.Prim(data, np.asarray(y, bool), **options).find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    good = trajectory[trajectory["density"] >= threshold]
    if len(good):
        chosen = int(good.sort_values(["coverage", "density"], kind="stable").index[-1])
    else:
        chosen = int(trajectory["density"].idxmax())
    limits = box.box_lims[chosen]
    initial = box.box_lims[0]  # the whole sampled range of every factor
    rows = []
    for column in limits.columns:
        low, high = limits[column].iloc[0], limits[column].iloc[1]
        first_low, first_high = initial[column].iloc[0], initial[column].iloc[1]
        if isinstance(low, set):
            if low != first_low:
                kept, every = sorted(low), sorted(first_low)
                rows.append(
                    {"factor": column, "min": kept, "max": kept, "range_min": every,
                     "range_max": every}
                )  # fmt: skip
        elif low != first_low or high != first_high:
            rows.append(
                {"factor": column, "min": float(low), "max": float(high),
                 "range_min": float(first_low), "range_max": float(first_high)}
            )  # fmt: skip
    table = pd.DataFrame(rows, columns=["factor", "min", "max", "range_min", "range_max"])
    table.attrs.update(trajectory.loc[chosen, ["coverage", "density", "mass"]].to_dict())
    table.attrs["box"] = chosen
    return table, trajectory


def describe_box(limits: pd.DataFrame) -> str:
    """The chosen box of :func:`prim_boxes` in one sentence: its coverage, density, mass."""
    a = limits.attrs
    return (
        f"Box {a['box']}: coverage {a['coverage']:.2f} (share of the runs of interest inside "
        f"it), density {a['density']:.2f} (share of the runs inside it that are of interest), "
        f"mass {a['mass']:.2f} (share of all runs inside it)."
    )


def sensitivity_table(
    runs: pd.DataFrame, spec: Spec, outcome: str
) -> tuple[str, pd.DataFrame | None]:
    """The sensitivity of one outcome to the factors, by the design's method: Sobol S1/ST,
    Morris mu*/sigma, factorial main effects or (Latin hypercube) rank correlations.

    Returns (kind, table) with the rows in chart order (largest effect on top for the
    tornado charts); the table is None when a Sobol or Morris point has no successful run.
    """
    kind = spec.design.kind
    factors = [f.name for f in spec.factors]
    if kind in ("sobol", "morris"):
        y = point_means(runs, outcome, int(runs["point"].max()) + 1)
        if y is None:
            return kind, None
        if kind == "sobol":
            return kind, sobol_indices(spec, y)
        x = runs.drop_duplicates("point").sort_values("point")[factors].to_numpy(float)
        return kind, morris_indices(spec, x, y)
    if kind == "factorial":
        found = main_effects(runs, factors, outcome)
        order = np.argsort((found["high"] - found["low"]).to_numpy())
        return kind, found.iloc[order].reset_index(drop=True)
    found = rank_correlations(runs, factors, outcome)
    order = np.argsort(found["spearman"].abs().to_numpy())
    return kind, found.iloc[order].reset_index(drop=True)


def limit_text(value: Any) -> str:
    """A PRIM box limit for reading: a number, or the kept categories ``a, b``."""
    return ", ".join(value) if isinstance(value, list) else number_text(value)
