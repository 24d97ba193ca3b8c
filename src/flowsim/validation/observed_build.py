"""Build the observed dataset (``flowsim/data/observed.csv``) from the shared Belgian figures.

The shared table (``../shared/data/belgium_figures.csv``) has one public figure per row, as
read in its source: ``metric, period, value, unit, source_title, source_url, quote,
confidence``. ``flowsim/data/figures_added.csv`` has the same columns: public figures the
project found itself (reception 2019-2022, Dublin, subsequent applications), each with its
source and quote; its rows are numbered from :data:`ADDED_FIRST_ROW`. This module turns both
into the tidy table :mod:`flowsim.validation.observed` reads:

1. every metric is looked up in ``flowsim/data/observed_metrics.csv`` (the reviewed mapping:
   model series or observed-only, kind, input or outcome, scope, note);
2. the period is parsed into ``start``/``end`` dates and the value into a number; a row that
   cannot be parsed, or whose value is a bound ("more than", "up to") or a range, is
   rejected with a reason;
3. where several rows give the same series over the same period, one is kept by the rule
   in :func:`preference` and the others are rejected as superseded (with the kept figure
   named).

Run ``python -m flowsim.validation.observed_build [SHARED_CSV]`` to rewrite ``observed.csv`` and
``observed_rejected.csv`` (atomically). Both are committed: the package never reads the
shared folder at run time.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import re
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

SOURCE_COLUMNS = (
    "metric",
    "period",
    "value",
    "unit",
    "source_title",
    "source_url",
    "quote",
    "confidence",
)
MAPPING_COLUMNS = ("metric", "series", "kind", "role", "scope", "note")
KINDS = ("stock", "flow", "rate")
ROLES = ("input", "outcome")
SCOPES = ("same", "wider")
CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}
# Fit on what ends by this date; what ends later is kept for the out-of-sample hindcast.
FIT_UNTIL = dt.date(2022, 12, 31)

OBSERVED_COLUMNS = (
    "source_row",  # data row of the shared table (1 = the first row after the header)
    "series",  # model series (or derived rate) name, or the metric name when observed-only
    "in_model",  # True when ``series`` is a model series or a rate derived from model series
    "metric",  # the metric name in the shared table
    "kind",  # stock, flow or rate
    "role",  # input (drives the model) or outcome (what the model must reproduce)
    "split",  # fit (period ends by 2022-12-31) or hindcast (ends later)
    "scope",  # same, or wider: the observed figure counts more people than the model series
    "start",  # first day of the period (ISO date)
    "end",  # last day of the period, inclusive (ISO date); a stock at a date has start == end
    "period",  # the period as stated in the shared table
    "value",  # the figure, a number
    "unit",  # persons, cases, places, percent, days, ... (unit as stated, qualifiers removed)
    "unit_as_stated",
    "approximate",  # the source says approximately
    "source_title",
    "source_url",
    "quote",
    "confidence",
    "note",  # what the mapping knows about the definition
)
REJECTED_COLUMNS = ("source_row", *SOURCE_COLUMNS, "reason")

# Units that make the figure a bound or a scenario, not a measured value.
_BOUND = re.compile(r"more than|almost|up to|\(max\)|at least|worst-case|optimistic")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_RANGE = re.compile(r"\d+(?:\.\d+)?\s*-\s*\d+(?:\.\d+)?")

# Agencies that produce the figures (their own sites), then the EU/NGO relays of them.
_AGENCY_HOSTS = (
    "cgrs.be",
    "cgvs.be",
    "cgra.be",
    "5079.f2w.fedict.be",  # the CGRS's former web host
    "fedasil.be",
    "ibz.be",  # Immigration Office and the Interior ministry's annual reports
    "rvv-cce.be",
    "info-ukraine.be",
    "crisiscentrum.be",
    "myria.be",
)
_RELAY_HOSTS = ("emnbelgium.be", "asylumineurope.org", "ec.europa.eu")


# ``source_row`` of the first row of figures_added.csv (shared rows are numbered from 1).
ADDED_FIRST_ROW = 100001
ADDED_FILE = "figures_added.csv"


class ObservedBuildError(ValueError):
    """The shared table or the mapping is not what the build expects (one line per problem)."""


@dataclass(frozen=True)
class Period:
    """A parsed period: first and last day (inclusive)."""

    start: dt.date
    end: dt.date


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _parse_one(text: str) -> Period | None:
    """One period without a slash: YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Qn, YYYY-Hn, YYYY-YYYY."""
    if m := re.fullmatch(r"(\d{4})", text):
        year = int(m[1])
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        # Two digits after the year are a month ("2018-19" style year spans do not occur).
        return (
            Period(dt.date(year, month, 1), _month_end(year, month)) if 1 <= month <= 12 else None
        )
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return Period(day, day)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])(?:-Q([1-4]))?", text):
        year, first = int(m[1]), int(m[2])
        last = int(m[3] or m[2])
        if last < first:
            return None
        return Period(dt.date(year, 3 * first - 2, 1), _month_end(year, 3 * last))
    if m := re.fullmatch(r"(\d{4})-H([12])", text):
        year, half = int(m[1]), int(m[2])
        return Period(dt.date(year, 6 * half - 5, 1), _month_end(year, 6 * half))
    if m := re.fullmatch(r"(\d{4})-(\d{4})", text):
        first, last = int(m[1]), int(m[2])
        if last > first:
            return Period(dt.date(first, 1, 1), dt.date(last, 12, 31))
    return None


def parse_period(text: str) -> Period | None:
    """Parse a period of the shared table; None when it is stated in words.

    Accepted: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``YYYY-Qn`` (and ``YYYY-Qa-Qb``),
    ``YYYY-Hn``, ``YYYY-YYYY`` (whole years), and ``a/b`` spans of those, where ``b`` may be
    a bare month ``MM`` of ``a``'s year (``2016-01/02``). A span runs from the start of ``a``
    to the end of ``b``.
    """
    text = text.strip()
    if "/" not in text:
        return _parse_one(text)
    left, _, right = text.partition("/")
    first = _parse_one(left)
    if first is None:
        return None
    if re.fullmatch(r"\d{2}", right) and 1 <= int(right) <= 12:
        last = Period(first.start, _month_end(first.start.year, int(right)))
    else:
        last = _parse_one(right)
    if last is None or last.end < first.start:
        return None
    return Period(first.start, last.end)


def parse_value(value: str, unit: str) -> tuple[float | None, str]:
    """The figure as a number, or None with the reason it cannot be used."""
    text = value.strip().replace(",", "")
    if _RANGE.fullmatch(text):
        return None, f"value is a range ({value}), not one figure"
    if not _NUMBER.fullmatch(text):
        return None, f"value is not a number ({value!r})"
    if bound := _BOUND.search(unit.lower()):
        return None, f"value is a bound or a scenario ('{bound[0]}' in unit '{unit}'), not a figure"
    return float(text), ""


def base_unit(unit: str) -> str:
    """The unit without the source's qualifiers in brackets (``persons (approx.)`` -> persons)."""
    return unit.split("(")[0].strip()


