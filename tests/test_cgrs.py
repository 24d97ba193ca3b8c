"""The CGRS: capacity from officers, the hiring lag, and the order cases are decided in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import wrap_step
from flowsim.engine import states, streams
from flowsim.engine.rates import DAYS_PER_MONTH
from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.institutions.cgrs import scaled_outcome_cdf
from flowsim.model import ProtectionSystem, simulate

# The CGRS is the bottleneck: a large initial backlog and fewer decisions than new cases, so
# there is always a case waiting. No appeals: a case is lodged once, so the day it joined the
# CGRS queue is its lodging day.
BOTTLENECK = {
    "cgrs.case_officers_fte": 40,
    "cgrs.decisions_per_officer_per_month": 5,
    "initial_state.pending_cgrs_persons": 1500,
    "initial_state.pending_cgrs_max_waited_days": 400,
    "initial_state.pending_call_persons": 0,
    "initial_state.in_reception_persons": {"north": 100, "south": 30},
    "call.appeal_share_refusal": 0.0,
    "call.appeal_share_inadmissible": 0.0,
}


def cgrs_rank(scenario, model: ProtectionSystem, profile: np.ndarray) -> np.ndarray:
    """The CGRS queue rank of each profile, computed here from the scenario's rule."""
    rule = scenario.cgrs.prioritisation
    table = model.profiles
    groups = list(scenario.profiles.nationality_groups)
    group = np.array(groups)[table.group[profile]]
    if rule.rule == "fifo":
        return np.zeros(len(profile))
    if rule.rule == "shortest_expected_first":
        efforts = {g: spec.case_effort for g, spec in scenario.profiles.nationality_groups.items()}
        return np.array([efforts[g] for g in group])
    htype = np.array(HOUSEHOLD_TYPES)[table.household_type[profile]]
    vulnerable = table.vulnerable[profile]
    ranks = np.full(len(profile), float(len(rule.order)))
    for i, entry in reversed(list(enumerate(rule.order))):
        match = (group == entry) | (htype == entry) | ((entry == "vulnerable") & vulnerable)
        ranks[match] = i
    return ranks


class DecisionLog:
    """Records, around every CGRS step, which cases were decided and checks the order."""

    def __init__(self, model: ProtectionSystem, scenario):
        self.model = model
        c = model.cases
        self.rank = cgrs_rank(scenario, model, c.profile)
        self.effort = model.profiles.case_effort[c.profile]
        self.decided_day = np.full(len(c.key), -1)
        self.effort_per_day = np.zeros(scenario.days)
        self.persons_per_day = np.zeros(scenario.days)
        self.cases_per_day = np.zeros(scenario.days)
        self.person_days_waited = np.zeros(scenario.days)
        self.positive_per_day = np.zeros(scenario.days)
        self.days_with_leftover = 0
        wrap_step(model.cgrs, before=self.before, after=self.after)

    def before(self) -> None:
        self.pending = self.model.cases.state == states.PENDING_CGRS

    def after(self) -> None:
        c, day = self.model.cases, self.model.day
        remaining = c.state == states.PENDING_CGRS
        decided = np.flatnonzero(self.pending & ~remaining)
        assert not np.any(remaining & ~self.pending)  # nobody joins during the CGRS step
        self.decided_day[decided] = day
        size = c.size[decided].astype(np.int64)
        self.effort_per_day[day] = self.effort[decided].sum()
        self.persons_per_day[day] = size.sum()
        self.cases_per_day[day] = len(decided)
        self.person_days_waited[day] = np.sum(size * (day - c.lodged_day[decided]))
        granted = (c.status[decided] == states.REFUGEE) | (c.status[decided] == states.SUBSIDIARY)
        self.positive_per_day[day] = size[granted].sum()
        if len(decided) == 0 or not remaining.any():
            return
        self.days_with_leftover += 1
        # the decided cases come first in (rank, lodging day) order among today's pending
        left = np.flatnonzero(remaining)
        worst = max(zip(self.rank[decided], c.lodged_day[decided], strict=True))
        best_rank = self.rank[left].min()
        best = (best_rank, c.lodged_day[left][self.rank[left] == best_rank].min())
        assert worst <= best, (day, worst, best)

    def mean_wait(self, cases: np.ndarray) -> float:
        """Mean days from lodging to decision of the decided cases among ``cases``."""
        c = self.model.cases
        chosen = cases & (self.decided_day >= 0)
        return float(np.mean(self.decided_day[chosen] - c.lodged_day[chosen]))


