"""Results by household type and nationality group add up to the national series."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim.engine.states import HOUSEHOLD_TYPES


@pytest.fixture(scope="module")
def run(small_scenario):
    from flowsim.model import ProtectionSystem

    scenario = small_scenario(
        years=2,
        **{
            "reception.centres.north.places": 100,  # a full network: some wait without a place
            "cgrs.case_officers_fte": 50,
        },
    )
    model = ProtectionSystem(scenario, 5)
    frame = model.run_to_end()
    return scenario, model, frame, model.series_by_group()


@pytest.mark.parametrize("grouping", ["household_type", "nationality_group"])
@pytest.mark.parametrize(
    "column, national",
    [
        ("in_reception", "in_reception"),
        ("without_reception", "without_reception"),
        ("pending_cgrs", "cgrs_backlog"),
        ("final_positive", "final_positive"),
        ("final_negative", "final_negative"),
        ("cgrs_decisions", "cgrs_decisions"),
    ],
)
def test_groups_add_up_to_the_national_series(run, grouping, column, national):
    _, _, frame, by_group = run
    summed = by_group[by_group.grouping == grouping].groupby("date")[column].sum()
    np.testing.assert_array_equal(summed.to_numpy(), frame[national].to_numpy())


def test_every_group_has_a_row_per_day(run):
    scenario, _, frame, by_group = run
    for grouping, names in (
        ("household_type", HOUSEHOLD_TYPES),
        ("nationality_group", tuple(scenario.profiles.nationality_groups)),
    ):
        rows = by_group[by_group.grouping == grouping]
        assert tuple(rows.group.unique()) == names
        assert len(rows) == len(frame) * len(names)


def test_mean_wait_by_group_matches_the_national_mean(run):
    _, _, frame, by_group = run
    rows = by_group[by_group.grouping == "household_type"].copy()
    rows["days"] = rows.cgrs_mean_days_waited.fillna(0) * rows.cgrs_decisions
    total_days = rows.groupby("date")["days"].sum().to_numpy()
    np.testing.assert_allclose(total_days, frame["cgrs_days_waited"].to_numpy(), atol=1e-6)
    assert rows.loc[rows.cgrs_decisions == 0, "cgrs_mean_days_waited"].isna().all()


def test_single_men_wait_without_a_place_first(run):
    """The dispatch rule of the small scenario serves unaccompanied minors, families and
    single women before single men."""
    _, _, frame, by_group = run
    assert frame["without_reception"].max() > 0
    rows = by_group[by_group.grouping == "household_type"]
    waiting = rows.groupby("group")["without_reception"].sum()
    assert waiting.idxmax() == "single_man"


def test_median_wait_by_group_matches_the_decisions_made(small_scenario):
    """The median is recomputed here from every decision seen around the CGRS's step."""
    import pandas as pd

    from conftest import wrap_step
    from flowsim.engine import states
    from flowsim.model import ProtectionSystem

    scenario = small_scenario(
        **{"cgrs.case_officers_fte": 20, "call.appeal_share_refusal": 0.0},
        **{"call.appeal_share_inadmissible": 0.0},  # lodged once: waited = day - lodged
    )
    model = ProtectionSystem(scenario, 3)
    c, seen = model.cases, []

    def before() -> None:
        seen.append(c.state == states.PENDING_CGRS)

    def after() -> None:
        decided = np.flatnonzero(seen.pop() & (c.state != states.PENDING_CGRS))
        for k in decided:
            htype = HOUSEHOLD_TYPES[model.profiles.household_type[c.profile[k]]]
            seen_rows.extend([(model.day, htype, model.day - c.lodged_day[k])] * int(c.size[k]))

    seen_rows: list[tuple] = []
    wrap_step(model.cgrs, before=before, after=after)
    model.run_to_end()
    expected = (
        pd.DataFrame(seen_rows, columns=["day", "group", "waited"])
        .groupby(["day", "group"])["waited"]
        .median()
    )
    rows = model.series_by_group()
    rows = rows[rows.grouping == "household_type"].copy()
    rows["day"] = (rows.date - pd.Timestamp(scenario.start_date)).dt.days
    got = rows.set_index(["day", "group"])["cgrs_median_days_waited"]
    assert len(expected) > 300
    np.testing.assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy())
    assert got.drop(expected.index).isna().all()  # nobody decided: no median


def test_daily_medians_of_hand_made_decisions():
    from flowsim.engine.groups import daily_medians

    # day, group, waited, persons
    rows = np.array([[0, 0, 10, 1], [0, 0, 30, 2], [0, 1, 5, 1], [0, 1, 7, 1], [2, 0, 4, 3]])
    got = daily_medians(*rows.T, shape=(3, 2))
    expected = np.array([[30, 6], [np.nan, np.nan], [4, np.nan]])
    np.testing.assert_array_equal(got, expected)
    empty = np.zeros(0, np.int64)
    assert np.isnan(daily_medians(empty, empty, empty, empty, shape=(2, 2))).all()
