"""What-if from the page: a ready scenario with a handful of levers changed from a date,
run beside the unchanged scenario with the same seeds, and shown against it.

A what-if is a scenario file like any other: ``base:`` the ready scenario plus dated
changes (:func:`what_if_document`), so the file offered for download is one that
``flowsim run`` accepts as it is. Both runs are made by ``flowsim run`` in a child process
(:func:`run_what_if`): the page stays responsive, shows progress per replication, and the
results folders are exactly what the command line would write. Nothing here imports
ipywidgets; the page (:mod:`flowsim.dashboard.page`) draws the levers.

Units: officers in FTE, places, persons per year (pledge) and per month (transfers,
housing), euros per adult (reintegration package); dates are calendar days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from flowsim.scenario.loading import load_config
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import Timeline

PLACE_TYPES = ("collective", "lri", "private_operator", "emergency", "convention")


@dataclass(frozen=True)
class Lever:
    """One lever of the what-if panel: what it shows and the dated changes it makes.

    ``value`` is the scenario's own on the what-if date (the slider starts there and a lever
    left there changes nothing); ``op`` says how a new value becomes changes: ``set`` the
    fields to it, ``add`` the difference to the first field (places of a type: the first
    centre of that type takes the difference), ``multiply`` the fields by it (fitted
    fields: each ensemble member keeps its own value, times the factor)."""

    key: str
    label: str
    unit: str
    op: Literal["set", "add", "multiply"]
    fields: tuple[str, ...]
    value: float
    low: float
    high: float
    step: float


def ready_scenarios(folder: Path) -> list[Path]:
    """The scenario files a what-if can start from: the YAML files of ``folder`` (the
    shipped ``configs/``) that run forward from today's state, i.e. all but the history."""
    return sorted(
        p for p in folder.glob("*.yaml") if p.is_file() and not p.name.startswith("belgium-history")
    )


def levers(scenario: Scenario, date: dt.date) -> list[Lever]:
    """The levers a researcher can move for ``scenario`` from ``date``, each starting at
    the scenario's value on that date (its own dated changes before it applied)."""
    values = Timeline(scenario).values_on(scenario.day_of(date))
    # officers are added from the date (not set): the scenario's own later recruitment or
    # departures still apply on top
    officers = ("cgrs.case_officers_fte",)
    found = [_lever("officers", "CGRS case officers", "FTE", "add", officers, values, 5.0, 100.0)]
    for kind in PLACE_TYPES:
        fields = tuple(
            f"reception.centres.{name}.places"
            for name, centre in scenario.reception.centres.items()
            if centre.type == kind and centre.reserved_for is None
        )
        if fields:
            label = f"{kind.replace('_', ' ')} places"
            found.append(
                _lever(f"places_{kind}", label, "places", "add", fields, values, 100.0, 5000.0)
            )
    pledge = f"resettlement.pledges_persons.{date.year}"
    if pledge in values:
        label = f"resettlement pledge {date.year}"
        found.append(_lever("pledge", label, "persons", "set", (pledge,), values, 50.0, 500.0))
    transfers = ("resettlement.transfer_persons_per_month",)
    label = "resettlement transfers a month"
    found.append(
        _lever("transfers", label, "persons a month", "set", transfers, values, 10.0, 100.0)
    )
    package = ("returns.package.adult_eur",)
    label = "reintegration package per adult"
    found.append(_lever("package", label, "EUR", "set", package, values, 100.0, 1000.0))
    found.append(
        Lever(
            "housing",
            "housing found by municipalities (times the scenario's)",
            "factor",
            "multiply",
            ("municipalities.housing_persons_per_month",),
            1.0,
            0.5,
            2.0,
            0.05,
        )
    )
    return found


def _lever(
    key: str,
    label: str,
    unit: str,
    op: Literal["set", "add"],
    fields: tuple[str, ...],
    values: dict[str, float],
    step: float,
    room: float,
) -> Lever:
    """A lever over ``fields`` starting at their total on the date, up to twice it or
    ``room`` more; down to zero, or, added to the first field, to what that field can lose."""
    value = sum(values[f] for f in fields)
    low = value - values[fields[0]] if op == "add" else 0.0
    return Lever(key, label, unit, op, fields, value, low, max(2 * value, value + room), step)


