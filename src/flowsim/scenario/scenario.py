"""A complete scenario, the schema of a flowsim YAML file, and the checks that span its
sections (a centre named in the initial state exists, officers still learning are among
the officers, ...)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cached_property
from pathlib import Path

from pydantic import (
    Field,
    model_validator,
)

from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.scenario.calibration import Calibration, Ensemble, apply_values
from flowsim.scenario.changes import Change, Trigger
from flowsim.scenario.errors import abbrev
from flowsim.scenario.fields import Label, Strict
from flowsim.scenario.initial_state import InitialState
from flowsim.scenario.profiles import Profiles
from flowsim.scenario.run_days import RunDays
from flowsim.scenario.sections import (
    Call,
    Cgrs,
    ImmigrationOffice,
    Inflow,
    Municipalities,
    Reception,
    Resettlement,
    Returns,
    StatusHolders,
    TemporaryProtection,
)


class Scenario(Strict):
    """A complete scenario: the schema of a flowsim YAML file."""

    name: Label  # letters, digits, '.', '_' or '-': names the results folder
    description: str = ""  # what the scenario is for, in words
    start_date: dt.date  # first day simulated
    end_date: dt.date  # last day simulated
    profiles: Profiles
    inflow: Inflow
    immigration_office: ImmigrationOffice
    reception: Reception
    cgrs: Cgrs
    call: Call
    municipalities: Municipalities
    status_holders: StatusHolders = Field(default_factory=StatusHolders)
    returns: Returns = Field(default_factory=Returns)
    resettlement: Resettlement = Field(default_factory=Resettlement)
    temporary_protection: TemporaryProtection = Field(default_factory=TemporaryProtection)
    initial_state: InitialState = Field(default_factory=InitialState)
    changes: list[Change] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    calibration: Calibration | None = None  # for flowsim calibrate; ignored by flowsim run
    ensemble: Ensemble | None = None  # parameter sets of a calibrated model, by replication

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        from flowsim.scenario.ranges import range_problems

        problems = range_problems(self.model_dump(mode="python"))
        if self.end_date < self.start_date:
            problems.append("end_date: expected a date on or after start_date")
        missing = [m for m in self.months() if m not in self.inflow.monthly_persons]
        if missing:
            problems.append(
                f"inflow.monthly_persons: expected a value for every month of the run, "
                f"missing {abbrev(missing)}"
            )
        for i, change in enumerate(self.changes):
            if not self.start_date <= change.date <= self.end_date:
                problems.append(
                    f"changes.{i}.date: expected a date within the run "
                    f"({self.start_date} to {self.end_date}), got {change.date}"
                )
        for name in self.initial_state.in_reception_persons:
            if name not in self.reception.centres:
                problems.append(
                    f"initial_state.in_reception_persons.{name}: expected a centre name, "
                    f"one of {sorted(self.reception.centres)}"
                )
        init = self.initial_state
        problems += init.residents_problems()
        learning = init.cgrs_officers_in_hiring_lag_fte + init.cgrs_officers_in_ramp_fte
        if learning > self.cgrs.case_officers_fte:
            problems.append(
                f"initial_state.cgrs_officers_in_hiring_lag_fte + cgrs_officers_in_ramp_fte: "
                f"expected at most the case officers (cgrs.case_officers_fte = "
                f"{self.cgrs.case_officers_fte:g}), got {learning:g}"
            )
        if init.cgrs_officers_ramp_days_left > self.cgrs.new_officer_ramp_days:
            problems.append(
                f"initial_state.cgrs_officers_ramp_days_left: expected at most the ramp "
                f"(cgrs.new_officer_ramp_days = {self.cgrs.new_officer_ramp_days:g}), got "
                f"{init.cgrs_officers_ramp_days_left:g}"
            )
        crisis = self.temporary_protection.crisis_housing_places
        if init.tp_in_crisis_housing_persons > crisis:
            problems.append(
                f"initial_state.tp_in_crisis_housing_persons: expected at most the crisis "
                f"housing places (temporary_protection.crisis_housing_places = {crisis:g}), got "
                f"{init.tp_in_crisis_housing_persons:g}"
            )
        for name, persons in self.initial_state.in_reception_persons.items():
            places = self.reception.centres.get(name)
            if places is not None and places.reserved_for and persons > 0:
                problems.append(
                    f"initial_state.in_reception_persons.{name}: expected no residents on the "
                    f"start date in places reserved for {places.reserved_for} refugees, "
                    f"got {persons:g}"
                )
            if places is not None and persons > places.places:
                problems.append(
                    f"initial_state.in_reception_persons.{name}: expected at most the centre's "
                    f"{places.places:g} places, got {persons:g}"
                )
        group = self.resettlement.nationality_group
        if group is not None and group not in self.profiles.nationality_groups:
            problems.append(
                f"resettlement.nationality_group: expected one of "
                f"{sorted(self.profiles.nationality_groups)}, got {group!r}"
            )
        for i, group in enumerate(self.cgrs.suspended_groups):
            if group not in self.profiles.nationality_groups:
                problems.append(
                    f"cgrs.suspended_groups.{i}: expected one of "
                    f"{sorted(self.profiles.nationality_groups)}, got {group!r}"
                )
        order = self.cgrs.prioritisation.order
        known = set(self.profiles.nationality_groups) | set(HOUSEHOLD_TYPES) | {"vulnerable"}
        for i, entry in enumerate(order):
            if entry not in known:
                problems.append(
                    f"cgrs.prioritisation.order.{i}: expected a nationality group, household "
                    f"type or 'vulnerable', got {entry!r}"
                )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def days(self) -> int:
        """Number of simulated days, start and end dates included."""
        return (self.end_date - self.start_date).days + 1

    def months(self) -> list[str]:
        """The calendar months (``YYYY-MM``) the run touches, in order."""
        out, year, month = [], self.start_date.year, self.start_date.month
        while (year, month) <= (self.end_date.year, self.end_date.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    @cached_property
    def run_days(self) -> RunDays:
        """The calendar of the run's days (dates, months, month lengths), computed once per
        scenario and shared by its replications."""
        return RunDays.of(self.start_date, self.days)

    def day_of(self, date: dt.date) -> int:
        """Day index of a date (0 = start_date)."""
        return (date - self.start_date).days

    def config_hash(self) -> str:
        """SHA-256 of the resolved scenario (stable across runs and machines).

        A data file the scenario names (``municipalities.table_file``) counts by its
        contents, not its path: a moved checkout keeps the hash (and a sweep's run ids, so
        ``--resume`` reruns nothing), an edited file changes it.
        """
        resolved = self.model_dump(mode="json")
        table = resolved["municipalities"]["table_file"]
        if table is not None:
            resolved["municipalities"]["table_file"] = _contents_digest(Path(table))
        text = json.dumps(resolved, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def member(self, replication: int) -> Scenario:
        """The scenario that replication ``replication`` (0, 1, ...) runs: this one with
        ensemble member ``replication`` modulo the number of members applied
        (:func:`apply_values`) and no ensemble; this scenario itself when it has none."""
        if self.ensemble is None:
            return self
        members = self.ensemble.members
        tree = self.model_dump(mode="python")
        tree["ensemble"] = None
        apply_values(tree, members[replication % len(members)])
        return Scenario.model_validate(tree)


def _contents_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes; the path itself if it cannot be read (the run
    will then stop with the file's name when it needs it)."""
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return str(path)
