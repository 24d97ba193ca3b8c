"""The sections of a scenario for the inflow and each institution: what each can do
(capacities, in persons or cases per month or per day) and at which rates people move on."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.scenario.fields import (
    SHARE_TOLERANCE,
    MonthlyPersons,
    NonNegative,
    Positive,
    Share,
    Strict,
    check_sum,
)


class Inflow(Strict):
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


class ImmigrationOffice(Strict):
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


class Centre(Strict):
    """A Fedasil reception centre (or a network of centres run alike)."""

    # the kind of place (sets its region rules and cost)
    type: Literal["collective", "lri", "emergency", "private_operator", "convention"]
    places: NonNegative  # capacity (places = persons)
    cost_eur_per_night: NonNegative  # euros per occupied place per night
    region: Literal["flanders", "wallonia", "brussels"] | None = None  # None: several regions
    # "resettled": places that partner municipalities keep for resettled refugees after their
    # centre stay; Fedasil does not dispatch applicants there.
    reserved_for: Literal["resettled"] | None = None


class Dispatch(Strict):
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


class Reception(Strict):
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
    # Share of those places kept empty that Fedasil fills while people wait for a place:
    # from the day after someone was left without one (a network under pressure uses the
    # slack it keeps in quiet times): 0, none; 1, all.
    slack_used_when_full: Share = 0.0
    # Share of the people waiting for a place who stop waiting per month: they find housing
    # of their own or with acquaintances (their procedure goes on, living privately). Not
    # on the day they asked: only once Fedasil had no place for them.
    leave_waiting_list_per_month: Share = 0.0
    # 1 while subsequent applicants (a new application after a final refusal) get no place
    # until the CGRS finds their application admissible (the Reception Act, art. 4, lets
    # Fedasil limit their material aid meanwhile); those found admissible who stay in the
    # procedure then ask for one at place_request_share: when taken into consideration
    # (cgrs.subsequent_merits_queued 1) or when appealing a refusal on the merits.
    # 0: they ask for a place at registration, like first applicants.
    subsequent_place_after_admissibility: Share = 0.0


class Prioritisation(Strict):
    """Which pending cases the CGRS decides first."""

    # which pending case an officer takes next
    rule: Literal["fifo", "shortest_expected_first", "profile"] = "fifo"
    order: list[str] = Field(default_factory=list)  # for rule 'profile': groups/types first

    @model_validator(mode="after")
    def _order_given(self) -> Prioritisation:
        if self.rule == "profile" and not self.order:
            raise ValueError("rule 'profile' needs a non-empty 'order'")
        return self


class Cgrs(Strict):
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
    # 1: a subsequent application found admissible is "taken into consideration" and queued
    # behind the pending cases of its profile for a decision on the merits (its applicant
    # is entitled to reception meanwhile while reception.subsequent_place_after_admissibility
    # is 1); the admissibility finding is not counted as a decision. 0: decided on the
    # merits at once, when found admissible.
    subsequent_merits_queued: Share = 0.0
    # Recognition rates: every nationality group's share of positive decisions (refugee status
    # and subsidiary protection) multiplied by this, capped at 1; refusals and inadmissibility
    # take the rest in their proportions. 1: the groups' shares as given (an uncertainty).
    protection_rate_scale: NonNegative = 1.0
    # Decisions suspended for some nationality groups (as the CGRS's "temporary partial
    # suspension" for Afghan applicants from 16 August 2021 to March 2022): while
    # suspension_in_force is 1 (set by dated changes), a case of these groups whose decision
    # would grant subsidiary protection or refuse (or declare a subsequent application
    # inadmissible) is examined, its effort spent, but not decided: it stays pending. When
    # the suspension ends, those cases are decided before any other, in the order they were
    # examined. Refugee status, inadmissibility of first applications and admissibility of
    # subsequent ones are decided as usual.
    suspended_groups: list[str] = Field(default_factory=list)
    # 1 while the suspension of the suspended groups' decisions is in force (dated changes)
    suspension_in_force: Share = 0.0
    # Share of a case's effort spent examining it (the interview) when its decision is held;
    # the rest is spent deciding it once the suspension ends (0.5: an assumption).
    held_examination_effort_share: Share = 0.5


class CallOutcomes(Strict):
    """Shares of CALL judgments by outcome; they sum to 1."""

    confirm: Share  # share of appeals rejected (the refusal stands)
    annul: Share  # back to the CGRS for a new decision
    reform: Share  # protection granted by CALL

    @model_validator(mode="after")
    def _sum_to_one(self) -> CallOutcomes:
        check_sum(self.model_dump(), "CALL outcome shares")
        return self


class Call(Strict):
    """The Council for Alien Law Litigation: appeals against CGRS refusals."""

    appeal_share_refusal: Share  # share of refusals appealed at CALL
    appeal_share_inadmissible: Share  # share of inadmissibility decisions appealed
    decisions_per_month: NonNegative  # cases
    outcomes: CallOutcomes
    # Days from the refusal until an appeal can be judged: the appeal period (30 days, less
    # in accelerated procedures), the parties' notes and the hearing. Appellants keep their
    # reception place meanwhile. 0: judged as soon as the capacity allows.
    days_before_judgment: NonNegative = 0


class Municipalities(Strict):
    """Housing found for status holders through the municipalities (OCMW/CPAS)."""

    housing_persons_per_month: NonNegative  # national total, persons housed per month
    distribution_key: Literal["population", "equal"] = "population"  # share per municipality
    table_file: str | None = None  # optional CSV: nis,housing_persons_per_month
    unused_housing_kept_months: Positive = 3.0  # supply not taken is kept this long at most
    # 1 while COVID-19 restrictions keep status holders from visiting housing (a dated
    # input), 0 otherwise; the supply is then restricted_housing_share of its normal level
    restrictions_in_force: Share = 0.0
    restricted_housing_share: Share = 1.0  # housing found under them, share of normal


class ReintegrationPackage(Strict):
    """Assisted voluntary return and reintegration support (euros)."""

    adult_eur: NonNegative = 700  # reintegration support per adult (euros)
    accompanied_minor_eur: NonNegative = 350  # reintegration support per accompanied minor (euros)
    case_top_up_eur: NonNegative = 0  # enhanced projects: +1,500 per case
    vulnerable_top_up_eur: NonNegative = 500  # per vulnerable case


class Returns(Strict):
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


class Resettlement(Strict):
    """Refugees selected abroad: yearly pledges, CGRS selection missions, IOM transfers."""

    pledges_persons: dict[int, NonNegative] = Field(default_factory=dict)  # calendar year
    selection_persons_per_month: NonNegative = 0  # CGRS selection missions; 0: suspended
    transfer_persons_per_month: NonNegative = 0  # IOM transfer capacity
    nationality_group: str | None = None  # profile of resettled refugees (default: first)
    family_share: Share = 0.7  # share of resettled persons who come as families
    centre_stay_days: NonNegative = 42  # in a reception centre before looking for housing


class TemporaryProtection(Strict):
    """People fleeing Ukraine: registration, emergency reception, crisis and sustainable
    housing in the municipalities (competing with status holders), departures."""

    monthly_persons: MonthlyPersons = Field(default_factory=dict)  # months not given: 0
    family_share: Share = 0.75  # share of persons who come as families (mostly women, children)
    emergency_nights: NonNegative = 2  # nights in emergency reception at least
    crisis_housing_places: NonNegative = 0  # municipalities' crisis housing, national (persons)
    own_housing_per_month: Share = 0.3  # share finding housing themselves (hosts, rent) a month
    departures_per_month: Share = 0.02  # share leaving Belgium per month


MUNICIPAL_TABLE_COLUMNS = ("housing_persons_per_month",)


class StatusHolders(Strict):
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
