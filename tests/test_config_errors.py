"""Bad scenario files: every problem is one line naming the file, the field and what was
expected (:class:`flowsim.scenario.errors.ConfigError`)."""

from __future__ import annotations

import datetime as dt
import tempfile
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from conftest import DELETE, make_raw, merge, set_path
from flowsim.engine.population import MAX_DAY
from flowsim.model import ProtectionSystem
from flowsim.scenario import ranges
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config, scenario_from_dict
from flowsim.scenario.ranges import ceiling, numbers
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import CHANGEABLE_SECTIONS

REPO = Path(__file__).resolve().parents[1]
CHANGEABLE = ", ".join(CHANGEABLE_SECTIONS)


def write(tmp_path: Path, raw: dict[str, Any], name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = info.value.problems
    assert str(info.value) == "\n".join(problems)
    return problems


def change(field: str, date: str = "2024-03-01", **op: Any) -> dict[str, Any]:
    return {"changes": [{"date": date, "field": field, **op}]}


def test_valid_small_scenario_and_baseline_load(tmp_path):
    scenario = load_config(write(tmp_path, make_raw()))
    assert isinstance(scenario, Scenario)
    assert scenario.days == 366
    baseline = load_config(REPO / "configs" / "belgium-baseline.yaml")
    assert baseline.days == (baseline.end_date - baseline.start_date).days + 1


CASES = [
    # (id, overrides, expected lines after "<path>: ")
    ("unknown top-level key", {"colour": "red"}, ["colour: unknown field"]),
    ("unknown nested key", {"cgrs.officers": 3}, ["cgrs.officers: unknown field"]),
    (
        "wrong type",
        {"cgrs.case_officers_fte": "many"},
        ["cgrs.case_officers_fte: input should be a valid number, got 'many'"],
    ),
    (
        "not a date",
        {"start_date": "tomorrow"},
        [
            "start_date: input should be a valid date or datetime, input is too short, "
            "got 'tomorrow'"
        ],
    ),
    (
        "negative capacity",
        {"reception.centres.north.places": -5},
        ["reception.centres.north.places: input should be greater than or equal to 0, got -5"],
    ),
    (
        "share above one",
        {"profiles.vulnerable_share": 1.5},
        ["profiles.vulnerable_share: input should be less than or equal to 1, got 1.5"],
    ),
    (
        "CGRS outcome shares",
        {"profiles.nationality_groups.alpha.cgrs_outcomes.refusal": 0.5},
        [
            "profiles.nationality_groups.alpha.cgrs_outcomes: expected CGRS outcome shares to "
            "sum to 1, got 1.15"
        ],
    ),
    (
        "household type shares",
        {"profiles.household_types.family.inflow_share": 0.5},
        ["profiles.household_types: expected inflow_share to sum to 1, got 1.2"],
    ),
    (
        "CALL outcome shares",
        {"call.outcomes.annul": 0.5},
        ["call.outcomes: expected CALL outcome shares to sum to 1, got 1.4"],
    ),
    (
        "change after the run",
        change("cgrs.case_officers_fte", date="2026-01-01", add=5),
        [
            "changes.0.date: expected a date within the run (2024-01-01 to 2024-12-31), "
            "got 2026-01-01"
        ],
    ),
    (
        "change before the run",
        change("cgrs.case_officers_fte", date="2023-06-01", add=5),
        [
            "changes.0.date: expected a date within the run (2024-01-01 to 2024-12-31), "
            "got 2023-06-01"
        ],
    ),
    (
        "change of a misspelt field",
        change("cgrs.case_oficers_fte", add=5),
        [
            f"changes.0.field: expected a numeric field of {CHANGEABLE}, got "
            "'cgrs.case_oficers_fte' (did you mean cgrs.case_officers_fte?)"
        ],
    ),
    (
        "change of a misspelt centre",
        change("reception.centres.nort.places", add=1),
        [
            f"changes.0.field: expected a numeric field of {CHANGEABLE}, got "
            "'reception.centres.nort.places' (did you mean reception.centres.north.places, "
            "reception.centres.south.places, reception.centres.tents.places?)"
        ],
    ),
    (
        "change of a profile field",
        change("profiles.vulnerable_share", set=0.5),
        [
            f"changes.0.field: expected a numeric field of {CHANGEABLE}, got "
            "'profiles.vulnerable_share'"
        ],
    ),
    (
        "change of the initial state",
        change("initial_state.pending_cgrs_persons", set=5),
        [
            f"changes.0.field: expected a numeric field of {CHANGEABLE}, got "
            "'initial_state.pending_cgrs_persons'"
        ],
    ),
    (
        "change of a non-numeric field",
        change("cgrs.prioritisation.rule", set=1),
        [
            f"changes.0.field: expected a numeric field of {CHANGEABLE}, got "
            "'cgrs.prioritisation.rule' (did you mean cgrs.protection_rate_scale?)"
        ],
    ),
    (
        "change to a negative capacity",
        change("reception.centres.north.places", multiply=-1),
        [
            "changes.0 (2024-03-01, reception.centres.north.places) gives an invalid value: "
            "reception.centres.north.places: input should be greater than or equal to 0, "
            "got -150.0"
        ],
    ),
    (
        "change to a share above one",
        change("immigration_office.dublin_share", add=1),
        [
            "changes.0 (2024-03-01, immigration_office.dublin_share) gives an invalid value: "
            "immigration_office.dublin_share: input should be less than or equal to 1, got 1.2"
        ],
    ),
    (
        "change breaking a sum of shares",
        change("call.outcomes.confirm", set=0.5),
        [
            "changes.0 (2024-03-01, call.outcomes.confirm) gives an invalid value: "
            "call.outcomes: expected CALL outcome shares to sum to 1, got 0.7"
        ],
    ),
    (
        "change with two operations",
        change("cgrs.case_officers_fte", add=1, set=3),
        ["changes.0: expected exactly one of set, add, multiply; got ['set', 'add']"],
    ),
    (
        "change without an operation",
        change("cgrs.case_officers_fte"),
        ["changes.0: expected exactly one of set, add, multiply; got none"],
    ),
    (
        "missing inflow months",
        {"inflow.monthly_persons.2024-03": DELETE, "inflow.monthly_persons.2024-07": DELETE},
        [
            "inflow.monthly_persons: expected a value for every month of the run, "
            "missing 2024-03, 2024-07"
        ],
    ),
    (
        "many missing inflow months",
        {f"inflow.monthly_persons.2024-{m:02d}": DELETE for m in range(2, 13)},
        [
            "inflow.monthly_persons: expected a value for every month of the run, "
            "missing 2024-02, 2024-03, 2024-04, 2024-05 and 7 more"
        ],
    ),
    (
        "bad month",
        {"inflow.monthly_persons.2024-13": 4},
        ["inflow.monthly_persons: expected months as YYYY-MM, got '2024-13'"],
    ),
    (
        "initial residents above the pending persons",
        {
            "initial_state.in_reception_persons": {"north": 140, "south": 60, "tents": 40},
            "initial_state.pending_cgrs_persons": 100,
            "initial_state.pending_call_persons": 100,
        },
        [
            "initial_state.in_reception_persons: expected at most the persons who can live in "
            "reception (pending at the CGRS or CALL, Dublin requested or accepted, status "
            "holders and orders to leave in reception: 200), got 240"
        ],
    ),
    (
        "initial residents above the persons who can live in reception, Dublin cases included",
        {
            "initial_state.in_reception_persons": {"north": 150, "south": 60, "tents": 40},
            "initial_state.pending_cgrs_persons": 100,
            "initial_state.pending_call_persons": 100,
            "initial_state.dublin_requested_persons": 20,
            "initial_state.dublin_accepted_persons": 10,
            "initial_state.dublin_absconded_persons": 500,  # absconded: never residents
            "initial_state.order_to_leave_removal_list_persons": 500,  # nor these
            "initial_state.order_to_leave_in_reception_persons": 15,
        },
        [
            "initial_state.in_reception_persons: expected at most the persons who can live in "
            "reception (pending at the CGRS or CALL, Dublin requested or accepted, status "
            "holders and orders to leave in reception: 245), got 250"
        ],
    ),
    (
        "more officers learning at the start than case officers, a ramp left beyond the ramp",
        {
            "cgrs.new_officer_ramp_days": 90,
            "initial_state.cgrs_officers_in_hiring_lag_fte": 30,
            "initial_state.cgrs_officers_in_ramp_fte": 15,
            "initial_state.cgrs_officers_ramp_days_left": 91,
        },
        [
            "initial_state.cgrs_officers_in_hiring_lag_fte + cgrs_officers_in_ramp_fte: "
            "expected at most the case officers (cgrs.case_officers_fte = 30), got 45",
            "initial_state.cgrs_officers_ramp_days_left: expected at most the ramp "
            "(cgrs.new_officer_ramp_days = 90), got 91",
        ],
    ),
    (
        "an initial waiting list longer than the pending persons not in reception",
        {"initial_state.without_reception_persons": 121},
        [
            "initial_state.without_reception_persons: expected at most the pending persons "
            "and Dublin cases (requested or accepted) not in reception (120), got 121"
        ],
    ),
    (
        "an initial waiting list longer than the pending and Dublin persons not in reception",
        {
            "initial_state.dublin_requested_persons": 30,
            "initial_state.dublin_accepted_persons": 10,
            "initial_state.order_to_leave_in_reception_persons": 20,  # take 20 of the places
            "initial_state.without_reception_persons": 181,
        },
        [
            "initial_state.without_reception_persons: expected at most the pending persons "
            "and Dublin cases (requested or accepted) not in reception (180), got 181"
        ],
    ),
    (
        "more orders to leave in reception than residents besides the status holders",
        {
            "initial_state.status_holders_in_reception_persons": 100,
            "initial_state.order_to_leave_in_reception_persons": 31,
        },
        [
            "initial_state.order_to_leave_in_reception_persons: expected at most the persons "
            "in reception less the status holders there (30), got 31"
        ],
    ),
    (
        "more status holders in reception than residents",
        {
            "initial_state.status_holders_in_reception_persons": 131,
            "initial_state.order_to_leave_in_reception_persons": 5,
        },
        [
            "initial_state.status_holders_in_reception_persons: expected at most the persons "
            "in reception (130), got 131"
        ],
    ),
    *(
        (
            f"negative {field}",
            {f"initial_state.{field}": -3},
            [f"initial_state.{field}: input should be greater than or equal to 0, got -3"],
        )
        for field in (
            "dublin_requested_persons",
            "dublin_accepted_persons",
            "dublin_absconded_persons",
            "order_to_leave_in_reception_persons",
            "order_to_leave_removal_list_persons",
        )
    ),
    (
        "a Dublin count that is not a number",
        {"initial_state.dublin_accepted_persons": "many"},
        ["initial_state.dublin_accepted_persons: input should be a valid number, got 'many'"],
    ),
    (
        "more people in crisis housing on the start date than its places",
        {
            "temporary_protection.crisis_housing_places": 100,
            "initial_state.tp_in_crisis_housing_persons": 101,
        },
        [
            "initial_state.tp_in_crisis_housing_persons: expected at most the crisis housing "
            "places (temporary_protection.crisis_housing_places = 100), got 101"
        ],
    ),
    (
        "initial residents above a centre's places",
        {"initial_state.in_reception_persons.south": 61},
        [
            "initial_state.in_reception_persons.south: expected at most the centre's 60 places, "
            "got 61"
        ],
    ),
    (
        "initial residents of an unknown centre",
        {"initial_state.in_reception_persons.west": 1},
        [
            "initial_state.in_reception_persons.west: expected a centre name, one of "
            "['north', 'south', 'tents']"
        ],
    ),
    (
        "prioritisation order naming an unknown group",
        {"cgrs.prioritisation": {"rule": "profile", "order": ["alpha", "gamma"]}},
        [
            "cgrs.prioritisation.order.1: expected a nationality group, household type or "
            "'vulnerable', got 'gamma'"
        ],
    ),
    (
        "suspended decisions of an unknown group",
        {"cgrs.suspended_groups": ["beta", "gamma"]},
        ["cgrs.suspended_groups.1: expected one of ['alpha', 'beta'], got 'gamma'"],
    ),
    (
        "profile rule without an order",
        {"cgrs.prioritisation": {"rule": "profile"}},
        ["cgrs.prioritisation: rule 'profile' needs a non-empty 'order'"],
    ),
    (
        "unknown prioritisation rule",
        {"cgrs.prioritisation.rule": "lifo"},
        [
            "cgrs.prioritisation.rule: input should be 'fifo', 'shortest_expected_first' or "
            "'profile', got 'lifo'"
        ],
    ),
    (
        "dispatch priority with a duplicate",
        {"reception.dispatch.priority": ["family", "family", "single_woman", "single_man"]},
        [
            "reception.dispatch.priority: expected each of ['single_man', 'single_woman', "
            "'family', 'unaccompanied_minor'] exactly once"
        ],
    ),
    (
        "unknown centre type",
        {"reception.centres.north.type": "hotel"},
        [
            "reception.centres.north.type: input should be 'collective', 'lri', 'emergency', "
            "'private_operator' or 'convention', got 'hotel'"
        ],
    ),
    (
        "missing required field",
        {"cgrs.hiring_lag_days": DELETE},
        ["cgrs.hiring_lag_days: required field is missing"],
    ),
    ("missing section", {"call": DELETE}, ["call: required field is missing"]),
    (
        "end before start",
        {"end_date": dt.date(2023, 12, 1)},
        ["end_date: expected a date on or after start_date"],
    ),
    (
        "nationality group named like a household type",
        {
            "profiles.nationality_groups": {
                "family": {
                    "inflow_share": 1.0,
                    "cgrs_outcomes": {
                        "refugee_status": 1,
                        "subsidiary_protection": 0,
                        "refusal": 0,
                        "inadmissible": 0,
                    },
                }
            }
        },
        [
            "profiles.nationality_groups: expected names other than household types and "
            "'vulnerable', got ['family']"
        ],
    ),
    (
        "two problems",
        {"cgrs.case_officers_fte": -1, "call.decisions_per_month": "x"},
        [
            "cgrs.case_officers_fte: input should be greater than or equal to 0, got -1",
            "call.decisions_per_month: input should be a valid number, got 'x'",
        ],
    ),
]


@pytest.mark.parametrize("overrides, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_config_messages(tmp_path, overrides, expected):
    path = write(tmp_path, make_raw(**overrides))
    assert problems_of(path) == [f"{path}: {line}" for line in expected]


def test_a_run_too_long_for_16_bit_days_is_refused_when_read(tmp_path):
    """Calendars keep days in 16 bits (:data:`flowsim.engine.population.MAX_DAY`): the longest
    run a scenario may have, and any day offset in it (a ``*_days`` field back from the
    start), fit; a longer run is one clear line when the file is read, before anything is
    built."""
    assert ranges.RUN_YEARS * 366 + ranges.DAYS <= MAX_DAY
    path = write(tmp_path, make_raw(years=ranges.RUN_YEARS + 1, persons_per_month=1.0))
    assert problems_of(path) == [
        f"{path}: end_date: expected a run of at most {ranges.RUN_YEARS} years, got 2074-12-31"
    ]


def test_nationality_group_shares_message_names_the_field(tmp_path):
    path = write(tmp_path, make_raw(**{"profiles.nationality_groups.beta.inflow_share": 0.5}))
    assert problems_of(path) == [
        f"{path}: profiles.nationality_groups: expected inflow_share to sum to 1, got 1.1"
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        (-3, "input should be greater than or equal to 0, got -3"),
        ("lots", "input should be a valid number, got 'lots'"),
    ],
)
def test_bad_monthly_inflow_value_is_one_clear_line(tmp_path, value, message):
    path = write(tmp_path, make_raw(**{"inflow.monthly_persons.2024-02": value}))
    assert problems_of(path) == [f"{path}: inflow.monthly_persons.2024-02: {message}"]


def test_infinite_capacity_is_rejected(tmp_path):
    path = tmp_path / "inf.yaml"
    text = yaml.safe_dump(make_raw(), sort_keys=False)
    text = text.replace("places: 150", "places: .inf", 1)
    assert "places: .inf" in text
    path.write_text(text, encoding="utf-8")
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: reception.centres.north.places: ")


def test_boolean_where_a_number_goes_is_rejected(tmp_path):
    path = tmp_path / "bool.yaml"
    text = yaml.safe_dump(make_raw(), sort_keys=False)
    text = text.replace("case_officers_fte: 30", "case_officers_fte: yes", 1)
    path.write_text(text, encoding="utf-8")
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: cgrs.case_officers_fte: ")


def test_change_of_a_monthly_inflow_is_rejected_or_applied(tmp_path):
    raw = make_raw(**change("inflow.monthly_persons.2024-05", set=3000))
    try:
        scenario = scenario_from_dict(raw, "changes.yaml")
    except ConfigError as err:
        assert err.problems[0].startswith("changes.yaml: changes.0.field: ")
        return
    base = scenario_from_dict(make_raw(), "base.yaml")
    c_changed = ProtectionSystem(scenario, 0).cases
    c_base = ProtectionSystem(base, 0).cases
    may = slice(*(base.day_of(dt.date(2024, m, 1)) for m in (5, 6)))

    def in_may(c):
        days = c.arrival_day
        return int(c.size[(days >= may.start) & (days < may.stop)].sum())

    assert in_may(c_changed) > 5 * in_may(c_base)


# --- file-level problems --------------------------------------------------------------------


def test_file_not_found(tmp_path):
    path = tmp_path / "missing.yaml"
    assert problems_of(path) == [f"{path}: file not found"]


def test_directory_is_not_a_file(tmp_path):
    assert problems_of(tmp_path) == [f"{tmp_path}: file not found"]


@pytest.mark.parametrize(
    "text, where",
    [
        ("name: x\nprofiles: [a, b\n", "at line 3, column 1"),
        ("name: x\n  profiles: 3\n", "at line 2, column 11"),
        ("name: x\nname: [\n", "at line 3, column 1"),
    ],
)
def test_invalid_yaml(tmp_path, text, where):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    assert problems_of(path) == [f"{path}: not valid YAML {where}"]


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n", "42\n"])
def test_top_level_not_a_mapping(tmp_path, text):
    path = tmp_path / "flat.yaml"
    path.write_text(text, encoding="utf-8")
    assert problems_of(path) == [f"{path}: expected a mapping of fields at the top level"]


def test_missing_inflow_csv(tmp_path):
    path = write(
        tmp_path,
        make_raw(
            **{"inflow.monthly_persons": DELETE, "inflow.monthly_persons_file": "inflow/nope.csv"}
        ),
    )
    csv_path = (tmp_path / "inflow" / "nope.csv").resolve()
    assert problems_of(path) == [
        f"{path}: inflow.monthly_persons_file: expected a CSV file with columns month,persons, "
        f"not found: {csv_path}"
    ]


def test_inflow_csv_is_read_relative_to_the_scenario(tmp_path):
    months = make_raw()["inflow"]["monthly_persons"]
    (tmp_path / "data").mkdir()
    lines = ["month,persons", *(f"{m},{100 + i}" for i, m in enumerate(months))]
    (tmp_path / "data" / "inflow.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    scenario = load_config(
        write(
            tmp_path,
            make_raw(
                **{
                    "inflow.monthly_persons": DELETE,
                    "inflow.monthly_persons_file": "data/inflow.csv",
                }
            ),
        )
    )
    assert scenario.inflow.monthly_persons == {m: 100.0 + i for i, m in enumerate(months)}


@pytest.mark.parametrize(
    "content, message",
    [
        ("when,persons\n2024-01,5\n", "expected columns month,persons in {csv}"),
        ("month,persons\n2024-01,5\n2024-02,many\n", "expected a number of persons at {csv}:3"),
    ],
)
def test_bad_inflow_csv(tmp_path, content, message):
    csv_path = tmp_path / "inflow.csv"
    csv_path.write_text(content, encoding="utf-8")
    path = write(
        tmp_path,
        make_raw(**{"inflow.monthly_persons": DELETE, "inflow.monthly_persons_file": "inflow.csv"}),
    )
    expected = message.format(csv=csv_path.resolve())
    assert problems_of(path) == [f"{path}: inflow.monthly_persons_file: {expected}"]


def test_csv_missing_months_are_reported_like_inline_ones(tmp_path):
    (tmp_path / "inflow.csv").write_text("month,persons\n2024-01,5\n", encoding="utf-8")
    path = write(
        tmp_path,
        make_raw(**{"inflow.monthly_persons": DELETE, "inflow.monthly_persons_file": "inflow.csv"}),
    )
    assert problems_of(path) == [
        f"{path}: inflow.monthly_persons: expected a value for every month of the run, "
        "missing 2024-02, 2024-03, 2024-04, 2024-05 and 7 more"
    ]


# --- random mutations of a valid file ---------------------------------------------------------


def _model_type(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds directly, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _walk(model: type[BaseModel], raw: Any, prefix: str, out: dict[str, list[str]]) -> None:
    """Collect dotted paths of the valid file: required fields, model mappings, numbers."""
    if not isinstance(raw, dict):
        return
    out["mappings"].append(prefix.rstrip("."))
    for name, field in model.model_fields.items():
        if name not in raw:
            continue
        path = f"{prefix}{name}"
        value = raw[name]
        if field.is_required():
            out["required"].append(path)
        annotation = field.annotation
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        sub = _model_type(annotation)
        if sub is not None:
            _walk(sub, value, f"{path}.", out)
        elif origin is dict and args and _model_type(args[1]) is not None:
            for key, item in value.items():
                _walk(args[1], item, f"{path}.{key}.", out)
        elif origin is list and args and _model_type(args[0]) is not None:
            for i, item in enumerate(value):
                _walk(args[0], item, f"{path}.{i}.", out)
        elif isinstance(value, dict):  # plain mappings: months, residents by centre
            for key, item in value.items():
                if isinstance(item, int | float) and not isinstance(item, bool):
                    out["numbers"].append(f"{path}.{key}")
                    if name == "monthly_persons":
                        out["required"].append(f"{path}.{key}")  # every month is needed
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out["numbers"].append(path)


VALID = make_raw(
    changes=[{"date": dt.date(2024, 6, 1), "field": "cgrs.case_officers_fte", "set": 40}]
)
PATHS: dict[str, list[str]] = {"required": [], "mappings": [], "numbers": []}
_walk(Scenario, VALID, "", PATHS)
# a negative 'add' is a valid change; every other number of the file must be non-negative
NEGATABLE = [p for p in PATHS["numbers"] if not p.startswith("changes.")] + ["changes.0.set"]


def _get(tree: Any, path: str) -> Any:
    for key in path.split("."):
        tree = tree[int(key)] if isinstance(tree, list) else tree[key]
    return tree


junk_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ -", min_size=1, max_size=8).map(
    lambda s: "zz" + s
)
mutation = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(PATHS["required"]), st.none()),
    st.tuples(
        st.just("unknown"),
        st.sampled_from(PATHS["mappings"]),
        st.tuples(junk_text, st.one_of(st.integers(-5, 5), junk_text, st.none())),
    ),
    st.tuples(st.just("string"), st.sampled_from(PATHS["numbers"]), junk_text),
    st.tuples(st.just("negative"), st.sampled_from(NEGATABLE), st.floats(0.01, 1e6)),
)


