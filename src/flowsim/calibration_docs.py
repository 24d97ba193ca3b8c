"""A calibration's tables for a reader: the posterior, what the fit rests on, the fit.

Written by ``flowsim calibrate`` as ``calibration.md`` in its folder and, with ``--docs``,
between the ``calibration`` markers of a markdown file (:mod:`flowsim.markdown`), from the
folder's ``posterior.csv``, ``unobserved.csv`` and ``fit.csv``.
"""

from __future__ import annotations

import pandas as pd

from flowsim.markdown import table


def _num(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.3g}"


def _interval(row: pd.Series, prefix: str = "") -> str:
    return (
        f"{_num(row[prefix + 'median'])} [{_num(row[prefix + 'q05'])}, {_num(row[prefix + 'q95'])}]"
    )


def posterior_table(posterior: pd.DataFrame) -> str:
    """Each parameter: its prior range, posterior median and 90% interval, the share of the
    prior range the interval keeps, and whether an observed series constrains it."""
    rows = [
        [
            f"`{r['parameter']}`",
            f"{r['low']:g}-{r['high']:g}" + (" (log)" if r["log"] else ""),
            _interval(r),
            f"{r['range_kept']:.0%}",
            "observed series" if r["observed"] else "nothing observes it (below)",
        ]
        for _, r in posterior.iterrows()
    ]
    header = ["parameter", "prior", "posterior median [90%]", "prior range kept", "constrained by"]
    return table(header, rows)


def unobserved_table(unobserved: pd.DataFrame) -> str:
    """Each parameter nothing observes: the best set's log likelihood, the same set with the
    mechanism at its neutral value (off), and the series that loses most."""
    rows = [
        [
            f"`{r['parameter']}`",
            _interval(r, "posterior_"),
            f"{r['log_likelihood_best']:.1f}",
            "n/a (no neutral value)"
            if pd.isna(r["log_likelihood_neutral"])
            else f"{r['log_likelihood_neutral']:.1f} "
            f"({r['log_likelihood_neutral'] - r['log_likelihood_best']:+.1f})",
            "" if pd.isna(r["series_most_worse"]) else r["series_most_worse"],
        ]
        for _, r in unobserved.iterrows()
    ]
    header = [
        "parameter",
        "posterior median [90%]",
        "log likelihood, best set",
        "mechanism off (change)",
        "series most worse off",
    ]
    return table(header, rows)


def fit_table(fit: pd.DataFrame) -> str:
    """The ensemble against every observed outcome series: points, ARD of the median, the
    share of points in the 50% and 90% bands, and the scope (``wider``: never fitted)."""
    outcomes = fit[fit["role"] == "outcome"].sort_values(["series", "resolution"])
    rows = [
        [
            f"`{r['series']}`",
            r["resolution"],
            int(r["points"]),
            f"{r['ard']:.0%}",
            f"{r['coverage_50']:.0%} / {r['coverage_90']:.0%}",
            r["scope"],
        ]
        for _, r in outcomes.iterrows()
    ]
    header = ["series", "resolution", "points", "ARD", "in 50% / 90% band", "scope"]
    return table(header, rows)


def calibration_tables(
    posterior: pd.DataFrame, unobserved: pd.DataFrame, fit: pd.DataFrame, headline: str
) -> str:
    """The three tables under their headings, after ``headline`` (rounds, runs, time)."""
    return "\n".join(
        [
            headline,
            "",
            "**Posterior** (`posterior.csv`; the share of the prior range kept is the 90% "
            "interval's width over the range's):",
            "",
            posterior_table(posterior),
            "**How much of the fit rests on parameters nothing observes** (`unobserved.csv`: "
            "the best set's log likelihood, and the same set with the mechanism off):",
            "",
            unobserved_table(unobserved),
            "**The fit, series by series** (`fit.csv`; scope `wider` is compared, never fitted):",
            "",
            fit_table(fit),
        ]
    )