def group_mask(model: ProtectionSystem, scenario, name: str) -> np.ndarray:
    g = list(scenario.profiles.nationality_groups).index(name)
    return model.profiles.group[model.cases.profile] == g


# --- capacity -------------------------------------------------------------------------------


def test_more_officers_give_a_smaller_backlog(small_scenario):
    means, decided = [], []
    for officers in (15, 30, 60):
        frame = simulate(small_scenario(**{**BOTTLENECK, "cgrs.case_officers_fte": officers}), 3)
        means.append(frame["cgrs_backlog"].mean())
        decided.append(frame["cgrs_decisions"].sum())
    assert means[0] > means[1] > means[2]
    assert decided[0] < decided[1] < decided[2]


def test_decisions_use_exactly_the_officers_capacity(small_scenario):
    """With a case always waiting, effort decided tracks officers x rate to within a case."""
    scenario = small_scenario(**BOTTLENECK)
    model = ProtectionSystem(scenario, 1)
    log = DecisionLog(model, scenario)
    frame = model.run_to_end()
    assert (frame["cgrs_backlog"] > 0).all()
    per_day = 40 * 5 / DAYS_PER_MONTH
    cumulative = np.cumsum(log.effort_per_day)
    capacity = per_day * np.arange(1, scenario.days + 1)
    max_effort = max(g.case_effort for g in scenario.profiles.nationality_groups.values())
    assert np.all(cumulative >= capacity - 1e-9)  # the budget is always used...
    assert np.all(cumulative < capacity + max_effort)  # ...overshooting by under one case
    # the series count the same decisions
    np.testing.assert_array_equal(frame["cgrs_decisions_cases"], log.cases_per_day)
    np.testing.assert_array_equal(frame["cgrs_decisions"], log.persons_per_day)
    np.testing.assert_array_equal(frame["cgrs_days_waited"], log.person_days_waited)
    np.testing.assert_array_equal(frame["cgrs_positive_decisions"], log.positive_per_day)


def test_decision_rate_scales_capacity(small_scenario):
    rate = "cgrs.decisions_per_officer_per_month"
    slow = simulate(small_scenario(**{**BOTTLENECK, rate: 2}), 0)
    fast = simulate(small_scenario(**{**BOTTLENECK, rate: 6}), 0)
    ratio = fast["cgrs_decisions_cases"].sum() / slow["cgrs_decisions_cases"].sum()
    assert 2.6 < ratio < 3.4


HIRE_DATE = dt.date(2024, 4, 1)


@pytest.mark.parametrize("lag", [0, 90])
def test_hiring_lag_delays_the_effect_of_new_officers(small_scenario, lag):
    base = small_scenario(**BOTTLENECK, **{"cgrs.hiring_lag_days": lag})
    hired = small_scenario(
        **BOTTLENECK,
        **{"cgrs.hiring_lag_days": lag},
        changes=[{"date": HIRE_DATE.isoformat(), "field": "cgrs.case_officers_fte", "add": 40}],
    )
    model = ProtectionSystem(hired, 2)
    log = DecisionLog(model, hired)
    with_hires = model.run_to_end()
    without = simulate(base, 2)
    effective = hired.day_of(HIRE_DATE) + lag
    # nothing changes until the new officers decide alone...
    pd.testing.assert_frame_equal(with_hires.iloc[:effective], without.iloc[:effective])
    # ...then the CGRS decides twice as much (effort units), from that very day
    window = slice(effective, effective + 60)
    doubled = 80 * 5 / DAYS_PER_MONTH * 60
    assert abs(log.effort_per_day[window].sum() - doubled) < 3.0
    assert (
        with_hires["cgrs_decisions_cases"].iloc[window].sum()
        > 1.6 * without["cgrs_decisions_cases"].iloc[window].sum()
    )


