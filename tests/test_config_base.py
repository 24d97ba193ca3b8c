"""Scenario files that extend a base scenario."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config, merge_override

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "belgium-baseline.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_override_merges_mappings_and_adds_changes(tmp_path):
    child = write(
        tmp_path / "child.yaml",
        f"""
base: {BASELINE}
name: more-officers
cgrs:
  case_officers_fte: 400
reception:
  centres:
    emergency_sites: {{places: 1900}}
changes:
  - {{date: 2023-03-01, field: cgrs.case_officers_fte, add: 60}}
""",
    )
    base, scenario = load_config(BASELINE), load_config(child)
    assert scenario.name == "more-officers"
    assert scenario.cgrs.case_officers_fte == 400
    assert scenario.cgrs.hiring_lag_days == base.cgrs.hiring_lag_days  # kept from the base
    assert scenario.reception.centres["emergency_sites"].places == 1900
    assert scenario.reception.centres["emergency_sites"].type == "emergency"
    assert scenario.changes[: len(base.changes)] == base.changes
    assert scenario.changes[-1].field == "cgrs.case_officers_fte"
    assert scenario.config_hash() != base.config_hash()


def test_base_path_is_relative_to_the_file(tmp_path):
    # the baseline's own base (its template) and ensemble table are relative to it too
    shutil.copytree(BASELINE.parent, tmp_path / "configs")
    (tmp_path / "sub").mkdir()
    child = write(
        tmp_path / "sub" / "child.yaml", "base: ../configs/belgium-baseline.yaml\nname: x\n"
    )
    assert load_config(child).name == "x"


def test_bad_override_names_its_file_and_field(tmp_path):
    child = write(tmp_path / "child.yaml", f"base: {BASELINE}\ncgrs:\n  case_oficers_fte: 4\n")
    with pytest.raises(ConfigError) as err:
        load_config(child)
    assert err.value.problems == [f"{child}: cgrs.case_oficers_fte: unknown field"]


def test_missing_base_and_cycles_are_rejected(tmp_path):
    child = write(tmp_path / "child.yaml", "base: nowhere.yaml\n")
    with pytest.raises(ConfigError) as err:
        load_config(child)
    assert err.value.problems == [
        f"{child}: base: expected a scenario file, not found: {tmp_path / 'nowhere.yaml'}"
    ]
    a = write(tmp_path / "a.yaml", "base: b.yaml\n")
    write(tmp_path / "b.yaml", "base: a.yaml\n")
    with pytest.raises(ConfigError) as err:
        load_config(a)
    assert "includes itself" in err.value.problems[0]


def test_merge_override_rules():
    base = {"a": {"x": 1, "y": [1, 2]}, "changes": [1], "b": 2}
    override = {"a": {"y": [3]}, "changes": [2], "c": 3}
    assert merge_override(base, override) == {
        "a": {"x": 1, "y": [3]},
        "changes": [1, 2],
        "b": 2,
        "c": 3,
    }
    assert base == {"a": {"x": 1, "y": [1, 2]}, "changes": [1], "b": 2}  # not mutated


def test_a_base_may_name_a_shipped_scenario(tmp_path):
    """A scenario file anywhere may extend a shipped one by name."""
    from flowsim.scenario.loading import load_config

    mine = tmp_path / "mine.yaml"
    mine.write_text("base: belgium-baseline\nname: my-variant\n", encoding="utf-8")
    scenario = load_config(mine)
    assert scenario.name == "my-variant" and scenario.start_date.year == 2023
