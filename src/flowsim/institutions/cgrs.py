"""The CGRS: case officers, the order cases are decided in, and first-instance decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import mesa
import numpy as np
from numba import njit

from flowsim.engine import series, states, streams
from flowsim.engine.calendar import new_calendar, take_due
from flowsim.engine.chain import Chain
from flowsim.engine.compiled import borrowed, direct
from flowsim.engine.population import DAY, DAYS_WAITED, DECIDED, Cases, ProfileTable, Tally
from flowsim.engine.procedure import (
    CgrsDesk,
    finalise,
    grant_status,
    lodge_appeal,
    refuse,
    request_place,
    subsequent_place_shares,
    under_restrictions,
)
from flowsim.engine.queues import (
    Queue,
    best_class,
    first_entry,
    head_since,
    new_queue,
    next_entry,
    overdue_class,
    pop,
    push,
    push_front,
)
from flowsim.engine.rates import DAYS_PER_MONTH, daily_hazard
from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.scenario.sections import Prioritisation

if TYPE_CHECKING:
    from flowsim.model import ProtectionSystem

# Columns of ProfileTable.cgrs_outcome_cdf.
REFUGEE, SUBSIDIARY, REFUSAL, INADMISSIBLE = 0, 1, 2, 3


class DecisionLog(NamedTuple):
    """One row per first-instance decision, for waiting-time distributions by group."""

    day: np.ndarray  # int16 (DAY): day of the decision
    profile: np.ndarray  # int16: profile of the case (as Cases.profile)
    waited: np.ndarray  # int16 (DAY): days in the CGRS queue since (re)lodging
    persons: np.ndarray  # int16: persons in the case (as Cases.size)
    rows: np.ndarray  # int64[1]: rows written


def new_decision_log(capacity: int) -> DecisionLog:
    """An empty log with room for ``capacity`` decisions."""
    return DecisionLog(
        *(np.zeros(capacity, dtype) for dtype in (DAY, np.int16, DAY, np.int16)),
        np.zeros(1, np.int64),
    )


def with_room(log: DecisionLog, rows: int) -> DecisionLog:
    """``log``, or a copy twice as large, so that ``rows`` more decisions fit."""
    used = int(log.rows[0])
    if used + rows <= len(log.day):
        return log
    grown = new_decision_log(2 * (used + rows))
    for old, new in zip(log[:4], grown[:4], strict=True):
        new[:used] = old[:used]
    grown.rows[0] = used
    return grown


def decisions(log: DecisionLog) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows written so far: (day, profile, days waited, persons)."""
    used = int(log.rows[0])
    return log.day[:used], log.profile[:used], log.waited[:used], log.persons[:used]


def priority_ranks(table: ProfileTable, rule: Prioritisation) -> np.ndarray:
    """Queue rank of every profile under the CGRS rule (lower is decided first).

    ``fifo``: one rank, oldest case first. ``shortest_expected_first``: the relative case
    effort. ``profile``: position of the first entry of ``order`` the profile matches
    (nationality group, household type or ``vulnerable``), unmatched profiles last.
    """
    ranks = np.zeros(len(table))
    if rule.rule == "shortest_expected_first":
        ranks[:] = table.case_effort
    elif rule.rule == "profile":
        for p in range(len(table)):
            labels = {
                table.groups[table.group[p]],
                HOUSEHOLD_TYPES[table.household_type[p]],
            }
            if table.vulnerable[p]:
                labels.add("vulnerable")
            ranks[p] = next(
                (i for i, entry in enumerate(rule.order) if entry in labels), len(rule.order)
            )
    return ranks


# Rank of the CGRS queue's last class: subsequent applications, examined before any case.
SUBSEQUENT_FIRST = -1e18


def queue_ranks(table: ProfileTable, rule: Prioritisation) -> np.ndarray:
    """The CGRS queue's class ranks: one class per profile (:func:`priority_ranks`), then
    one for subsequent applications, whose admissibility is examined first (by law within
    days of lodging: :func:`flowsim.engine.procedure.cgrs_class`)."""
    return np.append(priority_ranks(table, rule), SUBSEQUENT_FIRST)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def withdraw(cases: Cases, tally: Tally, cgrs: CgrsDesk, day: int, flows) -> None:
    """Cases still pending on the day drawn at lodging withdraw their application (persons)."""
    cases, tally, cgrs = borrowed((cases, tally, cgrs))
    for c in take_due(cgrs.withdrawals, day):
        if cases.state[c] == states.PENDING_CGRS:
            flows[series.WITHDRAWALS] += cases.size[c]
            finalise(cases, tally, c, states.WITHDRAWN, flows)


