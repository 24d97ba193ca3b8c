"""Reading scenario files: YAML read strictly, ``base:`` files merged in (a shipped
scenario by its bare name), the data files a file names read, and the result validated
(:func:`load_config`; every problem is a :class:`~flowsim.scenario.errors.ConfigError`
line)."""

from __future__ import annotations

import os
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from flowsim.scenario.checks import check_changes
from flowsim.scenario.data_files import check_municipal_table, read_ensemble_file, read_inflow_file
from flowsim.scenario.errors import ConfigError, format_errors
from flowsim.scenario.scenario import Scenario


def load_config(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raise :class:`ConfigError` on any problem.

    A file may name a ``base`` scenario file (relative to itself) and give only what differs:
    mappings are merged field by field, lists replace the base's, except ``changes``, which
    are added to the base's changes.
    """
    path = Path(path)
    return scenario_from_dict(load_raw_config(path), str(path))


def load_raw_config(path: str | Path) -> dict[str, Any]:
    """A scenario file as a plain dict, its ``base`` files merged in, not yet validated.

    Data files it names (``inflow.monthly_persons_file``, ``municipalities.table_file``) are
    read or resolved to absolute paths, so the dict can be validated from anywhere.
    """
    return _read_with_bases(Path(path), seen=())


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing what a config never means: a key given twice in one
    mapping (YAML keeps the last silently) and a date that is no calendar date."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base loader reports an unhashable key itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a calendar date, got {node.value!r}", node.start_mark
            ) from None


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping (scenario or experiment file); :class:`ConfigError`
    naming the file when it is missing, not UTF-8 text, not YAML (a key twice in a mapping,
    an impossible date, nesting deeper than a config needs included) or not a mapping."""
    source = str(path)
    if not path.is_file():
        raise ConfigError([f"{source}: file not found"])
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            [f"{source}: expected UTF-8 text, byte {err.start} is not (save the file as UTF-8)"]
        ) from None
    try:
        raw = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None)
        what = f": {problem}" if problem and ("duplicate" in problem or "date" in problem) else ""
        raise ConfigError([f"{source}: not valid YAML{where}{what}"]) from None
    except RecursionError:
        raise ConfigError([f"{source}: not valid YAML: nested too deeply"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{source}: expected a mapping of fields at the top level"])
    return raw


def _read_yaml(path: Path) -> dict[str, Any]:
    raw = read_yaml_mapping(path)
    problems = (
        read_inflow_file(raw, path)
        + check_municipal_table(raw, path)
        + read_ensemble_file(raw, path)
    )
    if problems:
        raise ConfigError(problems)
    return raw


def _read_with_bases(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    raw = _read_yaml(path)
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ConfigError([f"{path}: base: expected the path of a scenario file, got {base!r}"])
    base_path = scenario_path(base, path.parent)
    if base_path in seen or base_path == path.resolve():
        raise ConfigError([f"{path}: base: {base} includes itself"])
    if not base_path.is_file():
        raise ConfigError([f"{path}: base: {missing_scenario(base, base_path)}"])
    return merge_override(_read_with_bases(base_path, (*seen, path.resolve())), raw)


def shipped_configs() -> Path:
    """The folder of the shipped scenario files: ``$FLOWSIM_CONFIGS``, else ``configs/`` of
    the checkout flowsim is installed from."""
    folder = os.environ.get("FLOWSIM_CONFIGS")
    return Path(folder) if folder else Path(__file__).resolve().parents[3] / "configs"


def scenario_path(reference: str, folder: Path) -> Path:
    """The scenario file a ``base:`` (or an experiment's scenario) names: a path relative to
    ``folder`` (the file naming it), or, for a bare name such as ``belgium-baseline``, the
    shipped file of that name (:func:`shipped_configs`), so that a file naming it works
    wherever it is copied."""
    here = (folder / reference).resolve()
    bare = "/" not in reference and "\\" not in reference and not reference.endswith(".yaml")
    if here.is_file() or not bare:
        return here
    return (shipped_configs() / f"{reference}.yaml").resolve()


def missing_scenario(reference: str, resolved: Path) -> str:
    """What to say when the scenario file a reference names does not exist: where it was
    looked for and, for a bare name, the shipped names."""
    if resolved.parent == shipped_configs().resolve():
        names = sorted(p.stem for p in shipped_configs().glob("*.yaml"))
        return (
            f"expected a shipped scenario name or a path, {reference!r} is neither "
            f"(shipped: {', '.join(names) or 'none found in ' + str(shipped_configs())})"
        )
    return f"expected a scenario file, not found: {resolved}"


def merge_override(
    base: dict[str, Any], override: dict[str, Any], top: bool = True
) -> dict[str, Any]:
    """``base`` with ``override`` applied: mappings merged, lists replaced, changes added."""
    merged = dict(base)
    for key, value in override.items():
        if top and key == "changes" and isinstance(value, list):
            merged[key] = list(base.get(key) or []) + value
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = merge_override(base[key], value, top=False)
        else:
            merged[key] = value
    return merged


def scenario_from_dict(raw: dict[str, Any], source: str = "<config>") -> Scenario:
    """Validate a scenario given as a dict (as read from YAML); raise :class:`ConfigError`."""
    from flowsim.scenario.ranges import range_problems

    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        # a number out of its range is reported even where a section's own check stopped
        # the validation first (it is often that check's cause)
        lines = format_errors(err, source)
        named = {line.split(": ", 2)[1] for line in lines if line.count(": ") >= 2}
        extra = [f"{source}: {line}" for line in range_problems(raw)]
        raise ConfigError(lines + [x for x in extra if x.split(": ", 2)[1] not in named]) from None
    problems = check_changes(scenario, source)
    if problems:
        raise ConfigError(problems)
    return scenario