def test_new_officers_ramp_up_to_a_full_officers_output(small_scenario):
    """After the hiring lag, 40 new officers add a linearly growing share of their output
    over the ramp: half of it over the ramp in all, all of it after (effort units)."""
    lag, ramp = 30, 60
    hired = small_scenario(
        **BOTTLENECK,
        **{"cgrs.hiring_lag_days": lag, "cgrs.new_officer_ramp_days": ramp},
        changes=[{"date": HIRE_DATE.isoformat(), "field": "cgrs.case_officers_fte", "add": 40}],
    )
    model = ProtectionSystem(hired, 2)
    log = DecisionLog(model, hired)
    model.run_to_end()
    effective = hired.day_of(HIRE_DATE) + lag
    per_officer_day = 5 / DAYS_PER_MONTH
    during = log.effort_per_day[effective : effective + ramp].sum()
    # the 40 on the start date, plus the new ones at (k + 1) / ramp on day k of the ramp
    expected = per_officer_day * (40 * ramp + 40 * (ramp + 1) / 2)
    assert abs(during - expected) < 3.0
    after = log.effort_per_day[effective + ramp : effective + ramp + 30].sum()
    assert abs(after - 80 * per_officer_day * 30) < 3.0


def test_sanitary_restrictions_scale_output_on_the_share_of_work_under_them(small_scenario):
    """From the day restrictions hold on half the work, with an output share of 0.4 under
    them, the CGRS decides 0.7 of its normal effort a day; back to normal when lifted."""
    lifted = HIRE_DATE + dt.timedelta(days=60)
    field = "cgrs.restrictions_in_force"
    scenario = small_scenario(
        **BOTTLENECK,
        **{"cgrs.restricted_output_share": 0.4},
        changes=[
            {"date": HIRE_DATE.isoformat(), "field": field, "set": 0.5},
            {"date": lifted.isoformat(), "field": field, "set": 0.0},
        ],
    )
    model = ProtectionSystem(scenario, 2)
    log = DecisionLog(model, scenario)
    model.run_to_end()
    start, end = scenario.day_of(HIRE_DATE), scenario.day_of(lifted)
    normal = 40 * 5 / DAYS_PER_MONTH
    assert abs(log.effort_per_day[start - 30 : start].sum() - normal * 30) < 3.0
    assert abs(log.effort_per_day[start:end].sum() - 0.7 * normal * (end - start)) < 3.0
    assert abs(log.effort_per_day[end : end + 30].sum() - normal * 30) < 3.0


def test_officers_leaving_reduce_capacity_at_once(small_scenario):
    leave = {"date": HIRE_DATE.isoformat(), "field": "cgrs.case_officers_fte", "add": -20}
    scenario = small_scenario(**BOTTLENECK, **{"cgrs.hiring_lag_days": 90}, changes=[leave])
    model = ProtectionSystem(scenario, 2)
    log = DecisionLog(model, scenario)
    model.run_to_end()
    start = scenario.day_of(HIRE_DATE)
    halved = 20 * 5 / DAYS_PER_MONTH * 60
    assert abs(log.effort_per_day[start : start + 60].sum() - halved) < 3.0


# --- the order of decisions -------------------------------------------------------------------


@pytest.mark.parametrize(
    "prioritisation",
    [
        {"rule": "fifo"},
        {"rule": "shortest_expected_first"},
        {"rule": "profile", "order": ["beta"]},
        {"rule": "profile", "order": ["vulnerable", "family"]},
        {"rule": "profile", "order": ["unaccompanied_minor", "alpha", "vulnerable"]},
    ],
    ids=["fifo", "shortest", "beta", "vulnerable-family", "uam-alpha-vulnerable"],
)
def test_cases_are_decided_in_rule_order(small_scenario, prioritisation):
    scenario = small_scenario(**BOTTLENECK, **{"cgrs.prioritisation": prioritisation})
    model = ProtectionSystem(scenario, 4)
    log = DecisionLog(model, scenario)  # checks every day's decisions
    model.run_to_end()
    assert log.days_with_leftover > 0.9 * scenario.days
    assert (log.decided_day >= 0).sum() > 500


