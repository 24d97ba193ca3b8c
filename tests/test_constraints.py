"""Why a measure changes nothing: binding capacities read from a run's series, and the
comparison view naming them when a scenario's paired difference is zero."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from flowsim.cli import main
from flowsim.dashboard.comparison_view import show_comparison
from flowsim.experiments.constraints import binding_constraints, why_unchanged
from flowsim.results.folders import classify
from flowsim.results.runs import run_replications, write_results


def _frame(**columns: list[float]) -> pd.DataFrame:
    days = len(next(iter(columns.values())))
    dates = pd.date_range("2024-01-01", periods=days)
    frames = [pd.DataFrame({"date": dates, "replication": r, **columns}) for r in range(3)]
    return pd.concat(frames, ignore_index=True)


def test_each_constraint_binds_only_when_its_series_say_so() -> None:
    capped = _frame(
        resettlement_awaiting_transfer=[0, 5, 40],
        without_reception=[0, 0, 0],
        occupancy_rate=[0.5, 0.8, 0.9],
        cgrs_backlog=[100, 50, 10],
        cgrs_decisions=[20, 20, 20],
    )
    found = binding_constraints(capped)
    assert set(found) == {"resettlement transfers", "idle reception places", "idle CGRS"}
    assert "40 selected refugees" in found["resettlement transfers"]
    assert "occupancy peaks at 90%" in found["idle reception places"]
    free = _frame(
        resettlement_awaiting_transfer=[5, 5, 0],
        without_reception=[0, 3, 0],
        cgrs_backlog=[100, 90, 80],
        cgrs_decisions=[20, 20, 20],
    )
    assert binding_constraints(free) == {}
    assert binding_constraints(pd.DataFrame({"date": [], "replication": []})) == {}
    # only the constraints capping the changed fields explain a change's absence
    assert why_unchanged(capped, ["resettlement.pledges_persons.2024"]) == [
        found["resettlement transfers"]
    ]
    assert why_unchanged(capped, ["returns.package.adult_eur"]) == []


def test_a_pledge_beyond_the_transfer_cap_is_explained_in_the_comparison(
    small_raw, tmp_path, capsys
) -> None:
    from flowsim.scenario.loading import scenario_from_dict

    folders = []
    for name, pledge in (("capped", 100), ("larger-pledge", 1000)):
        raw = small_raw()
        raw["name"] = name
        raw["resettlement"] = {
            "pledges_persons": {2024: 100},
            "selection_persons_per_month": 50,
            "transfer_persons_per_month": 4,
        }
        if pledge != 100:
            change = {"date": dt.date(2024, 1, 1), "field": "resettlement.pledges_persons.2024"}
            raw["changes"] = [{**change, "set": pledge}]
        scenario = scenario_from_dict(raw)
        tables, seeds = run_replications(scenario, replications=2, seed=3)
        write_results(tmp_path / name, scenario, tables, seeds, 3, 0.0)
        folders.append(classify(tmp_path / name))
    shown = show_comparison(folders, {}, "resettlement_arrivals", "capped")
    assert "larger-pledge changes nothing in resettled arrivals" in shown.message
    assert "resettlement transfers are capped" in shown.message
    shown = show_comparison(folders, {}, "resettlement_awaiting_transfer", "capped")
    assert "changes nothing" not in shown.message  # the queue does grow
    # the command line says it too, under the period's totals
    args = ["compare", str(tmp_path / "larger-pledge"), "--baseline", str(tmp_path / "capped")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "note: larger-pledge changes none of these figures: resettlement transfers" in out
