"""Scenario configuration: the YAML schema, loading, and dated changes.

A scenario file describes Belgium's protection system on a start date and how its capacities
and rates change over time. Everything is validated before anything runs; every problem is
reported as one line naming the file, the field path and what was expected
(:class:`ConfigError`).

Units are in field names: ``_persons``, ``_places``, ``_days``, ``_per_month``, ``_eur``;
shares are fractions between 0 and 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import json
import os
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

HOUSEHOLD_TYPES = ("single_man", "single_woman", "family", "unaccompanied_minor")
CENTRE_TYPES = ("collective", "lri", "emergency", "private_operator", "convention")
SHARE_TOLERANCE = 1e-6
DAYS_PER_MONTH = 365.25 / 12  # days in an average calendar month

# Numbers are strict (a YAML `yes` or a quoted "120" is not a number) and finite.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0, strict=True, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, strict=True, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, strict=True, allow_inf_nan=False)]
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _check_months(value: dict[str, float]) -> dict[str, float]:
    bad = [key for key in value if not MONTH.match(str(key))]
    if bad:
        raise ValueError(f"expected months as YYYY-MM, got {_abbrev([repr(b) for b in bad])}")
    return value


# Persons per calendar month, keyed YYYY-MM.
MonthlyPersons = Annotated[dict[str, NonNegative], AfterValidator(_check_months)]

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_label(value: str) -> str:
    """``value`` if it is a label (a scenario's or an experiment's ``name``: it names the
    default results folder, ``results/<name>/``, so it is never a path); else ValueError."""
    if not isinstance(value, str) or not LABEL.match(value):
        raise ValueError(
            "expected a label: letters, digits, '.', '_' or '-', starting with a letter or "
            f"a digit, at most 100 characters (not a path), got {value!r}"
        )
    return value


# A name that is only a label, never a path (results go where --out says, or results/<name>).
Label = Annotated[str, Field(strict=True), AfterValidator(check_label)]


class ConfigError(Exception):
    """A scenario file that cannot be run; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --- applicant profiles -------------------------------------------------------------------


class CgrsOutcomes(_Strict):
    """Shares of CGRS first-instance decisions (per case) by outcome; they sum to 1."""

    refugee_status: Share  # share granted refugee status
    subsidiary_protection: Share  # share granted subsidiary protection
    refusal: Share  # share refused on the merits
    inadmissible: Share  # share declared inadmissible

    @model_validator(mode="after")
    def _sum_to_one(self) -> CgrsOutcomes:
        _check_sum(self.model_dump(), "CGRS outcome shares")
        return self


class NationalityGroup(_Strict):
    """A group of nationalities with its own share of applicants and protection rate."""

    inflow_share: Share  # share of applicants (persons)
    cgrs_outcomes: CgrsOutcomes
    case_effort: Positive = 1.0  # officer effort per case relative to an average case


class HouseholdType(_Strict):
    """A household type: its share of applicants (persons) and its mean size (persons)."""

    inflow_share: Share  # share of applicants (persons)
    # mean persons per case (1 but for families)
    mean_size_persons: Annotated[
        float, Field(ge=1.0, le=15.0, strict=True, allow_inf_nan=False)
    ] = 1.0


