"""Experiment files: validation messages, design sizes, how factors change a scenario."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiment_helpers import TINY_SPEC, write_base, write_spec
from flowsim.cli import main
from flowsim.experiments.design import baseline_point, design_matrix, design_size
from flowsim.experiments.spec import Spec, experiment_from_dict, load_experiment
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.timeline import Timeline

EXPERIMENTS = Path(__file__).parent.parent / "experiments"


def _sampling_spec(kind: str, samples: int, **design) -> dict:
    spec = copy.deepcopy(TINY_SPEC)
    spec["levers"] = [
        {"name": "officers", "field": "cgrs.case_officers_fte", "range": [10, 50]},
        {
            "name": "extra_tents",
            "change": {
                "field": "reception.centres.tents.places",
                "date": "2024-01-15",
                "op": "add",
            },
            "range": [0, 200],
        },
    ]
    spec["uncertainties"] = [{"name": "inflow", "field": "inflow.scale", "range": [0.8, 1.2]}]
    spec["design"] = {"kind": kind, "samples": samples, **design}
    return spec


def test_factorial_takes_every_combination_last_factor_fastest(tmp_path):
    experiment = load_experiment(write_spec(tmp_path))
    points = design_matrix(experiment.spec)
    assert design_size(experiment.spec) == len(points) == 4
    assert points == [
        {"officers": 20.0, "extra_tents": 0.0},
        {"officers": 20.0, "extra_tents": 100.0},
        {"officers": 40.0, "extra_tents": 0.0},
        {"officers": 40.0, "extra_tents": 100.0},
    ]
    assert baseline_point(experiment.spec, points) == 0
    spec = Spec.model_validate({**TINY_SPEC, "baseline": {"officers": 40}})
    assert baseline_point(spec, points) == 2


@pytest.mark.parametrize(
    ("kind", "samples", "design", "expected"),
    [
        ("sobol", 8, {"second_order": True}, 8 * (2 * 3 + 2)),  # Saltelli N(2D+2)
        ("sobol", 8, {}, 8 * (3 + 2)),  # first and total order only: N(D+2)
        ("morris", 5, {"levels": 4}, 5 * (3 + 1)),  # N trajectories of D+1 points
        ("latin_hypercube", 7, {}, 7),
    ],
)
def test_sampling_design_sizes_and_bounds(kind, samples, design, expected):
    spec = Spec.model_validate(_sampling_spec(kind, samples, **design))
    points = design_matrix(spec)
    assert design_size(spec) == len(points) == expected
    values = np.array([[p["officers"], p["extra_tents"], p["inflow"]] for p in points])
    assert (values.min(axis=0) >= [10, 0, 0.8]).all()
    assert (values.max(axis=0) <= [50, 200, 1.2]).all()
    assert design_matrix(spec) == points  # the design seed makes it repeatable


def test_a_point_sets_fields_and_appends_dated_changes(tmp_path):
    experiment = load_experiment(write_spec(tmp_path))
    base = experiment.bases[""]
    scenario = experiment.resolve({"officers": 40.0, "extra_tents": 100.0})
    assert base.cgrs.case_officers_fte == 30
    assert scenario.cgrs.case_officers_fte == 40
    added = scenario.changes[-1]
    assert (added.date, added.field, added.add) == (
        dt.date(2024, 1, 15),
        "reception.centres.tents.places",
        100.0,
    )
    assert len(scenario.changes) == len(base.changes) + 1
    assert scenario.name == base.name  # the point is in the run table, not in the name


def test_a_scenario_choice_picks_the_named_file(tmp_path):
    write_base(tmp_path, "small.yaml")
    write_base(tmp_path, "bigger.yaml", **{"name": "bigger", "cgrs.case_officers_fte": 90})
    spec = copy.deepcopy(TINY_SPEC)
    del spec["base"]
    spec["levers"] = [
        {"name": "plan", "scenarios": {"now": "small.yaml", "more": "bigger.yaml"}},
        TINY_SPEC["levers"][1],
    ]
    experiment = experiment_from_dict(spec, "exp.yaml", tmp_path)
    points = design_matrix(experiment.spec)
    assert [p["plan"] for p in points] == ["now", "now", "more", "more"]
    assert experiment.resolve(points[2]).cgrs.case_officers_fte == 90
    assert experiment.resolve(points[0]).cgrs.case_officers_fte == 30


BAD_SPECS = [
    (
        {"levers.0.field": "cgrs.case_oficers_fte"},
        "experiment.yaml: levers.0.field: expected a numeric field of inflow, "
        "immigration_office, reception, cgrs, call, municipalities, status_holders, returns, "
        "resettlement, temporary_protection, got 'cgrs.case_oficers_fte' "
        "(did you mean cgrs.case_officers_fte",
    ),
    ({"replications": 0}, "experiment.yaml: replications: input should be greater than"),
    ({"replicates": 3}, "experiment.yaml: replicates: unknown field"),
    (
        {"levers.0.values": None, "levers.0.range": [1, 5]},
        "experiment.yaml: levers.0.range: a factorial design needs values, not a range",
    ),
    ({"design.kind": "sobol"}, "experiment.yaml: design.samples: required for a sobol design"),
    ({"design.kind": "grid"}, "experiment.yaml: design.kind: input should be 'factorial'"),
    (
        {"baseline": {"officers": 25}},
        "experiment.yaml: baseline.officers: expected one of its values [20.0, 40.0], got 25",
    ),
    (
        {"outcomes.peak_without.series": "without_recepton"},
        "experiment.yaml: outcomes.peak_without.series: expected a series name, got "
        "'without_recepton' (did you mean without_reception",
    ),
    (
        {"outcomes.backlog_end.date": None},
        "experiment.yaml: outcomes.backlog_end.date: required for stat value",
    ),
    (
        {"levers.1.name": "officers"},
        "experiment.yaml: levers: factor names must be unique, 'officers' appears twice",
    ),
    ({"levers.0.values": [20, "many"]}, "experiment.yaml: levers.0.values.1: input should be"),
    (
        {"discovery": {"outcome": "nothing", "above": 3}},
        "experiment.yaml: discovery.outcome: expected an outcome name",
    ),
    (
        {"levers.0.values": [20, -5]},
        "cgrs.case_officers_fte: input should be greater than or equal to 0, got -5.0",
    ),
    ({"base": "missing.yaml"}, "experiment.yaml: base: "),
    (
        {"outcomes.backlog_end.date": dt.date(2031, 1, 1)},
        "experiment.yaml: outcomes.backlog_end.date: expected a date within the run",
    ),
    ({"name": "../../escaped-sweep"}, "experiment.yaml: name: expected a label"),
    ({"name": ""}, "experiment.yaml: name: expected a label"),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_SPECS)
def test_bad_specs_are_rejected_naming_file_field_and_expectation(tmp_path, overrides, expected):
    path = write_spec(tmp_path, **overrides)
    with pytest.raises(ConfigError) as caught:
        load_experiment(path)
    assert any(expected in line for line in caught.value.problems), caught.value.problems
    assert all(line.startswith(str(path)) for line in caught.value.problems)


def test_an_invalid_lever_value_names_the_point(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_experiment(write_spec(tmp_path, **{"levers.0.values": [20, -5]}))
    assert "officers=-5" in caught.value.problems[0]


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=5)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(
        [
            "name",
            "design",
            "design.kind",
            "design.samples",
            "levers",
            "levers.0",
            "levers.0.values",
            "levers.1.change",
            "replications",
            "seed",
            "outcomes",
            "outcomes.cost",
            "outcomes.cost.stat",
            "baseline",
            "series",
            "cluster",
        ]
    ),
    value=_values,
)
def test_any_bad_value_gives_config_lines_never_a_crash(tmp_path, path, value):
    write_base(tmp_path)
    raw = copy.deepcopy(TINY_SPEC)
    keys = path.split(".")
    node = raw
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(keys[-1])] = value
    else:
        node[keys[-1]] = value
    try:
        experiment_from_dict(yaml.safe_load(yaml.safe_dump(raw)), "exp.yaml", tmp_path)
    except ConfigError as err:
        assert err.problems
        assert all(line.startswith("exp.yaml") for line in err.problems)


@pytest.mark.parametrize(
    ("name", "kind", "most_runs"),
    [
        ("quota-cut-vs-winter-plan.yaml", "factorial", 200),
        ("sobol-levers.yaml", "sobol", 5000),
        ("morris-screening.yaml", "morris", 1000),
    ],
)
def test_shipped_experiments_are_valid_and_sized_for_a_laptop_or_cluster(name, kind, most_runs):
    experiment = load_experiment(EXPERIMENTS / name)
    spec = experiment.spec
    assert spec.design.kind == kind
    runs = design_size(spec) * spec.replications
    assert 0 < runs <= most_runs


def test_validate_checks_an_experiment_file(tmp_path, capsys):
    assert main(["validate", str(EXPERIMENTS / "quota-cut-vs-winter-plan.yaml")]) == 0
    assert "valid experiment (quota-cut-vs-winter-plan, factorial design, 24 points x 5 " in (
        capsys.readouterr().out
    )
    bad = write_spec(tmp_path, **{"design.kind": "sobol"})
    assert main(["validate", str(bad)]) == 2
    assert "design.samples: required for a sobol design" in capsys.readouterr().err


def test_a_factor_on_a_calibrated_field_holds_in_every_ensemble_member(tmp_path) -> None:
    # the base is a calibrated ensemble whose members set the officers' productivity and
    # the case officers; a factor setting the case officers wins over every member's value,
    # a dated change of the productivity applies on top of each member's own
    members = [
        {"cgrs.decisions_per_officer_per_month": 4.0, "cgrs.case_officers_fte": 25.0},
        {"cgrs.decisions_per_officer_per_month": 6.0, "cgrs.case_officers_fte": 35.0},
    ]
    write_base(tmp_path, ensemble={"members": members})
    spec = copy.deepcopy(TINY_SPEC)
    spec["levers"].append(
        {
            "name": "faster",
            "change": {
                "field": "cgrs.decisions_per_officer_per_month",
                "date": dt.date(2024, 2, 1),
                "op": "multiply",
            },
            "values": [1.5],
        }
    )
    experiment = load_experiment(write_spec(tmp_path, spec))
    scenario = experiment.resolve({"officers": 40.0, "extra_tents": 0.0, "faster": 1.5})
    for k, member in enumerate(members):
        resolved = scenario.member(k)
        assert resolved.cgrs.case_officers_fte == 40.0  # the factor, not the member
        daily = Timeline(resolved).daily("cgrs.decisions_per_officer_per_month", resolved.days)
        own = member["cgrs.decisions_per_officer_per_month"]
        assert daily[0] == own and daily[-1] == pytest.approx(1.5 * own)


def test_a_spec_naming_a_shipped_scenario_works_wherever_it_is_copied(tmp_path, monkeypatch):
    """``base: belgium-baseline`` names the shipped file, from any folder; a bare name that
    is no shipped scenario says which are; $FLOWSIM_CONFIGS points elsewhere."""
    from flowsim.experiments.spec import load_experiment
    from flowsim.scenario.errors import ConfigError
    from flowsim.scenario.loading import shipped_configs

    shipped = Path(__file__).resolve().parents[1] / "experiments" / "sobol-levers.yaml"
    copy = tmp_path / "elsewhere" / "mine.yaml"
    copy.parent.mkdir()
    copy.write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    experiment = load_experiment(copy)
    assert Path(experiment.sources[""]) == shipped_configs().resolve() / "belgium-baseline.yaml"
    copy.write_text(
        copy.read_text(encoding="utf-8").replace("base: belgium-baseline", "base: belgium-basline")
    )
    with pytest.raises(ConfigError) as err:
        load_experiment(copy)
    (problem,) = err.value.problems
    assert problem.startswith(f"{copy}: base: expected a shipped scenario name or a path")
    assert "belgium-baseline" in problem and "winter-plan-2022" in problem
    monkeypatch.setenv("FLOWSIM_CONFIGS", str(tmp_path))
    assert shipped_configs() == tmp_path
