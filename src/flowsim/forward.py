"""Forecasts from a calibrated history: the fitted model carried forward from a date.

``flowsim forward FITTED --origin DATE`` takes a calibration's ``fitted.yaml`` (a history
scenario and its ensemble of parameter sets) and writes a scenario file that starts the day
after ``origin``. Each ensemble member keeps its own fitted values and starts from its own
state: the member's history is run up to the origin (on Dask, as a sweep's runs, stored so
that a second call runs nothing again) and the state it reached becomes the member's
``initial_state`` (:func:`flowsim.start_state.state_summary`). A calibrated field takes the
value it had on the origin in the member's history (its fitted value for the last period
begun, with the history's own dated changes applied).

Without ``--template`` the forecast keeps the history's own inputs after the origin (the
observed ones: backtests); every changeable field starts with its value on the origin and
only the changes after it remain. With ``--template``, the template gives everything after
the origin (inputs observed later, stated assumptions) and the members override its
calibrated fields and start state; residents are shared among the template's centres by
type, in proportion to their places, as the template's centres need not be the history's.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from flowsim.config import (
    FITTED_NOTE,
    Scenario,
    Timeline,
    _set_path,
    calibrated_parameter,
    changeable_fields,
    load_config,
    scenario_from_dict,
)
from flowsim.results import atomic_path, replication_seeds, versions

STATE = "initial_state."


class ForwardError(ValueError):
    """A forecast that cannot be made; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def history_until(scenario: Scenario, origin: dt.date) -> Scenario:
    """``scenario`` (no ensemble) ending on ``origin``, its changes after it dropped."""
    tree = scenario.model_dump(mode="python")
    tree.update(end_date=origin, ensemble=None, calibration=None)
    tree["changes"] = [c for c in tree["changes"] if c["date"] <= origin]
    return scenario_from_dict(tree, f"<{scenario.name} until {origin}>")


class StateAtEnd:
    """A run's summary for a forecast: the state the model reached (flat keys
    ``initial_state.<field>``, residents as ``initial_state.in_reception_persons.<centre>``)."""

    def __init__(self, centres: list[str]):
        from flowsim.config import InitialState

        fields = [f for f in InitialState.model_fields if f != "in_reception_persons"]
        self.names = tuple(
            [STATE + f for f in fields] + [f"{STATE}in_reception_persons.{c}" for c in centres]
        )

    def __call__(self, frame: pd.DataFrame, model: Any) -> dict[str, float]:
        state = model.state_summary()
        out = {
            STATE + key: float(value)
            for key, value in state.items()
            if key != "in_reception_persons"
        }
        for centre, persons in state["in_reception_persons"].items():
            out[f"{STATE}in_reception_persons.{centre}"] = float(persons)
        return {name: out.get(name, 0.0) for name in self.names}


def member_states(
    client: Any, fitted: Scenario, origin: dt.date, seed: int, folder: Path
) -> list[dict[str, float]]:
    """Each ensemble member's state at the end of ``origin``: its history (replication
    ``k``'s seed from ``seed``, as ``flowsim run`` gives member ``k``) run up to it on
    ``client``; stored under ``folder`` (a second call runs nothing again)."""
    from flowsim.sweep import RunTask, compute_runs, read_shard, run_id, shard_path, stored_ok

    members = len(fitted.ensemble.members) if fitted.ensemble else 1
    summary = StateAtEnd(list(fitted.reception.centres))
    version = versions()["flowsim"]
    tasks = []
    for k, rep_seed in enumerate(replication_seeds(seed, members)):
        scenario = history_until(fitted.member(k), origin)
        rid = run_id(scenario, rep_seed, version)
        tasks.append(RunTask(rid, scenario, rep_seed, summary, summary.names))
    compute_runs(client, [t for t in tasks if not stored_ok(folder, t.run_id)], folder)
    states = []
    for task in tasks:
        row = read_shard(shard_path(folder, task.run_id)).to_pylist()[0]
        if row.get("status") != "ok":
            raise ForwardError([f"member history {task.run_id} failed: {row.get('error')}"])
        states.append({name: row[name] for name in summary.names})
    return states


