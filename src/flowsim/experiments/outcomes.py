"""Named outcomes of a run: one number each, summarised from its daily series.

Outcomes are computed where the run happens (a Dask worker), so a large sweep ships a few
numbers per run rather than its daily series. Each outcome takes one series
(:mod:`flowsim.engine.series`; ``occupancy_rate`` = persons in reception / places is computed when
the table lacks it) over a period
and applies a statistic:

- ``max``, ``min``, ``mean``, ``sum``: over the period (units of the series; ``sum`` of a
  daily flow is a total, e.g. euros for ``cost_eur``);
- ``value``: the series on ``date`` (a stock at the end of that day);
- ``days_above``: number of days the series is above ``threshold``;
- ``longest_above``: the longest run of consecutive days above ``threshold`` (days).

``from`` and ``to`` (inclusive dates) restrict the period; by default the whole run.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from flowsim.engine.series import SERIES_NAMES
from flowsim.scenario.fields import Number

# computed here from other series when a run's table does not hold them
DERIVED = tuple(name for name in ("occupancy_rate",) if name not in SERIES_NAMES)
KNOWN_SERIES = (*SERIES_NAMES, *DERIVED)


class Outcome(BaseModel):
    """One named summary of a series (see the module docstring for the statistics)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    series: str
    stat: Literal["max", "min", "mean", "sum", "value", "days_above", "longest_above"]
    start: dt.date | None = Field(default=None, alias="from")
    end: dt.date | None = Field(default=None, alias="to")
    date: dt.date | None = None  # for stat value (not "on": YAML reads on: as true)
    threshold: Number | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Outcome:
        if self.stat == "value" and self.date is None:
            raise ValueError("@date: required for stat value (the date to read)")
        if self.stat != "value" and self.date is not None:
            raise ValueError("@date: only for stat value")
        needs = self.stat in ("days_above", "longest_above")
        if needs and self.threshold is None:
            raise ValueError(f"@threshold: required for stat {self.stat}")
        if not needs and self.threshold is not None:
            raise ValueError("@threshold: only for days_above and longest_above")
        if self.start and self.end and self.end < self.start:
            raise ValueError("@to: expected a date on or after from")
        return self


def check_series_names(named: dict[str, str]) -> list[str]:
    """Problem lines (``where: ...``) for every unknown series name, with suggestions."""
    problems = []
    for where, name in named.items():
        if name in KNOWN_SERIES:
            continue
        close = difflib.get_close_matches(name, KNOWN_SERIES, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        problems.append(f"{where}: expected a series name, got {name!r}{hint}")
    return problems


def series_values(frame: pd.DataFrame, name: str) -> np.ndarray:
    """One series of a run's daily table as floats (derived series computed here)."""
    if name == "occupancy_rate" and name not in frame.columns:
        places = frame["reception_capacity"].to_numpy(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = frame["in_reception"].to_numpy(np.float64) / places
        return np.where(places > 0, rate, 0.0)
    return frame[name].to_numpy(np.float64)


def compute_outcome(frame: pd.DataFrame, outcome: Outcome) -> float:
    """The value of one outcome for one run (``frame``: the run's series with ``date``).

    A period outside the run gives NaN.
    """
    dates = pd.to_datetime(frame["date"]).dt.date.to_numpy()
    values = series_values(frame, outcome.series)
    if outcome.stat == "value":
        hit = np.flatnonzero(dates == outcome.date)
        return float(values[hit[0]]) if hit.size else float("nan")
    keep = np.ones(len(values), bool)
    if outcome.start is not None:
        keep &= dates >= outcome.start
    if outcome.end is not None:
        keep &= dates <= outcome.end
    window = values[keep]
    if window.size == 0:
        return float("nan")
    if outcome.stat == "days_above":
        return float(np.count_nonzero(window > outcome.threshold))
    if outcome.stat == "longest_above":
        return float(_longest_run(window > outcome.threshold))
    return float(getattr(np, outcome.stat)(window))


def _longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of True values."""
    if not flags.any():
        return 0
    # boundaries of runs: where the flag changes, padded so every run has a start and an end
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max())


def compute_outcomes(frame: pd.DataFrame, outcomes: dict[str, Outcome]) -> dict[str, float]:
    """Every named outcome of one run."""
    return {name: compute_outcome(frame, outcome) for name, outcome in outcomes.items()}
