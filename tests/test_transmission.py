"""The Immigration Office sending files to the CGRS: at once, or, while its capacity binds,
first ready first sent within it, with applicants leaving meanwhile at a hazard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import make_scenario
from flowsim.engine import states
from flowsim.engine.rates import DAYS_PER_MONTH
from flowsim.model import ProtectionSystem, simulate

LIMIT = "immigration_office.transmission_limit_in_force"
CAPACITY = "immigration_office.transmissions_persons_per_month"
LEAVE = "immigration_office.leave_before_transmission_per_month"


def test_a_limit_that_never_binds_changes_nothing():
    """Files sent the day they are ready either way: the same run, day by day."""
    free = simulate(make_scenario(), 3)
    limited = simulate(make_scenario(**{LIMIT: 1, CAPACITY: 1e6}), 3)
    pd.testing.assert_frame_equal(free, limited)
    assert free["stock_awaiting_transmission"].max() == 0


def test_a_binding_limit_holds_files_and_sends_them_within_it():
    """Sent within the capacity (persons a month, a household may overshoot by its size,
    carried to the next day); the files held are those handed over less those sent; when
    the limit ends every file held is sent that day."""
    capacity = 150.0
    scenario = make_scenario(
        **{
            LIMIT: 1,
            CAPACITY: capacity,
            "changes": [{"date": "2024-07-01", "field": LIMIT, "set": 0}],
        }
    )
    frame = simulate(scenario, 4)
    dates = pd.to_datetime(frame["date"])
    held = frame["stock_awaiting_transmission"]
    during = frame[dates < "2024-07-01"]
    sent = during["io_transmissions"].to_numpy()
    per_day = capacity / DAYS_PER_MONTH
    assert sent.sum() <= per_day * len(sent) + 10  # at most one household ahead
    assert sent.sum() >= per_day * len(sent) - 10  # the capacity is used: files wait
    assert held[dates == "2024-06-30"].item() > 500
    assert held[dates >= "2024-07-01"].max() == 0  # all sent on the first free day
    first_free = frame[dates == "2024-07-01"]["io_transmissions"].item()
    assert first_free >= held[dates == "2024-06-30"].item()


def test_applicants_leave_while_their_files_wait_at_the_stated_hazard():
    """No file sent, a monthly share leaving: the files held decay exponentially, and every
    one who leaves is counted, leaves reception and ends as absconded."""
    share, days = 0.3, 90
    scenario = make_scenario(
        persons_per_month=0.0,
        **{
            LIMIT: 1,
            CAPACITY: 0.0,
            LEAVE: share,
            "initial_state.awaiting_transmission_persons": 3000,
            "cgrs.case_officers_fte": 0,
            "reception.abscond_per_month": 0,
            "reception.leave_to_private_housing_per_month": 0,
        },
    )
    model = ProtectionSystem(scenario, 8)
    tally = model.tally
    start = int(tally.state_persons[states.AWAITING_TRANSMISSION])
    assert start == 3000
    for _ in range(days):
        model.step()
    model.check_conservation()
    left = start - int(tally.state_persons[states.AWAITING_TRANSMISSION])
    expected = start * (1 - (1 - share) ** (days / DAYS_PER_MONTH))
    # households leave together: the spread is that of ~2,000 cases, not 3,000 persons
    assert left == pytest.approx(expected, rel=0.06)
    assert int(tally.state_persons[states.ABSCONDED]) == left
    frame = model.series()
    assert frame["left_before_transmission"].sum() == left
    assert frame["io_transmissions"].sum() == 0


def test_a_new_leaving_hazard_applies_from_its_date():
    """The waits of the files held are drawn again when the hazard changes: from zero to a
    share, people start leaving that day, not before."""
    scenario = make_scenario(
        persons_per_month=0.0,
        **{
            LIMIT: 1,
            CAPACITY: 0.0,
            "initial_state.awaiting_transmission_persons": 2000,
            "changes": [{"date": "2024-03-01", "field": LEAVE, "set": 0.5}],
        },
    )
    frame = simulate(scenario, 2)
    dates = pd.to_datetime(frame["date"])
    before = frame[dates < "2024-03-01"]["left_before_transmission"].sum()
    after = frame[(dates >= "2024-03-01") & (dates < "2024-04-01")]["left_before_transmission"]
    assert before == 0
    expected = 2000 * (1 - math.exp(-31 * -math.log(0.5) / DAYS_PER_MONTH))
    assert after.sum() == pytest.approx(expected, rel=0.1)


def test_the_files_held_are_in_the_start_state_of_a_run_that_restarts():
    scenario = make_scenario(**{LIMIT: 1, CAPACITY: 100.0, LEAVE: 0.1})
    model = ProtectionSystem(scenario, 5)
    for _ in range(120):
        model.step()
    summary = model.state_summary()
    held = int(model.tally.state_persons[states.AWAITING_TRANSMISSION])
    assert held > 0 and summary["awaiting_transmission_persons"] == held
    assert np.isfinite(model.immigration_office.budgets).all()
