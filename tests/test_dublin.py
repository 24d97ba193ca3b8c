"""The Dublin procedure's legal clocks, transfers, absconding, and the CGRS's entries.

Each test builds a small scenario where every registered first application is a Dublin case
and checks the day-by-day series against the clocks the law sets: the request
``dublin_request_days`` after registration, the reply ``dublin_reply_days`` later, the
transfer window of ``dublin_transfer_window_days`` from acceptance (``..._absconded_...``
for absconders), and transfers within the Office's capacity.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowsim.engine import states
from flowsim.institutions.cgrs import decisions
from flowsim.model import ProtectionSystem

# Everyone is registered the day they arrive; every first application is a Dublin case.
ALL_DUBLIN = {
    "immigration_office.registration_capacity_persons_per_day": 1e6,
    "immigration_office.dublin_share": 1.0,
    "immigration_office.dublin_abscond_per_month": 0.0,
    "immigration_office.dublin_transfers_persons_per_month": 0.0,
    "reception.abscond_per_month": 0.0,
    "call.outcomes": {"confirm": 1.0, "annul": 0.0, "reform": 0.0},  # no case back to the CGRS
}


def run(small_scenario, **overrides):
    scenario = small_scenario(**{**ALL_DUBLIN, **overrides})
    model = ProtectionSystem(scenario, 3)
    return model, model.run_to_end()


def shifted(values: np.ndarray, days: int) -> np.ndarray:
    """``values`` moved ``days`` later (what happened on day d shows on day d + days)."""
    out = np.zeros_like(values)
    out[days:] = values[: len(values) - days]
    return out


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    request_days=st.integers(0, 40),
    reply_days=st.integers(0, 40),
    window_days=st.integers(0, 120),
)
def test_the_clocks_run_from_registration_to_responsibility(
    small_scenario, request_days, reply_days, window_days
):
    # Accepted, never transferred, never absconding: each case's request, acceptance and the
    # end of its window (Belgium responsible, lodged with the CGRS) come on the legal days.
    _, frame = run(
        small_scenario,
        **{
            "immigration_office.dublin_request_days": request_days,
            "immigration_office.dublin_reply_days": reply_days,
            "immigration_office.dublin_transfer_window_days": window_days,
            "immigration_office.dublin_acceptance_share": 1.0,
        },
    )
    applied = frame["applications"].to_numpy()
    reply = request_days + max(1, reply_days)
    closes = reply + max(1, window_days)
    np.testing.assert_array_equal(frame["dublin_requests"], shifted(applied, request_days))
    np.testing.assert_array_equal(frame["dublin_acceptances"], shifted(applied, reply))
    np.testing.assert_array_equal(frame["dublin_deadline_expired"], shifted(applied, closes))
    np.testing.assert_array_equal(frame["dublin_responsible"], shifted(applied, closes))
    assert frame["dublin_transfers"].sum() == 0


def test_a_refused_request_makes_belgium_responsible_at_the_reply(small_scenario):
    _, frame = run(
        small_scenario,
        **{
            "immigration_office.dublin_request_days": 10,
            "immigration_office.dublin_reply_days": 25,
            "immigration_office.dublin_acceptance_share": 0.0,
        },
    )
    applied = frame["applications"].to_numpy()
    assert frame["dublin_acceptances"].sum() == 0
    assert frame["dublin_deadline_expired"].sum() == 0
    np.testing.assert_array_equal(frame["dublin_responsible"], shifted(applied, 35))
    # the CGRS receives them then (and nothing else: no annulment, no subsequent application)
    np.testing.assert_array_equal(frame["cgrs_lodged"], frame["dublin_responsible"])


def test_transfers_stay_within_the_capacity_first_accepted_first(small_scenario):
    capacity = 45.0  # persons a month
    model, frame = run(
        small_scenario,
        **{
            "immigration_office.dublin_acceptance_share": 1.0,
            "immigration_office.dublin_transfers_persons_per_month": capacity,
            "immigration_office.dublin_transfer_window_days": 400,  # nobody's window closes
        },
    )
    transfers = frame["dublin_transfers"].to_numpy()
    per_day = capacity * 12 / 365.25
    largest_household = int(model.cases.size.max())
    # debt is carried: over any stretch from the start, transfers never exceed the capacity
    # by more than the household that overshot it
    assert (
        np.cumsum(transfers) <= per_day * np.arange(1, len(transfers) + 1) + largest_household
    ).all()
    # many more are accepted than can be transferred: the capacity is used in full
    assert transfers.sum() >= per_day * (len(transfers) - 60) - largest_household
    # first accepted first: every case transferred was accepted no later than any case still
    # waiting in the accepted state
    c = model.cases
    desk = model.immigration_office.dublin
    gone = c.state == states.DUBLIN_TRANSFERRED
    waiting = c.state == states.DUBLIN_ACCEPTED
    assert desk.accepted_day[gone].max() <= desk.accepted_day[waiting].min()


def test_unlimited_transfers_leave_nobody_waiting(small_scenario):
    _, frame = run(
        small_scenario,
        **{
            "immigration_office.dublin_acceptance_share": 1.0,
            "immigration_office.dublin_transfers_persons_per_month": 1e6,
        },
    )
    np.testing.assert_array_equal(frame["dublin_transfers"], frame["dublin_acceptances"])
    assert (frame["stock_dublin_accepted"] == 0).all()
    assert frame["dublin_deadline_expired"].sum() == 0


def test_absconders_leave_unless_they_reappear_when_the_long_window_closes(small_scenario):
    common = {
        "immigration_office.dublin_request_days": 5,
        "immigration_office.dublin_reply_days": 5,
        "immigration_office.dublin_acceptance_share": 1.0,
        "immigration_office.dublin_abscond_per_month": 1.0,  # all abscond within days
        "immigration_office.dublin_transfer_window_days": 180,
        "immigration_office.dublin_absconded_window_days": 60,
    }
    _, gone = run(
        small_scenario, **common, **{"immigration_office.dublin_absconded_return_share": 0.0}
    )
    absconded = gone["dublin_absconded"].to_numpy()
    assert (
        absconded.sum() == gone["dublin_acceptances"].sum() - gone["stock_dublin_accepted"].iloc[-1]
    )
    # the window closes 60 days after acceptance; without return, they have left for good
    # (no Belgian case: not counted as a deadline Belgium became responsible by)
    accepted = gone["dublin_acceptances"].to_numpy()
    assert gone["exits_absconded"].iloc[-1] == shifted(accepted, 60).sum()
    assert gone["dublin_deadline_expired"].sum() == 0
    assert gone["dublin_responsible"].sum() == 0
    # absconders hold no place and are on no waiting list
    assert gone["stock_dublin_absconded"].iloc[-1] > 0
    back = run(
        small_scenario, **common, **{"immigration_office.dublin_absconded_return_share": 1.0}
    )[1]
    # the same people abscond (same draws); now each reappears and is lodged when the window closes
    np.testing.assert_array_equal(back["dublin_absconded"], gone["dublin_absconded"])
    np.testing.assert_array_equal(back["dublin_responsible"], shifted(accepted, 60))
    np.testing.assert_array_equal(back["dublin_deadline_expired"], shifted(accepted, 60))
    assert back["exits_absconded"].iloc[-1] == 0


def test_travel_restrictions_hold_accepted_cases_from_their_date(small_scenario):
    """Nobody absconds while travel restrictions with a share of 0 are in force, not even
    cases accepted before they began (their waits are drawn again); before that date the run
    is the unrestricted one; once lifted, absconding resumes."""
    common = {
        "immigration_office.dublin_request_days": 5,
        "immigration_office.dublin_reply_days": 5,
        "immigration_office.dublin_acceptance_share": 1.0,
        "immigration_office.dublin_abscond_per_month": 0.3,
        "immigration_office.dublin_transfer_window_days": 180,
        "immigration_office.restricted_abscond_share": 0.0,
    }
    field = "immigration_office.travel_restrictions_in_force"
    restricted = [
        {"date": "2024-04-01", "field": field, "set": 1},
        {"date": "2024-08-01", "field": field, "set": 0},
    ]
    _, free = run(small_scenario, **common)
    _, held = run(small_scenario, **common, changes=restricted)
    dates = free["date"].dt.strftime("%Y-%m-%d")
    before, during = dates < "2024-04-01", (dates >= "2024-04-01") & (dates < "2024-08-01")
    for column in ("dublin_absconded", "dublin_acceptances", "dublin_deadline_expired"):
        np.testing.assert_array_equal(held[column][before], free[column][before])
    assert free["dublin_absconded"][during].sum() > 50
    assert held["dublin_absconded"][during].sum() == 0
    assert held["stock_dublin_accepted"][before].iloc[-1] > 100  # accepted before, held
    after = dates >= "2024-08-01"
    assert held["dublin_absconded"][after].sum() > 50
    # held cases whose window closed meanwhile made Belgium responsible instead
    assert held["dublin_deadline_expired"].sum() > free["dublin_deadline_expired"].sum()


def test_a_share_of_1_under_restrictions_changes_nothing(small_scenario):
    """Restrictions with absconding at its normal rate: the hazard does not change, so no
    wait is drawn again and the run is the unrestricted one."""
    common = {
        "immigration_office.dublin_acceptance_share": 1.0,
        "immigration_office.dublin_abscond_per_month": 0.3,
    }
    change = [
        {"date": "2024-04-01", "field": "immigration_office.travel_restrictions_in_force", "set": 1}
    ]
    _, free = run(small_scenario, **common)
    _, same = run(small_scenario, **common, changes=change)
    np.testing.assert_array_equal(same["dublin_absconded"], free["dublin_absconded"])


def test_subsequent_applications_from_outside_the_run_skip_dublin(small_scenario):
    model, frame = run(
        small_scenario,
        **{
            "inflow.monthly_persons": {f"2024-{m:02d}": 0.0 for m in range(1, 13)},
            "inflow.subsequent_monthly_persons": {"2024-03": 200.0, "2024-07": 150.0},
            "immigration_office.dublin_acceptance_share": 1.0,
        },
    )
    arrived = frame["subsequent_applications_external"].to_numpy()
    assert 250 < arrived.sum() < 450  # Poisson around 350 persons
    np.testing.assert_array_equal(frame["applications"], arrived)
    np.testing.assert_array_equal(frame["subsequent_applications"], arrived)
    assert frame["dublin_requests"].sum() == 0
    # lodged with the CGRS on the day they are registered (the day they arrive here)
    assert (frame["cgrs_lodged"].to_numpy() >= arrived).all()
    dates = frame["date"].dt.strftime("%Y-%m")
    assert set(dates[arrived > 0]) <= {"2024-03", "2024-07"}
    c = model.cases
    arrivals = (c.arrival_day >= 0) & (c.state != states.NOT_ARRIVED)
    assert (c.origin[arrivals] == states.SUBSEQUENT).all()


def test_subsequent_applications_are_examined_first(small_scenario):
    # a backlog of 400 waits at the start; subsequent applications from outside the run
    # arrive in March and are decided within days, inadmissible as the share says
    model, frame = run(
        small_scenario,
        **{
            "initial_state.pending_cgrs_persons": 400,
            "inflow.monthly_persons": {f"2024-{m:02d}": 0.0 for m in range(1, 13)},
            "inflow.subsequent_monthly_persons": {"2024-03": 60.0},
            "cgrs.subsequent_inadmissible_share": 1.0,
            "call.appeal_share_inadmissible": 0.0,
            "cgrs.case_officers_fte": 10,
        },
    )
    _, _, waited, _ = decisions(model.cgrs.log)
    c = model.cases
    subsequent = (c.origin == states.SUBSEQUENT) & (c.state != states.NOT_ARRIVED)
    assert subsequent.sum() > 20
    # every one is decided within days of lodging, ahead of a backlog still waiting
    assert (c.state[subsequent] != states.PENDING_CGRS).all()
    assert frame["cgrs_backlog"].iloc[90] > 0
    # (the backlog's cases have waited months: the quick decisions are the subsequent ones)
    assert (waited <= 10).sum() == subsequent.sum()
    # all inadmissible, none appealed: final negative outcomes
    assert (c.status[subsequent] == states.REFUSED).all()
    assert not np.isin(c.state[subsequent], [states.STATUS_HOLDER, states.PENDING_CALL]).any()
