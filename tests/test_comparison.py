"""Paired differences of a scenario against a baseline, on hand-made runs
(flowsim.experiments.comparison)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowsim.experiments.comparison import (
    compare_totals,
    difference_bands,
    pair,
    paired_series,
    period_totals,
)

DATES = pd.date_range("2024-01-01", periods=4, freq="D")


def run(values: dict[int, list[float]], column: str = "without_reception") -> pd.DataFrame:
    """A run's series: replication -> the series' values on DATES."""
    rows = [
        {"replication": r, "date": d, column: v}
        for r, series in values.items()
        for d, v in zip(DATES, series, strict=True)
    ]
    return pd.DataFrame(rows)


def manifest(seeds: list[int], members: list[int] | None = None, name: str = "x") -> dict:
    return {"scenario": name, "replication_seeds": seeds, "replication_members": members}


def test_replications_pair_by_seed_and_member_whatever_their_order() -> None:
    base = manifest([11, 22, 33], [0, 1, 2], "baseline")
    other = manifest([33, 11, 44], [2, 0, 0], "plan")
    pairing = pair(base, other, few=2)
    assert pairing.pairs == [(2, 0), (0, 1)]
    assert pairing.warnings == [
        "2 of 3 replications are paired (same seed and member); the others are left out of "
        "the paired differences"
    ]
    # same seed, another member: not the same draws
    assert pair(manifest([11], [0]), manifest([11], [1]), few=1).pairs == []


def test_no_shared_seed_and_few_pairs_are_said() -> None:
    none = pair(manifest([1, 2], name="baseline"), manifest([3, 4], name="plan"))
    assert not none.paired
    assert none.warnings[0].startswith("no replication of plan shares a seed with baseline")
    few = pair(manifest([1, 2]), manifest([1, 2]), few=10)
    assert few.pairs == [(0, 0), (1, 1)]
    assert few.warnings == [
        "only 2 paired replications: the bands and intervals of a difference rest on few runs "
        "(run 10 or more)"
    ]


def test_paired_differences_and_their_bands_by_hand() -> None:
    baseline = run({0: [10, 20, 30, 40], 1: [0, 0, 0, 0]})
    plan = run({0: [0, 0, 0, 0], 1: [9, 18, 27, 36]})  # replication 1 of the plan = seed of 0
    pairing = pair(manifest([5, 6]), manifest([7, 5]))
    assert pairing.pairs == [(0, 1)]
    wide = paired_series(baseline, plan, "without_reception", pairing)
    np.testing.assert_array_equal(wide[0].to_numpy(), [-1, -2, -3, -4])
    bands = difference_bands(baseline, plan, "without_reception", pairing)
    np.testing.assert_array_equal(bands[0.5].to_numpy(), [-1, -2, -3, -4])
    # a 2-day mean of the differences
    rolled = paired_series(baseline, plan, "without_reception", pairing, window=2)
    np.testing.assert_array_equal(rolled[0].to_numpy(), [-1, -1.5, -2.5, -3.5])
    unpaired = pair(manifest([1]), manifest([2]))
    assert difference_bands(baseline, plan, "without_reception", unpaired).empty


def test_totals_over_a_period_by_hand() -> None:
    frame = run({0: [1, 5, 2, 7], 1: [0, 3, 3, 0]})
    totals = period_totals(frame, "2024-01-02", "2024-01-03")
    assert totals.loc[0, "person_days_without_place"] == 7
    assert totals.loc[0, "peak_without_place"] == 5
    assert totals.loc[1, "person_days_without_place"] == 6
    assert "cgrs_backlog_at_end" not in totals  # the run has no backlog series
    backlog = run({0: [4, 3, 2, 1]}, "cgrs_backlog")
    assert period_totals(backlog, "2024-01-01", "2024-01-03").loc[0, "cgrs_backlog_at_end"] == 2


def test_paired_intervals_are_narrower_than_unpaired_when_runs_share_their_luck() -> None:
    """The plan removes exactly 10 person-days in every replication, whose levels differ
    widely: the paired difference is exactly -10, the unpaired interval wide."""
    levels = [100, 400, 250, 700, 50]
    baseline = run({r: [v, 0, 0, 0] for r, v in enumerate(levels)})
    plan = run({r: [v - 10, 0, 0, 0] for r, v in enumerate(levels)})
    seeds = manifest([1, 2, 3, 4, 5])
    table = compare_totals(baseline, plan, pair(seeds, seeds), DATES[0], DATES[-1])
    row = table.set_index("figure").loc["person_days_without_place"]
    assert row["paired_difference"] == pytest.approx(-10)
    assert row["paired_low"] == pytest.approx(-10) and row["paired_high"] == pytest.approx(-10)
    assert row["unpaired_low"] < -200 and row["unpaired_high"] > 200
    assert row["baseline_median"] == 250 and row["scenario_median"] == 240
    assert row["pairs"] == 5


def test_the_compare_command_pairs_two_runs_of_the_same_seed(tmp_path, small_scenario, capsys):
    """More places from the start, same seed: fewer person-days without a place in every
    replication, the paired interval inside the unpaired one; a CSV written on request."""
    from flowsim.cli import main
    from flowsim.results.runs import run_replications, write_results

    folders = {}
    for name, places in (("baseline", 150), ("more-places", 400)):
        scenario = small_scenario(
            name=name, **{"reception.centres.north.places": places, "cgrs.case_officers_fte": 5}
        )
        tables, seeds = run_replications(scenario, replications=4, seed=3)
        folders[name] = tmp_path / name
        write_results(folders[name], scenario, tables, seeds, 3, 0.0)
    csv = tmp_path / "table.csv"
    base, plan = str(folders["baseline"]), str(folders["more-places"])
    assert main(["compare", plan, "--baseline", base, "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "more-places against baseline, 2024-01-01 to 2024-12-31" in out
    assert "only 4 paired replications" in out
    row = pd.read_csv(csv).set_index("figure").loc["person_days_without_place"]
    assert row["pairs"] == 4 and row["paired_high"] < 0
    assert row["unpaired_low"] <= row["paired_low"] and row["paired_high"] <= row["unpaired_high"]
    # a period outside both runs, and a folder that is no run: one line, exit 2
    assert main(["compare", plan, "--baseline", base, "--start", "2030-01-01"]) == 2
    assert "expected a period both runs cover" in capsys.readouterr().err
    assert main(["compare", str(tmp_path), "--baseline", base]) == 2
    assert capsys.readouterr().err.strip().endswith("expected the run's daily series")


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (2_279_426_304, "euros", "EUR 2.28 bn"),
        (4_500_000, "euros", "EUR 4.5 m"),
        (250, "euros", "EUR 250"),
        (12_346, "persons", "12,300 persons"),
        (-1_250.4, "person-days", "-1,250 person-days"),
        (0.5, "persons", "0.5 persons"),
        (float("nan"), "persons", "-"),
    ],
)
def test_amounts_read_as_people_write_them(value, unit, text):
    from flowsim.experiments.intervals import amount_text

    assert amount_text(value, unit) == text


def test_an_interval_carries_its_unit_once():
    from flowsim.experiments.intervals import amount_interval_text

    assert amount_interval_text(-845.2, -962, -728, "person-days") == (
        "-845 [-962, -728] person-days"
    )
    assert amount_interval_text(None, -1740, 53, "persons") == "[-1,740, 53] persons"
    assert amount_interval_text(-2050, -4380, 281, "euros") == "EUR -2.05 k [EUR -4.38 k, EUR 281]"
