"""Belgian municipalities: the package table, sharing totals out (largest-remainder method)
and per-municipality capacity tables, with one error line per problem
(:class:`flowsim.scenario.errors.ConfigError`)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsim.scenario.errors import ConfigError
from flowsim.scenario.municipalities import (
    REGIONS,
    MunicipalityTable,
    allocate,
    distribute,
    load_municipalities,
    read_capacity_table,
    region_index,
    share_places_by_region,
)

NATIONAL_POPULATION = 11_492_641  # persons on 1 January 2020 (Statbel)
BRUSSELS_POPULATION = 1_218_255
COLUMNS = ("lri_places", "housing_per_month", "crisis_housing_places")
PACKAGE_CSV = (
    Path(__file__).resolve().parents[1] / "src" / "flowsim" / "data" / "municipalities.csv"
)


@pytest.fixture(scope="module")
def table() -> MunicipalityTable:
    return load_municipalities()


def problems_of(call, *args) -> list[str]:
    with pytest.raises(ConfigError) as info:
        call(*args)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


# --- the package table --------------------------------------------------------------------


def test_package_table_has_the_581_municipalities_before_the_2025_mergers(table):
    assert len(table) == 581
    assert table.nis.dtype == np.int64 and table.population.dtype == np.int64
    assert table.region.dtype == np.int8
    assert int(table.population.sum()) == NATIONAL_POPULATION
    assert len(set(table.nis.tolist())) == 581
    counts = {name: int((table.region == i).sum()) for i, name in enumerate(REGIONS)}
    assert counts == {"flanders": 300, "wallonia": 262, "brussels": 19}
    brussels = table.region == REGIONS.index("brussels")
    assert all((p == "") == b for p, b in zip(table.province, brussels, strict=True))
    assert len(set(table.province) - {""}) == 10
    assert table.name[table.index_of(11002)] == "Antwerpen"
    assert table.name[table.index_of(21001)] == "Anderlecht"
    assert table.population[table.index_of(21004)] > 150_000  # Brussels (city)


def test_index_of_every_code_and_unknown_code(table):
    assert [table.index_of(code) for code in table.nis] == list(range(len(table)))
    with pytest.raises(KeyError, match="no municipality with NIS code 99999"):
        table.index_of(99999)


def test_table_is_immutable(table):
    with pytest.raises(ValueError, match="read-only"):
        table.population[0] = 0
    with pytest.raises(AttributeError):
        table.name = ()  # type: ignore[misc]
    assert repr(table) == "MunicipalityTable(581 municipalities, population 11,492,641 persons)"


def test_loading_a_copy_by_path_gives_the_same_table(table, tmp_path):
    copy = tmp_path / "municipalities.csv"
    copy.write_bytes(b"\xef\xbb\xbf" + PACKAGE_CSV.read_bytes())  # with a byte-order mark
    loaded = load_municipalities(copy)
    assert np.array_equal(loaded.nis, table.nis)
    assert loaded.name == table.name and loaded.province == table.province
    assert np.array_equal(loaded.region, table.region)
    assert np.array_equal(loaded.population, table.population)


def test_region_labels():
    assert [region_index(x) for x in ("Flanders", "Wallonia", "Brussels-Capital")] == [0, 1, 2]
    assert region_index("  BRUSSELS ") == 2 and region_index("walloon region") == 1
    with pytest.raises(ValueError) as info:
        region_index("Ostbelgien")
    assert str(info.value) == (
        "expected a region (Flanders, Wallonia or Brussels-Capital), got 'Ostbelgien'"
    )


def test_region_totals_add_up_to_the_national_total(table):
    totals = table.region_totals(table.population)
    assert list(totals) == list(REGIONS)
    assert sum(totals.values()) == NATIONAL_POPULATION
    assert totals["brussels"] == BRUSSELS_POPULATION
    places = np.arange(len(table), dtype=np.float64) / 7
    assert sum(table.region_totals(places).values()) == pytest.approx(places.sum())
    with pytest.raises(ValueError, match=r"expected one value per municipality \(581\)"):
        table.region_totals(np.ones(580))


# --- allocate: the largest-remainder (Hamilton) method ------------------------------------


def hamilton(total: int, weights: list) -> list[int]:
    """Reference: exact rational quotas, leftovers to the largest remainders, lower index
    first."""
    quotas = [Fraction(total) * Fraction(w) / sum(map(Fraction, weights)) for w in weights]
    shares = [int(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


whole_weights = st.lists(st.integers(0, 10**6), min_size=1, max_size=40).filter(any)
fractional_weights = st.lists(
    st.floats(0, 1e6, allow_nan=False, allow_subnormal=False), min_size=1, max_size=40
).filter(any)
totals = st.integers(0, 10**6)


@given(totals, whole_weights)
def test_allocate_matches_exact_hamilton(total, weights):
    shares = allocate(total, np.array(weights))
    assert shares.dtype == np.int64
    assert shares.tolist() == hamilton(total, weights)
    # Whole numbers stored as floats are shared exactly alike.
    assert allocate(total, np.array(weights, dtype=np.float64)).tolist() == shares.tolist()


@given(totals, whole_weights)
def test_allocate_properties_with_whole_weights(total, weights):
    w = np.array(weights)
    shares = allocate(total, w)
    assert shares.sum() == total
    assert (shares >= 0).all()
    exact_floor = [total * x // sum(weights) for x in weights]
    exact_ceil = [-(-total * x // sum(weights)) for x in weights]
    assert all(lo <= s <= hi for lo, s, hi in zip(exact_floor, shares, exact_ceil, strict=True))
    assert (shares[w == 0] == 0).all()
    for i in range(len(w)):
        for j in range(i + 1, len(w)):
            if w[i] > w[j]:
                assert shares[i] >= shares[j]
            elif w[i] < w[j]:
                assert shares[i] <= shares[j]
            else:  # equal weights: equal shares, or one more for the lower index
                assert shares[i] - shares[j] in (0, 1)
    assert allocate(total, 3 * w).tolist() == shares.tolist()  # only proportions matter
    assert allocate(total, w).tolist() == shares.tolist()  # deterministic
    assert w.tolist() == weights  # the weights are not modified


@settings(max_examples=200)
@given(totals, fractional_weights)
def test_allocate_properties_with_fractional_weights(total, weights):
    w = np.array(weights)
    shares = allocate(total, w)
    assert shares.sum() == total
    assert (shares >= 0).all()
    quota = total * w / w.sum()
    assert (np.abs(shares - quota) < 1 + 1e-9 * np.maximum(quota, 1)).all()
    assert (shares[w == 0] == 0).all()
    assert np.array_equal(allocate(total, w), shares)


def test_allocate_examples_and_ties():
    assert allocate(10, np.array([1, 1, 3])).tolist() == [2, 2, 6]
    assert allocate(1, np.array([1, 1, 1])).tolist() == [1, 0, 0]
    assert allocate(2, np.array([1, 1, 1])).tolist() == [1, 1, 0]
    assert allocate(2, np.array([1, 3])).tolist() == [1, 1]  # remainders 0.5, 0.5: tie
    assert allocate(7, np.array([0.5, 0.25, 0.25])).tolist() == [3, 2, 2]  # 3.5, 1.75, 1.75
    assert allocate(0, np.array([0, 0])).tolist() == [0, 0]
    assert allocate(5, np.array([0, 2, 0])).tolist() == [0, 5, 0]
    assert allocate(np.int64(3), [2, 1]).tolist() == [2, 1]


def test_hamilton_can_show_the_alabama_paradox():
    # Not house-monotone: one more unit in all takes one from the third entry.
    assert allocate(10, np.array([6, 6, 2])).tolist() == [4, 4, 2]
    assert allocate(11, np.array([6, 6, 2])).tolist() == [5, 5, 1]


@pytest.mark.parametrize(
    ("total", "weights", "error", "message"),
    [
        (
            5,
            [0, 0, 0],
            ValueError,
            "allocate: cannot share 5 among 3 weights that are all zero; "
            "expected at least one positive weight",
        ),
        (
            5,
            [],
            ValueError,
            "allocate: cannot share 5 among 0 weights that are all zero; "
            "expected at least one positive weight",
        ),
        (-1, [1], ValueError, "allocate: expected a non-negative total, got -1"),
        (5, [1, -2], ValueError, "allocate: expected non-negative weights, got -2"),
        (5, [1.0, np.nan], ValueError, "allocate: expected finite weights, got NaN or infinity"),
        (
            5,
            [[1, 2]],
            ValueError,
            "allocate: expected a 1-D array of numeric weights, got int64 with shape (1, 2)",
        ),
        (5.0, [1], TypeError, "allocate: expected a whole number total, got 5.0"),
        (
            2**41,
            [0.5, 1],
            ValueError,
            "allocate: expected a total of at most 2**40 with fractional or very large "
            "weights, got 2199023255552",
        ),
    ],
)
def test_allocate_errors(total, weights, error, message):
    with pytest.raises(error) as info:
        allocate(total, np.array(weights))
    assert str(info.value) == message


# --- distribute ---------------------------------------------------------------------------


def test_distribute_by_population_gives_each_region_its_share(table):
    places = distribute(10_000.4, table)
    assert places.dtype == np.int64 and places.shape == (581,)
    assert places.sum() == 10_000
    exact = 10_000 * table.population / NATIONAL_POPULATION
    assert (np.abs(places - exact) < 1).all()
    totals = table.region_totals(places)
    assert sum(totals.values()) == 10_000
    brussels_share = BRUSSELS_POPULATION / NATIONAL_POPULATION  # about 10.6%
    assert abs(totals["brussels"] - 10_000 * brussels_share) <= 19  # within 1 per municipality
    assert places[table.index_of(11002)] in (460, 461)  # Antwerpen: quota 460.51


def test_distribute_equal_and_rounding(table):
    assert (distribute(3 * 581, table, key="equal") == 3).all()
    equal = distribute(1000, table, "equal")
    assert equal[:419].tolist() == [2] * 419 and equal[419:].tolist() == [1] * 162
    assert distribute(2.5, table).sum() == 2  # round half to even
    assert distribute(0, table).sum() == 0


def test_distribute_errors(table):
    with pytest.raises(ValueError) as info:
        distribute(100, table, key="area")
    assert str(info.value) == "distribute: expected key 'population' or 'equal', got 'area'"
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="distribute: expected a non-negative finite total"):
            distribute(bad, table)


# --- per-municipality capacity tables -----------------------------------------------------


def write_table(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def valid_rows(table: MunicipalityTable) -> list[str]:
    """One row per municipality: nis,lri_places,housing_per_month,crisis_housing_places."""
    return [f"{code},{i % 17},{i / 8},{0}" for i, code in enumerate(table.nis.tolist())]


HEADER = "nis,lri_places,housing_per_month,crisis_housing_places"


def test_capacity_table_round_trip(table, tmp_path):
    rng = np.random.default_rng(3)
    values = {
        "lri_places": rng.integers(0, 60, len(table)).astype(np.float64),
        "housing_per_month": rng.random(len(table)) * 12,
        "crisis_housing_places": np.zeros(len(table)),
    }
    order = rng.permutation(len(table))  # rows in any order; extra columns are ignored
    rows = [
        f" {table.nis[i]} ,{table.name[i].replace(',', ' ')},"
        + ",".join(repr(float(values[c][i])) for c in COLUMNS)
        for i in order
    ]
    rows.insert(100, "")  # a blank line is skipped
    path = write_table(tmp_path / "capacity.csv", f"nis, name,{','.join(COLUMNS)}", rows)
    read = read_capacity_table(path, table, COLUMNS)
    assert list(read) == list(COLUMNS)
    for column in COLUMNS:
        assert read[column].dtype == np.float64
        assert np.array_equal(read[column], values[column])
    assert read_capacity_table(path, table, ("lri_places",)).keys() == {"lri_places"}


def test_capacity_table_missing_file(table, tmp_path):
    path = tmp_path / "nope.csv"
    assert problems_of(read_capacity_table, path, table, COLUMNS) == [f"{path}: file not found"]


def test_capacity_table_missing_and_repeated_columns(table, tmp_path):
    path = write_table(tmp_path / "t.csv", "nis,lri_places,lri_places", valid_rows(table))
    assert problems_of(read_capacity_table, path, table, COLUMNS) == [
        f"{path}: line 1, column lri_places: expected this column once, got it 2 times",
        f"{path}: line 1, column housing_per_month: expected this column, missing",
        f"{path}: line 1, column crisis_housing_places: expected this column, missing",
    ]


def test_capacity_table_empty_file(table, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    assert problems_of(read_capacity_table, path, table, COLUMNS) == [
        f"{path}: line 1: expected a header with columns nis, lri_places, housing_per_month, "
        f"crisis_housing_places, got none"
    ]


def test_capacity_table_row_problems_one_line_each(table, tmp_path):
    rows = valid_rows(table)
    rows[0] = "11001,-3,1,0"  # line 2
    rows[1] = "11002,abc,,nan"  # line 3
    rows[2] = "11004,1,inf,0"  # line 4
    rows[3] = "11005,1,2"  # line 5: a field short
    rows[4] = "99999,1,2,3"  # line 6: no such municipality
    rows[5] = "11001,1,2,3"  # line 7: 11001 again
    rows[6] = "11009.0,1,2,3"  # line 8: not a NIS code
    path = write_table(tmp_path / "t.csv", HEADER, rows)
    assert problems_of(read_capacity_table, path, table, COLUMNS) == [
        f"{path}: line 2, column lri_places: expected a non-negative number, got '-3'",
        f"{path}: line 3, column lri_places: expected a non-negative number, got 'abc'",
        f"{path}: line 3, column housing_per_month: expected a non-negative number, got ''",
        f"{path}: line 3, column crisis_housing_places: expected a non-negative number, got 'nan'",
        f"{path}: line 4, column housing_per_month: expected a non-negative number, got 'inf'",
        f"{path}: line 5: expected 4 fields (nis, lri_places, housing_per_month, "
        f"crisis_housing_places), got 3",
        f"{path}: line 6, column nis: expected the NIS code of a municipality in the table, "
        f"got 99999",
        f"{path}: line 7, column nis: expected each municipality once, got 11001 again "
        f"(first on line 2)",
        f"{path}: line 8, column nis: expected a 5-digit NIS code, got '11009.0'",
        f"{path}: column nis: expected every municipality of the table once, missing 4 of 581: "
        f"11005 Boom, 11007 Borsbeek, 11008 Brasschaat, 11009 Brecht",
    ]


def test_capacity_table_missing_municipalities_lists_the_first_few(table, tmp_path):
    path = write_table(tmp_path / "t.csv", HEADER, valid_rows(table)[10:])
    first = [f"{table.nis[i]} {table.name[i]}" for i in range(4)]
    assert first[0] == "11001 Aartselaar"
    assert problems_of(read_capacity_table, path, table, COLUMNS) == [
        f"{path}: column nis: expected every municipality of the table once, missing 10 of 581: "
        f"{', '.join(first)} and 6 more"
    ]
    header_only = write_table(tmp_path / "h.csv", HEADER, [])
    assert problems_of(read_capacity_table, header_only, table, COLUMNS) == [
        f"{header_only}: column nis: expected every municipality of the table once, missing "
        f"581 of 581: {', '.join(first)} and 577 more"
    ]


def test_capacity_table_not_utf8(table, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n11001,1,2,3,Li\xe8ge\n").encode("latin-1"))
    assert problems_of(read_capacity_table, path, table, COLUMNS) == [
        f"{path}: expected UTF-8 text, got other bytes"
    ]


def test_capacity_table_column_arguments(table, tmp_path):
    path = write_table(tmp_path / "t.csv", HEADER, valid_rows(table))
    with pytest.raises(TypeError, match="expected a tuple of column names"):
        read_capacity_table(path, table, "lri_places")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected one or more distinct value columns"):
        read_capacity_table(path, table, ("nis", "lri_places"))
    with pytest.raises(ValueError, match="expected one or more distinct value columns"):
        read_capacity_table(path, table, ())


# --- municipality files with problems -----------------------------------------------------

MUNICIPALITY_HEADER = "nis_code,name,region,province,population,population_year"


def test_municipality_file_row_problems(tmp_path):
    rows = [
        "11001,Aartselaar,Flanders,Antwerp,14427,2020",  # line 2: fine
        "11001,Aartselaar,Flanders,Antwerp,14427,2020",  # line 3: again
        "1100,Short,Flanders,Antwerp,10,2020",  # line 4
        "21001,Anderlecht,Brussels-Capital,Brabant,120887,2020",  # line 5
        "25005,,Wallonia,,-4,2020",  # line 6
        "63023,Eupen,Ostbelgien,Liège,19.5,2020",  # line 7
    ]
    path = write_table(tmp_path / "m.csv", MUNICIPALITY_HEADER, rows)
    assert problems_of(load_municipalities, path) == [
        f"{path}: line 3, column nis_code: expected each NIS code once, got 11001 again "
        f"(first on line 2)",
        f"{path}: line 4, column nis_code: expected a 5-digit NIS code, got '1100'",
        f"{path}: line 5, column province: expected no province for a Brussels municipality, "
        f"got 'Brabant'",
        f"{path}: line 6, column name: expected a name, got ''",
        f"{path}: line 6, column province: expected a province outside Brussels, got ''",
        f"{path}: line 6, column population: expected a non-negative whole number of persons, "
        f"got '-4'",
        f"{path}: line 7, column region: expected a region (Flanders, Wallonia or "
        f"Brussels-Capital), got 'Ostbelgien'",
        f"{path}: line 7, column population: expected a non-negative whole number of persons, "
        f"got '19.5'",
    ]


def test_municipality_file_header_and_empty_problems(tmp_path):
    missing = tmp_path / "nope.csv"
    assert problems_of(load_municipalities, missing) == [f"{missing}: file not found"]
    no_region = write_table(tmp_path / "a.csv", "nis_code,name,province,population", [])
    assert problems_of(load_municipalities, no_region) == [
        f"{no_region}: line 1, column region: expected this column, missing"
    ]
    header_only = write_table(tmp_path / "b.csv", MUNICIPALITY_HEADER, [])
    assert problems_of(load_municipalities, header_only) == [
        f"{header_only}: expected at least one municipality, got none"
    ]


def test_lri_places_are_shared_among_the_municipalities_of_their_region(small_scenario):
    from flowsim.model import ProtectionSystem

    grow = {"date": "2024-03-01", "field": "reception.centres.south.places", "add": 500}
    scenario = small_scenario(**{"reception.centres.south.region": "wallonia"}, changes=[grow])
    model = ProtectionSystem(scenario, 0)
    search = model.housing_search
    table = search.table
    walloon = table.region == REGIONS.index("wallonia")
    places = np.array([m.lri_places() for m in search.municipalities])
    assert places.sum() == places[walloon].sum() == 60  # the LRI centre "south"
    assert (places[~walloon] == 0).all()
    # by population within the region: the largest Walloon municipality has the most
    assert places.argmax() == np.flatnonzero(walloon)[table.population[walloon].argmax()]
    for _ in range(scenario.day_of(dt.date(2024, 3, 1)) + 1):
        model.step()
    assert search.lri_places()[walloon].sum() == 560


def test_share_places_by_region_national_and_regional():
    table = load_municipalities()
    brussels = REGIONS.index("brussels")
    shared = share_places_by_region(np.array([1000, 190]), np.array([-1, brussels]), table)
    assert shared.sum() == 1190
    in_brussels = table.region == brussels
    # Brussels gets all 190 of its own and its population share of the national 1,000
    # (rounding: at most one place per municipality)
    national_share = 1000 * BRUSSELS_POPULATION / NATIONAL_POPULATION
    assert abs(shared[in_brussels].sum() - 190 - national_share) <= in_brussels.sum()
    equal = share_places_by_region(np.array([581]), np.array([-1]), table, key="equal")
    assert (equal == 1).all()


def test_municipality_agents_are_created_once_when_first_asked_for(small_scenario):
    from flowsim.institutions.housing import Municipality
    from flowsim.model import ProtectionSystem

    model = ProtectionSystem(small_scenario(), 0)
    assert not any(isinstance(agent, Municipality) for agent in model.agents)
    model.step()  # a day needs none of them
    assert not any(isinstance(agent, Municipality) for agent in model.agents)
    agents = model.housing_search.municipalities
    assert model.housing_search.municipalities is agents
    assert len(agents) == len(model.housing_search.table)
    assert [m.index for m in agents] == list(range(len(agents)))
    assert sum(isinstance(agent, Municipality) for agent in model.agents) == len(agents)
    assert sum(m.housing_persons_per_month() for m in agents) == pytest.approx(
        model.params["municipalities.housing_persons_per_month"]
    )
