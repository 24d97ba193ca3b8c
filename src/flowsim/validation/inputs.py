"""Monthly input schedules built from the observed data: first and subsequent applications.

The observed applications (the Immigration Office's registrations) count first applications,
subsequent applications and, from 2017, resettled refugees. A run takes them apart:

- first applications arrive on the schedule ``inflow.monthly_persons`` (persons a month);
- subsequent applications of people the run did not refuse arrive on
  ``inflow.subsequent_monthly_persons`` (the history takes *all* observed subsequent
  applications there: the split between people refused inside the run and others is not
  observed, so the model's own re-application share is kept at 0 and the CGRS receives what
  it received);
- resettled refugees come through the resettlement pipeline, so they are left out.

Rules, per calendar year ``y`` (persons):

1. applications by month ``A_m``: the observed month where there is one; the rest of the
   observed annual total spread over the missing months by weights (:data:`WEIGHTS`: evenly,
   except 2020's COVID stop of registrations and 2022-2023's seasonal shape, assumptions);
2. subsequent applications ``S_y``: the observed annual figure; else applications minus
   Eurostat's first-time applicants (2015-2017, resettled persons taken out in 2017); else
   a share of applications interpolated between the nearest years that have one (2019-2020,
   an assumption);
3. resettled persons counted in the applications ``R_y`` (from 2017): the observed figure of
   resettled applicants, else the resettlement arrivals of the year; none before 2017;
4. subsequent applications by month: the observed month where there is one, the rest of
   ``S_y`` in proportion to ``A_m``; resettled by month in proportion to ``A_m``; first
   applications are what is left: ``A_m - S_m - R_m``;
5. a year after the last one with an observed annual total of applications (a forecast's
   future) repeats that year's monthly means (an assumption, said so in the configs).

``python -m flowsim.validation.inputs [FOLDER]`` writes the history's and the 2023-2024 hindcast's
schedules as CSV files ``month,persons`` into ``FOLDER`` (default ``configs/data``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim.validation.observed import load_observed, resolutions

# Relative weights of the months with no observed application figure (assumptions).
WEIGHTS = {
    2020: {2: 1.6, 3: 0.8, 4: 0.15, 5: 0.4},
    2022: {3: 2500, 4: 2500, 5: 2700, 6: 2900, 7: 3100, 8: 3400, 9: 3800, 11: 3600, 12: 3177},
    2023: {1: 2700, 2: 2400, 3: 2600, 4: 2400, 5: 2500, 6: 2739, 7: 3100, 8: 2972, 9: 3300}
    | {11: 3700, 12: 3356},
}
FIRST_YEAR_RESETTLED_COUNTED = 2017  # applications count resettled refugees from 2017
SCHEDULES = {
    "belgium-history": range(2015, 2023),
    "belgium-from-2023": range(2023, 2026),
}


def _by_resolution(table: pd.DataFrame, series: str, res: str) -> pd.DataFrame:
    rows = table[(table["series"] == series) & (table["kind"] == "flow")]
    rows = rows.assign(resolution=resolutions(rows))
    return rows[rows["resolution"] == res]


def _annual(table: pd.DataFrame, series: str, year: int) -> float | None:
    rows = _by_resolution(table, series, "year")
    rows = rows[rows["start"].dt.year == year]
    return float(rows["value"].iloc[0]) if len(rows) else None


def _months(table: pd.DataFrame, series: str, year: int) -> dict[int, float]:
    rows = _by_resolution(table, series, "month")
    rows = rows[rows["start"].dt.year == year]
    return {int(m): float(v) for m, v in zip(rows["start"].dt.month, rows["value"], strict=True)}


def monthly_applications(table: pd.DataFrame, year: int) -> np.ndarray:
    """Applications (persons) in the 12 months of ``year``, by rule 1."""
    known = _months(table, "applications", year)
    if year == 2022:  # January is only known with February (4,970 for 2022-01/02)
        known[1] = 4970.0 - known[2]
    total = _annual(table, "applications", year)
    if total is None:
        raise ValueError(f"applications: no observed annual total for {year}")
    missing = [m for m in range(1, 13) if m not in known]
    weights = {m: WEIGHTS.get(year, {}).get(m, 1.0) for m in missing}
    rest = total - sum(known.values())
    scale = sum(weights.values()) or 1.0
    return np.array([known.get(m, rest * weights.get(m, 0.0) / scale) for m in range(1, 13)])


def resettled_counted(table: pd.DataFrame, year: int) -> float:
    """Resettled persons counted among the year's applications (rule 3)."""
    if year < FIRST_YEAR_RESETTLED_COUNTED:
        return 0.0
    for series in ("ip_applicants_resettled_included", "resettlement_arrivals"):
        value = _annual(table, series, year)
        if value is not None:
            return value
    return 0.0


