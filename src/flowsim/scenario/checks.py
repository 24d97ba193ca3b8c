"""The checks of a scenario's dated parts, run when a file is validated: every dated change,
trigger, calibration parameter and ensemble member names a changeable field (a trigger's
conditions a stock series, a calibration's series an observed one) and gives a valid
scenario."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import (
    ValidationError,
)

from flowsim.engine.series import DERIVED_RATE_NAMES, SERIES_NAMES, STOCK_NAMES
from flowsim.scenario.calibration import calibrated_parameter, set_path
from flowsim.scenario.errors import format_errors
from flowsim.scenario.initial_state import InitialState
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import CHANGEABLE_SECTIONS, changeable_fields


def unknown_field(where: str, field: str, fields: dict[str, float]) -> str | None:
    """The problem line when ``field`` is not a changeable field, else None."""
    if field in fields:
        return None
    close = difflib.get_close_matches(field, list(fields), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"{where}: expected a numeric field of {', '.join(CHANGEABLE_SECTIONS)}, "
        f"got {field!r}{hint}"
    )


def _base_tree(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a dict without changes, triggers or initial state, for re-validation.

    The initial state is checked against the start date's capacities only: a later cut below
    it is a policy (residents are relocated), not a contradiction.
    """
    tree = scenario.model_dump(mode="python")
    tree["changes"], tree["triggers"], tree["initial_state"] = [], [], {}
    tree["ensemble"] = None
    return tree


def _invalid_value(tree: dict[str, Any], source: str) -> list[str]:
    """The problems of a scenario tree after a change (without the file prefix)."""
    try:
        Scenario.model_validate(tree)
    except ValidationError as err:
        return [line.split(": ", 1)[1] for line in format_errors(err, source)]
    return []


def check_changes(scenario: Scenario, source: str) -> list[str]:
    """Validate every dated change: a known changeable field and a valid resulting value."""
    fields = changeable_fields(scenario)
    problems: list[str] = []
    tree = _base_tree(scenario)
    values = dict(fields)
    ordered = sorted(enumerate(scenario.changes), key=lambda item: (item[1].date, item[0]))
    for i, change in ordered:
        unknown = unknown_field(f"{source}: changes.{i}.field", change.field, fields)
        if unknown:
            problems.append(unknown)
            continue
        values[change.field] = change.apply(values[change.field])
        set_path(tree, change.field, values[change.field])
        invalid = _invalid_value(tree, source)
        problems += [
            f"{source}: changes.{i} ({change.date}, {change.field}) gives an invalid value: {line}"
            for line in invalid
        ]
        if invalid:
            set_path(tree, change.field, fields[change.field])
            values[change.field] = fields[change.field]
    return (
        problems
        + _check_triggers(scenario, source, fields)
        + _check_calibration(scenario, source, fields)
        + _check_ensemble(scenario, source, fields)
    )


