"""What a run or a sweep asks of the machine, refused before it starts when it cannot hold
it (flowsim.results.footprint): one line with the estimate, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import make_raw
from experiment_helpers import write_spec
from flowsim import cli
from flowsim.results import footprint
from flowsim.scenario.loading import scenario_from_dict


def test_persons_count_arrivals_registrations_pledges_and_the_start_state():
    raw = make_raw()
    scenario = scenario_from_dict(raw, "<s>")
    months = scenario.months()
    arrivals = sum(raw["inflow"]["monthly_persons"][m] for m in months)
    assert footprint.persons(scenario) >= arrivals * scenario.inflow.scale
    doubled = scenario_from_dict(make_raw(**{"inflow.scale": 2.0}), "<s>")
    extra = footprint.persons(doubled) - footprint.persons(scenario)
    assert extra == pytest.approx(arrivals * (2.0 - scenario.inflow.scale))
    # the start state counts each person once: residents are pending persons, not more
    months_only = footprint.persons(scenario) - arrivals * scenario.inflow.scale
    emptier = scenario_from_dict(make_raw(**{"initial_state.in_reception_persons": {}}), "<s>")
    assert footprint.persons(emptier) == footprint.persons(scenario)
    fewer = scenario_from_dict(make_raw(**{"initial_state.pending_cgrs_persons": 150}), "<s>")
    assert footprint.persons(fewer) == footprint.persons(scenario) - 50
    assert months_only >= 200 + 50  # pending at the CGRS and at CALL


def write(path: Path, raw: dict) -> Path:
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_a_run_this_machine_cannot_hold_is_refused_before_it_starts(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(footprint, "available_bytes", lambda: 2.0 * 2**30)
    months = scenario_from_dict(make_raw(), "<s>").months()
    huge = make_raw(**{"inflow.scale": 100.0, "inflow.monthly_persons": dict.fromkeys(months, 1e6)})
    path = write(tmp_path / "huge.yaml", huge)
    out = tmp_path / "out"
    for command in (["validate", str(path)], ["run", str(path), "--out", str(out)]):
        assert cli.main(command) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith(f"{path}: expected a run this machine can hold: about ")
        assert "GiB, 2.0 GiB available" in line
    assert not out.exists()
    small = write(tmp_path / "small.yaml", make_raw())
    assert cli.main(["run", str(small), "--replications", str(10**12), "--out", str(out)]) == 2
    assert "1,000,000,000,000 replications" in capsys.readouterr().err
    assert not out.exists()


def test_a_sweep_this_machine_cannot_hold_is_refused_at_validate_and_sweep(tmp_path, capsys):
    spec = write_spec(
        tmp_path,
        **{
            "design": {"kind": "latin_hypercube", "samples": 10**9},
            "levers": [{"name": "officers", "field": "cgrs.case_officers_fte", "range": [10, 50]}],
        },
    )
    for command in (["validate", str(spec)], ["sweep", str(spec), "--workers", "1"]):
        assert cli.main(command) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert line.startswith(
            f"{spec}: expected a sweep this machine can hold: 3,000,000,000 runs"
        )
    assert not (tmp_path / "results").exists()