def test_profile_rule_prioritised_group_waits_less(small_scenario):
    fifo, first = {}, {}
    for rule, out in (({"rule": "fifo"}, fifo), ({"rule": "profile", "order": ["beta"]}, first)):
        scenario = small_scenario(**BOTTLENECK, **{"cgrs.prioritisation": rule})
        model = ProtectionSystem(scenario, 5)
        log = DecisionLog(model, scenario)
        model.run_to_end()
        beta = group_mask(model, scenario, "beta")
        out["beta"], out["alpha"] = log.mean_wait(beta), log.mean_wait(~beta)
    assert first["beta"] < 0.5 * first["alpha"]
    assert first["beta"] < fifo["beta"]
    assert abs(fifo["beta"] - fifo["alpha"]) < 0.15 * fifo["alpha"]  # FIFO: alike


def test_shortest_expected_first_decides_low_effort_cases_first(small_scenario):
    scenario = small_scenario(
        **BOTTLENECK, **{"cgrs.prioritisation": {"rule": "shortest_expected_first"}}
    )
    model = ProtectionSystem(scenario, 6)
    log = DecisionLog(model, scenario)
    frame = model.run_to_end()
    alpha = group_mask(model, scenario, "alpha")  # effort 1.0 (beta: 1.5)
    assert log.mean_wait(alpha) < 0.5 * log.mean_wait(~alpha)
    # more cases decided than under FIFO with the same officers
    fifo = simulate(small_scenario(**BOTTLENECK), 6)
    assert frame["cgrs_decisions_cases"].sum() > fifo["cgrs_decisions_cases"].sum()


def test_fifo_decides_the_oldest_cases_first(small_scenario):
    scenario = small_scenario(**BOTTLENECK)
    model = ProtectionSystem(scenario, 7)
    log = DecisionLog(model, scenario)
    model.run_to_end()
    c = model.cases
    decided = log.decided_day >= 0
    # the decision day never goes down as the lodging day goes up
    order = np.lexsort((log.decided_day[decided], c.lodged_day[decided]))
    assert np.all(np.diff(log.decided_day[decided][order]) >= 0)
    # the oldest initial cases are decided first: day 0 decides cases that waited longest
    first_day = np.flatnonzero(log.decided_day == 0)
    waited = -c.lodged_day[first_day]
    assert waited.min() >= 390  # among the 1500 persons spread over 400 days


# --- outcomes ---------------------------------------------------------------------------------


def test_outcomes_follow_the_configured_shares(small_scenario):
    scenario = small_scenario(years=2, **{**BOTTLENECK, "cgrs.case_officers_fte": 80})
    model = ProtectionSystem(scenario, 8)
    model.run_to_end()
    c = model.cases
    decided = (c.n_cgrs == 1) & (c.status != states.NO_STATUS)
    for name, group in scenario.profiles.nationality_groups.items():
        mask = decided & group_mask(model, scenario, name)
        n = mask.sum()
        assert n > 500
        for status, share in (
            (states.REFUGEE, group.cgrs_outcomes.refugee_status),
            (states.SUBSIDIARY, group.cgrs_outcomes.subsidiary_protection),
        ):
            got = np.mean(c.status[mask] == status)
            assert abs(got - share) < 4 * np.sqrt(share * (1 - share) / n) + 1e-9, (name, status)


def test_refusals_are_appealed_at_the_configured_share(small_scenario):
    scenario = small_scenario(
        **{
            **BOTTLENECK,
            "cgrs.case_officers_fte": 80,
            "call.appeal_share_refusal": 1.0,
            "call.appeal_share_inadmissible": 0.0,
            "call.decisions_per_month": 0,
        }
    )
    model = ProtectionSystem(scenario, 9)
    frame = model.run_to_end()
    c = model.cases
    negative = (c.n_cgrs == 1) & ((c.state == states.PENDING_CALL) | (c.status == states.REFUSED))
    appealed = np.mean(c.state[negative] == states.PENDING_CALL)
    # share of refusals among negative decisions, weighted by the groups' decided cases
    expected = []
    for name, group in scenario.profiles.nationality_groups.items():
        o = group.cgrs_outcomes
        n = (negative & group_mask(model, scenario, name)).sum()
        expected.append((n, o.refusal / (o.refusal + o.inadmissible)))
    total = sum(n for n, _ in expected)
    share = sum(n * s for n, s in expected) / total
    assert abs(appealed - share) < 4 * np.sqrt(share * (1 - share) / total)
    assert frame["call_decisions"].sum() == 0
    assert frame["call_backlog"].iloc[-1] > 0