@njit(cache=True, inline="always")
def take_into_consideration(cases: Cases, cgrs_queue: Queue, c: int, day: int) -> None:
    """A subsequent application found admissible is taken into consideration: it is examined
    on the merits as a new application, queued today behind the pending cases of its
    profile. The earlier refusal no longer stands as the case's outcome (its status is none
    until the new decision), so it is not examined for admissibility again; the draw of its
    outcome is the one it would have had if decided at once (same occurrence)."""
    cases.status[c] = states.NO_STATUS
    push(cgrs_queue, c, cases.profile[c], day)


@njit(cache=True, inline="always")
def ask_for_a_place_once_admitted(
    cases: Cases,
    tally: Tally,
    waiting: Queue,
    c: int,
    day: int,
    seed: np.uint64,
    occurrence: int,
    share: float,
) -> None:
    """A subsequent applicant living privately, found admissible and still in the procedure,
    asks Fedasil for a place with ``share`` (the keyed draw of a place request)."""
    if (
        cases.housing[c] == states.PRIVATE
        and streams.uniform(seed, cases.key[c], streams.PLACE_REQUEST, occurrence) < share
    ):
        request_place(cases, tally, waiting, c, day)


@njit(cache=True, inline="always")
def held_by_suspension(outcome: int, first_application: bool) -> bool:
    """Whether a suspension holds a decision with this outcome: subsidiary protection, a
    refusal, or a subsequent application's inadmissibility; refugee status and a first
    application's inadmissibility (protection in another state) are decided as usual."""
    if outcome == SUBSIDIARY or outcome == REFUSAL:
        return True
    return outcome == INADMISSIBLE and not first_application


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def release_held(chain: Chain) -> None:
    """The suspension ends: every case whose decision was held and that is still pending
    goes back to the front of its class in the CGRS queue, in the order it was examined, with
    the day it first joined the queue (so it is decided before the cases queued behind it,
    and its wait counts from then)."""
    cases, cgrs = borrowed((chain.cases, chain.cgrs))
    held, queue = cgrs.held, cgrs.queue
    for cls in range(held.head.shape[0]):
        n = 0
        e = first_entry(held, cls)
        while e >= 0:
            n += 1
            e = next_entry(held, e)
        taken = np.empty(n, np.int64)
        since = np.empty(n, np.int64)
        for i in range(n):
            since[i] = head_since(held, cls)
            taken[i] = pop(held, cls)
        # last first, so that the first examined ends at the front
        for i in range(n - 1, -1, -1):
            if cases.state[taken[i]] == states.PENDING_CGRS:
                push_front(queue, taken[i], cls, since[i])


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def cgrs_day(
    chain: Chain,
    log: DecisionLog,
    budget: float,
    day: int,
    seed: np.uint64,
    case_effort: np.ndarray,
    outcome_cdf: np.ndarray,
    appeal_share_refusal: float,
    appeal_share_inadmissible: float,
    long_stay_days: int,
    subsequent_inadmissible: float,
    admitted_place_share: float,
    merits_queued: bool,
    suspended: np.ndarray,
    examination_share: float,
    flows,
) -> float:
    """One day of the CGRS: withdrawals due (:func:`withdraw`), then pending cases decided in
    queue order within ``budget`` (average-case units), each decision written to ``log``
    (which must have room for ``budget / min(case_effort) + 1`` rows).

    Under a long-stay measure (``long_stay_days`` > 0) cases pending longer than that many
    days are decided first, oldest first. A subsequent application is declared inadmissible
    with the share ``subsequent_inadmissible``, else decided as its profile's cases are: at
    once, or, with ``merits_queued``, taken into consideration (no decision counted, no
    budget used) and queued behind the cases of its profile for a decision on the merits
    (:func:`take_into_consideration`). Positive decisions grant a status; refusals and
    inadmissibility decisions are appealed at CALL or become final. A subsequent applicant
    living privately asks for a reception place with the share ``admitted_place_share`` (0
    while subsequent applicants ask at registration) once found admissible while still in
    the procedure: when taken into consideration, or, decided at once, when appealing a
    refusal on the merits. A case of a profile ``suspended`` (bool per profile) whose
    decision a suspension holds (:func:`held_by_suspension`) is examined, using the share
    ``examination_share`` of its effort, and waits in the desk's held list
    (:func:`release_held`); decided later, it uses the rest. Returns the unused budget
    (negative: carried debt).
    """
    cases, tally, cgrs, call_queue, holders, desk, waiting, log = borrowed(
        (
            chain.cases,
            chain.tally,
            chain.cgrs,
            chain.call,
            chain.holders,
            chain.returns,
            chain.waiting,
            log,
        )
    )
    withdraw(cases, tally, cgrs, day, flows)
    cgrs_queue = cgrs.queue
    while budget > 0.0:
        cls = overdue_class(cgrs_queue, day, long_stay_days) if long_stay_days > 0 else -1
        if cls < 0:
            cls = best_class(cgrs_queue)
        if cls < 0:
            break
        joined = head_since(cgrs_queue, cls)
        c = pop(cgrs_queue, cls)
        if cases.state[c] != states.PENDING_CGRS:
            continue
        subsequent = cases.status[c] == states.REFUSED
        occurrence = cases.n_cgrs[c]
        admissible = (
            not subsequent
            or streams.uniform(seed, cases.key[c], streams.SUBSEQUENT_ADMISSIBILITY, occurrence)
            >= subsequent_inadmissible
        )
        if subsequent and admissible and merits_queued:
            take_into_consideration(cases, cgrs_queue, c, day)
            # admissible, so entitled to reception while the merits are examined
            ask_for_a_place_once_admitted(
                cases, tally, waiting, c, day, seed, occurrence, admitted_place_share
            )
            continue
        p = cases.profile[c]
        n = cases.size[c]
        examined = cgrs.examined[c]
        u = streams.uniform(seed, cases.key[c], streams.CGRS_OUTCOME, occurrence)
        outcome = 0
        while outcome < 3 and u >= outcome_cdf[p, outcome]:
            outcome += 1
        if not admissible:
            outcome = INADMISSIBLE
        if suspended[p] and held_by_suspension(outcome, not subsequent):
            # examined, not decided: pending until the suspension ends
            if not examined:
                budget -= examination_share * case_effort[p]
                cgrs.examined[c] = True
            flows[series.CGRS_DECISIONS_HELD] += n
            push(cgrs.held, c, cls, joined)
            continue
        budget -= case_effort[p] * (1.0 - examination_share if examined else 1.0)
        cgrs.examined[c] = False
        cases.n_cgrs[c] += 1
        flows[series.CGRS_DECISIONS] += n
        flows[series.CGRS_DECISIONS_CASES] += 1
        days = day - joined
        flows[series.CGRS_DAYS_WAITED] += n * days
        tally.outcomes_by_profile[DECIDED, p] += n
        tally.outcomes_by_profile[DAYS_WAITED, p] += n * days
        row = log.rows[0]
        log.day[row], log.profile[row], log.waited[row], log.persons[row] = day, p, days, n
        log.rows[0] = row + 1
        if outcome == REFUGEE or outcome == SUBSIDIARY:
            flows[series.CGRS_POSITIVE_DECISIONS] += n
            status = states.REFUGEE if outcome == REFUGEE else states.SUBSIDIARY
            grant_status(cases, tally, holders, c, status, day, flows)
            continue
        share = appeal_share_refusal if outcome == REFUSAL else appeal_share_inadmissible
        if streams.uniform(seed, cases.key[c], streams.APPEAL, occurrence) < share:
            lodge_appeal(cases, tally, call_queue, c, day)
            if subsequent and outcome == REFUSAL:  # admissible: reception during the appeal
                ask_for_a_place_once_admitted(
                    cases, tally, waiting, c, day, seed, occurrence, admitted_place_share
                )
        else:
            refuse(cases, tally, desk, c, day, flows)
    return budget


