"""The scenario reference: generated from the schema, current, and every field explained."""

from __future__ import annotations

import json
from pathlib import Path

from flowsim.docs.reference import markdown, rows
from flowsim.scenario.loading import load_config
from flowsim.scenario.timeline import CHANGEABLE_SECTIONS, changeable_fields

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_checked_in_reference_is_current():
    """Run ``python -m flowsim.docs.reference`` after changing the schema."""
    assert (DOCS / "reference.md").read_text(encoding="utf-8") == markdown()


def test_every_field_says_what_it_means():
    missing = [r.path for r in rows() if not r.meaning]
    assert missing == [], "add a comment on the field's line in the schema (flowsim.scenario)"


def test_dated_change_matches_what_a_change_may_target():
    """Every field a dated change may target in the shipped baseline is marked 'dated
    change' in the reference (a key the user chooses reads ``<name>``; a mapping of numbers,
    such as pledges by year, is marked as a whole), and only changeable sections are."""
    marked = {r.path for r in rows() if r.changeable}
    targets = changeable_fields(load_config(DOCS.parent / "configs" / "belgium-baseline.yaml"))
    for path in targets:
        parts = path.split(".")
        named = {".".join([*parts[:i], "<name>", *parts[i + 1 :]]) for i in range(len(parts))}
        prefixes = {".".join(parts[:i]) for i in range(1, len(parts))}
        assert ({path} | named | prefixes) & marked, path
    assert {path.split(".")[0] for path in marked} <= set(CHANGEABLE_SECTIONS)


def test_the_editor_schema_carries_the_same_sentences():
    schema = json.loads((DOCS / "schema" / "scenario.schema.json").read_text(encoding="utf-8"))
    cgrs = schema["$defs"]["Cgrs"]["properties"]["case_officers_fte"]
    assert cgrs["description"] == "protection officers (full-time equivalents)"
    assert "description" in schema["properties"]["start_date"]