class HouseholdTypes(_Strict):
    single_man: HouseholdType
    single_woman: HouseholdType
    family: HouseholdType
    unaccompanied_minor: HouseholdType

    @model_validator(mode="after")
    def _sum_to_one(self) -> HouseholdTypes:
        _check_sum({k: getattr(self, k).inflow_share for k in HOUSEHOLD_TYPES}, "inflow_share")
        problems = [
            f"@{name}.mean_size_persons: expected 1 (one person per {name} case), "
            f"got {getattr(self, name).mean_size_persons:g}"
            for name in HOUSEHOLD_TYPES
            if name != "family" and getattr(self, name).mean_size_persons != 1.0
        ]
        if self.family.mean_size_persons < 2.0:
            problems.append(
                f"@family.mean_size_persons: expected at least 2 persons, "
                f"got {self.family.mean_size_persons:g}"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Profiles(_Strict):
    """Who applies: nationality groups x household types x vulnerability."""

    nationality_groups: dict[str, NationalityGroup] = Field(min_length=1)
    household_types: HouseholdTypes  # share and size of each household type
    vulnerable_share: Share  # share of cases with a recognised vulnerability

    @model_validator(mode="after")
    def _groups_sum_to_one(self) -> Profiles:
        shares = {k: g.inflow_share for k, g in self.nationality_groups.items()}
        try:
            _check_sum(shares, "inflow_share")
        except ValueError as err:
            raise ValueError(f"@nationality_groups: {err}") from None
        clash = set(self.nationality_groups) & (set(HOUSEHOLD_TYPES) | {"vulnerable"})
        if clash:
            raise ValueError(
                f"@nationality_groups: expected names other than household types and "
                f"'vulnerable', got {sorted(clash)}"
            )
        return self


# --- flows and institutions ---------------------------------------------------------------


class Inflow(_Strict):
    """Applications for international protection (persons per calendar month).

    ``monthly_persons`` maps ``YYYY-MM`` to persons applying for the first time (every month
    of the run); or ``monthly_persons_file`` names a CSV file with columns ``month,persons``
    (relative to the scenario file). ``subsequent_monthly_persons`` (or ``..._file``) are
    subsequent applications of people the run did not refuse (refused before its start, or
    re-applying from outside it), lodged with the CGRS without a Dublin check; months not
    given have none. The model adds the subsequent applications of people it refused itself
    (``returns.subsequent_application_share``).
    """

    # first applications by month (YYYY-MM: persons)
    monthly_persons: MonthlyPersons = Field(default_factory=dict)
    monthly_persons_file: str | None = None  # or a CSV month,persons (relative to this file)
    scale: NonNegative = 1.0  # multiplier on the first applications, for sweeps and changes
    # subsequent applications from outside the run by month
    subsequent_monthly_persons: MonthlyPersons = Field(default_factory=dict)
    # or a CSV month,persons (relative to this file)
    subsequent_monthly_persons_file: str | None = None


class ImmigrationOffice(_Strict):
    """Registration at the Arrival Centre and the Dublin procedure (EU Regulation 604/2013).

    A registered first application becomes a Dublin case with ``dublin_share``: a request is
    sent to another state, which replies (silence counts as acceptance); an accepted case
    waits for a transfer (a capacity, first accepted first) while its transfer window is
    open, may abscond (the window then runs to ``dublin_absconded_window_days``), and when the
    window closes without a transfer Belgium becomes responsible and lodges the case with the
    CGRS. A refused request makes Belgium responsible at once.

    The Office sends a file to the CGRS the day it is ready, unless its capacity to send
    files binds (``transmission_limit_in_force``, a dated input): files then wait, first
    ready first sent, within ``transmissions_persons_per_month``, and their applicants, still
    entitled to reception, may leave before theirs is sent
    (``leave_before_transmission_per_month``).
    """

    registration_capacity_persons_per_day: NonNegative  # applications registered a day
    dublin_share: Share  # share of registered first applications with a Dublin request
    # days from registration to the request (law: within three months, two after a Eurodac hit)
    dublin_request_days: NonNegative = 30
    # days from the request to the reply (law: one month for a take-back request, two weeks
    # after a Eurodac hit, two months for a take-charge request; silence is acceptance)
    dublin_reply_days: NonNegative = 30
    dublin_acceptance_share: Share  # requests accepted (explicitly or by silence)
    dublin_transfers_persons_per_month: NonNegative  # transfers the Office can carry out
    dublin_transfer_window_days: NonNegative = 183  # law: six months from acceptance
    dublin_abscond_per_month: Share = 0.0  # share of accepted cases absconding per month
    dublin_absconded_window_days: NonNegative = 548  # law: eighteen months from acceptance
    # share of absconders who reappear when their extended window closes (Belgium is then
    # responsible: lodged with the CGRS, entitled to a place again); the others have left
    dublin_absconded_return_share: Share = 0.0
    # 1 while COVID-19 travel restrictions hold people where they are (a dated input), 0
    # otherwise; absconding is then restricted_abscond_share of its normal rate
    travel_restrictions_in_force: Share = 0.0
    restricted_abscond_share: Share = 1.0  # absconding under those restrictions, share of normal
    # 1 while the Office's capacity to send files to the CGRS binds (a dated input), 0 while
    # it sends every file the day it is ready
    transmission_limit_in_force: Share = 0.0
    transmissions_persons_per_month: NonNegative = 0.0  # files sent while the limit binds
    # share of applicants waiting for their file to be sent who leave per month (they leave
    # reception and the procedure: the file never reaches the CGRS)
    leave_before_transmission_per_month: Share = 0.0


class Centre(_Strict):
    """A Fedasil reception centre (or a network of centres run alike)."""

    # the kind of place (sets its region rules and cost)
    type: Literal["collective", "lri", "emergency", "private_operator", "convention"]
    places: NonNegative  # capacity (places = persons)
    cost_eur_per_night: NonNegative  # euros per occupied place per night
    region: Literal["flanders", "wallonia", "brussels"] | None = None  # None: several regions
    # "resettled": places that partner municipalities keep for resettled refugees after their
    # centre stay; Fedasil does not dispatch applicants there.
    reserved_for: Literal["resettled"] | None = None


class Dispatch(_Strict):
    """Fedasil's dispatching rule: who gets a place first when the network is full."""

    # household types in the order served
    priority: list[Literal["single_man", "single_woman", "family", "unaccompanied_minor"]] = Field(
        default_factory=lambda: ["unaccompanied_minor", "family", "single_woman", "single_man"]
    )
    vulnerable_first: bool = True  # within a type, vulnerable cases first

    @field_validator("priority")
    @classmethod
    def _all_types_once(cls, value: list[str]) -> list[str]:
        if sorted(value) != sorted(HOUSEHOLD_TYPES):
            raise ValueError(f"expected each of {list(HOUSEHOLD_TYPES)} exactly once")
        return value


class Reception(_Strict):
    """The reception network and how residents leave it on their own."""

    centres: dict[str, Centre] = Field(min_length=1)
    dispatch: Dispatch = Field(default_factory=Dispatch)
    # Share of registered applicants who ask Fedasil for a place; the others live privately
    # from registration on (with family or by their own means, or not designated a place).
    place_request_share: Share = 1.0
    leave_to_private_housing_per_month: Share  # share of residents leaving per month
    abscond_per_month: Share  # share of residents disappearing per month
    # Lifting "code 207" (the assigned place) for residents who work: the extra share of
    # residents per month who then leave for housing of their own (0: code 207 applies).
    code_207_lifted_leave_per_month: Share = 0.0
    # Share of each open centre's places Fedasil can fill: the rest stay empty (rooms kept for
    # whole families or one sex, repairs, quarantine). New residents are placed only below
    # it; nobody is moved out to reach it. 1: every place can be filled.
    usable_place_share: Share = 1.0


class Prioritisation(_Strict):
    """Which pending cases the CGRS decides first."""

    # which pending case an officer takes next
    rule: Literal["fifo", "shortest_expected_first", "profile"] = "fifo"
    order: list[str] = Field(default_factory=list)  # for rule 'profile': groups/types first

    @model_validator(mode="after")
    def _order_given(self) -> Prioritisation:
        if self.rule == "profile" and not self.order:
            raise ValueError("rule 'profile' needs a non-empty 'order'")
        return self


class Cgrs(_Strict):
    """The CGRS: first-instance decisions."""

    case_officers_fte: NonNegative  # protection officers (full-time equivalents)
    hiring_lag_days: NonNegative  # days before a newly hired officer decides cases
    # after the lag, a new officer's output grows linearly from nothing to a full officer's
    # over these days (0: full output at once)
    new_officer_ramp_days: NonNegative = 0
    decisions_per_officer_per_month: NonNegative  # cases
    # Sanitary restrictions on interviews (distancing, fewer rooms, remote hearings): the share
    # of the CGRS's work done under them (0-1, set by dated changes) and an officer's output
    # under them as a share of normal output (1: no effect).
    restrictions_in_force: Share = 0.0
    restricted_output_share: Share = 1.0  # an officer's output under them, share of normal
    prioritisation: Prioritisation = Field(default_factory=Prioritisation)
    # Applications withdrawn or abandoned (explicitly or implicitly) while pending: share of
    # pending persons per month, drawn when the case is lodged with that day's share.
    withdrawals_per_month: Share = 0.0
    # Long-stay measure ("status or exit"): cases pending longer than this many days since
    # lodging are decided before any other, oldest first. 0: no such measure.
    long_stay_first_days: NonNegative = 0
    # Subsequent applications are examined first (their admissibility, by law within days):
    # the share declared inadmissible (no new element) then; the others are decided as any
    # application of their profile.
    subsequent_inadmissible_share: Share = 0.0
    # Recognition rates: every nationality group's share of positive decisions (refugee status
    # and subsidiary protection) multiplied by this, capped at 1; refusals and inadmissibility
    # take the rest in their proportions. 1: the groups' shares as given (an uncertainty).
    protection_rate_scale: NonNegative = 1.0


class CallOutcomes(_Strict):
    """Shares of CALL judgments by outcome; they sum to 1."""

    confirm: Share  # share of appeals rejected (the refusal stands)
    annul: Share  # back to the CGRS for a new decision
    reform: Share  # protection granted by CALL

    @model_validator(mode="after")
    def _sum_to_one(self) -> CallOutcomes:
        _check_sum(self.model_dump(), "CALL outcome shares")
        return self


class Call(_Strict):
    """The Council for Alien Law Litigation: appeals against CGRS refusals."""

    appeal_share_refusal: Share  # share of refusals appealed at CALL
    appeal_share_inadmissible: Share  # share of inadmissibility decisions appealed
    decisions_per_month: NonNegative  # cases
    outcomes: CallOutcomes


class Municipalities(_Strict):
    """Housing found for status holders through the municipalities (OCMW/CPAS)."""

    housing_persons_per_month: NonNegative  # national total, persons housed per month
    distribution_key: Literal["population", "equal"] = "population"  # share per municipality
    table_file: str | None = None  # optional CSV: nis,housing_persons_per_month
    unused_housing_kept_months: Positive = 3.0  # supply not taken is kept this long at most


class ReintegrationPackage(_Strict):
    """Assisted voluntary return and reintegration support (euros)."""

    adult_eur: NonNegative = 700  # reintegration support per adult (euros)
    accompanied_minor_eur: NonNegative = 350  # reintegration support per accompanied minor (euros)
    case_top_up_eur: NonNegative = 0  # enhanced projects: +1,500 per case
    vulnerable_top_up_eur: NonNegative = 500  # per vulnerable case


class Returns(_Strict):
    """After a final negative outcome: open return place, counselling, return or stay."""

    open_return_place_days: NonNegative = 30  # stay in reception after the order to leave
    counsellors_fte: NonNegative = 50  # return counsellors (full-time equivalents)
    cases_per_counsellor_per_month: NonNegative = 8  # cases a counsellor follows a month
    avr_uptake_counselled: Share = 0.2  # share accepting AVR with the reference package
    avr_uptake_not_counselled: Share = 0.05  # share leaving with AVR without counselling
    package: ReintegrationPackage = Field(default_factory=ReintegrationPackage)
    reference_package_eur_per_person: Positive = 700  # uptake shares hold at this package
    package_elasticity: NonNegative = 0.5  # uptake x (package / reference) ** elasticity
    subsequent_application_share: Share = 0.1  # share lodging a subsequent application
    removals_persons_per_month: NonNegative = 200  # forced returns the Immigration Office can do
    removal_window_days: NonNegative = 180  # not removed by then: irregular stay
    # ICAM coaches (Immigration Office) guide people on the removal list, outside reception,
    # towards return or legal stay.
    icam_coaches_fte: NonNegative = 0
    icam_cases_per_coach_per_month: NonNegative = 4  # cases an ICAM coach follows a month
    icam_return_share: Share = 0.2  # coached cases returning with AVR and its package
    icam_legal_stay_share: Share = 0.1  # coached cases obtaining a right to stay

    @model_validator(mode="after")
    def _shares(self) -> Returns:
        most = max(self.avr_uptake_counselled, self.avr_uptake_not_counselled)
        if most + self.subsequent_application_share > 1.0 + SHARE_TOLERANCE:
            raise ValueError(
                f"@subsequent_application_share: expected at most 1 minus the AVR uptake "
                f"({1.0 - most:g}), got {self.subsequent_application_share:g}"
            )
        if self.icam_return_share + self.icam_legal_stay_share > 1.0 + SHARE_TOLERANCE:
            raise ValueError(
                f"@icam_legal_stay_share: expected at most 1 minus icam_return_share "
                f"({1.0 - self.icam_return_share:g}), got {self.icam_legal_stay_share:g}"
            )
        return self


class Resettlement(_Strict):
    """Refugees selected abroad: yearly pledges, CGRS selection missions, IOM transfers."""

    pledges_persons: dict[int, NonNegative] = Field(default_factory=dict)  # calendar year
    selection_persons_per_month: NonNegative = 0  # CGRS selection missions; 0: suspended
    transfer_persons_per_month: NonNegative = 0  # IOM transfer capacity
    nationality_group: str | None = None  # profile of resettled refugees (default: first)
    family_share: Share = 0.7  # share of resettled persons who come as families
    centre_stay_days: NonNegative = 42  # in a reception centre before looking for housing


class TemporaryProtection(_Strict):
    """People fleeing Ukraine: registration, emergency reception, crisis and sustainable
    housing in the municipalities (competing with status holders), departures."""

    monthly_persons: MonthlyPersons = Field(default_factory=dict)  # months not given: 0
    family_share: Share = 0.75  # share of persons who come as families (mostly women, children)
    emergency_nights: NonNegative = 2  # nights in emergency reception at least
    crisis_housing_places: NonNegative = 0  # municipalities' crisis housing, national (persons)
    own_housing_per_month: Share = 0.3  # share finding housing themselves (hosts, rent) a month
    departures_per_month: Share = 0.02  # share leaving Belgium per month


MUNICIPAL_TABLE_COLUMNS = ("housing_persons_per_month",)


class StatusHolders(_Strict):
    """What happens after protection is granted to a resident of the reception network."""

    transition_period_days: NonNegative = 60  # by law: two months to find housing
    max_stay_days: NonNegative = 240  # after this they leave reception, housed or not

    @model_validator(mode="after")
    def _ordered(self) -> StatusHolders:
        if self.max_stay_days < self.transition_period_days:
            raise ValueError(
                f"@max_stay_days: expected at least transition_period_days "
                f"({self.transition_period_days:g}), got {self.max_stay_days:g}"
            )
        return self


class InitialState(_Strict):
    """The system as it stood on the start date (persons; days where the name says so).

    Who lives in reception (``in_reception_persons``: the residents, by centre): everyone of
    the groups in :attr:`RESIDENT_FIELDS`; the groups in :attr:`PLACE_FILLING_FIELDS` fill the
    other places, and of those not placed the most recently lodged (or most recently in their
    Dublin step) are the waiting list (``without_reception_persons``), the others live
    privately (:func:`flowsim.institutions.reception.place_initial_residents`). The clocks of Dublin cases
    and orders to leave are spread evenly over the legal terms of the start date (the named
    fields of ``immigration_office`` and ``returns``).
    """

    # every person of these groups lives in reception on the start date
    RESIDENT_FIELDS: ClassVar[tuple[str, ...]] = (
        "status_holders_in_reception_persons",
        "order_to_leave_in_reception_persons",
    )
    # these fill the places left; the others of them wait for a place or live privately
    PLACE_FILLING_FIELDS: ClassVar[tuple[str, ...]] = (
        "pending_cgrs_persons",
        "pending_call_persons",
        "dublin_requested_persons",
        "dublin_accepted_persons",
        "awaiting_transmission_persons",
    )

    pending_cgrs_persons: NonNegative = 0  # persons pending at the CGRS on the start date
    pending_cgrs_max_waited_days: NonNegative = 0  # waits so far spread evenly up to this
    pending_call_persons: NonNegative = 0  # persons with an appeal pending at CALL
    pending_call_max_waited_days: NonNegative = 0  # their waits so far, spread evenly up to this
    status_holders_in_reception_persons: NonNegative = 0  # granted, still in a centre
    status_holders_max_days_since_status: NonNegative = 0  # spread evenly up to this
    in_reception_persons: dict[str, NonNegative] = Field(default_factory=dict)  # by centre
    # pending persons entitled to a place but without one (the waiting list): the most recently
    # lodged of those not placed; the other pending persons not placed live privately
    without_reception_persons: NonNegative = 0
    # people under temporary protection on the start date, by where they live (persons)
    tp_in_emergency_persons: NonNegative = 0  # emergency reception, waiting for crisis housing
    tp_in_crisis_housing_persons: NonNegative = 0  # a municipality's crisis housing
    tp_in_sustainable_housing_persons: NonNegative = 0  # housed (hosts, rent, municipality)
    # Dublin cases: request sent (or being prepared) and no reply yet; replies due evenly
    # over the next immigration_office.dublin_reply_days
    dublin_requested_persons: NonNegative = 0
    # accepted, transfer window open (accepted evenly over the last
    # dublin_transfer_window_days, so the windows close over the run's first months)
    dublin_accepted_persons: NonNegative = 0
    # absconded after acceptance (no housing); extended windows close evenly over the next
    # dublin_absconded_window_days - dublin_transfer_window_days (at least one day)
    dublin_absconded_persons: NonNegative = 0
    # registered, their files not yet sent to the CGRS by the Immigration Office (while its
    # capacity to send them binds); sent first, in a random order
    awaiting_transmission_persons: NonNegative = 0
    # orders to leave (final negative outcome): in an open return place, return decisions due
    # evenly over the next returns.open_return_place_days
    order_to_leave_in_reception_persons: NonNegative = 0
    # on the removal list (private housing), removal windows ending evenly over the next
    # returns.removal_window_days
    order_to_leave_removal_list_persons: NonNegative = 0
    # CGRS officers hired before the start date and not yet at a full officer's output (part
    # of cgrs.case_officers_fte): those still in their hiring lag (FTE, and the FTE-weighted
    # days until they start deciding) and those in their ramp (cgrs.new_officer_ramp_days:
    # FTE, and the FTE-weighted days until they reach full output)
    cgrs_officers_in_hiring_lag_fte: NonNegative = 0
    cgrs_officers_hiring_lag_days_left: NonNegative = 0  # days before officers hired decide
    cgrs_officers_in_ramp_fte: NonNegative = 0  # officers still learning on the start date (FTE)
    cgrs_officers_ramp_days_left: NonNegative = 0  # days left of their ramp to full output

    def persons_of(self, fields: tuple[str, ...]) -> float:
        """Persons of the named groups."""
        return sum(getattr(self, name) for name in fields)

    def residents_problems(self) -> list[str]:
        """One line per way the residents, the waiting list and the groups living in
        reception contradict each other (the rule in the class docstring)."""
        problems = []
        placed = sum(self.in_reception_persons.values())
        residents = self.persons_of(self.RESIDENT_FIELDS)
        filling = self.persons_of(self.PLACE_FILLING_FIELDS)
        if placed > residents + filling:
            problems.append(
                f"initial_state.in_reception_persons: expected at most the persons who can live "
                f"in reception (pending at the CGRS or CALL, Dublin requested or accepted, status "
                f"holders and orders to leave in reception: {residents + filling:g}), got "
                f"{placed:g}"
            )
        unplaced = max(filling - (placed - residents), 0)
        if self.without_reception_persons > unplaced:
            problems.append(
                f"initial_state.without_reception_persons: expected at most the pending persons "
                f"and Dublin cases (requested or accepted) not in reception ({unplaced:g}), got "
                f"{self.without_reception_persons:g}"
            )
        status = self.status_holders_in_reception_persons
        if status > placed:
            problems.append(
                f"initial_state.status_holders_in_reception_persons: expected at most the "
                f"persons in reception ({placed:g}), got {status:g}"
            )
        elif residents > placed:
            problems.append(
                f"initial_state.order_to_leave_in_reception_persons: expected at most the "
                f"persons in reception less the status holders there ({placed - status:g}), "
                f"got {self.order_to_leave_in_reception_persons:g}"
            )
        return problems


class Operation(_Strict):
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


class Condition(_Strict):
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


class Trigger(_Strict):
    """A policy rule fired by the state of the system, e.g. buffer places opened when the
    network stays full, closed again when it stays below a threshold."""

    name: str  # a name for the trigger's events
    when: Condition
    then: Action
    until: Condition | None = None  # reverse the action once this holds after it took effect
    once: bool = False  # fire at most once in a run


# --- calibration: which fields are fitted to observed data, and how ------------------------


class ParameterRange(_Strict):
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


class ClusterOptions(_Strict):
    """Options of a SLURM or PBS cluster (dask-jobqueue keyword arguments), by kind."""

    slurm: dict[str, Any] | None = None  # dask-jobqueue SLURMCluster keywords
    pbs: dict[str, Any] | None = None  # dask-jobqueue PBSCluster keywords


class Calibration(_Strict):
    """Fields fitted to the observed figures by ``flowsim calibrate`` (optional section).

    A key of ``parameters`` is a changeable field (its value from the start date) or
    ``field@YYYY-MM-DD``: the field's value from that date on, applied as a dated ``set``
    change (:func:`calibrated_parameter`), e.g. a CGRS productivity per period. ``series`` are
    the observed model series fitted (outcomes of the fit split; see flowsim.validation.calibration for
    the likelihood). The calibration moves a sample of ``particles`` parameter sets from the
    prior to the posterior (sequential Monte Carlo with tempering and Metropolis moves: at
    most ``rounds`` rounds of simulations, each set run ``replications`` times a round); it
    keeps ``members`` sets of the posterior sample as the ensemble of the fitted model.
    """

    parameters: dict[str, ParameterRange] = Field(min_length=1)  # parameter key -> prior
    series: list[str] = Field(min_length=1)  # observed model series (or derived rates) fitted
    error_floor: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 0.02  # relative error
    particles: Annotated[int, Field(ge=4, strict=True)] = 100  # parameter sets in the sample
    rounds: Annotated[int, Field(ge=1, strict=True)] = 36  # rounds of simulations, at most
    replications: Annotated[int, Field(ge=1, strict=True)] = 2  # runs per set, common seeds
    members: Annotated[int, Field(ge=1, strict=True)] = 40  # ensemble kept for forecasts
    seed: Annotated[int, Field(ge=0, strict=True)] = 0  # sampler and replication seeds
    cluster: ClusterOptions = Field(default_factory=ClusterOptions)


class ModelError(_Strict):
    """What the calibrated model misses on one observed series at its best parameters: the
    scale of the log error (relative, no unit) over the fit's points, and how many years of
    points it rests on (``flowsim calibrate`` writes them to ``errors.csv``)."""

    series: str  # an observed model series
    resolution: str  # day, month, quarter, year or span
    points: Annotated[int, Field(ge=1)]  # observed points of the fit
    effective_points: Annotated[float, Field(gt=0.0)]  # as the likelihood counts them
    scale: Annotated[float, Field(gt=0.0)]  # sqrt(mean squared log error + floor^2)


class Ensemble(_Strict):
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
    # the calibration's error per observed series, for predictive bands (flowsim.validation.predictive);
    # in a scenario file, errors_file names a CSV file with these columns (relative to it)
    errors: list[ModelError] = []


class Scenario(_Strict):
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
                f"missing {_abbrev(missing)}"
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
            _set_path(tree, path, float(value))
        else:
            tree["changes"].append(calibrated_change(path, date, value, FITTED_NOTE))


def _contents_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes; the path itself if it cannot be read (the run
    will then stop with the file's name when it needs it)."""
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return str(path)


# --- dated changes: which fields can change and their value on any day --------------------

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


def _set_path(tree: dict, path: str, value: float) -> None:
    def key_in(node: dict, key: str) -> str | int:
        # mappings keyed by year (resettlement pledges) have integer keys
        return int(key) if key not in node and key.isdigit() and int(key) in node else key

    keys = path.split(".")
    for key in keys[:-1]:
        tree = tree[key_in(tree, key)]
    tree[key_in(tree, keys[-1])] = value


def _unknown_field(where: str, field: str, fields: dict[str, float]) -> str | None:
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
        return [line.split(": ", 1)[1] for line in _format_errors(err, source)]
    return []


def _check_changes(scenario: Scenario, source: str) -> list[str]:
    """Validate every dated change: a known changeable field and a valid resulting value."""
    fields = changeable_fields(scenario)
    problems: list[str] = []
    tree = _base_tree(scenario)
    values = dict(fields)
    ordered = sorted(enumerate(scenario.changes), key=lambda item: (item[1].date, item[0]))
    for i, change in ordered:
        unknown = _unknown_field(f"{source}: changes.{i}.field", change.field, fields)
        if unknown:
            problems.append(unknown)
            continue
        values[change.field] = change.apply(values[change.field])
        _set_path(tree, change.field, values[change.field])
        invalid = _invalid_value(tree, source)
        problems += [
            f"{source}: changes.{i} ({change.date}, {change.field}) gives an invalid value: {line}"
            for line in invalid
        ]
        if invalid:
            _set_path(tree, change.field, fields[change.field])
            values[change.field] = fields[change.field]
    return (
        problems
        + _check_triggers(scenario, source, fields)
        + _check_calibration(scenario, source, fields)
        + _check_ensemble(scenario, source, fields)
    )


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


def _check_calibration(scenario: Scenario, source: str, fields: dict[str, float]) -> list[str]:
    """Validate the calibration section: changeable numeric fields (or such a field from a
    date inside the run on which the scenario does not already change it) whose whole range
    gives a valid value, and observed model series or derived rates."""
    if scenario.calibration is None:
        return []
    from flowsim.engine.series import DERIVED_RATE_NAMES, SERIES_NAMES  # series imports us

    problems: list[str] = []
    for key, bounds in scenario.calibration.parameters.items():
        where = f"{source}: calibration.parameters.{key}"
        path, problem = _check_parameter_key(scenario, where, key, fields)
        if problem:
            problems.append(problem)
            continue
        for end in ("low", "high"):
            tree = _base_tree(scenario)
            _set_path(tree, path, getattr(bounds, end))
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
    unknown = _unknown_field(where, path, fields)
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
                _set_path(tree, path, value)
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
                    for line in _format_errors(err, source)
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
    from flowsim.engine.series import (
        STOCK_NAMES,  # series names depend on the config's centre types
    )

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
        unknown = _unknown_field(where, action.field, fields)
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
        _set_path(tree, action.field, action.apply(fields[action.field]))
        problems += [
            f"{source}: triggers.{i} ({trigger.name}) gives an invalid value: {line}"
            for line in _invalid_value(tree, source)
        ]
    return problems


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


# --- loading ------------------------------------------------------------------------------


def load_config(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raise :class:`ConfigError` on any problem.

    A file may name a ``base`` scenario file (relative to itself) and give only what differs:
    mappings are merged field by field, lists replace the base's, except ``changes``, which
    are added to the base's changes.
    """
    path = Path(path)
    return scenario_from_dict(load_raw_config(path), str(path))


def load_raw_config(path: str | Path) -> dict[str, Any]:
    """A scenario file as a plain dict, its ``base`` files merged in, not yet validated.

    Data files it names (``inflow.monthly_persons_file``, ``municipalities.table_file``) are
    read or resolved to absolute paths, so the dict can be validated from anywhere.
    """
    return _read_with_bases(Path(path), seen=())


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing what a config never means: a key given twice in one
    mapping (YAML keeps the last silently) and a date that is no calendar date."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base loader reports an unhashable key itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a calendar date, got {node.value!r}", node.start_mark
            ) from None


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping (scenario or experiment file); :class:`ConfigError`
    naming the file when it is missing, not UTF-8 text, not YAML (a key twice in a mapping,
    an impossible date, nesting deeper than a config needs included) or not a mapping."""
    source = str(path)
    if not path.is_file():
        raise ConfigError([f"{source}: file not found"])
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            [f"{source}: expected UTF-8 text, byte {err.start} is not (save the file as UTF-8)"]
        ) from None
    try:
        raw = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None)
        what = f": {problem}" if problem and ("duplicate" in problem or "date" in problem) else ""
        raise ConfigError([f"{source}: not valid YAML{where}{what}"]) from None
    except RecursionError:
        raise ConfigError([f"{source}: not valid YAML: nested too deeply"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{source}: expected a mapping of fields at the top level"])
    return raw


def _read_yaml(path: Path) -> dict[str, Any]:
    raw = read_yaml_mapping(path)
    problems = (
        _read_inflow_file(raw, path)
        + _check_municipal_table(raw, path)
        + _read_ensemble_file(raw, path)
    )
    if problems:
        raise ConfigError(problems)
    return raw


def _check_municipal_table(raw: dict[str, Any], path: Path) -> list[str]:
    """Resolve ``municipalities.table_file`` next to the scenario and check its contents."""
    section = raw.get("municipalities")
    if not isinstance(section, dict) or not isinstance(section.get("table_file"), str):
        return []
    from flowsim.scenario.municipalities import load_municipalities, read_capacity_table

    table_path = (path.parent / section["table_file"]).resolve()
    if not table_path.is_file():
        return [
            f"{path}: municipalities.table_file: expected a CSV file with columns "
            f"nis,housing_persons_per_month, not found: {table_path}"
        ]
    try:
        read_capacity_table(table_path, load_municipalities(), MUNICIPAL_TABLE_COLUMNS)
    except ConfigError as err:
        return err.problems
    section["table_file"] = str(table_path)
    return []


def _read_with_bases(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    raw = _read_yaml(path)
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ConfigError([f"{path}: base: expected the path of a scenario file, got {base!r}"])
    base_path = scenario_path(base, path.parent)
    if base_path in seen or base_path == path.resolve():
        raise ConfigError([f"{path}: base: {base} includes itself"])
    if not base_path.is_file():
        raise ConfigError([f"{path}: base: {missing_scenario(base, base_path)}"])
    return merge_override(_read_with_bases(base_path, (*seen, path.resolve())), raw)


def shipped_configs() -> Path:
    """The folder of the shipped scenario files: ``$FLOWSIM_CONFIGS``, else ``configs/`` of
    the checkout flowsim is installed from."""
    folder = os.environ.get("FLOWSIM_CONFIGS")
    return Path(folder) if folder else Path(__file__).resolve().parents[3] / "configs"


def scenario_path(reference: str, folder: Path) -> Path:
    """The scenario file a ``base:`` (or an experiment's scenario) names: a path relative to
    ``folder`` (the file naming it), or, for a bare name such as ``belgium-baseline``, the
    shipped file of that name (:func:`shipped_configs`), so that a file naming it works
    wherever it is copied."""
    here = (folder / reference).resolve()
    bare = "/" not in reference and "\\" not in reference and not reference.endswith(".yaml")
    if here.is_file() or not bare:
        return here
    return (shipped_configs() / f"{reference}.yaml").resolve()


def missing_scenario(reference: str, resolved: Path) -> str:
    """What to say when the scenario file a reference names does not exist: where it was
    looked for and, for a bare name, the shipped names."""
    if resolved.parent == shipped_configs().resolve():
        names = sorted(p.stem for p in shipped_configs().glob("*.yaml"))
        return (
            f"expected a shipped scenario name or a path, {reference!r} is neither "
            f"(shipped: {', '.join(names) or 'none found in ' + str(shipped_configs())})"
        )
    return f"expected a scenario file, not found: {resolved}"


def merge_override(
    base: dict[str, Any], override: dict[str, Any], top: bool = True
) -> dict[str, Any]:
    """``base`` with ``override`` applied: mappings merged, lists replaced, changes added."""
    merged = dict(base)
    for key, value in override.items():
        if top and key == "changes" and isinstance(value, list):
            merged[key] = list(base.get(key) or []) + value
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = merge_override(base[key], value, top=False)
        else:
            merged[key] = value
    return merged


def scenario_from_dict(raw: dict[str, Any], source: str = "<config>") -> Scenario:
    """Validate a scenario given as a dict (as read from YAML); raise :class:`ConfigError`."""
    from flowsim.scenario.ranges import range_problems

    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        # a number out of its range is reported even where a section's own check stopped
        # the validation first (it is often that check's cause)
        lines = _format_errors(err, source)
        named = {line.split(": ", 2)[1] for line in lines if line.count(": ") >= 2}
        extra = [f"{source}: {line}" for line in range_problems(raw)]
        raise ConfigError(lines + [x for x in extra if x.split(": ", 2)[1] not in named]) from None
    problems = _check_changes(scenario, source)
    if problems:
        raise ConfigError(problems)
    return scenario


def _read_inflow_file(raw: dict[str, Any], path: Path) -> list[str]:
    """Read ``inflow.monthly_persons_file`` and ``inflow.subsequent_monthly_persons_file``
    (relative to the scenario) into their mappings."""
    inflow = raw.get("inflow")
    if not isinstance(inflow, dict):
        return []
    problems: list[str] = []
    for field in ("monthly_persons", "subsequent_monthly_persons"):
        if isinstance(inflow.get(f"{field}_file"), str):
            problems += _read_monthly_file(inflow, field, path)
    return problems


def _read_ensemble_file(raw: dict[str, Any], path: Path) -> list[str]:
    """Read ``ensemble.file`` (relative to the scenario; a CSV file with a ``member`` column
    and one column per key, one member per row) into ``ensemble.members``, and
    ``ensemble.errors_file`` (a CSV file with the columns of :class:`ModelError`) into
    ``ensemble.errors``."""
    section = raw.get("ensemble")
    if not isinstance(section, dict):
        return []
    problems = _read_errors_file(section, path)
    if not isinstance(section.get("file"), str):
        return problems
    where = f"{path}: ensemble.file"
    if section.get("members"):
        return [f"{where}: expected either members or file, not both"]
    csv_path = (path.parent / section.pop("file")).resolve()
    if not csv_path.is_file():
        return [f"{where}: expected a CSV file with a member column, not found: {csv_path}"]
    members: list[dict[str, float]] = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "member" not in reader.fieldnames:
            return [f"{where}: expected a member column in {csv_path}"]
        keys = [k for k in reader.fieldnames if k != "member"]
        for line, row in enumerate(reader, start=2):
            try:
                members.append({key: float(row[key]) for key in keys})
            except (ValueError, TypeError):  # not a number, or a short row
                return [f"{where}: expected numbers in every column at {csv_path}:{line}"]
    section["members"] = members
    return problems


def _read_errors_file(section: dict[str, Any], path: Path) -> list[str]:
    """Read ``ensemble.errors_file`` into ``ensemble.errors`` (rows as dicts: the schema
    checks each value)."""
    if not isinstance(section.get("errors_file"), str):
        return []
    where = f"{path}: ensemble.errors_file"
    if section.get("errors"):
        return [f"{where}: expected either errors or errors_file, not both"]
    csv_path = (path.parent / section.pop("errors_file")).resolve()
    columns = list(ModelError.model_fields)
    if not csv_path.is_file():
        return [
            f"{where}: expected a CSV file with columns {','.join(columns)}, not found: {csv_path}"
        ]
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not set(columns) <= set(reader.fieldnames):
            return [f"{where}: expected columns {','.join(columns)} in {csv_path}"]
        section["errors"] = [{key: row[key] for key in columns} for row in reader]
    return []


def _read_monthly_file(inflow: dict[str, Any], field: str, path: Path) -> list[str]:
    """Read ``inflow.<field>_file`` (columns month,persons) into ``inflow.<field>``."""
    where = f"{path}: inflow.{field}_file"
    if inflow.get(field):
        return [f"{where}: expected either {field} or {field}_file, not both"]
    csv_path = (path.parent / inflow.pop(f"{field}_file")).resolve()
    if not csv_path.is_file():
        return [f"{where}: expected a CSV file with columns month,persons, not found: {csv_path}"]
    table: dict[str, float] = {}
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"month", "persons"} <= set(reader.fieldnames):
            return [f"{where}: expected columns month,persons in {csv_path}"]
        for line, row in enumerate(reader, start=2):
            try:
                table[row["month"].strip()] = float(row["persons"])
            except (ValueError, TypeError, AttributeError):  # not a number, or a short row
                return [f"{where}: expected a number of persons at {csv_path}:{line}"]
    inflow[field] = table
    return []


def _check_sum(shares: dict[str, float], what: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"expected {what} to sum to 1, got {total:.6g}")


def _abbrev(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _format_errors(err: ValidationError, source: str) -> list[str]:
    """One line per problem: ``file: field.path: what was expected``."""
    lines: list[str] = []
    for problem in err.errors(include_url=False):
        loc = ".".join(str(part) for part in problem["loc"])
        kind = problem["type"]
        if kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "value_error":
            message = str(problem["ctx"]["error"])
        else:
            message = f"{problem['msg'][0].lower()}{problem['msg'][1:]}"
            if "input" in problem and not isinstance(problem["input"], dict | list):
                message += f", got {problem['input']!r}"
        for part in message.split("\n"):
            if part.startswith("@"):  # a model check naming a field below its own path
                sub, part = part[1:].split(": ", 1)
                where = f"{loc}.{sub}" if loc else sub
                lines.append(f"{source}: {where}: {part}")
            elif not loc:  # whole-scenario checks name their own field path
                lines.append(f"{source}: {part}")
            else:
                lines.append(f"{source}: {loc}: {part}")
    return lines
