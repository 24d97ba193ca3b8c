"""Changes to a capacity or a rate during a run: an operation (``set``, ``add``,
``multiply``) on one changeable field, from a date (``changes``) or once a condition on the
system's state has held for some days (``triggers``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    Field,
    model_validator,
)

from flowsim.scenario.fields import Number, Strict


class Operation(Strict):
    """A change to one capacity or rate: ``set``, ``add`` or ``multiply``."""

    field: str  # a changeable field (this page: dated change yes)
    set: Number | None = None  # the new value
    add: Number | None = None  # or this added to the value
    multiply: Number | None = None  # or the value times this

    @model_validator(mode="after")
    def _one_operation(self) -> Operation:
        given = [op for op in ("set", "add", "multiply") if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one of set, add, multiply; got {given or 'none'}")
        return self

    def apply(self, value: float) -> float:
        """The field's value after this change, from its value before."""
        if self.set is not None:
            return self.set
        if self.add is not None:
            return value + self.add
        return value * self.multiply  # type: ignore[operator]

    def undo(self, value: float, before: float) -> float:
        """The field's value once this change is reversed (``before``: its value before it)."""
        if self.add is not None:
            return value - self.add
        if self.multiply:
            return value / self.multiply
        return before


class Change(Operation):
    """A dated change: from ``date`` on, the field is changed by the operation."""

    date: dt.date  # the first day of the new value
    note: str = ""  # why, and its source


class Condition(Strict):
    """A series of the previous day above or below a threshold for some consecutive days."""

    series: str  # a stock series (e.g. without_reception, cgrs_backlog_cases, occupancy_rate)
    above: Number | None = None  # fires when the series is above this
    below: Number | None = None  # or below this
    for_days: Annotated[int, Field(ge=1, strict=True)] = 1  # for this many days in a row

    @model_validator(mode="after")
    def _one_threshold(self) -> Condition:
        if (self.above is None) == (self.below is None):
            raise ValueError("expected exactly one of above, below")
        return self

    def holds(self, value: float) -> bool:
        """Whether the series value meets the threshold today."""
        return value > self.above if self.above is not None else value < self.below  # type: ignore[operator]


class Action(Operation):
    """What a trigger does, ``after_days`` days after it fires (a lead time)."""

    after_days: Annotated[int, Field(ge=0, strict=True)] = 0  # days from firing to taking effect


class Trigger(Strict):
    """A policy rule fired by the state of the system, e.g. buffer places opened when the
    network stays full, closed again when it stays below a threshold."""

    name: str  # a name for the trigger's events
    when: Condition
    then: Action
    until: Condition | None = None  # reverse the action once this holds after it took effect
    once: bool = False  # fire at most once in a run