def mutate(raw: dict[str, Any], kind: str, path: str, arg: Any) -> None:
    if kind == "drop":
        set_path(raw, path, DELETE)
    elif kind == "unknown":
        key, value = arg
        target = _get(raw, path) if path else raw
        target[key] = value
    elif kind == "string":
        set_path(raw, path, arg)
    else:
        set_path(raw, path, -arg)


def test_mutation_paths_cover_the_schema():
    assert "cgrs.hiring_lag_days" in PATHS["required"]
    assert "profiles.household_types.family.inflow_share" in PATHS["required"]
    assert "changes.0.field" in PATHS["required"]
    assert "inflow.monthly_persons.2024-06" in PATHS["required"]
    assert "reception.centres.tents" in PATHS["mappings"]
    assert "reception.centres.north.places" in NEGATABLE
    assert "initial_state.in_reception_persons.north" in NEGATABLE
    assert "profiles.nationality_groups.beta.case_effort" in NEGATABLE
    scenario_from_dict(merge(VALID, {}), "valid.yaml")  # the unmutated file is valid


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mutations=st.lists(mutation, min_size=1, max_size=3))
def test_random_mutations_raise_config_error(mutations):
    raw = merge(VALID, {})
    for kind, path, arg in mutations:
        try:
            mutate(raw, kind, path, arg)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path: skip it
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_config(path)
    problems = info.value.problems
    assert problems
    for line in problems:
        assert line.startswith(f"{path}: "), line
        assert "\n" not in line
        assert len(line) > len(f"{path}: ") + 5


