"""The JSON Schemas of scenario and experiment files (flowsim.docs.schema): current, naming every
shipped file's fields, and named on each shipped file's first line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from flowsim.docs.schema import schemas, text
from flowsim.scenario.schema_files import FILES, schema_for

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "schema"
SHIPPED = sorted(
    [*ROOT.glob("configs/*.yaml"), *ROOT.glob("configs/templates/*.yaml")]
    + [*ROOT.glob("experiments/*.yaml")]
)


def test_the_checked_in_schemas_are_current():
    for name, schema in schemas().items():
        assert (FOLDER / name).read_text(encoding="utf-8") == text(schema), (
            f"{name} is stale: run python -m flowsim.docs.schema"
        )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_file_meets_the_schema_its_first_line_names(path):
    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = schema_for(tree)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    relative = Path("../" * len(path.parent.relative_to(ROOT).parts)) / "docs" / "schema" / name
    assert first == f"# yaml-language-server: $schema={relative.as_posix()}"
    validator = jsonschema.Draft202012Validator(schemas()[name])
    errors = [e.message for e in validator.iter_errors(json.loads(json.dumps(tree, default=str)))]
    assert errors == []


def test_a_misspelt_field_breaks_the_schema_as_it_breaks_validate():
    validator = jsonschema.Draft202012Validator(schemas()[FILES["extension"]])
    typo = {"base": "belgium-baseline.yaml", "cgrs": {"case_oficers_fte": 60}}
    (error,) = validator.iter_errors(typo)
    assert "case_oficers_fte" in error.message
    # a complete file must give every required section; an extension need not
    full = jsonschema.Draft202012Validator(schemas()[FILES["scenario"]])
    assert any("required" in e.message for e in full.iter_errors({"name": "x"}))
    assert list(validator.iter_errors({"base": "b.yaml", "name": "x"})) == []