def _check_calibration(scenario: Scenario, source: str, fields: dict[str, float]) -> list[str]:
    """Validate the calibration section: changeable numeric fields (or such a field from a
    date inside the run on which the scenario does not already change it) whose whole range
    gives a valid value, and observed model series or derived rates."""
    if scenario.calibration is None:
        return []
    problems: list[str] = []
    for key, bounds in scenario.calibration.parameters.items():
        where = f"{source}: calibration.parameters.{key}"
        path, problem = _check_parameter_key(scenario, where, key, fields)
        if problem:
            problems.append(problem)
            continue
        for end in ("low", "high"):
            tree = _base_tree(scenario)
            set_path(tree, path, getattr(bounds, end))
            problems += [
                f"{where}.{end} gives an invalid value: {line}"
                for line in _invalid_value(tree, source)
            ]
    for i, name in enumerate(scenario.calibration.series):
        where = f"{source}: calibration.series.{i}"
        if name not in SERIES_NAMES and name not in DERIVED_RATE_NAMES:
            close = difflib.get_close_matches(name, [*SERIES_NAMES, *DERIVED_RATE_NAMES], n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(f"{where}: expected a model series or derived rate, got {name!r}{hint}")
    return problems


def _check_parameter_key(
    scenario: Scenario, where: str, key: str, fields: dict[str, float]
) -> tuple[str | None, str | None]:
    """(field path, problem) of a calibration parameter or ensemble key: a changeable field,
    or one from a date within the run on which the scenario does not already change it."""
    try:
        path, date = calibrated_parameter(key)
    except ValueError as err:
        return None, f"{where}: {err}"
    unknown = unknown_field(where, path, fields)
    if unknown:
        return None, unknown
    if date is not None and not scenario.start_date < date <= scenario.end_date:
        return None, (
            f"{where}: expected a date after the start date and on or before the end date "
            f"({scenario.start_date} to {scenario.end_date}; from the start date, use "
            f"{path} itself), got {date}"
        )
    clash = [i for i, c in enumerate(scenario.changes) if c.field == path and c.date == date]
    if clash:
        return None, (
            f"{where}: expected a date on which the scenario does not change {path} "
            f"(changes.{clash[0]} does; the fitted value would replace it), got {date}"
        )
    return path, None


def _initial_state_paths(scenario: Scenario) -> set[str]:
    """Every ``initial_state.`` path an ensemble member may set (residents by centre too)."""
    paths = {f"initial_state.{name}" for name in InitialState.model_fields}
    paths.discard("initial_state.in_reception_persons")
    return paths | {
        f"initial_state.in_reception_persons.{name}" for name in scenario.reception.centres
    }


def _check_ensemble(scenario: Scenario, source: str, fields: dict[str, float]) -> list[str]:
    """Validate the ensemble: known keys, and every member's values valid (each member
    resolved and validated once; a dated value checked as the field's value)."""
    if scenario.ensemble is None:
        return []
    problems: list[str] = []
    states = _initial_state_paths(scenario)
    for m, member in enumerate(scenario.ensemble.members):
        where = f"{source}: ensemble.members.{m}"
        ok = True
        for key, value in member.items():
            if key.startswith("initial_state."):
                if key not in states:
                    close = difflib.get_close_matches(key, sorted(states), n=3)
                    hint = f" (did you mean {', '.join(close)}?)" if close else ""
                    problems.append(f"{where}.{key}: expected an initial_state field{hint}")
                    ok = False
                continue
            path, problem = _check_parameter_key(scenario, f"{where}.{key}", key, fields)
            if problem:
                problems.append(problem)
                ok = False
            elif calibrated_parameter(key)[1] is not None:
                tree = _base_tree(scenario)
                set_path(tree, path, value)
                problems += [
                    f"{where}.{key} gives an invalid value: {line}"
                    for line in _invalid_value(tree, source)
                ]
        if ok:
            try:
                scenario.member(m)
            except ValidationError as err:
                problems += [
                    f"{where} gives an invalid scenario: {line.split(': ', 1)[1]}"
                    for line in format_errors(err, source)
                ]
    return problems


# Fields whose effect is computed when the run starts (arrivals, the resettlement pipeline):
# dated changes to them work, changes triggered during the run could not.
DRAWN_AT_START = (
    "inflow.",
    "resettlement.pledges_persons.",
    "resettlement.selection_persons_per_month",
    "resettlement.transfer_persons_per_month",
    "resettlement.family_share",
    "temporary_protection.monthly_persons.",
    "temporary_protection.family_share",
    "temporary_protection.own_housing_per_month",
    "temporary_protection.departures_per_month",
)


def _check_triggers(scenario: Scenario, source: str, fields: dict[str, float]) -> list[str]:
    """Validate every trigger: known series, a changeable field not drawn at the start, and a
    valid value when applied to the start values."""
    problems: list[str] = []
    for i, trigger in enumerate(scenario.triggers):
        for part in ("when", "until"):
            condition = getattr(trigger, part)
            if condition is not None and condition.series not in STOCK_NAMES:
                close = difflib.get_close_matches(condition.series, STOCK_NAMES, n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                problems.append(
                    f"{source}: triggers.{i}.{part}.series: expected a stock series (e.g. "
                    f"occupancy_rate), got {condition.series!r}{hint}"
                )
        action = trigger.then
        where = f"{source}: triggers.{i}.then.field"
        unknown = unknown_field(where, action.field, fields)
        if unknown:
            problems.append(unknown)
            continue
        if action.field.startswith(DRAWN_AT_START):
            problems.append(
                f"{where}: expected a field that can change during the run (arrivals and "
                f"resettlement transfers are drawn when it starts), got {action.field!r}"
            )
            continue
        tree = _base_tree(scenario)
        set_path(tree, action.field, action.apply(fields[action.field]))
        problems += [
            f"{source}: triggers.{i} ({trigger.name}) gives an invalid value: {line}"
            for line in _invalid_value(tree, source)
        ]
    return problems
