"""One catalogue of the series (flowsim.results.catalogue): every recorded series has a label, a
unit and a meaning, and the docs' table is the catalogue's."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowsim.engine.series import SERIES_NAMES
from flowsim.results.catalogue import DERIVED, docs_table, entry, outcome_meaning
from flowsim.results.markdown import markers

ROOT = Path(__file__).resolve().parents[1]


def test_every_recorded_series_has_an_entry():
    for name in SERIES_NAMES:
        label, unit, meaning = entry(name)
        assert label and unit and meaning, name
    assert entry("capacity_lri").unit == "places"
    assert entry("exits_housed").meaning.endswith("(cumulative)")
    with pytest.raises(KeyError, match="no catalogue entry for the series 'nonsense'"):
        entry("nonsense")


def test_the_docs_table_is_the_catalogues():
    begin, end = markers("series")
    text = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    block = text.split(begin, 1)[1].split(end, 1)[0]
    assert block.strip() == docs_table().strip(), "run python -m flowsim.results.catalogue"
    assert "| `cgrs_backlog` | CGRS backlog | persons |" in block
    assert "| `applications` | applications | persons per day |" in block


@pytest.mark.parametrize(
    ("definition", "start", "end"),
    [
        (
            {"series": "without_reception", "stat": "max"},
            "highest without a place (",
            "persons), over the run",
        ),
        (
            {"series": "cost_eur", "stat": "sum", "from": "2024-02-01"},
            "total cost (",
            "euros), from 2024-02-01 to the end",
        ),
        (
            {"series": "applications", "stat": "mean"},
            "mean applications (",
            "persons per day), over the run",
        ),
        (
            {"series": "cgrs_backlog", "stat": "value", "date": "2025-12-31"},
            "CGRS backlog (",
            "persons) on 2025-12-31",
        ),
        (
            {"series": "occupancy_rate", "stat": "days_above", "threshold": 0.97},
            "days with occupancy (",
            "share of places) above 0.97, over the run",
        ),
    ],
)
def test_outcomes_read_for_people(definition, start, end):
    text = outcome_meaning(definition)
    assert text.startswith(start) and text.endswith(end), text


def test_an_unknown_series_has_no_meaning():
    assert outcome_meaning({"series": "nonsense", "stat": "max"}) == ""
    assert outcome_meaning({}) == ""


def test_every_line_the_dashboard_charts_has_an_entry_whose_unit_its_panel_states():
    """The page's panels name their lines briefly; what each line is and its unit come
    from the catalogue, including the series the page derives (rates, means, totals)."""
    from flowsim.dashboard.views import VIEWS

    for panels in VIEWS.values():
        for panel in panels:
            for column, _label in panel.lines:
                found = entry(column)
                assert found.unit in panel.unit, (panel.title, column, found.unit)
    derived = {c for panels in VIEWS.values() for p in panels for c, _ in p.lines}
    assert derived - set(SERIES_NAMES) == set(DERIVED)  # none missing, none left over