# --- the long-stay measure ("status or exit") ---------------------------------------------------


@pytest.mark.parametrize("long_stay_days", [150, 300])
def test_long_stay_measure_decides_overdue_cases_first(small_scenario, long_stay_days):
    """Under a rule that starves beta, cases pending longer than the threshold go first."""
    scenario = small_scenario(
        **BOTTLENECK,
        **{
            "cgrs.prioritisation": {"rule": "profile", "order": ["alpha"]},
            "cgrs.long_stay_first_days": long_stay_days,
        },
    )
    model = ProtectionSystem(scenario, 5)
    c = model.cases
    checked = []

    def before() -> None:
        checked.append(c.state == states.PENDING_CGRS)

    def after() -> None:
        pending, day = checked[-1], model.day
        decided = pending & (c.state != states.PENDING_CGRS)
        left = pending & (c.state == states.PENDING_CGRS)
        waited = day - c.lodged_day
        overdue_left = left & (waited > long_stay_days)
        if decided.any() and overdue_left.any():
            # every case decided today was overdue and older than every overdue case left
            assert (waited[decided] > long_stay_days).all(), day
            assert waited[decided].min() >= waited[overdue_left].max(), day

    wrap_step(model.cgrs, before=before, after=after)
    model.run_to_end()
    without = ProtectionSystem(
        small_scenario(
            **BOTTLENECK, **{"cgrs.prioritisation": {"rule": "profile", "order": ["alpha"]}}
        ),
        5,
    )
    without.run_to_end()
    beta = group_mask(model, scenario, "beta")
    waits = {}
    for name, m in (("with", model), ("without", without)):
        pending = beta & (m.cases.state == states.PENDING_CGRS)
        waits[name] = (m.day - 1 - m.cases.lodged_day[pending]).max()
    # nobody is left waiting much beyond the threshold (the backlog of overdue cases is
    # worked off oldest first); without the measure beta's oldest cases wait on
    assert waits["with"] < waits["without"]
    assert waits["with"] <= long_stay_days + 120


def test_overdue_class_is_the_oldest_head_past_the_threshold():
    from flowsim.engine.queues import new_queue, overdue_class, push

    q = new_queue(np.zeros(3), 10)
    push(q, 0, 0, 50)
    push(q, 1, 1, 20)
    push(q, 2, 1, 5)  # behind case 1: heads only are compared
    push(q, 3, 2, 30)
    assert overdue_class(q, 100, 60) == 1  # heads waited 50, 80, 70
    assert overdue_class(q, 100, 75) == 1
    assert overdue_class(q, 100, 80) == -1  # "longer than": 80 is not past 80
    assert overdue_class(q, 60, 35) == 1


# --- withdrawn and abandoned applications ------------------------------------------------------


def test_pending_cases_withdraw_at_the_monthly_share(small_scenario):
    """No decisions and no arrivals: pending persons withdraw at the configured share."""
    months = {f"2024-{m:02d}": 0 for m in range(1, 13)}
    scenario = small_scenario(
        **{
            "inflow.monthly_persons": months,
            "cgrs.case_officers_fte": 0,
            "cgrs.withdrawals_per_month": 0.1,
            "initial_state.pending_cgrs_persons": 3000,
            "initial_state.pending_call_persons": 0,
            "reception.centres.north.places": 3000,
            "initial_state.in_reception_persons": {"north": 100},
        }
    )
    model = ProtectionSystem(scenario, 2)
    frame = model.run_to_end()
    for month in (1, 3, 6):
        day = round(month * DAYS_PER_MONTH)
        left = frame.cgrs_backlog.iloc[day - 1] / 3000
        assert abs(left - 0.9 ** (day / DAYS_PER_MONTH)) < 0.03, month
    withdrawn = frame.withdrawals.sum()
    assert withdrawn == frame.exits_withdrawn.iloc[-1]
    # everyone pending on the start date is still pending, withdrew, or absconded
    initial = model.cases.size[model.cases.arrival_day < 0].sum()
    end = frame.iloc[-1]
    assert initial == end.cgrs_backlog + withdrawn + end.exits_absconded
    c = model.cases
    assert c.size[c.state == states.WITHDRAWN].sum() == withdrawn
    assert (c.status[c.state == states.WITHDRAWN] == states.NO_STATUS).all()
    # residents who withdraw free their place
    assert frame.in_reception.iloc[-1] < 100


