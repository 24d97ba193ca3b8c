"""The dashboard's what-if: levers start at the scenario's values, moved levers become dated
changes that a scenario file carries, and the runs are paired with the unchanged scenario."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import base_raw
from dashboard_helpers import widgets_in
from flowsim.dashboard.what_if import (
    WhatIfError,
    levers,
    ready_scenarios,
    run_what_if,
    what_if_changes,
    what_if_document,
)
from flowsim.scenario.loading import load_config
from flowsim.scenario.timeline import Timeline

DATE = dt.date(2024, 4, 1)


@pytest.fixture(scope="module")
def ready(tmp_path_factory) -> Path:
    """A small ready scenario with officers recruited before the what-if's date and a
    pledge for its year."""
    raw = base_raw()
    raw["name"] = "ready"
    raw["changes"] = [{"date": dt.date(2024, 2, 1), "field": "cgrs.case_officers_fte", "add": 6}]
    raw["resettlement"] = {"pledges_persons": {2024: 100}, "transfer_persons_per_month": 10}
    path = tmp_path_factory.mktemp("configs") / "ready.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _values(config: Path, date: dt.date) -> dict[str, float]:
    scenario = load_config(config)
    return Timeline(scenario).values_on(scenario.day_of(date))


def test_levers_start_at_the_scenarios_values_on_the_date(ready) -> None:
    found = {lever.key: lever for lever in levers(load_config(ready), DATE)}
    assert found["officers"].value == 36  # 30, plus the 6 recruited in February
    assert {k: found[k].value for k in ("places_collective", "places_lri")} == {
        "places_collective": 150,
        "places_lri": 60,
    }
    assert found["places_emergency"].value == 40
    assert "places_convention" not in found  # no such centre in this scenario
    assert (found["pledge"].value, found["transfers"].value) == (100, 10)
    assert found["housing"].value == 1.0 and found["housing"].op == "multiply"
    assert all(lever.low <= lever.value <= lever.high for lever in found.values())
    assert what_if_changes(list(found.values()), {}, DATE) == []  # nothing moved


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_moved_levers_hold_from_the_date_in_the_file_flowsim_reads(ready, data, tmp_path) -> None:
    scenario = load_config(ready)
    found = levers(scenario, DATE)
    chosen = {
        lever.key: data.draw(
            st.integers(int(lever.low / lever.step), int(lever.high / lever.step)).map(
                lambda k, s=lever.step: round(k * s, 2)
            ),
            label=lever.key,
        )
        for lever in found
    }
    changes = what_if_changes(found, chosen, DATE)
    path = tmp_path / "what-if.yaml"
    path.write_text(what_if_document(str(ready), "what-if", changes), encoding="utf-8")
    before, after = _values(ready, DATE), _values(path, DATE)
    assert _values(path, DATE - dt.timedelta(days=1)) == _values(ready, DATE - dt.timedelta(1))
    for lever in found:
        now = sum(after[f] for f in lever.fields)
        if lever.op == "multiply":
            for f in lever.fields:
                assert after[f] == pytest.approx(before[f] * chosen[lever.key])
        else:
            assert now == pytest.approx(chosen[lever.key])


def test_the_download_names_its_base_beside_it_and_runs_there(ready, tmp_path) -> None:
    ready = Path(shutil.copy(ready, tmp_path / ready.name))  # the module's folder stays as is
    found = levers(load_config(ready), DATE)
    changes = what_if_changes(found, {"officers": 50}, DATE)
    text = what_if_document("ready.yaml", "more-officers", changes)
    assert text.startswith("# yaml-language-server: $schema=")
    assert "*id" not in text and "&id" not in text  # no YAML aliases for a reader
    saved = ready.parent / "more-officers.yaml"
    saved.write_text(text, encoding="utf-8")
    assert _values(saved, DATE)["cgrs.case_officers_fte"] == 50
    assert ready_scenarios(ready.parent) == sorted([ready, saved])


def test_a_what_if_runs_beside_its_baseline_with_the_same_seeds(ready, tmp_path) -> None:
    seen: list[tuple[str, int, int]] = []
    runs = run_what_if(ready, {"officers": 80}, DATE, 2, 5, tmp_path, lambda *p: seen.append(p))
    assert seen[0] == ("baseline", 0, 2) and ("baseline", 2, 2) in seen
    assert seen[-1] == ("what-if", 2, 2)
    base, scenario = (
        json.loads((f / "manifest.json").read_text()) for f in (runs.baseline, runs.what_if)
    )
    assert base["replication_seeds"] == scenario["replication_seeds"]
    assert base["config_hash"] != scenario["config_hash"]
    assert "field: cgrs.case_officers_fte" in runs.document
    assert "base: ready.yaml" in runs.document  # the download names its base beside it
    series = [pd.read_parquet(f / "series.parquet") for f in (runs.baseline, runs.what_if)]
    backlog = [s.groupby("replication")["cgrs_backlog"].last() for s in series]
    assert (backlog[1] < backlog[0]).all()  # 44 more officers from April decide more
    before = [s[s["date"] < pd.Timestamp(DATE)] for s in series]
    np.testing.assert_array_equal(before[0]["cgrs_backlog"], before[1]["cgrs_backlog"])
    # the baseline is reused while its config is unchanged
    stamp = (runs.baseline / "series.parquet").stat().st_mtime_ns
    seen.clear()
    run_what_if(ready, {"officers": 60}, DATE, 2, 5, tmp_path, lambda *p: seen.append(p))
    assert (runs.baseline / "series.parquet").stat().st_mtime_ns == stamp
    assert {which for which, _, _ in seen} == {"what-if"}


def test_a_failed_run_comes_back_as_the_commands_message(ready, tmp_path) -> None:
    with pytest.raises(WhatIfError, match="replications"):
        run_what_if(ready, {"officers": 80}, DATE, 0, 5, tmp_path)


def test_the_panel_runs_a_what_if_and_shows_it_against_the_scenario(ready, tmp_path) -> None:
    import time

    from flowsim.dashboard.what_if_panel import what_if_panel

    root = tmp_path / "results"
    root.mkdir()
    panel = what_if_panel(root, ready.parent)
    found = list(widgets_in(panel))
    sliders = [x for x in found if type(x).__name__ == "FloatSlider"]
    officers = next(x for x in sliders if x.description.startswith("CGRS case officers"))
    assert officers.value == 30  # the scenario's start date: before February's recruits
    picker = next(x for x in found if type(x).__name__ == "DatePicker")
    picker.value = DATE
    officers = next(
        x
        for x in widgets_in(panel)
        if type(x).__name__ == "FloatSlider" and x.description.startswith("CGRS case officers")
    )
    assert officers.value == 36  # reloaded at the date
    officers.value = 80
    next(x for x in found if type(x).__name__ == "IntSlider").value = 2
    button = next(x for x in found if type(x).__name__ == "Button")
    button.click()
    deadline = time.monotonic() + 300
    while button.disabled and time.monotonic() < deadline:
        time.sleep(0.2)
    status = next(x for x in found if "flowsim-what-if-status" in x._dom_classes)
    assert status.value.startswith("Done:"), status.value
    image = next(x for x in found if type(x).__name__ == "Image")
    chart = next(x for x in found if "flowsim-what-if-chart" in x._dom_classes)
    assert chart.layout.display == "" and image.layout.display == "none"  # interactive
    assert "scenario minus" in chart.outputs[0]["data"]["text/html"]
    html = " ".join(x.value for x in found if type(x).__name__ == "HTML")
    assert "data:text/yaml;base64," in html and "person-days" in html
    folders = sorted(p.name for p in root.iterdir() if not p.name.startswith("."))
    assert len(folders) == 2 and folders[0] == "what-if-baseline-ready-r2-s0"
    assert folders[1].startswith("what-if-ready-")  # both listed by the page's picker


def test_every_lever_at_its_lowest_still_makes_a_valid_scenario(tmp_path) -> None:
    # the shipped baseline has several centres of a type: a type's places can fall only by
    # what its first centre (which takes the difference) holds
    baseline = Path(__file__).parents[1] / "configs" / "belgium-baseline.yaml"
    date = dt.date(2023, 6, 1)
    found = levers(load_config(baseline), date)
    collective = next(lever for lever in found if lever.key == "places_collective")
    assert len(collective.fields) > 1 and 0 < collective.low < collective.value
    changes = what_if_changes(found, {lever.key: lever.low for lever in found}, date)
    path = tmp_path / "lowest.yaml"
    path.write_text(what_if_document(str(baseline), "lowest", changes), encoding="utf-8")
    after = _values(path, date)
    assert after[collective.fields[0]] == 0
    assert sum(after[f] for f in collective.fields) == collective.low


def test_a_shipped_scenario_is_named_so_the_download_runs_anywhere(tmp_path) -> None:
    """A what-if on a shipped scenario names it by its name (``base: belgium-baseline``):
    the downloaded file loads wherever it is saved; another scenario by its file name."""
    from flowsim.dashboard.what_if import download_base
    from flowsim.scenario.loading import shipped_configs

    shipped = shipped_configs() / "belgium-baseline.yaml"
    assert download_base(shipped) == "belgium-baseline"
    found = levers(load_config(shipped), dt.date(2023, 6, 1))
    changes = what_if_changes(found, {"officers": 400}, dt.date(2023, 6, 1))
    saved = tmp_path / "anywhere" / "more-officers.yaml"
    saved.parent.mkdir()
    saved.write_text(
        what_if_document("belgium-baseline", "more-officers", changes), encoding="utf-8"
    )
    assert _values(saved, dt.date(2023, 6, 1))["cgrs.case_officers_fte"] == 400
    elsewhere = tmp_path / "ready.yaml"
    elsewhere.write_text(shipped.read_text(encoding="utf-8"))
    assert download_base(elsewhere) == "ready.yaml"