def source_rank(url: str) -> int:
    """0 for the producing agency's own site, 1 for EMN/AIDA/Eurostat, 2 for press and others."""
    host = (urlparse(url).hostname or "").lower()
    if any(host == h or host.endswith("." + h) for h in _AGENCY_HOSTS):
        return 0
    if any(host == h or host.endswith("." + h) for h in _RELAY_HOSTS):
        return 1
    return 2


def preference(row: pd.Series) -> tuple[int, int, int, int, int]:
    """Sort key of a figure among those giving the same series over the same period.

    Lower is preferred, in this order: the scope of the model series (``same`` before
    ``wider``), the agency's own publication before EMN/AIDA/Eurostat before the press
    (:func:`source_rank`), higher confidence, an exact figure before an approximate one, and
    finally the order of the shared file (the first row wins a complete tie). Persons and
    cases never compete: they are different series (``cgrs_backlog`` and
    ``cgrs_backlog_cases``).
    """
    return (
        SCOPES.index(row["scope"]) if row["scope"] else 0,
        source_rank(row["source_url"]),
        CONFIDENCE_RANK[row["confidence"]],
        int(bool(row["approximate"])),
        int(row["source_row"]),
    )


def observed_only_name(metric: str) -> str:
    """The series name of a metric that maps to no model series.

    The metric's own name, unless that is a model series name (``cgrs_positive_decisions``
    in cases, ``forced_returns``...): then ``<metric>_as_reported``, so an observed-only figure
    can never be compared with, or compete with, a model series of the same name.
    """
    from flowsim.validation.observed import is_model_series

    return f"{metric}_as_reported" if is_model_series(metric) else metric