def test_some_mutations_are_numbers_of_every_kind():
    # the numeric paths include counts, shares, days, rates and prices
    joined = " ".join(NEGATABLE)
    for word in ("places", "share", "days", "per_month", "cost_eur_per_night", "persons"):
        assert word in joined, word
    assert np.all([isinstance(_get(VALID, p), int | float) for p in NEGATABLE])


LABEL_CHARS = st.sampled_from("abcXYZ019._-")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(["", "..", "../escaped", "/tmp/x", "a/b", "a\\b", ".hidden", "x" * 101]),
    )
)
def test_a_name_is_a_label_never_a_path(tmp_path, name):
    """A scenario's name names its default results folder (results/<name>): anything that
    could leave that folder, or names no folder, is one line at validation."""
    from flowsim.scenario.fields import LABEL

    path = write(tmp_path, make_raw(name=name))
    if LABEL.match(name):
        scenario = load_config(path)
        folder = (Path("results") / scenario.name).resolve()
        assert folder.parent == Path("results").resolve()
    else:
        (line,) = problems_of(path)
        assert line.startswith(f"{path}: name: expected a label")


@given(st.text(LABEL_CHARS, min_size=1, max_size=100).filter(lambda t: t[0] not in "._-"))
def test_every_label_is_a_name(name):
    scenario_from_dict(make_raw(name=name), "<label>")


