"""The ready scenarios in configs/: each is valid, runs, leaves the past alone and moves what
its measure should move (same seed as the baseline: common random numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowsim import load_config
from flowsim.model import ProtectionSystem

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
MEASURES = [
    "winter-plan-2022",
    "outflow-action-plan",
    "lri-action-plan",
    "resettlement-no-quota-cut-2023",
    "code-207-lifted",
]


@pytest.fixture(scope="module")
def baseline():
    scenario = load_config(CONFIGS / "belgium-baseline.yaml")
    return scenario, ProtectionSystem(scenario, 11).run_to_end().set_index("date")


@pytest.fixture(scope="module")
def measures():
    runs = {}
    for name in MEASURES:
        scenario = load_config(CONFIGS / f"{name}.yaml")
        runs[name] = scenario, ProtectionSystem(scenario, 11).run_to_end().set_index("date")
    return runs


def test_every_config_is_valid():
    names = {load_config(path).name for path in CONFIGS.glob("*.yaml")}
    assert {"belgium-baseline", "buffer-places-trigger"} <= names
    assert len(names) == len(list(CONFIGS.glob("*.yaml")))  # one name per file


@pytest.mark.parametrize("name", MEASURES)
def test_a_measure_leaves_the_days_before_it_alone(baseline, measures, name):
    base_scenario, base = baseline
    scenario, run = measures[name]
    own = scenario.changes[len(base_scenario.changes) :]
    assert scenario.changes[: len(base_scenario.changes)] == base_scenario.changes
    first = pd.Timestamp(min(change.date for change in own))
    before = run.index < first
    pd.testing.assert_frame_equal(run[before], base[before])
    assert not run[~before].equals(base[~before])


def window(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    return frame.loc[start:end]


def test_winter_plan_lowers_waiting_and_the_backlog(baseline, measures):
    _, base = baseline
    _, plan = measures["winter-plan-2022"]
    assert (plan.reception_capacity >= base.reception_capacity).all()
    assert (
        window(plan, "2023-01", "2024-12").cgrs_backlog.mean()
        < window(base, "2023-01", "2024-12").cgrs_backlog.mean()
    )
    assert (
        window(plan, "2023-01", "2025-12").without_reception.mean()
        <= window(base, "2023-01", "2025-12").without_reception.mean()
    )


def test_outflow_plan_houses_more_in_the_order_people_asked(baseline, measures):
    _, base = baseline
    _, plan = measures["outflow-action-plan"]
    later = slice("2023-07", "2025-12")
    assert (
        plan.loc[later].housed_by_municipalities.sum()
        > base.loc[later].housed_by_municipalities.sum()
    )
    # the extra housing goes to those who asked first: in the calibrated baseline, where the
    # supply is short of the status granted, those are mostly status holders at the end of
    # their maximum stay, who now leave housed rather than on their own; stays are hardly
    # shorter, so status holders in reception are no more, and at most 2% fewer
    end = plan.index[-1]
    assert plan.loc[end].exits_housed > base.loc[end].exits_housed
    assert plan.loc[end].exits_left_with_status < base.loc[end].exits_left_with_status
    stayed = plan.loc[later].status_holders_in_reception.mean()
    before = base.loc[later].status_holders_in_reception.mean()
    assert 0.98 * before <= stayed <= 1.005 * before


def test_lri_plan_adds_lri_places_and_never_more_waiting(baseline, measures):
    _, base = baseline
    _, plan = measures["lri-action-plan"]
    np.testing.assert_array_equal(
        plan.loc["2023-06-01":].capacity_lri, base.loc["2023-06-01":].capacity_lri + 1000
    )
    assert (
        plan.loc["2023-06":].without_reception.mean()
        <= base.loc["2023-06":].without_reception.mean()
    )


def test_keeping_the_2023_pledge_raises_resettlement_arrivals(baseline, measures):
    _, base = baseline
    _, kept = measures["resettlement-no-quota-cut-2023"]
    assert kept.loc["2023"].resettlement_selected.sum() == 1400
    assert base.loc["2023"].resettlement_selected.sum() == 500
    assert (
        kept.loc["2023"].resettlement_arrivals.sum() > base.loc["2023"].resettlement_arrivals.sum()
    )


def test_lifting_code_207_moves_residents_to_private_housing(baseline, measures):
    _, base = baseline
    _, lifted = measures["code-207-lifted"]
    later = slice("2023-01", "2025-12")
    assert lifted.loc[later].left_reception.sum() > 1.1 * base.loc[later].left_reception.sum()
    assert lifted.loc[later].in_private_housing.mean() > base.loc[later].in_private_housing.mean()
    assert lifted.loc[later].without_reception.mean() <= base.loc[later].without_reception.mean()


def test_long_stay_plan_decides_the_oldest_cases_from_its_date():
    """Compared with the same CGRS rule without the plan (common random numbers)."""
    runs = {}
    for name in ("shortest-expected-first", "long-stay-plan"):
        scenario = load_config(CONFIGS / f"{name}.yaml")
        model = ProtectionSystem(scenario, 11)
        frame = model.run_to_end().set_index("date")
        groups = model.series_by_group()
        runs[name] = frame, groups[groups.grouping == "nationality_group"]
    (rule, rule_groups), (plan, plan_groups) = runs.values()
    before = rule.index < pd.Timestamp("2023-03-01")
    pd.testing.assert_frame_equal(plan[before], rule[before])
    during = slice("2023-03-01", "2023-12-31")

    def decided(groups: pd.DataFrame) -> pd.DataFrame:
        """Persons decided during the plan by group, and their mean days waited."""
        part = groups[groups["date"].between("2023-03-01", "2023-12-31")]
        waited = (part["cgrs_mean_days_waited"] * part["cgrs_decisions"]).groupby(part["group"])
        persons = part.groupby("group")["cgrs_decisions"].sum()
        return pd.DataFrame({"persons": persons, "waited": waited.sum() / persons})

    by_rule, by_plan = decided(rule_groups), decided(plan_groups)
    # the group the rule leaves waiting (the fewest decided for those pending when the plan
    # starts) gets its cases decided: more of them, after longer waits
    start = rule_groups[rule_groups["date"] == "2023-03-01"].set_index("group")["pending_cgrs"]
    slowest = (by_rule["persons"] / start).idxmin()
    assert by_plan.loc[slowest, "persons"] > by_rule.loc[slowest, "persons"]
    assert by_plan.loc[slowest, "waited"] > by_rule.loc[slowest, "waited"]
    # and the mean wait of all those decided rises
    waited = [r.loc[during, "cgrs_days_waited"].sum() / r.loc[during, "cgrs_decisions"].sum()
              for r in (rule, plan)]  # fmt: skip
    assert waited[1] > waited[0]


@pytest.mark.parametrize("name", ["belgium-baseline", "hindcast-2023-2024"])
def test_the_baseline_and_hindcast_are_the_calibrated_history_carried_forward(name):
    """Written by flowsim forward (never by hand): every member carries a value of every
    field the history's calibration fits and a whole start state, the CGRS backlog the one
    observed on 2022-12-31."""
    from flowsim.scenario.calibration import calibrated_parameter
    from flowsim.scenario.initial_state import InitialState
    from flowsim.scenario.timeline import Timeline
    from flowsim.validation.observed import load_observed

    path = CONFIGS / f"{name}.yaml"
    schema, generated = path.read_text(encoding="utf-8").splitlines()[:2]
    assert schema.startswith("# yaml-language-server: $schema=")
    assert generated.startswith("# Generated by flowsim forward")
    scenario, history = load_config(path), load_config(CONFIGS / "belgium-history.yaml")
    assert scenario.start_date == history.end_date + pd.Timedelta(days=1)
    assert scenario.ensemble is not None and len(scenario.ensemble.members) >= 40
    fitted = {calibrated_parameter(key)[0] for key in history.calibration.parameters}
    observed = load_observed()
    backlog = observed[
        (observed.series == "cgrs_backlog") & (observed.end == pd.Timestamp(history.end_date))
    ]["value"]
    officers = Timeline(history).values_on(history.day_of(history.end_date))[
        "cgrs.case_officers_fte"
    ]
    for member in scenario.ensemble.members:
        assert fitted <= set(member)
        assert {f"initial_state.{f}" for f in InitialState.model_fields} - {
            "initial_state.in_reception_persons"
        } <= set(member)
        assert member["initial_state.pending_cgrs_persons"] == backlog.iloc[0]
        # the officers the history reached, not the template's default
        assert member["cgrs.case_officers_fte"] == officers


@pytest.mark.parametrize("name", ["belgium-baseline", "hindcast-2023-2024"])
def test_the_offices_files_at_the_end_of_the_history_carry_forward(name):
    """The Immigration Office's limit on sending files to the CGRS, in force at the end of the
    history, is in force from the forecast's first day, and the files it held then are in
    the members' start states (not dropped at the origin)."""
    from flowsim.scenario.timeline import Timeline

    history = load_config(CONFIGS / "belgium-history.yaml")
    scenario = load_config(CONFIGS / f"{name}.yaml")
    field = "immigration_office.transmission_limit_in_force"
    at_end = Timeline(history).values_on(history.day_of(history.end_date))[field]
    assert at_end == 1
    assert Timeline(scenario.member(0)).values_on(0)[field] == at_end
    held = [m["initial_state.awaiting_transmission_persons"] for m in scenario.ensemble.members]
    assert max(held) > 0


@pytest.mark.parametrize("name", ["belgium-baseline", "hindcast-2023-2024"])
def test_the_historys_reception_rules_hold_after_it(name):
    """`flowsim forward` carries fitted fields from the history, not rules: a reception rule
    in force at the end of the history (who may ask for a place, how places are dispatched),
    or the CGRS's way with admissible subsequent applications, must be in the 2023 template
    too, or the forecast would quietly drop it."""
    from flowsim.scenario.calibration import calibrated_parameter
    from flowsim.scenario.timeline import Timeline

    scenario, history = (
        load_config(CONFIGS / f"{name}.yaml"),
        load_config(CONFIGS / "belgium-history.yaml"),
    )
    fitted = {calibrated_parameter(key)[0] for key in history.calibration.parameters}
    at_end = Timeline(history).values_on(history.day_of(history.end_date))
    at_start = Timeline(scenario).values_on(0)
    rules = [
        field
        for field in at_end
        if field.startswith("reception.")
        and not field.startswith("reception.centres.")
        and field not in fitted
    ] + ["cgrs.subsequent_merits_queued"]
    assert "reception.subsequent_place_after_admissibility" in rules
    for field in rules:
        assert at_start[field] == at_end[field], field