def _eurostat_subsequent(table: pd.DataFrame, year: int) -> float | None:
    first = _annual(table, "eurostat_first_time_applicants", year)
    total = _annual(table, "applications", year)
    if first is None or total is None or year > FIRST_YEAR_RESETTLED_COUNTED:
        return None
    return total - resettled_counted(table, year) - first


def yearly_subsequent(table: pd.DataFrame, years: range) -> dict[int, float]:
    """Subsequent applications (persons) of each year, by rule 2."""
    found: dict[int, float] = {}
    for year in years:
        value = _annual(table, "subsequent_applications", year)
        found[year] = value if value is not None else _eurostat_subsequent(table, year)
    # Years with no figure: the share of applications interpolated between known years.
    known = [y for y in sorted(found) if found[y] is not None]
    if not known:
        raise ValueError("subsequent_applications: no observed figure for any year")
    shares = {y: found[y] / _annual(table, "applications", y) for y in known}
    for year in years:
        if found[year] is None:
            share = float(np.interp(year, known, [shares[y] for y in known]))
            found[year] = share * _annual(table, "applications", year)
    return {year: float(value) for year, value in found.items()}


def schedule(table: pd.DataFrame, years: range) -> pd.DataFrame:
    """One row per month ``YYYY-MM`` of ``years``: ``applications``, ``subsequent``,
    ``resettled`` and ``first`` (persons), by rules 1-4."""
    observed_years = [y for y in years if _annual(table, "applications", y) is not None]
    subsequent_by_year = yearly_subsequent(table, range(years.start, max(observed_years) + 1))
    rows = []
    for year in years:
        if year > max(observed_years):  # rule 5
            rows += _repeated(rows[-12:], year)
            continue
        applications = monthly_applications(table, year)
        share = applications / applications.sum()
        known = _months(table, "subsequent_applications", year)
        rest = subsequent_by_year[year] - sum(known.values())
        free = np.array([m not in known for m in range(1, 13)])
        spread = np.where(free, share, 0.0) / max(share[free].sum(), 1e-12)
        subsequent = np.array([known.get(m, 0.0) for m in range(1, 13)]) + rest * spread
        resettled = resettled_counted(table, year) * share
        for m in range(12):
            rows.append(
                {
                    "month": f"{year}-{m + 1:02d}",
                    "applications": applications[m],
                    "subsequent": subsequent[m],
                    "resettled": resettled[m],
                    "first": applications[m] - subsequent[m] - resettled[m],
                }
            )
    return pd.DataFrame(rows)


def _repeated(last_year: list[dict], year: int) -> list[dict]:
    """Twelve months of ``year`` at the monthly means of ``last_year``'s rows (rule 5)."""
    means = {k: float(np.mean([r[k] for r in last_year])) for k in last_year[0] if k != "month"}
    return [{"month": f"{year}-{m:02d}", **means} for m in range(1, 13)]


def write_schedules(folder: Path, table: pd.DataFrame | None = None) -> list[Path]:
    """Write ``<name>-first-applications.csv`` and ``<name>-subsequent-applications.csv``
    (columns ``month,persons``, whole persons) for every schedule of :data:`SCHEDULES`."""
    from flowsim.results.runs import atomic_path

    table = load_observed() if table is None else table
    written = []
    for name, years in SCHEDULES.items():
        frame = schedule(table, years)
        for column, suffix in (("first", "first-applications"), ("subsequent", "subsequent")):
            path = folder / f"{name}-{suffix}.csv"
            lines = ["month,persons"] + [
                f"{month},{round(value)}"
                for month, value in zip(frame["month"], frame[column], strict=True)
            ]
            with atomic_path(path) as tmp:
                tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m flowsim.validation.inputs [FOLDER]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m flowsim.validation.inputs",
        description="Write the monthly first and subsequent applications from observed data.",
    )
    parser.add_argument("folder", type=Path, nargs="?", default=Path("configs") / "data")
    args = parser.parse_args(argv)
    for path in write_schedules(args.folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