def read_mapping(path: Path | None = None) -> pd.DataFrame:
    """The reviewed metric -> series mapping (``flowsim/data/observed_metrics.csv``)."""
    from flowsim.validation.observed import is_model_series

    source = path or resources.files("flowsim.data") / "observed_metrics.csv"
    opened = resources.as_file(source) if path is None else nullcontext(path)
    with opened as file:
        mapping = pd.read_csv(file, dtype=str, keep_default_na=False)
    problems = []
    missing = set(MAPPING_COLUMNS) - set(mapping.columns)
    if missing:
        raise ObservedBuildError(f"{source}: columns: missing {sorted(missing)}")
    for i, row in mapping.iterrows():
        line = f"{source}: row {i + 2} ({row['metric']})"
        if row["kind"] not in KINDS:
            problems.append(f"{line}: kind: expected one of {KINDS}, got {row['kind']!r}")
        if row["role"] not in ROLES:
            problems.append(f"{line}: role: expected one of {ROLES}, got {row['role']!r}")
        if row["series"] and not is_model_series(row["series"]):
            problems.append(f"{line}: series: expected a model series or derived rate")
        if row["series"] and row["scope"] not in SCOPES:
            problems.append(f"{line}: scope: expected one of {SCOPES}, got {row['scope']!r}")
    if mapping["metric"].duplicated().any():
        dupes = sorted(mapping.loc[mapping["metric"].duplicated(), "metric"])
        problems.append(f"{source}: metric: each metric once, repeated {dupes}")
    if problems:
        raise ObservedBuildError("\n".join(problems))
    return mapping.set_index("metric")


