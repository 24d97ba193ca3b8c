"""The CGRS's workload balance, model beside observed: at the start + lodged - decided -
closed without a decision = at the end, month by month and year by year, in persons and in
cases. Written by ``flowsim hindcast`` (``hindcast_balance*.csv`` and the ``balance`` block
of the docs); a run whose balance does not hold has lost or invented cases."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from flowsim.validation.observed import ModelRun

BALANCE_COLUMNS = (
    "unit",
    "month",
    "model_start",
    "model_lodged",
    "model_decided",
    "model_closed",
    "model_end",
    "observed_start",
    "observed_lodged",
    "observed_decided",
    "observed_end",
    "observed_closed_implied",
)


class BalanceSeries(NamedTuple):
    """The series of one unit's workload balance: the model's and the observed ones."""

    backlog: str  # the workload (a model series and an observed stock)
    lodged: str  # entries to the workload (model)
    decided: str  # first-instance decisions (a model series and an observed flow)
    closed: str  # closed without a decision (model)
    transmitted: str  # the Immigration Office's transmissions per month (observed rate)


BALANCE_SERIES = {
    "persons": BalanceSeries(
        "cgrs_backlog", "cgrs_lodged", "cgrs_decisions", "cgrs_closed", "io_transmissions_per_month"
    ),
    "cases": BalanceSeries(
        "cgrs_backlog_cases",
        "cgrs_lodged_cases",
        "cgrs_decisions_cases",
        "cgrs_closed_cases",
        "io_transmissions_cases_per_month",
    ),
}


def workload_balance(run: ModelRun, observed: pd.DataFrame) -> pd.DataFrame:
    """The CGRS's workload month by month, in persons and in cases: at the start + lodged -
    decided - closed without a decision = at the end (:data:`BALANCE_COLUMNS`, one row per
    unit and month).

    The model's columns are means over replications (a mean keeps the balance exact, a
    median would not); observed columns where a figure exists in the row's unit: the
    workload at the end of the month (and of the month before), decisions of the month, the
    Immigration Office's transmissions (a monthly average reported for a year counts for
    each of its months), and what closed without a decision then follows from the balance
    when all four are observed. Months the run covers only in part are left out.
    """
    frame = run.frame.assign(date=pd.to_datetime(run.frame["date"]))
    frame = frame.assign(month=frame["date"].dt.to_period("M"))
    rows = []
    for unit, names in BALANCE_SERIES.items():
        flows = [names.lodged, names.decided, names.closed]
        for month, part in frame.groupby("month", sort=True):
            days = part["date"].dt.day
            if days.min() != 1 or days.max() != month.days_in_month:
                continue
            per_rep = part.groupby("replication")
            first = per_rep.first()
            sums = per_rep[flows].sum()
            start = (
                first[names.backlog]
                - first[names.lodged]
                + first[names.decided]
                + first[names.closed]
            )
            rows.append(
                {
                    "unit": unit,
                    "month": str(month),
                    "model_start": start.mean(),
                    "model_lodged": sums[names.lodged].mean(),
                    "model_decided": sums[names.decided].mean(),
                    "model_closed": sums[names.closed].mean(),
                    "model_end": per_rep[names.backlog].last().mean(),
                    **_observed_balance(observed, month, names),
                }
            )
    return pd.DataFrame(rows, columns=list(BALANCE_COLUMNS))


def _observed_balance(
    observed: pd.DataFrame, period: pd.Period, names: BalanceSeries
) -> dict[str, float]:
    """The observed side of one period's balance (a month or a year; NaN where nothing is
    observed): transmissions are a monthly rate, counted for each month of the period."""

    def stock_on(day: pd.Timestamp) -> float:
        rows = observed[
            (observed["series"] == names.backlog)
            & (observed["start"] == day)
            & (observed["end"] == day)
        ]
        return float(rows["value"].iloc[0]) if len(rows) else np.nan

    first, last = period.start_time.normalize(), period.end_time.normalize()
    months = len(pd.period_range(first, last, freq="M"))
    decided = observed[
        (observed["series"] == names.decided)
        & (observed["start"] == first)
        & (observed["end"] == last)
    ]
    lodged = observed[
        (observed["series"] == names.transmitted)
        & (observed["start"] <= first)
        & (observed["end"] >= last)
    ]
    out = {
        "observed_start": stock_on(first - pd.Timedelta(days=1)),
        "observed_lodged": months * float(lodged["value"].iloc[0]) if len(lodged) else np.nan,
        "observed_decided": float(decided["value"].iloc[0]) if len(decided) else np.nan,
        "observed_end": stock_on(last),
    }
    out["observed_closed_implied"] = (
        out["observed_start"]
        + out["observed_lodged"]
        - out["observed_decided"]
        - out["observed_end"]
    )
    return out


def yearly_balance(monthly: pd.DataFrame, observed: pd.DataFrame) -> pd.DataFrame:
    """The workload balance by calendar year (:data:`BALANCE_COLUMNS`, ``month`` holding the
    year) from :func:`workload_balance`'s monthly table: the model's flows summed over the
    year's twelve months (years the run covers in part are left out), observed stocks at the
    year's ends, decisions reported for the year and transmissions' monthly rate x 12."""
    rows = []
    for (unit, year), part in monthly.groupby(
        [monthly["unit"], monthly["month"].str[:4]], sort=True
    ):
        if len(part) != 12:
            continue
        rows.append(
            {
                "unit": unit,
                "month": year,
                "model_start": part["model_start"].iloc[0],
                "model_lodged": part["model_lodged"].sum(),
                "model_decided": part["model_decided"].sum(),
                "model_closed": part["model_closed"].sum(),
                "model_end": part["model_end"].iloc[-1],
                **_observed_balance(observed, pd.Period(year, freq="Y"), BALANCE_SERIES[unit]),
            }
        )
    return pd.DataFrame(rows, columns=list(BALANCE_COLUMNS))


def balance_markdown(yearly: pd.DataFrame) -> str:
    """The years whose workload is observed at both ends, observed beside the model (mean
    over replications), in persons and in cases: a markdown table for ``docs/``."""
    from flowsim.results.markdown import table

    def cell(value: float) -> str:
        return "" if pd.isna(value) else f"{value:,.0f}"

    rows = []
    seen = yearly.dropna(subset=["observed_start", "observed_end"])
    for _, r in seen.sort_values(["month", "unit"], ascending=[True, False]).iterrows():
        closed = r["observed_closed_implied"]
        rows.append(
            [r["month"], r["unit"], "observed"]
            + [cell(r[f"observed_{k}"]) for k in ("start", "lodged", "decided")]
            + [f"{cell(closed)} (implied)" if not pd.isna(closed) else "", cell(r["observed_end"])]
        )
        rows.append(
            ["", "", "model"]
            + [cell(r[f"model_{k}"]) for k in ("start", "lodged", "decided", "closed", "end")]
        )
    header = [
        "year",
        "unit",
        "",
        "workload at the start",
        "+ lodged",
        "- decided",
        "- closed without a decision",
        "= workload at the end",
    ]
    return table(header, rows)