@pytest.mark.parametrize(
    "text, message",
    [
        (b"name: a\nname: b\n", "not valid YAML at line 2, column 1: duplicate key 'name'"),
        (
            b"name: x\nend_date: 2025-02-30\n",
            "not valid YAML at line 2, column 11: expected a calendar date, got '2025-02-30'",
        ),
        (b"name: x\nstart_date: 2025-13-01\n", "expected a calendar date, got '2025-13-01'"),
        (b"name: caf\xe9\n", "expected UTF-8 text, byte 9 is not (save the file as UTF-8)"),
        (b"name: x\ndescription: " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    ],
    ids=["duplicate-key", "day-30-february", "month-13", "latin-1", "deep-nesting"],
)
def test_text_that_is_no_config_is_one_line(tmp_path, text, message):
    path = tmp_path / "scenario.yaml"
    path.write_bytes(text)
    (line,) = problems_of(path)
    assert line.startswith(f"{path}: ") and line.endswith(message), line
    # the same problem inside a base file is reported against that file
    child = tmp_path / "child.yaml"
    child.write_text("base: scenario.yaml\nname: child\n", encoding="utf-8")
    (line,) = problems_of(child)
    assert line.startswith(f"{path}: ") and line.endswith(message), line


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_config_lines_never_a_crash(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        path.write_bytes(data)
        try:
            load_config(path)
        except ConfigError as err:
            assert err.problems and all(p.startswith(str(path)) for p in err.problems)


SECTIONS_WITH_NUMBERS = [
    p
    for p, _value in numbers(make_raw())
    if p.split(".")[0] not in ("changes", "triggers", "calibration", "ensemble")
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SECTIONS_WITH_NUMBERS), st.floats(1.0001, 1e300))
def test_a_number_above_its_plausible_range_is_one_line_naming_it(path, factor):
    """Whatever the field, a value beyond its unit's range (flowsim.scenario.ranges) is refused at
    validation, naming the field, before anything runs."""
    high, unit = ceiling(path)
    raw = make_raw(**{path: high * factor})
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(raw, "<s>")
    # the range's line, or the schema's own bound where it is tighter (shares: at most 1)
    assert any(line.startswith(f"<s>: {path}: ") for line in err.value.problems), err.value.problems


@pytest.mark.parametrize(
    "overrides, line",
    [
        ({"cgrs.case_officers_fte": 1e30}, "cgrs.case_officers_fte: expected at most 100,000 FTE"),
        ({"cgrs.long_stay_first_days": 1e300}, "cgrs.long_stay_first_days: expected at most 3,653"),
        ({"initial_state.pending_cgrs_persons": 1e9}, "pending_cgrs_persons: expected at most"),
        ({"inflow.scale": 1e6}, "inflow.scale: expected at most 100 times"),
        (
            change("cgrs.case_officers_fte", multiply=1e9),
            "changes.0.multiply: expected at most 100 times",
        ),
    ],
)
def test_the_issues_crashing_values_are_refused_at_validation(tmp_path, overrides, line):
    problems = problems_of(write(tmp_path, make_raw(**overrides)))
    assert any(line in p for p in problems), problems


HISTORY = Path(__file__).parents[1] / "configs" / "belgium-history.yaml"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_a_truncated_config_or_inflow_file_gives_lines_never_a_crash(tmp_path_factory, data):
    """The history scenario, or its monthly applications CSV, cut at any byte: the scenario
    either still loads or gives problem lines naming the file that was cut."""
    folder = tmp_path_factory.mktemp("cut")
    text = HISTORY.read_bytes()
    (folder / "data").mkdir()
    inflow = "data/belgium-history-first-applications.csv"
    csv = (HISTORY.parent / inflow).read_bytes()
    cut_csv = data.draw(st.booleans(), label="cut the CSV")
    if cut_csv:
        csv = csv[: data.draw(st.integers(0, len(csv) - 1), label="CSV bytes kept")]
    else:
        text = text[: data.draw(st.integers(0, len(text) - 1), label="YAML bytes kept")]
    path = folder / "history.yaml"
    path.write_bytes(text)
    (folder / inflow).write_bytes(csv)
    (folder / "data" / "belgium-history-subsequent.csv").write_bytes(
        (HISTORY.parent / "data" / "belgium-history-subsequent.csv").read_bytes()
    )
    try:
        load_config(path)
    except ConfigError as err:
        named = str(folder / inflow) if cut_csv else str(path)
        assert err.problems and all(p.startswith((str(path), named)) for p in err.problems)


ERRORS_HEADER = "series,resolution,points,effective_points,scale\n"
MEMBER = {"cgrs.decisions_per_officer_per_month": 5.0}


def test_the_fits_errors_are_read_relative_to_the_scenario(tmp_path):
    (tmp_path / "errors.csv").write_text(ERRORS_HEADER + "cgrs_backlog,day,12,4.5,0.21\n")
    ensemble = {"members": [MEMBER], "errors_file": "errors.csv"}
    scenario = load_config(write(tmp_path, make_raw(ensemble=ensemble)))
    (error,) = scenario.ensemble.errors
    assert (error.series, error.points, error.effective_points, error.scale) == (
        "cgrs_backlog",
        12,
        4.5,
        0.21,
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "expected a CSV file with columns {columns}, not found: {csv}"),
        ("series,scale\ncgrs_backlog,0.2\n", "expected columns {columns} in {csv}"),
    ],
)
def test_bad_errors_csv(tmp_path, content, message):
    csv_path = tmp_path / "errors.csv"
    if content is not None:
        csv_path.write_text(content, encoding="utf-8")
    ensemble = {"members": [MEMBER], "errors_file": "errors.csv"}
    path = write(tmp_path, make_raw(ensemble=ensemble))
    columns = ERRORS_HEADER.strip()
    expected = message.format(csv=csv_path.resolve(), columns=columns)
    assert problems_of(path) == [f"{path}: ensemble.errors_file: {expected}"]


def test_a_non_positive_error_scale_names_its_row(tmp_path):
    (tmp_path / "errors.csv").write_text(ERRORS_HEADER + "cgrs_backlog,day,12,4.5,-1\n")
    ensemble = {"members": [MEMBER], "errors_file": "errors.csv"}
    path = write(tmp_path, make_raw(ensemble=ensemble))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: ensemble.errors.0.scale: ")
    assert "greater than 0" in problem
