"""A calibration's tables for a reader: the posterior, what the fit rests on, the fit.

Written by ``flowsim calibrate`` as ``calibration.md`` in its folder and, with ``--docs``, between
the ``calibration`` markers of a markdown file (:mod:`flowsim.results.markdown`), from the folder's
``posterior.csv``, ``unobserved.csv``, ``fit.csv`` and ``fit_points.csv``. ``python -m
flowsim.validation.calibration_docs FOLDER --docs FILE`` writes them again from a finished
calibration's folder (after a change to these tables, without calibrating again).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from flowsim.results.markdown import table, write_block

#: The stocks whose every recent point the docs show, observed beside the ensemble.
RECENT_STOCKS = (
    "cgrs_backlog",
    "cgrs_backlog_cases",
    "in_reception",
    "reception_occupancy_rate",
    "without_reception",
)


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


def recent_points_table(points: pd.DataFrame, since: str = "2019-01-01") -> str:
    """Every observed point of :data:`RECENT_STOCKS` from ``since`` on (the years a forecast
    starts from), observed beside the ensemble's median and 90% band, by date."""
    chosen = points[points["series"].isin(RECENT_STOCKS) & (points["start"] >= since)]
    rows = [
        [
            r["start"] if r["start"] == r["end"] else f"{r['start']} to {r['end']}",
            f"`{r['series']}`",
            f"{r['observed']:,.0f}",
            f"{r['model_median']:,.0f} [{r['model_q05']:,.0f}, {r['model_q95']:,.0f}]",
        ]
        for _, r in chosen.sort_values(["start", "series"]).iterrows()
    ]
    return table(["date", "figure", "observed", "model median [90% band]"], rows)


def calibration_tables(
    posterior: pd.DataFrame,
    unobserved: pd.DataFrame,
    fit: pd.DataFrame,
    headline: str,
    points: pd.DataFrame | None = None,
) -> str:
    """The tables under their headings, after ``headline`` (rounds, runs, time): posterior,
    unobserved parameters, the fit by series and, given ``points``, the recent stocks."""
    recent = []
    if points is not None:
        recent = [
            "**The stocks from 2019 on, point by point** (`fit_points.csv`; occupancy in percent):",
            "",
            recent_points_table(points),
        ]
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
            *recent,
        ]
    )


def rewrite(folder: Path, docs: Path | None = None) -> str:
    """Write ``calibration.md`` of a finished calibration's ``folder`` again from its CSV
    files (its first line, the headline, kept) and, given ``docs``, the ``calibration``
    block of that markdown file (with the folder's ``figures/fit.png``). Returns the text."""
    from flowsim.results.runs import atomic_path

    headline = (folder / "calibration.md").read_text(encoding="utf-8").splitlines()[0]
    text = calibration_tables(
        pd.read_csv(folder / "posterior.csv"),
        pd.read_csv(folder / "unobserved.csv"),
        pd.read_csv(folder / "fit.csv"),
        headline,
        pd.read_csv(folder / "fit_points.csv"),
    )
    with atomic_path(folder / "calibration.md") as tmp:
        tmp.write_text(text, encoding="utf-8")
    if docs is not None:
        figure = folder / "figures" / "fit.png"
        write_block(docs, "calibration", text, [figure], prefix="calibration_")
    return text


def main(argv: list[str] | None = None) -> int:
    """``python -m flowsim.validation.calibration_docs FOLDER [--docs FILE]``."""
    parser = argparse.ArgumentParser(prog="python -m flowsim.validation.calibration_docs")
    parser.add_argument("folder", type=Path, help="a finished calibration's folder")
    parser.add_argument("--docs", type=Path, default=None, help="markdown file to update")
    args = parser.parse_args(argv)
    try:
        rewrite(args.folder, args.docs)
    except (OSError, ValueError, IndexError, KeyError) as err:
        print(f"{args.folder}: cannot write the calibration's tables: {err}", file=sys.stderr)
        return 2
    print(f"{args.folder / 'calibration.md'} written" + (f"; and {args.docs}" if args.docs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
