"""Status holders in reception and the housing found for them by municipalities."""

from __future__ import annotations

import numpy as np
import pytest

from flowsim.engine import states
from flowsim.model import ProtectionSystem
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config
from flowsim.scenario.municipalities import REGIONS, load_municipalities

# Everyone is recognised at once and the network has room: the only way out of reception
# is housing, leaving on one's own (switched off here) or the end of the maximum stay.
ALL_RECOGNISED = {
    "profiles.nationality_groups.alpha.cgrs_outcomes": {
        "refugee_status": 1.0,
        "subsidiary_protection": 0.0,
        "refusal": 0.0,
        "inadmissible": 0.0,
    },
    "profiles.nationality_groups.beta.cgrs_outcomes": {
        "refugee_status": 0.5,
        "subsidiary_protection": 0.5,
        "refusal": 0.0,
        "inadmissible": 0.0,
    },
    "cgrs.case_officers_fte": 60,
    "reception.centres.north.places": 3000,
    "reception.leave_to_private_housing_per_month": 0.0,
    "reception.abscond_per_month": 0.0,
    "immigration_office.dublin_share": 0.0,
}


def test_status_holders_stay_at_most_the_maximum_and_overstay_after_the_transition(
    small_scenario, run_model
):
    scenario = small_scenario(
        years=2,
        **ALL_RECOGNISED,
        **{
            "municipalities.housing_persons_per_month": 0,
            "status_holders": {"transition_period_days": 30, "max_stay_days": 90},
        },
    )
    model, frame = run_model(scenario)
    c = model.cases
    left = c.state == states.LEFT_WITH_STATUS
    assert left.sum() > 100
    # with no housing at all, every status holder leaves after exactly the maximum stay...
    still = c.state == states.STATUS_HOLDER
    assert np.all(model.n_days - 1 - c.status_day[still] < 90)
    # ... and nobody was housed
    assert frame["housed_by_municipalities"].sum() == 0
    assert (frame["status_holders_overstaying"] <= frame["status_holders_in_reception"]).all()
    # overstayers are exactly those granted between 30 and 90 days ago
    last = model.n_days - 1
    since = last - c.status_day[still]
    expected = c.size[still][since >= 30].sum()
    assert frame["status_holders_overstaying"].iloc[-1] == expected
    assert frame["status_holders_in_reception"].iloc[-1] == c.size[still].sum()


def test_status_holders_outside_reception_leave_with_their_status(small_scenario, run_model):
    scenario = small_scenario(
        **{
            **ALL_RECOGNISED,
            "reception.centres.north.places": 0,
            "reception.centres.south.places": 0,
            "reception.centres.tents.places": 0,
            "initial_state.in_reception_persons": {},
        },
    )
    model, frame = run_model(scenario)
    assert frame["status_holders_in_reception"].max() == 0
    granted = (model.cases.status == states.REFUGEE) | (model.cases.status == states.SUBSIDIARY)
    assert granted.sum() > 100
    assert np.all(model.cases.state[granted] == states.LEFT_WITH_STATUS)


def test_more_municipal_housing_empties_reception_of_status_holders(small_scenario, run_model):
    results = {}
    for supply in (30, 600):
        scenario = small_scenario(
            years=2,
            **ALL_RECOGNISED,
            **{
                "municipalities.housing_persons_per_month": supply,
                "status_holders": {"transition_period_days": 60, "max_stay_days": 400},
            },
        )
        _, frame = run_model(scenario, 3)
        results[supply] = frame
    low, high = results[30], results[600]
    assert high["housed_by_municipalities"].sum() > 3 * low["housed_by_municipalities"].sum()
    assert (
        high["status_holders_in_reception"].mean() < 0.5 * low["status_holders_in_reception"].mean()
    )
    assert high["status_holders_overstaying"].mean() < low["status_holders_overstaying"].mean()


@pytest.mark.parametrize("supply", [60.0, 150.0])
def test_housing_never_runs_ahead_of_the_supply(small_scenario, run_model, supply):
    scenario = small_scenario(
        years=2,
        **ALL_RECOGNISED,
        **{
            "municipalities.housing_persons_per_month": supply,
            "municipalities.unused_housing_kept_months": 1.0,
            "status_holders": {"transition_period_days": 60, "max_stay_days": 700},
        },
    )
    model, frame = run_model(scenario)
    housed = frame["housed_by_municipalities"].cumsum().to_numpy()
    supplied = supply / (365.25 / 12) * np.arange(1, len(frame) + 1)
    # each municipality may start one household early (it needs one person's housing free)
    slack = len(load_municipalities()) + model.cases.size.max()
    assert np.all(housed <= supplied + slack)
    # demand (300 a month) exceeds supply: most of it is used; what is not is the fraction of a
    # person that each small municipality has not yet accumulated
    assert housed[-1] > 0.5 * supplied[-1]