def what_if_changes(
    moved: Sequence[Lever], chosen: dict[str, float], date: dt.date
) -> list[dict[str, Any]]:
    """The dated changes (scenario ``changes:`` entries) that move each lever from its
    value to ``chosen[key]``; levers left at their value make none."""
    changes: list[dict[str, Any]] = []
    for lever in moved:
        new = float(chosen.get(lever.key, lever.value))
        if new == lever.value:
            continue
        note = f"what-if: {lever.label} {_number(lever.value)} -> {_number(new)} {lever.unit}"
        if lever.op == "set":
            changes += [{"date": date, "field": f, "set": new, "note": note} for f in lever.fields]
        elif lever.op == "add":
            changes.append(
                {"date": date, "field": lever.fields[0], "add": new - lever.value, "note": note}
            )
        else:
            changes += [
                {"date": date, "field": f, "multiply": new, "note": note} for f in lever.fields
            ]
    return changes


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def what_if_document(
    base: str, name: str, changes: list[dict[str, Any]], description: str = ""
) -> str:
    """The what-if as scenario YAML: ``base`` (the ready scenario's path as the file will
    resolve it, relative to where the file is saved) and the changes, with a header saying
    how it was made."""
    body = {
        "base": base,
        "name": name,
        "description": description or f"What-if on {Path(base).stem}, made in the dashboard.",
        "changes": changes,
    }
    text = yaml.dump(body, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return (
        "# yaml-language-server: $schema=../docs/schema/scenario-extension.schema.json\n"
        "# A what-if made in the flowsim dashboard: the ready scenario named under base, with\n"
        "# the levers moved by the dated changes below. Save it beside that scenario\n"
        "# (configs/) and run it with: flowsim run <this file>\n" + text
    )


class _Dumper(yaml.SafeDumper):
    """Plain YAML for people: the same date written out each time, never as an alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def what_if_name(ready: Path, changes: list[dict[str, Any]]) -> str:
    """A results-folder name for the what-if: the ready scenario and a short digest of the
    changes (the same levers give the same name)."""
    digest = hashlib.sha256(json.dumps(changes, default=str, sort_keys=True).encode())
    return f"what-if-{ready.stem}-{digest.hexdigest()[:8]}"


Progress = Callable[[str, int, int], None]  # (which run, replications done, replications)
_DONE = re.compile(r"replication (\d+)/(\d+) done")


@dataclass(frozen=True)
class WhatIfRuns:
    """The two results folders of a what-if: the unchanged scenario and the what-if."""

    baseline: Path
    what_if: Path
    document: str  # the what-if's scenario YAML, as offered for download


class WhatIfError(RuntimeError):
    """A what-if run failed; the message is ``flowsim run``'s own (one line or a few)."""


def download_base(ready: Path) -> str:
    """How the downloaded what-if names its base: a shipped scenario by its name (the file
    then runs wherever it is saved), another by its file name (save it beside that file)."""
    from flowsim.scenario.loading import shipped_configs

    shipped = ready.resolve().parent == shipped_configs().resolve()
    return ready.stem if shipped and ready.suffix == ".yaml" else ready.name


def run_what_if(
    ready: Path,
    chosen: dict[str, float],
    date: dt.date,
    replications: int,
    seed: int,
    root: Path,
    progress: Progress | None = None,
) -> WhatIfRuns:
    """Run the ready scenario (once per replications and seed: reused while its config is
    unchanged) and the what-if, ``replications`` each with master seed ``seed``, into
    folders under ``root`` (the dashboard's results root, so both appear in its pickers).

    Each is ``flowsim run`` in a child process (progress per replication through
    ``progress``). Raises :class:`WhatIfError` with the command's message when a run fails.
    """
    ready = ready.resolve()
    scenario = load_config(ready)
    changes = what_if_changes(levers(scenario, date), chosen, date)
    name = what_if_name(ready, changes)
    document = what_if_document(download_base(ready), name, changes)
    # the file the run reads sits in a hidden folder (not listed by the dashboard) and
    # names its base by absolute path; the download names it relative to configs/
    source = root / ".what-if" / f"{name}.yaml"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(what_if_document(str(ready), name, changes), encoding="utf-8")
    baseline = root / f"what-if-baseline-{ready.stem}-r{replications}-s{seed}"
    if not _current(baseline, scenario.config_hash(), replications, seed):
        _flowsim_run(ready, baseline, replications, seed, "baseline", progress)
    what_if = root / name
    _flowsim_run(source, what_if, replications, seed, "what-if", progress)
    return WhatIfRuns(baseline, what_if, document)


def _current(folder: Path, config_hash: str, replications: int, seed: int) -> bool:
    """Whether ``folder`` holds a finished run of that config, replications and seed."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        (folder / "series.parquet").is_file()
        and manifest.get("config_hash") == config_hash
        and manifest.get("replications") == replications
        and manifest.get("master_seed") == seed
    )


def _flowsim_run(
    config: Path, out: Path, replications: int, seed: int, which: str, progress: Progress | None
) -> None:
    command = [sys.executable, "-m", "flowsim", "run", str(config), "--out", str(out)]
    command += ["--replications", str(replications), "--seed", str(seed), "--overwrite"]
    if progress is not None:
        progress(which, 0, replications)
    lines: list[str] = []
    # stderr into stdout: one pipe read to its end cannot block the child
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if done := _DONE.search(line):
                if progress is not None:
                    progress(which, int(done[1]), int(done[2]))
            else:
                lines.append(line.rstrip())
    if child.returncode != 0:
        message = "\n".join(line for line in lines if line) or f"exit status {child.returncode}"
        raise WhatIfError(f"flowsim run {config.name} ({which}) failed: {message}")
