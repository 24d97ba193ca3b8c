"""One catalogue of the series (flowsim.catalogue): every recorded series has a label, a
unit and a meaning, and the docs' table is the catalogue's."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowsim.catalogue import docs_table, entry
from flowsim.markdown import markers
from flowsim.series import SERIES_NAMES

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
    assert block.strip() == docs_table().strip(), "run python -m flowsim.catalogue"
    assert "| `cgrs_backlog` | CGRS backlog | persons |" in block
    assert "| `applications` | applications | persons per day |" in block
