"""Plausible ranges of a scenario's numbers, checked when a file is validated.

The schema already says what a number must be (non-negative, a share, finite); these ranges
say what a scenario of one country's asylum system can hold, so that a file that validates
also runs (a number far outside them is a typo or a unit mistake, and would exhaust memory
or overflow a counter). A field's range follows from its unit, named by the field
(:mod:`flowsim.scenario` docstring):

=====================================  ================  ================================
field (its name, or its last part)     at most           why
=====================================  ================  ================================
``*_days``                             3,653 days        ten years: every legal term and
                                                         stay is shorter
``places``, ``*_places``               1,000,000 places  Belgium had 36,000 in 2024
anything counting persons (``persons``  1,000,000 persons all applications of 2015 were
in its name: stocks, per month,                          44,760
per day, pledges)
``*_fte``                              100,000 FTE       the CGRS had about 600 in 2023
``*_eur*``                             1,000,000,000 EUR
``inflow.scale``, a ``multiply``       100 (times)       a lever, not a new country
any other number                       1,000,000,000
the run                                50 years          from start_date to end_date;
                                                         calendars keep days in 16 bits
=====================================  ================  ================================

Dated changes are checked too: a ``set`` or an ``add`` against its field's range, a
``multiply`` against the multiplier's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

DAYS = 3_653
PLACES = 1_000_000
PERSONS = 1_000_000
FTE = 100_000
EUROS = 1_000_000_000
MULTIPLIER = 100
ANY = 1_000_000_000
RUN_YEARS = 50


def ceiling(path: str) -> tuple[float, str]:
    """The largest plausible value of the field at dotted ``path`` and its unit."""
    last = path.rsplit(".", 1)[-1]
    if path == "inflow.scale":
        return MULTIPLIER, "times"
    if last.endswith("_days"):
        return DAYS, "days"
    if last == "places" or last.endswith("_places"):
        return PLACES, "places"
    if "persons" in path:
        return PERSONS, "persons"
    if last.endswith("_fte"):
        return FTE, "FTE"
    if "_eur" in last:
        return EUROS, "euros"
    return ANY, ""


def numbers(value: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """Every number in a scenario tree (mappings and lists, booleans left out) with its
    dotted path below ``prefix``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numbers(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from numbers(item, f"{prefix}.{i}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield prefix, float(value)


def _too_large(path: str, value: float, high: float, unit: str) -> str:
    return (
        f"{path}: expected at most {high:,.0f}{' ' + unit if unit else ''} "
        f"(flowsim.scenario.ranges), got {value:g}"
    )


def range_problems(tree: dict[str, Any]) -> list[str]:
    """One line per number above its plausible range (module docstring) in a scenario tree
    (``Scenario.model_dump(mode="python")``, or a file's raw mapping: what is not a number
    is left to the schema). Triggers and the ensemble are checked by their own rules (its
    members as whole scenarios); a change by its operand."""
    problems = []
    skip = ("changes", "triggers", "ensemble", "calibration")
    for section, value in tree.items():
        if section in skip:
            continue
        for path, number in numbers(value, section):
            high, unit = ceiling(path)
            if abs(number) > high:
                problems.append(_too_large(path, number, high, unit))
    changes = tree.get("changes")
    for i, change in enumerate(changes if isinstance(changes, list) else []):
        if not isinstance(change, dict) or not isinstance(change.get("field"), str):
            continue  # the schema says what is wrong with it
        for how in ("set", "add", "multiply"):
            number = change.get(how)
            if not isinstance(number, int | float) or isinstance(number, bool):
                continue
            high, unit = (MULTIPLIER, "times") if how == "multiply" else ceiling(change["field"])
            if abs(number) > high:
                problems.append(_too_large(f"changes.{i}.{how}", number, high, unit))
    start, end = tree.get("start_date"), tree.get("end_date")
    dated = isinstance(start, dt.date) and isinstance(end, dt.date)
    if dated and (end - start).days > RUN_YEARS * 366:
        problems.append(f"end_date: expected a run of at most {RUN_YEARS} years, got {end}")
    return problems