def new_cgrs_desk(queue: Queue, n_days: int, n_cases: int, seed: np.uint64) -> CgrsDesk:
    """The CGRS's pending cases: ``queue``, an empty held list (its classes), no case
    examined and an empty withdrawal calendar."""
    return CgrsDesk(
        queue=queue,
        held=new_queue(queue.rank.copy(), n_cases),
        examined=np.zeros(n_cases, np.bool_),
        withdrawals=new_calendar(n_days, n_cases),
        hazard=np.zeros(1),
        seed=np.array([seed], np.uint64),
    )


def scaled_outcome_cdf(cdf: np.ndarray, scale: float) -> np.ndarray:
    """Cumulative CGRS outcome shares per profile (columns: refugee status, subsidiary
    protection, refusal, inadmissible) with the positive share multiplied by ``scale``
    (capped at 1): refugee and subsidiary keep their ratio, refusal and inadmissibility share
    the rest in theirs (all of it goes to refusal for a profile that had no negative decision).
    A profile with no positive decision keeps its shares."""
    if scale == 1.0:
        return cdf
    shares = np.diff(cdf, prepend=0.0, axis=1)
    positive = shares[:, :2].sum(axis=1)
    negative = shares[:, 2:].sum(axis=1)
    target = np.minimum(positive * scale, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(positive > 0, target / positive, 1.0)
        down = np.where(negative > 0, (1.0 - target) / negative, 1.0)
    shares[:, :2] *= up[:, None]
    shares[:, 2:] *= down[:, None]
    shares[:, 2] += np.where(negative > 0, 0.0, 1.0 - target)
    return np.cumsum(shares, axis=1)


def output_factor(params: dict[str, float]) -> float:
    """An officer's output today as a share of normal output: reduced by sanitary
    restrictions on the share of the work done under them (``cgrs.restrictions_in_force``)."""
    return under_restrictions(
        params["cgrs.restrictions_in_force"], params["cgrs.restricted_output_share"]
    )


class Cgrs(mesa.Agent):
    """The CGRS: productive officers follow the headcount after a hiring lag (days)."""

    def __init__(self, model: ProtectionSystem):
        super().__init__(model)
        self.headcount = model.params["cgrs.case_officers_fte"]
        self.pending_hires: list[tuple[int, float]] = []  # (productive from day, FTE)
        init = model.config.initial_state
        ramp = int(model.params["cgrs.new_officer_ramp_days"])
        # day 0 is the start date: each group of learners as one cohort
        cohorts = [
            (round(init.cgrs_officers_hiring_lag_days_left), init.cgrs_officers_in_hiring_lag_fte),
            (round(init.cgrs_officers_ramp_days_left) - ramp, init.cgrs_officers_in_ramp_fte),
        ]
        self.pending_hires += [(when, fte) for when, fte in cohorts if fte > 0]
        self.trained = self.headcount - sum(fte for _, fte in self.pending_hires)
        self.carry = 0.0
        self.log = new_decision_log(len(model.cases.key))
        table = model.profiles
        groups = set(model.config.cgrs.suspended_groups)
        # profiles of the suspended groups, and those whose decisions are held today
        self.suspended_groups = np.array([table.groups[g] in groups for g in table.group])
        self.suspended = np.zeros(len(table), np.bool_)
        self.release = False
        self.min_effort = float(model.profiles.case_effort.min())
        self.refresh()

    def refresh(self) -> None:
        """Read today's parameters (the model calls this whenever one changes): officers
        hired or let go (hires become productive after the hiring lag and grow to a full
        officer's output over the ramp, days), an officer's daily output (cases, under any
        sanitary restrictions: :func:`output_factor`), the hazard of
        withdrawing for cases lodged from now on (per day), outcome shares of every profile
        (see :func:`scaled_outcome_cdf`), appeal shares, the long-stay threshold (days) and
        whether a suspension holds decisions (its end releases the held cases)."""
        p = self.model.params
        headcount = p["cgrs.case_officers_fte"]
        delta = headcount - self.headcount
        if delta > 0:
            self.pending_hires.append((self.model.day + int(p["cgrs.hiring_lag_days"]), delta))
        elif delta < 0:
            self.trained += delta
        self.headcount = headcount
        self.ramp_days = int(p["cgrs.new_officer_ramp_days"])
        self.decisions_per_officer_per_day = (
            p["cgrs.decisions_per_officer_per_month"] / DAYS_PER_MONTH * output_factor(p)
        )
        self.model.cgrs_desk.hazard[0] = daily_hazard(p["cgrs.withdrawals_per_month"])
        self.outcome_cdf = scaled_outcome_cdf(
            self.model.profiles.cgrs_outcome_cdf, p["cgrs.protection_rate_scale"]
        )
        self.appeal_share_refusal = p["call.appeal_share_refusal"]
        self.appeal_share_inadmissible = p["call.appeal_share_inadmissible"]
        self.long_stay_days = int(p["cgrs.long_stay_first_days"])
        self.subsequent_inadmissible = p["cgrs.subsequent_inadmissible_share"]
        self.admitted_place_share = subsequent_place_shares(p)[1]
        self.merits_queued = p["cgrs.subsequent_merits_queued"] > 0
        in_force = p["cgrs.suspension_in_force"] > 0
        # the day a suspension ends, the cases it held go back to the queue (step)
        self.release = self.release or (self.suspended.any() and not in_force)
        self.suspended = self.suspended_groups & in_force
        self.examination_share = p["cgrs.held_examination_effort_share"]

    def productive_officers(self) -> float:
        """Officers deciding cases today (FTE): a hire counts nothing during the hiring lag,
        then a share of a full officer growing linearly to 1 over
        ``cgrs.new_officer_ramp_days`` (at once when 0)."""
        day = self.model.day
        ramp = self.ramp_days
        if self.pending_hires and min(when for when, _ in self.pending_hires) + ramp <= day:
            matured = [fte for when, fte in self.pending_hires if when + ramp <= day]
            self.trained += sum(matured)
            self.pending_hires = [(w, f) for w, f in self.pending_hires if w + ramp > day]
        learning = sum(
            fte * min(1.0, (day - when + 1) / ramp)
            for when, fte in self.pending_hires
            if ramp > 0 and when <= day
        )
        return max(0.0, min(self.trained + learning, self.headcount))

    def learning(self, day: int) -> dict[str, float]:
        """Officers hired and not yet at full output on ``day``, as ``initial_state`` holds
        them: FTE in the hiring lag and in the ramp, each with the FTE-weighted days left
        (until deciding, until full output). Output is linear within the ramp, so one cohort
        at the mean days left decides as much today as the cohorts it stands for."""
        ramp = self.ramp_days
        lag = [(when - day, fte) for when, fte in self.pending_hires if when > day]
        ramping = [(when + ramp - day, fte) for when, fte in self.pending_hires]
        ramping = [(left, fte) for left, fte in ramping if 0 < left <= ramp]

        def group(cohorts: list[tuple[int, float]]) -> tuple[float, float]:
            fte = float(sum(f for _, f in cohorts))
            return fte, (sum(left * f for left, f in cohorts) / fte if fte else 0.0)

        (lag_fte, lag_left), (ramp_fte, ramp_left) = group(lag), group(ramping)
        return {
            "cgrs_officers_in_hiring_lag_fte": lag_fte,
            "cgrs_officers_hiring_lag_days_left": lag_left,
            "cgrs_officers_in_ramp_fte": ramp_fte,
            "cgrs_officers_ramp_days_left": ramp_left,
        }

    def capacity_cases_per_day(self) -> float:
        """Average-effort cases the CGRS can decide today (cases per day)."""
        return self.productive_officers() * self.decisions_per_officer_per_day

    def step(self) -> None:
        """One day: cases held by a suspension that ended released, withdrawals due, then
        decisions."""
        m = self.model
        if self.release:
            direct(release_held)(m.chain)
            self.release = False
        budget = self.carry + self.capacity_cases_per_day()
        # every decision uses at least the smallest case effort of a positive budget
        self.log = with_room(self.log, int(max(budget, 0.0) / self.min_effort) + 1)
        left = direct(cgrs_day)(
            m.chain,
            self.log,
            budget,
            m.day,
            m.seed,
            m.profiles.case_effort,
            self.outcome_cdf,
            self.appeal_share_refusal,
            self.appeal_share_inadmissible,
            self.long_stay_days,
            self.subsequent_inadmissible,
            self.admitted_place_share,
            self.merits_queued,
            self.suspended,
            self.examination_share,
            m.flows_today,
        )
        self.carry = min(left, 0.0)