def values_at(scenario: Scenario, origin: dt.date, keys: list[str]) -> dict[str, float]:
    """The fields of calibration ``keys`` (dated keys name their field) on ``origin`` in
    ``scenario``'s timeline (every change up to that day applied)."""
    fields = sorted({calibrated_parameter(key)[0] for key in keys})
    values = Timeline(scenario).values_on(scenario.day_of(origin))
    return {field: float(values[field]) for field in fields}


def spread_residents(
    residents: dict[str, float], history: Scenario, template: Scenario
) -> dict[str, float]:
    """Residents by the history's centres shared among the template's open centres: by
    centre type in proportion to places on the template's start date, any surplus over a
    type's places given to the other centres in proportion to their free places; whole
    persons, the total kept (as long as the template has the places)."""
    open_centres = {
        name: c for name, c in template.reception.centres.items() if c.reserved_for is None
    }
    places = pd.Series({name: c.places for name, c in open_centres.items()}, dtype=float)
    kind = pd.Series({name: c.type for name, c in open_centres.items()})
    by_type: dict[str, float] = {}
    for name, persons in residents.items():
        centre_type = history.reception.centres[name].type
        by_type[centre_type] = by_type.get(centre_type, 0.0) + persons
    target = pd.Series(0.0, index=places.index)
    surplus = 0.0
    for centre_type, persons in by_type.items():
        room = places[kind == centre_type]
        if room.sum() <= 0:
            surplus += persons
            continue
        placed = min(persons, room.sum())
        target[room.index] += placed * room / room.sum()
        surplus += persons - placed
    free = (places - target).clip(lower=0)
    if surplus > 0 and free.sum() > 0:
        target += min(surplus, free.sum()) * free / free.sum()
    return _whole(target, places)


def _whole(target: pd.Series, places: pd.Series) -> dict[str, float]:
    """Whole persons per centre, summing to the rounded total, never above its places."""
    floor = np.floor(target.to_numpy())
    left = int(round(target.sum())) - int(floor.sum())
    order = np.argsort(-(target.to_numpy() - floor), kind="stable")
    for i in order:
        if left <= 0:
            break
        if floor[i] + 1 <= places.iloc[i]:
            floor[i] += 1
            left -= 1
    return {name: float(v) for name, v in zip(target.index, floor, strict=True)}


def forward_members(
    fitted: Scenario,
    states: list[dict[str, float]],
    origin: dt.date,
    template: Scenario | None,
) -> pd.DataFrame:
    """One row per member: its calibrated fields on ``origin`` and its start state (the
    ensemble of the forecast file)."""
    assert fitted.ensemble is not None
    keys = sorted({k for m in fitted.ensemble.members for k in m})
    rows = []
    # values fitted for periods that begin after the origin stay dated (a forecast's own)
    later = [key for key in keys if (calibrated_parameter(key)[1] or origin) > origin]
    current = [key for key in keys if key not in later]
    for k, state in enumerate(states):
        member = fitted.member(k)
        row: dict[str, float] = {"member": float(k)}
        row.update(values_at(member, origin, current))
        row.update(
            {key: fitted.ensemble.members[k % len(fitted.ensemble.members)][key] for key in later}
        )
        plain = {key: v for key, v in state.items() if ".in_reception_persons." not in key}
        residents = {
            key.rsplit(".", 1)[1]: v for key, v in state.items() if ".in_reception_persons." in key
        }
        row.update(plain)
        if template is not None:
            residents = spread_residents(residents, fitted, template)
        for centre, persons in residents.items():
            row[f"{STATE}in_reception_persons.{centre}"] = persons
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["member"] = frame["member"].astype(int)
    return frame