def test_withdrawals_change_nothing_before_their_date_and_shrink_the_backlog(small_scenario):
    start = {"date": "2024-05-01", "field": "cgrs.withdrawals_per_month", "set": 0.05}
    base = simulate(small_scenario(**BOTTLENECK), 4)
    measure = small_scenario(**BOTTLENECK, changes=[start])
    after = simulate(measure, 4)
    day = measure.day_of(dt.date(2024, 5, 1))
    pd.testing.assert_frame_equal(after.iloc[:day], base.iloc[:day])
    assert base.withdrawals.sum() == 0
    # drawn at lodging with that day's share: only cases lodged from the date withdraw
    assert after.withdrawals.iloc[day:].sum() > 0
    assert after.cgrs_backlog.iloc[-1] < base.cgrs_backlog.iloc[-1]


@given(
    shares=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda w: sum(w) > 0),
    scale=st.floats(0.0, 3.0),
)
def test_scaled_outcome_shares_scale_the_positive_share_and_still_sum_to_one(shares, scale):
    w = np.array(shares) / sum(shares)
    cdf = np.cumsum(w)[None, :]
    out = scaled_outcome_cdf(cdf, scale)
    got = np.diff(out, prepend=0.0, axis=1)[0]
    assert got.min() >= -1e-12 and abs(got.sum() - 1.0) < 1e-9
    positive = w[0] + w[1]
    assert abs(got[0] + got[1] - min(positive * scale, 1.0)) < 1e-9
    if positive > 0:  # refugee and subsidiary keep their ratio
        assert abs(got[0] * w[1] - got[1] * w[0]) < 1e-9
    if positive < 1 and min(positive * scale, 1.0) < 1:  # so do the negatives
        assert abs(got[2] * w[3] - got[3] * w[2]) < 1e-9


def test_a_higher_protection_rate_scale_grants_more_and_changes_nothing_before_its_date(
    small_scenario,
):
    change = [{"date": "2024-07-01", "field": "cgrs.protection_rate_scale", "set": 1.5}]
    base = ProtectionSystem(small_scenario(), 3).run_to_end()
    more = ProtectionSystem(small_scenario(changes=change), 3).run_to_end()
    before, after = base.date < "2024-07-01", base.date >= "2024-07-01"
    pd.testing.assert_frame_equal(base[before], more[before])

    def rate(frame: pd.DataFrame) -> float:
        return frame.cgrs_positive_decisions[after].sum() / frame.cgrs_decisions[after].sum()

    assert rate(more) > 1.3 * rate(base)


def test_admissible_subsequent_applications_wait_their_turn_for_the_merits(small_scenario):
    """Queued for the merits (``cgrs.subsequent_merits_queued``), a subsequent application
    found admissible waits behind the cases pending before it (here months of backlog);
    decided at once, no subsequent application is pending weeks after it was lodged. Those
    found inadmissible are decided within days either way."""
    base = {
        **BOTTLENECK,
        "inflow.subsequent_monthly_persons": {"2024-02": 150.0},
        "cgrs.subsequent_inadmissible_share": 0.5,
    }
    pending = {}
    for queued in (0, 1):
        model = ProtectionSystem(
            small_scenario(**base, **{"cgrs.subsequent_merits_queued": queued}), 4
        )
        while model.day < 120:
            model.step()
        c = model.cases
        subsequent = (c.origin == states.SUBSEQUENT) & (c.state != states.NOT_ARRIVED)
        pending[queued] = subsequent & (c.state == states.PENDING_CGRS)
    assert subsequent.sum() > 50
    assert not pending[0].any()
    admissible = np.array(
        [streams.uniform(model.seed, k, streams.SUBSEQUENT_ADMISSIBILITY, 0) >= 0.5 for k in c.key]
    )
    assert 0 < (subsequent & admissible).sum() < subsequent.sum()
    np.testing.assert_array_equal(pending[1], subsequent & admissible)


