"""Dated changes over a run: the fields a change may move (:data:`CHANGEABLE_SECTIONS`,
:func:`changeable_fields`) and the value of each on every day (:class:`Timeline`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowsim.scenario.changes import Change
from flowsim.scenario.scenario import Scenario

#: Sections whose numeric fields may be changed at a date. Profiles, dates and the initial
#: state describe who arrives and where the run starts, not a policy, so they are fixed.
CHANGEABLE_SECTIONS = (
    "inflow",
    "immigration_office",
    "reception",
    "cgrs",
    "call",
    "municipalities",
    "status_holders",
    "returns",
    "resettlement",
    "temporary_protection",
)


def changeable_fields(scenario: Scenario) -> dict[str, float]:
    """Every field that a dated change may target, with its value on the start date."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[prefix] = float(value)

    dumped = scenario.model_dump(mode="python")
    for section in CHANGEABLE_SECTIONS:
        walk(section, dumped[section])
    # The monthly schedules are data, not levers: change their level with inflow.scale.
    schedules = ("inflow.monthly_persons.", "inflow.subsequent_monthly_persons.")
    return {k: v for k, v in flat.items() if not k.startswith(schedules)}


class Timeline:
    """The value of every changeable field on every day of the run."""

    def __init__(self, scenario: Scenario):
        self.base = changeable_fields(scenario)
        self._by_day: dict[int, list[Change]] = {}
        for change in sorted(scenario.changes, key=lambda c: c.date):
            self._by_day.setdefault(scenario.day_of(change.date), []).append(change)

    def changes_on(self, day: int) -> list[Change]:
        """The changes that take effect on this day (0 = start date), in file order."""
        return self._by_day.get(day, [])

    def daily(self, field: str, days: int) -> np.ndarray:
        """One value of ``field`` per day of the run (day 0 = start date)."""
        out = np.full(days, self.base[field])
        value = self.base[field]
        for day in sorted(self._by_day):
            for change in self._by_day[day]:
                if change.field == field:
                    value = change.apply(value)
            out[max(day, 0) :] = value
        return out

    def values_on(self, day: int) -> dict[str, float]:
        """All changeable fields as they stand at the end of ``day``."""
        values = dict(self.base)
        for d in sorted(self._by_day):
            if d > day:
                break
            for change in self._by_day[d]:
                values[change.field] = change.apply(values[change.field])
        return values