def _start_tree(fitted: Scenario, origin: dt.date, end: dt.date, name: str) -> dict:
    """The history carried on after ``origin`` with its own inputs: every changeable field
    at its value on the origin, the changes after it, no ensemble or calibration."""
    base = fitted.member(0)  # only the fields it shares with every member are kept
    tree = base.model_dump(mode="json")
    values = Timeline(base).values_on(base.day_of(origin))
    for field in changeable_fields(base):
        _set_path(tree, field, values[field])
    tree.update(
        name=name,
        start_date=(origin + dt.timedelta(days=1)).isoformat(),
        end_date=end.isoformat(),
        calibration=None,
        ensemble=None,
        initial_state={},
    )
    # the member's own fitted values come back from the ensemble, each member its own
    tree["changes"] = [
        c
        for c in tree["changes"]
        if dt.date.fromisoformat(c["date"]) > origin and c["note"] != FITTED_NOTE
    ]
    first = f"{(origin + dt.timedelta(days=1)):%Y-%m}"
    for schedule in ("monthly_persons", "subsequent_monthly_persons"):
        months = tree["inflow"][schedule]
        tree["inflow"][schedule] = {m: v for m, v in months.items() if m >= first}
    return tree


def write_forward(
    fitted_path: Path,
    origin: dt.date,
    out: Path,
    client: Any,
    template_path: Path | None = None,
    end: dt.date | None = None,
    name: str | None = None,
    seed: int = 0,
    runs: Path | None = None,
) -> Scenario:
    """Write the forecast scenario ``out`` (and its ensemble ``<out stem>-ensemble.csv``
    beside it, or under ``data/`` when ``out``'s folder has one) from ``fitted_path``; see
    the module docstring. The members' histories are stored under ``runs`` (default
    ``results/forward/<name>``). Returns the forecast scenario, validated."""
    fitted = load_config(fitted_path)
    if fitted.ensemble is None:
        raise ForwardError([f"{fitted_path}: ensemble: expected a fitted scenario with members"])
    if not fitted.start_date <= origin <= fitted.end_date:
        span = f"{fitted.start_date} to {fitted.end_date}"
        raise ForwardError([f"--origin: expected a date from {span}, got {origin}"])
    if template_path is None and origin == fitted.end_date and end is None:
        raise ForwardError(
            [f"--end: expected an end date after the origin: the history ends on {origin}"]
        )
    template = load_config(template_path) if template_path is not None else None
    if template is not None and template.start_date != origin + dt.timedelta(days=1):
        raise ForwardError(
            [
                f"{template_path}: start_date: expected the day after the origin "
                f"({origin + dt.timedelta(days=1)}), got {template.start_date}"
            ]
        )
    name = name or out.stem
    runs = runs or Path("results") / "forward" / name
    states = member_states(client, fitted, origin, seed, runs)
    members = forward_members(fitted, states, origin, template)
    data = out.parent / "data" if (out.parent / "data").is_dir() else out.parent
    table = data / f"{name}-ensemble.csv"
    with atomic_path(table) as tmp:
        members.to_csv(tmp, index=False, lineterminator="\n")
    source = (
        f"flowsim forward {fitted_path} --origin {origin}"
        + (f" --template {template_path}" if template_path else "")
        + f" (seed {seed}; {len(members)} members, each from its own history up to the origin)"
    )
    ensemble = {"source": source, "file": os.path.relpath(table, out.parent)}
    header = [
        f"Generated by flowsim forward on {time.strftime('%Y-%m-%d')} ({versions()['flowsim']}):",
        "the calibrated history carried forward from its state at the origin. Do not edit:",
        "edit the template or the history and run the command again (README: Reproduce).",
    ]
    if template_path is not None:
        body: dict[str, Any] = {
            "base": os.path.relpath(Path(template_path).resolve(), out.parent.resolve()),
            "name": name,
        }
        if end is not None:
            body["end_date"] = end
        body["ensemble"] = ensemble
    else:
        end = end or fitted.end_date
        body = _start_tree(fitted, origin, end, name)
        body["ensemble"] = ensemble
    text = "".join(f"# {line}\n" for line in header)
    text += yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=100)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return load_config(out)