def read_shared(path: Path) -> pd.DataFrame:
    """The shared figures table, every column as text, with its 1-based data row number."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as err:
        raise ObservedBuildError(f"{path}: cannot read: {err}") from err
    missing = set(SOURCE_COLUMNS) - set(table.columns)
    if missing:
        raise ObservedBuildError(f"{path}: columns: missing {sorted(missing)}")
    table = table.loc[:, list(SOURCE_COLUMNS)]
    table.insert(0, "source_row", range(1, len(table) + 1))
    return table


def read_added(path: Path | None = None) -> pd.DataFrame:
    """The figures the project added (``flowsim/data/figures_added.csv``), as
    :func:`read_shared` reads the shared table, rows numbered from :data:`ADDED_FIRST_ROW`."""
    if path is None:
        with resources.as_file(resources.files("flowsim.data") / ADDED_FILE) as file:
            table = read_shared(file)
    else:
        table = read_shared(path)
    table["source_row"] += ADDED_FIRST_ROW - 1
    return table


def read_sources(shared: Path) -> pd.DataFrame:
    """The shared table, then the figures the project added (one numbering, no overlap)."""
    return pd.concat([read_shared(shared), read_added()], ignore_index=True)


def build_observed(
    shared: pd.DataFrame, mapping: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn the shared figures into (observed, rejected) tables.

    Every row of ``shared`` ends up in exactly one of the two; ``rejected`` says why.
    """
    from flowsim.validation.observed import model_unit

    kept, rejected = [], []
    for _, src in shared.iterrows():
        reason = ""
        if src["metric"] not in mapping.index:
            reason = f"metric {src['metric']!r} is not in observed_metrics.csv"
        elif src["confidence"] not in CONFIDENCE_RANK:
            reason = f"confidence {src['confidence']!r} is not high, medium or low"
        period = parse_period(src["period"])
        if not reason and period is None:
            reason = f"period {src['period']!r} is stated in words, not as dates"
        value, why = parse_value(src["value"], src["unit"])
        reason = reason or why
        if reason:
            rejected.append({**src.to_dict(), "reason": reason})
            continue
        meta = mapping.loc[src["metric"]]
        series = meta["series"] or observed_only_name(src["metric"])
        kept.append(
            {
                "source_row": src["source_row"],
                "series": series,
                "in_model": bool(meta["series"]),
                "metric": src["metric"],
                "kind": meta["kind"],
                "role": meta["role"],
                "split": "fit" if period.end <= FIT_UNTIL else "hindcast",
                "scope": meta["scope"] if meta["series"] else "",
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "period": src["period"],
                "value": value,
                # A model series has one unit; the source's word for it is kept as stated.
                "unit": model_unit(series) if meta["series"] else base_unit(src["unit"]),
                "unit_as_stated": src["unit"],
                "approximate": "approx" in (src["unit"] + src["period"]).lower(),
                "source_title": src["source_title"],
                "source_url": src["source_url"],
                "quote": src["quote"],
                "confidence": src["confidence"],
                "note": meta["note"],
            }
        )
    table = pd.DataFrame(kept, columns=list(OBSERVED_COLUMNS))
    winners = []
    for _, group in table.groupby(["series", "start", "end"], sort=False):
        ranked = sorted(group.to_dict("records"), key=lambda r: preference(pd.Series(r)))
        best = ranked[0]
        winners.append(best)
        for loser in ranked[1:]:
            same = loser["value"] == best["value"]
            what = "duplicate of" if same else f"superseded ({loser['value']:g}) by"
            rejected.append(
                {
                    **shared.loc[shared["source_row"] == loser["source_row"]].iloc[0].to_dict(),
                    "reason": f"{what} row {best['source_row']} ({best['value']:g}, "
                    f"{best['source_url']}) for {best['series']} {best['period']} "
                    "by the preference rule",
                }
            )
    observed = (
        pd.DataFrame(winners, columns=list(OBSERVED_COLUMNS))
        .sort_values(["series", "start", "end", "source_row"])
        .reset_index(drop=True)
    )
    rejected_table = (
        pd.DataFrame(rejected, columns=list(REJECTED_COLUMNS))
        .sort_values("source_row")
        .reset_index(drop=True)
    )
    return observed, rejected_table


def write_observed(observed: pd.DataFrame, rejected: pd.DataFrame, folder: Path) -> None:
    """Write ``observed.csv`` and ``observed_rejected.csv`` into ``folder``, atomically."""
    from flowsim.results.runs import atomic_path

    for name, table in (("observed.csv", observed), ("observed_rejected.csv", rejected)):
        with atomic_path(folder / name) as tmp:
            table.to_csv(tmp, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m flowsim.validation.observed_build [SHARED_CSV] [--out DIR]``; returns the exit
    code."""
    parser = argparse.ArgumentParser(
        prog="python -m flowsim.validation.observed_build",
        description="Rebuild flowsim/data/observed.csv from the shared Belgian figures.",
    )
    here = Path(__file__).resolve()
    parser.add_argument(
        "shared",
        type=Path,
        nargs="?",
        default=here.parents[3] / ".." / "shared" / "data" / "belgium_figures.csv",
        help="the shared figures table (default: ../shared/data/belgium_figures.csv)",
    )
    parser.add_argument(
        "--out", type=Path, default=here.parents[1] / "data", help="default: src/flowsim/data"
    )
    args = parser.parse_args(argv)
    try:
        observed, rejected = build_observed(read_sources(args.shared), read_mapping())
    except ObservedBuildError as err:
        print(err, file=sys.stderr)
        return 2
    write_observed(observed, rejected, args.out)
    print(
        f"{len(observed)} figures kept in {args.out / 'observed.csv'} "
        f"({observed['in_model'].sum()} on model series), {len(rejected)} rejected in "
        f"{args.out / 'observed_rejected.csv'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
