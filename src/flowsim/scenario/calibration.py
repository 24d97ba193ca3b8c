"""The ``calibration`` and ``ensemble`` sections: the fields ``flowsim calibrate`` fits
(their priors and the observed series), the parameter sets it keeps, and how calibrated
values go into a scenario (a field's value, or its value from a date as a dated ``set``
change)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    Field,
    model_validator,
)

from flowsim.scenario.fields import Number, Strict


class ParameterRange(Strict):
    """The prior range of one calibrated field (in the field's own unit): uniform on it, or
    on its logarithm (``log``).

    A parameter that no observed figure measures directly (``observed: false``) must say why
    its range is plausible (``reason``); ``neutral`` is the value at which its mechanism is
    off, so the calibration can report how much of the fit rests on it.
    """

    low: Number  # the lowest value tried
    high: Number  # the highest value tried
    log: bool = False  # uniform on a log scale (for rates spanning orders of magnitude)
    observed: bool = True  # an observed figure measures what this parameter drives
    reason: str = ""  # why the range is plausible (required when observed is false)
    neutral: Number | None = None  # the value that turns the mechanism off

    @model_validator(mode="after")
    def _ordered(self) -> ParameterRange:
        if not self.low < self.high:
            raise ValueError(f"@high: expected more than low ({self.low:g}), got {self.high:g}")
        if self.log and self.low <= 0:
            raise ValueError(f"@low: expected more than 0 on a log scale, got {self.low:g}")
        if not self.observed and not self.reason.strip():
            raise ValueError("@reason: expected why the range is plausible (observed is false)")
        return self


class ClusterOptions(Strict):
    """Options of a SLURM or PBS cluster (dask-jobqueue keyword arguments), by kind."""

    slurm: dict[str, Any] | None = None  # dask-jobqueue SLURMCluster keywords
    pbs: dict[str, Any] | None = None  # dask-jobqueue PBSCluster keywords


class Calibration(Strict):
    """Fields fitted to the observed figures by ``flowsim calibrate`` (optional section).

    A key of ``parameters`` is a changeable field (its value from the start date) or
    ``field@YYYY-MM-DD``: the field's value from that date on, applied as a dated ``set``
    change (:func:`calibrated_parameter`), e.g. a CGRS productivity per period. ``series`` are
    the observed model series fitted (outcomes of the fit split; see
    flowsim.validation.calibration for the likelihood). The calibration moves a sample of
    ``particles`` parameter sets from the prior to the posterior (sequential Monte Carlo with
    tempering and Metropolis moves: at most ``rounds`` rounds of simulations, each set run
    ``replications`` times a round); it keeps ``members`` sets of the posterior sample as the
    ensemble of the fitted model.
    """

    parameters: dict[str, ParameterRange] = Field(min_length=1)  # parameter key -> prior
    series: list[str] = Field(min_length=1)  # observed model series (or derived rates) fitted
    error_floor: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 0.02  # relative error
    particles: Annotated[int, Field(ge=4, strict=True)] = 100  # parameter sets in the sample
    rounds: Annotated[int, Field(ge=1, strict=True)] = 36  # rounds of simulations, at most
    replications: Annotated[int, Field(ge=1, strict=True)] = 2  # runs per set, common seeds
    members: Annotated[int, Field(ge=1, strict=True)] = 40  # ensemble kept for forecasts
    seed: Annotated[int, Field(ge=0, strict=True)] = 0  # sampler and replication seeds
    # share of the Metropolis proposals that redraw one parameter from its prior instead of
    # a random-walk step: parameters the data leave free then keep their prior's spread
    # through the rounds (0: random-walk steps only)
    prior_redraw_share: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    cluster: ClusterOptions = Field(default_factory=ClusterOptions)


class ModelError(Strict):
    """What the calibrated model misses on one observed series at its best parameters: the
    scale of the log error (relative, no unit) over the fit's points, and how many years of
    points it rests on (``flowsim calibrate`` writes them to ``errors.csv``)."""

    series: str  # an observed model series
    resolution: str  # day, month, quarter, year or span
    points: Annotated[int, Field(ge=1)]  # observed points of the fit
    effective_points: Annotated[float, Field(gt=0.0)]  # as the likelihood counts them
    scale: Annotated[float, Field(gt=0.0)]  # sqrt(mean squared log error + floor^2)


class Ensemble(Strict):
    """Parameter sets of a calibrated model (``flowsim calibrate`` and ``flowsim forward``
    write them): replication ``k`` of a run uses member ``k`` modulo the number of members.

    A member maps calibration parameter keys (a changeable field, or ``field@YYYY-MM-DD``
    for its value from that date) and ``initial_state.<field>`` paths to values, so that
    each member may start from its own state. In a scenario file, ``file`` names a CSV file
    (relative to it) with one member per row, a column per key (``member`` first).
    """

    source: str = ""  # where the members come from (the calibration, its settings)
    # parameter sets, one per member (or file: a CSV)
    members: list[dict[str, Number]] = Field(min_length=1)
    # the calibration's error per observed series, for predictive bands
    # (flowsim.validation.predictive); in a scenario file, errors_file names a CSV file with these
    # columns (relative to it)
    errors: list[ModelError] = []


FITTED_NOTE = "fitted"  # the note of a dated change that carries a fitted value


def apply_values(tree: dict[str, Any], values: dict[str, float]) -> None:
    """Put calibrated values into a scenario tree (as ``model_dump`` gives it), in place.

    A key is a field (dotted path, ``initial_state.`` paths included), set to the value, or
    ``field@YYYY-MM-DD`` (:func:`calibrated_parameter`), which appends a dated ``set`` change
    of the field (the tree's later changes of the field apply on top of it).
    """
    for key, value in values.items():
        path, date = calibrated_parameter(key)
        if date is None:
            set_path(tree, path, float(value))
        else:
            tree["changes"].append(calibrated_change(path, date, value, FITTED_NOTE))


def set_path(tree: dict, path: str, value: float) -> None:
    """Set the field at dotted ``path`` of a scenario tree (as ``model_dump`` gives it)."""

    def key_in(node: dict, key: str) -> str | int:
        # mappings keyed by year (resettlement pledges) have integer keys
        return int(key) if key not in node and key.isdigit() and int(key) in node else key

    keys = path.split(".")
    for key in keys[:-1]:
        tree = tree[key_in(tree, key)]
    tree[key_in(tree, keys[-1])] = value


#: Separates a calibrated field from the date its value holds from (``field@YYYY-MM-DD``).
DATED_PARAMETER = "@"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def calibrated_parameter(key: str) -> tuple[str, dt.date | None]:
    """The field a calibration parameter key names and the date its value holds from.

    ``"cgrs.decisions_per_officer_per_month"`` -> ``(field, None)`` (the field's own value,
    from the start date); ``"cgrs.decisions_per_officer_per_month@2019-01-01"`` -> ``(field,
    2019-01-01)`` (a dated ``set`` change of the field). Raises ``ValueError`` saying what
    was expected when the part after ``@`` is not one calendar date ``YYYY-MM-DD``.
    """
    field, sep, when = key.partition(DATED_PARAMETER)
    if not sep:
        return key, None
    if _ISO_DATE.match(when):
        try:
            return field, dt.date.fromisoformat(when)
        except ValueError:
            pass
    raise ValueError(f"expected field@YYYY-MM-DD (a calendar date after @), got {when!r}")


def calibrated_change(field: str, date: dt.date, value: float, note: str) -> dict[str, Any]:
    """The dated change that gives ``field`` the calibrated ``value`` from ``date`` on (a
    ``set``; the scenario's later changes of the field apply on top of it)."""
    return {"date": date, "field": field, "set": float(value), "note": note}
