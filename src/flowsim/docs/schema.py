"""JSON Schemas of scenario and experiment files, for editors that check YAML as one types.

Generated from the pydantic models (:class:`flowsim.scenario.scenario.Scenario`,
:class:`flowsim.experiments.spec.Spec`), checked in under ``docs/schema/`` and kept current by a
test. Three schemas:

- ``scenario.schema.json``: a complete scenario file (every required field);
- ``scenario-extension.schema.json``: a file that extends another (``base:``), which may give
  any subset of the fields, none of them required, but no unknown one;
- ``experiment.schema.json``: an experiment file.

A YAML file names its schema on its first line, for the YAML language server (VS Code's YAML
extension and others): ``# yaml-language-server: $schema=../docs/schema/scenario.schema.json``.
``flowsim validate`` remains the authority: the schemas cannot check what spans several
fields (shares summing to one, dates inside the run, plausible ranges).

Run ``python -m flowsim.docs.schema [FOLDER]`` to write them (default ``docs/schema``).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from flowsim.scenario.schema_files import FILES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_FIELD = {
    "type": "string",
    "description": "a scenario file this one extends (a path relative to this file, or a "
    "shipped scenario's name such as belgium-baseline): mappings merge field by field, "
    "lists replace the base's, changes are added",
}


def _without_required(node: Any) -> Any:
    """``node`` with every ``required`` list removed, at any depth."""
    if isinstance(node, dict):
        return {k: _without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_without_required(v) for v in node]
    return node


def scenario_schema() -> dict[str, Any]:
    """The schema of a complete scenario file (``base:`` allowed too)."""
    from flowsim.scenario.scenario import Scenario

    schema = Scenario.model_json_schema()
    _describe(schema)
    schema["properties"]["base"] = BASE_FIELD
    # in a file, an ensemble's members may be a CSV file's rows (read when the file loads)
    ensemble = schema["$defs"]["Ensemble"]
    ensemble["properties"]["file"] = {
        "type": "string",
        "description": "a CSV file of members (relative to this file): one row per member",
    }
    ensemble["properties"]["errors_file"] = {
        "type": "string",
        "description": "a CSV file of the fit's errors per series (relative to this file)",
    }
    ensemble.pop("required", None)
    ensemble["anyOf"] = [{"required": ["members"]}, {"required": ["file"]}]
    return {"$schema": DRAFT, "title": "flowsim scenario file", **_titled(schema)}


def extension_schema() -> dict[str, Any]:
    """The schema of a scenario file that extends another: ``base`` required, nothing else."""
    schema = _without_required(copy.deepcopy(scenario_schema()))
    schema["title"] = "flowsim scenario file extending another (base:)"
    schema["required"] = ["base"]
    return schema


def experiment_schema() -> dict[str, Any]:
    """The schema of an experiment file."""
    from flowsim.experiments.spec import Spec

    return {
        "$schema": DRAFT,
        "title": "flowsim experiment file",
        **_titled(Spec.model_json_schema()),
    }


def _scenario_models() -> dict[str, type[BaseModel]]:
    """The scenario schema's pydantic models by class name (as the JSON Schema's ``$defs``
    name them), from the modules the schema is split into."""
    from flowsim.scenario import (
        calibration,
        changes,
        fields,
        initial_state,
        profiles,
        scenario,
        sections,
    )

    modules = (fields, profiles, sections, initial_state, changes, calibration, scenario)
    return {
        name: value
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, BaseModel)
    }


def _describe(schema: dict[str, Any]) -> None:
    """Give every property the sentence that explains it in the schema's source (the same
    one as ``docs/reference.md``), so that an editor shows it; a description of its own is
    kept."""
    from flowsim.docs.reference import field_comments

    models = {"Scenario": schema, **schema.get("$defs", {})}
    known = _scenario_models()
    for name, definition in models.items():
        model = known.get(name)
        if model is None:
            continue
        for field, text in field_comments(model).items():
            prop = definition.get("properties", {}).get(field)
            if prop is not None and "description" not in prop:
                prop["description"] = text


def _titled(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "title"}


def schemas() -> dict[str, dict[str, Any]]:
    """Every schema by file name."""
    return {
        FILES["scenario"]: scenario_schema(),
        FILES["extension"]: extension_schema(),
        FILES["experiment"]: experiment_schema(),
    }


def text(schema: dict[str, Any]) -> str:
    """A schema as the checked-in file holds it (sorted keys, two-space indent)."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(folder: str | Path = "docs/schema") -> list[Path]:
    """Write every schema into ``folder`` (atomically); returns the files."""
    from flowsim.results.runs import atomic_path

    folder = Path(folder)
    written = []
    for name, schema in schemas().items():
        with atomic_path(folder / name) as tmp:
            tmp.write_text(text(schema), encoding="utf-8")
        written.append(folder / name)
    return written


if __name__ == "__main__":
    for written in write_schemas(sys.argv[1] if len(sys.argv) > 1 else "docs/schema"):
        print(f"wrote {written}")
