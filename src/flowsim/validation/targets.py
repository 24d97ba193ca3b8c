"""What a calibration fits: the observed figures it targets (outcomes of the ``fit``
split, of the model's own scope, up to a date), the likelihood's series they belong to, and
the model's value at each target point, the summary a calibration keeps of a run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowsim.validation.observed import ModelRun


def targets(observed: pd.DataFrame, series: list[str], until: dt.date) -> pd.DataFrame:
    """The observed rows a calibration fits: outcomes of the ``fit`` split on the named model
    series, of the model's own scope, with a positive value, ending on or before ``until``."""
    keep = (
        observed["in_model"]
        & (observed["role"] == "outcome")
        & (observed["split"] == "fit")
        & (observed["scope"] != "wider")
        & (observed["end"] <= pd.Timestamp(until))
        & observed["series"].isin(series)
        & (observed["value"] > 0)
    )
    return observed[keep]


def why_not_fitted(
    observed: pd.DataFrame, series: str, start: pd.Timestamp, end: pd.Timestamp
) -> str:
    """Why a series' observed figures within the run are no targets ("" if it has none)."""
    rows = observed[
        (observed["series"] == series) & (observed["start"] >= start) & (observed["end"] <= end)
    ]
    reasons = []
    if (rows["role"] == "input").any():
        reasons.append("inputs")
    if (rows["scope"] == "wider").any():
        reasons.append("of a wider scope than the model series")
    return f" (its figures are {' and '.join(reasons)}: never fitted)" if reasons else ""


def series_codes(points: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """A code per point for its series and resolution (the likelihood's series), and the
    label of each code (``series (resolution)``)."""
    labels = [f"{s} ({r})" for s, r in zip(points["series"], points["resolution"], strict=True)]
    names = sorted(set(labels))
    return np.array([names.index(label) for label in labels]), names


@dataclass(frozen=True)
class PointValues:
    """The summary a calibration keeps of a run: the model's value at each target point
    (named ``p0``, ``p1``, ...), as :meth:`flowsim.validation.observed.ModelRun.values` gives it."""

    series: tuple[str, ...]
    kind: tuple[str, ...]
    start: tuple[pd.Timestamp, ...]
    end: tuple[pd.Timestamp, ...]

    @classmethod
    def of(cls, points: pd.DataFrame) -> PointValues:
        """The summary for the rows of a targets table."""
        return cls(
            tuple(points["series"]),
            tuple(points["kind"]),
            tuple(points["start"]),
            tuple(points["end"]),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The row's keys, one per point."""
        return tuple(f"p{i}" for i in range(len(self.series)))

    def __call__(self, frame: pd.DataFrame, model: Any = None) -> dict[str, float]:
        run = ModelRun(frame.assign(replication=0))
        parts = zip(self.series, self.kind, self.start, self.end, strict=True)
        return {
            name: float(run.values(series, kind, start, end)[0])
            for name, (series, kind, start, end) in zip(self.names, parts, strict=True)
        }