# --- a suspension of decisions for a nationality group --------------------------------------

SUSPENDED_FROM, SUSPENDED_UNTIL = dt.date(2024, 3, 1), dt.date(2024, 6, 1)
SUSPENSION = {
    **BOTTLENECK,
    "call.appeal_share_refusal": 0.5,
    "inflow.subsequent_monthly_persons": {"2024-04": 90.0},
    "cgrs.subsequent_inadmissible_share": 0.5,
    "cgrs.suspended_groups": ["beta"],
}
SUSPENSION_DATES = [
    {"date": SUSPENDED_FROM.isoformat(), "field": "cgrs.suspension_in_force", "set": 1},
    {"date": SUSPENDED_UNTIL.isoformat(), "field": "cgrs.suspension_in_force", "set": 0},
]


class SuspensionLog:
    """Around every CGRS step: the cases decided (with their status then) and the cases
    whose decision was held (with their occurrence and whether a subsequent application)."""

    def __init__(self, model: ProtectionSystem):
        self.model = model
        n = len(model.cases.key)
        self.decided_day = np.full(n, -1)
        self.status_decided = np.zeros(n, np.int64)
        self.decided_occurrence = np.zeros(n, np.int64)
        self.held_day = np.full(n, -1)
        self.held_occurrence = np.zeros(n, np.int64)
        self.held_subsequent = np.zeros(n, np.bool_)
        self.effort = model.profiles.case_effort[model.cases.profile]
        self.effort_per_day = np.zeros(model.n_days)
        self.examined = np.zeros(n, np.bool_)  # held, not decided since
        self.order_kept = True
        wrap_step(model.cgrs, before=self.before, after=self.after)

    def before(self) -> None:
        c = self.model.cases
        self.pending = c.state == states.PENDING_CGRS
        self.was_held = self.model.cgrs_desk.held.queued.copy()
        self.refused_before = c.status == states.REFUSED

    def after(self) -> None:
        c, day, desk = self.model.cases, self.model.day, self.model.cgrs_desk
        decided = self.pending & (c.state != states.PENDING_CGRS)
        held = desk.held.queued & ~self.was_held
        # no other case is decided on a day a released case is left pending
        released = (self.held_day >= 0) & (self.decided_day < 0) & ~self.was_held
        released &= c.state == states.PENDING_CGRS
        if released.any():
            self.order_kept &= not (decided & (self.held_day < 0)).any()
        self.decided_day[decided] = day
        self.status_decided[decided] = c.status[decided]
        self.decided_occurrence[decided] = c.n_cgrs[decided] - 1
        self.held_day[held] = day
        self.held_occurrence[held] = c.n_cgrs[held]
        self.held_subsequent[held] = self.refused_before[held]
        # half a held case's effort when examined, the other half when decided (the default)
        examined = self.examined
        self.effort_per_day[day] = (
            self.effort[decided & ~examined].sum()
            + 0.5 * self.effort[held].sum()
            + 0.5 * self.effort[decided & examined].sum()
        )
        examined[decided] = False
        examined[held] = True


def drawn_outcome(model: ProtectionSystem, c: int, occurrence: int) -> int:
    """The first-instance outcome column the case draws (as ``cgrs_day``), computed here:
    0 refugee status, 1 subsidiary protection, 2 refusal, 3 inadmissible."""
    u = streams.uniform(model.seed, model.cases.key[c], streams.CGRS_OUTCOME, occurrence)
    cdf = model.profiles.cgrs_outcome_cdf[model.cases.profile[c]]
    return min(int(np.searchsorted(cdf, u, side="right")), 3)