def test_restrictions_cut_the_housing_found_while_in_force_and_only_then(small_scenario, run_model):
    # demand (300 a month, all recognised) exceeds both supplies: housing found is the supply
    common = {
        **ALL_RECOGNISED,
        "municipalities.housing_persons_per_month": 200,
        "municipalities.unused_housing_kept_months": 1.0,
        "status_holders": {"transition_period_days": 60, "max_stay_days": 700},
    }
    window = [
        {"date": "2024-07-01", "field": "municipalities.restrictions_in_force", "set": 1},
        {"date": "2025-01-01", "field": "municipalities.restrictions_in_force", "set": 0},
    ]
    runs = {}
    for share in (1.0, 0.25):
        scenario = small_scenario(
            years=2,
            **common,
            **{"municipalities.restricted_housing_share": share, "changes": window},
        )
        model, frame = run_model(scenario, 5)
        # lifted by the end: each municipality offers its share of the normal supply again
        search = model.housing_search
        assert search.municipalities[0].housing_persons_per_month() == pytest.approx(
            search.weights[0] * 200
        )
        model.params["municipalities.restrictions_in_force"] = 1.0  # and its share under them
        assert search.municipalities[0].housing_persons_per_month() == pytest.approx(
            search.weights[0] * 200 * share
        )
        runs[share] = frame.set_index("date")
    normal, restricted = runs[1.0], runs[0.25]
    before = normal.index < "2024-07-01"
    assert normal[before].equals(restricted[before])  # nothing changes before the date
    housed = {
        k: f.loc["2024-08-01":"2024-12-31", "housed_by_municipalities"].sum()
        for k, f in runs.items()
    }
    assert housed[0.25] < 0.4 * housed[1.0]
    assert (
        restricted.loc["2024-12-31", "status_holders_in_reception"]
        > normal.loc["2024-12-31", "status_holders_in_reception"]
    )
    # once lifted, the normal supply again (within the supply kept from before)
    after = {k: f.loc["2025-03-01":, "housed_by_municipalities"].sum() for k, f in runs.items()}
    assert after[0.25] >= 0.9 * after[1.0]


def test_housed_cases_go_to_municipalities_in_proportion_to_population(small_scenario, run_model):
    """When housing is scarce (150 a month for 300 status holders), all of it is used, and
    each region houses its population share."""
    scenario = small_scenario(
        years=3,
        **ALL_RECOGNISED,
        **{
            "municipalities.housing_persons_per_month": 150,
            "status_holders": {"transition_period_days": 60, "max_stay_days": 400},
        },
    )
    model, _ = run_model(scenario, 1)
    c = model.cases
    housed = c.state == states.HOUSED
    assert np.all(c.municipality[housed] >= 0)
    assert np.all(c.municipality[~housed] == -1)
    table = load_municipalities()
    persons = np.bincount(c.municipality[housed], weights=c.size[housed], minlength=len(table))
    share = table.region_totals(persons)
    population = table.region_totals(table.population.astype(float))
    total = sum(population.values())
    for region in REGIONS:
        expected = population[region] / total
        assert abs(share[region] / persons.sum() - expected) < 0.03, region


def test_a_municipal_table_puts_all_housing_where_it_says(tmp_path, small_raw, run_model):
    import yaml

    table = load_municipalities()
    ghent = table.index_of(44021)
    rows = ["nis,housing_persons_per_month"] + [
        f"{nis},{100 if i == ghent else 0}" for i, nis in enumerate(table.nis)
    ]
    (tmp_path / "housing.csv").write_text("\n".join(rows) + "\n")
    raw = small_raw(**ALL_RECOGNISED, **{"municipalities.table_file": "housing.csv"})
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    model, frame = run_model(load_config(path))
    housed = model.cases.state == states.HOUSED
    assert housed.sum() > 20
    assert set(model.cases.municipality[housed]) == {ghent}


def test_a_missing_municipal_table_is_a_config_error(tmp_path, small_raw):
    import yaml

    raw = small_raw(**{"municipalities.table_file": "nowhere.csv"})
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == [
        f"{path}: municipalities.table_file: expected a CSV file with columns "
        f"nis,housing_persons_per_month, not found: {tmp_path / 'nowhere.csv'}"
    ]


def test_initial_status_holders_are_residents_with_their_waiting_time(small_scenario):
    scenario = small_scenario(
        **{
            "initial_state.status_holders_in_reception_persons": 60,
            "initial_state.status_holders_max_days_since_status": 120,
            "initial_state.in_reception_persons": {"north": 130, "south": 30},
            "status_holders": {"transition_period_days": 60, "max_stay_days": 240},
        }
    )
    model = ProtectionSystem(scenario, 0)
    c = model.cases
    holders = c.state == states.STATUS_HOLDER
    assert c.size[holders].sum() == 60
    assert np.all(c.housing[holders] == states.IN_CENTRE)
    assert np.all(c.status_day[holders] < 0)
    overstaying = holders & (c.status_day <= -60)
    assert model.tally.overstaying[0] == c.size[overstaying].sum()
    model.step()
    assert model.series()["status_holders_in_reception"].iloc[0] <= 60


def test_a_municipal_table_counts_in_the_config_hash_by_contents_not_path(tmp_path, small_raw):
    # a moved checkout keeps run ids (resume reruns nothing); an edited table changes them
    import yaml

    nis = load_municipalities().nis
    hashes = []
    for folder, housed_in in (("a", 0), ("b", 0), ("c", 1)):
        (tmp_path / folder).mkdir()
        rows = [f"{code},{100 if i == housed_in else 0}" for i, code in enumerate(nis)]
        csv_text = "\n".join(["nis,housing_persons_per_month", *rows]) + "\n"
        (tmp_path / folder / "housing.csv").write_text(csv_text)
        path = tmp_path / folder / "scenario.yaml"
        path.write_text(yaml.safe_dump(small_raw(**{"municipalities.table_file": "housing.csv"})))
        hashes.append(load_config(path).config_hash())
    assert hashes[0] == hashes[1]
    assert hashes[2] != hashes[0]
