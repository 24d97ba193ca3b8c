"""Which JSON Schema a scenario or experiment file names on its first line, for editors
that check YAML as one types (``# yaml-language-server: $schema=../docs/schema/<file>``):
the files ``docs/schema/`` holds, written by :mod:`flowsim.docs.schema`."""

from __future__ import annotations

from typing import Any

FILES = {
    "scenario": "scenario.schema.json",
    "extension": "scenario-extension.schema.json",
    "experiment": "experiment.schema.json",
}


def schema_for(tree: dict[str, Any]) -> str:
    """The schema file name a YAML file (its mapping) should name: an experiment's (it has
    levers or uncertainties), an extension's (it has ``base:``) or a complete scenario's."""
    if "levers" in tree or "uncertainties" in tree:
        return FILES["experiment"]
    return FILES["extension"] if "base" in tree else FILES["scenario"]