def test_a_suspension_holds_negative_and_subsidiary_decisions_of_its_groups_then_releases_them(
    small_scenario,
):
    """While in force, a case of a suspended group whose decision would refuse, grant
    subsidiary protection or declare a subsequent application inadmissible is examined (its
    effort counted) and held pending; refugee status is still granted; other groups are
    decided as usual. When it ends the held cases are decided first, with the outcome each
    had drawn; nothing changes before it starts."""
    scenario = small_scenario(**SUSPENSION, changes=SUSPENSION_DATES)
    model = ProtectionSystem(scenario, 2)
    log = SuspensionLog(model)
    frame = model.run_to_end()
    reference = ProtectionSystem(small_scenario(**SUSPENSION), 2).run_to_end()
    start, end = scenario.day_of(SUSPENDED_FROM), scenario.day_of(SUSPENDED_UNTIL)
    pd.testing.assert_frame_equal(frame.iloc[:start], reference.iloc[:start])

    c = model.cases
    beta = group_mask(model, scenario, "beta")
    held = np.flatnonzero(log.held_day >= 0)
    assert len(held) > 100
    assert beta[held].all()
    assert ((log.held_day[held] >= start) & (log.held_day[held] < end)).all()
    subsequent = log.held_subsequent[held]
    assert subsequent.any() and (~subsequent).any()
    outcomes = np.array([drawn_outcome(model, k, log.held_occurrence[k]) for k in held])
    inadmissible = np.array(
        [
            streams.uniform(
                model.seed, c.key[k], streams.SUBSEQUENT_ADMISSIBILITY, log.held_occurrence[k]
            )
            < 0.5
            for k in held
        ]
    )
    assert np.isin(outcomes[~subsequent], (1, 2)).all()
    # a subsequent application: any decision but refugee status is held
    assert (inadmissible | (outcomes != 0))[subsequent].all()
    # the group's first applications decided while it was in force: refugee status or
    # inadmissible (protection elsewhere) only
    during = (log.decided_day >= start) & (log.decided_day < end)
    first = during & beta & (c.origin != states.SUBSEQUENT)
    decided = [drawn_outcome(model, k, log.decided_occurrence[k]) for k in np.flatnonzero(first)]
    assert set(decided) == {0, 3}
    assert not (during & beta & (log.status_decided == states.SUBSIDIARY)).any()
    assert (during & ~beta & (log.status_decided == states.REFUSED)).any()
    # once it ended the held cases were decided first, each with the outcome it had drawn
    assert log.order_kept
    assert (log.decided_day[held] >= end).all()
    first_held = ~subsequent
    granted = log.status_decided[held] == states.SUBSIDIARY
    np.testing.assert_array_equal(granted[first_held], outcomes[first_held] == 1)
    # the held persons are counted, and decided plus held cases use the officers' budget
    held_persons = np.bincount(log.held_day[held], c.size[held], minlength=scenario.days)
    np.testing.assert_array_equal(frame["cgrs_decisions_held"], held_persons)
    capacity = 40 * 5 / DAYS_PER_MONTH * np.arange(1, scenario.days + 1)
    cumulative = np.cumsum(log.effort_per_day)
    assert np.all(cumulative >= capacity - 1e-9)
    assert np.all(cumulative < capacity + 1.5)


def test_a_suspension_never_lifted_keeps_its_cases_pending(small_scenario):
    """Held cases stay in the CGRS's backlog until the suspension ends, unless they leave by
    another route (absconding from reception): none is decided meanwhile."""
    dates = SUSPENSION_DATES[:1]
    model = ProtectionSystem(small_scenario(**SUSPENSION, changes=dates), 2)
    log = SuspensionLog(model)
    frame = model.run_to_end()
    c = model.cases
    held = model.cgrs_desk.held.queued
    np.testing.assert_array_equal(held, log.held_day >= 0)
    pending = held & (c.state == states.PENDING_CGRS)
    assert pending.sum() > 100
    assert set(c.state[held & ~pending]) <= {states.ABSCONDED}
    assert (log.decided_day[held] < log.held_day[held]).all()  # not decided since
    assert frame["cgrs_backlog_cases"].iloc[-1] >= pending.sum()
    assert frame["cgrs_decisions_held"].sum() == c.size[held].sum()
