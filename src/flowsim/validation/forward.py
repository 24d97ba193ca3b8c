"""Forecasts from a calibrated history: the fitted model carried forward from a date.

``flowsim forward FITTED --origin DATE`` takes a calibration's ``fitted.yaml`` (a history scenario
and its ensemble of parameter sets) and writes a scenario file that starts the day after ``origin``.
Each ensemble member keeps its own fitted values and starts from its own state: the member's history
is run up to the origin (on Dask, as a sweep's runs, stored so that a second call runs nothing
again) and the state it reached becomes the member's ``initial_state``
(:func:`flowsim.institutions.start_state.state_summary`). A calibrated field takes the value it had
on the origin in the member's history (its fitted value for the last period begun, with the
history's own dated changes applied).

Without ``--template`` the forecast keeps the history's own inputs after the origin (the
observed ones: backtests); every changeable field starts with its value on the origin and
only the changes after it remain. With ``--template``, the template gives everything after
the origin (inputs observed later, stated assumptions) and the members override its
calibrated fields, the fields that are state on the origin (:data:`CARRIED`: the CGRS's case
officers) and the start state; residents are shared among the template's centres by
type, in proportion to their places, as the template's centres need not be the history's.

The start state is then **anchored** on what was observed at the origin (``flowsim forward``
does it unless ``--no-anchor``): the CGRS backlog in persons, the residents and the waiting
list, where a figure is dated within a month up to the origin, replace each member's own
(a forecast starts from the known state, as the naive forecast it is judged against does;
what no figure observes keeps each member's own value). The ensemble's ``source`` says which
figures set it.
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

from flowsim.results.runs import atomic_path, replication_seeds, versions
from flowsim.results.store import RunStore
from flowsim.scenario.calibration import FITTED_NOTE, calibrated_parameter, set_path
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.fields import LABEL
from flowsim.scenario.loading import load_config, scenario_from_dict
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.schema_files import schema_for
from flowsim.scenario.timeline import Timeline, changeable_fields
from flowsim.validation.predictive import scenario_scales

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
        from flowsim.scenario.initial_state import InitialState

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
    from flowsim.results.shards import RunTask, compute_runs, run_id

    members = len(fitted.ensemble.members) if fitted.ensemble else 1
    summary = StateAtEnd(list(fitted.reception.centres))
    version = versions()["flowsim"]
    tasks = []
    for k, rep_seed in enumerate(replication_seeds(seed, members)):
        scenario = history_until(fitted.member(k), origin)
        rid = run_id(scenario, rep_seed, version)
        tasks.append(RunTask(rid, scenario, rep_seed, summary, summary.names))
    store = RunStore(folder)
    done = store.ok_ids()
    compute_runs(client, [t for t in tasks if t.run_id not in done], folder)
    rows = store.rows([t.run_id for t in tasks]).set_index("run_id")
    states = []
    for task in tasks:
        row = rows.loc[task.run_id]
        if row["status"] != "ok":
            raise ForwardError([f"member history {task.run_id} failed: {row.get('error')}"])
        states.append({name: row[name] for name in summary.names})
    return states


#: Fields that are the system's state on the origin rather than an input after it: each
#: member carries the history's value there, whatever the template says (the template's
#: dated changes after the origin still apply on top).
CARRIED = ("cgrs.case_officers_fte",)


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
        row.update(values_at(member, origin, [*current, *CARRIED]))
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


# Observed stocks that set a forecast's start state (series -> initial_state field; the
# residents are a total shared over the centres), and how far before the origin a figure
# may be dated and still count as the state on it (days).
ANCHORS = {
    "cgrs_backlog": STATE + "pending_cgrs_persons",
    "in_reception": STATE + "in_reception_persons",
    "without_reception": STATE + "without_reception_persons",
}
ANCHOR_DAYS = 31


def observed_state(observed: pd.DataFrame, origin: dt.date) -> dict[str, tuple[float, str]]:
    """The observed stocks of :data:`ANCHORS` on ``origin``: per series, the latest figure
    (persons) dated within :data:`ANCHOR_DAYS` days up to the origin and its date; series
    without one are left out. Nothing after the origin is read."""
    stop = pd.Timestamp(origin)
    rows = observed[
        observed["series"].isin(list(ANCHORS))
        & (observed["kind"] == "stock")
        & (observed["end"] <= stop)
        & (observed["end"] > stop - pd.Timedelta(days=ANCHOR_DAYS))
    ]
    out = {}
    for series, part in rows.sort_values(["end", "start"]).groupby("series"):
        last = part.iloc[-1]
        out[str(series)] = (float(last["value"]), f"{last['end']:%Y-%m-%d}")
    return out


def anchor_members(
    members: pd.DataFrame, stocks: dict[str, tuple[float, str]], places: dict[str, float]
) -> pd.DataFrame:
    """``members`` with their start state set to the observed ``stocks`` (:func:`observed_state`),
    within what the state's rules allow
    (:meth:`flowsim.scenario.initial_state.InitialState.residents_problems`): the pending persons to
    the figure; the residents scaled to the observed total (whole persons, no centre above its
    ``places``), at most the persons who can live in reception (also when no total is observed: a
    backlog set lower may leave fewer); the waiting list to the figure, at most the pending persons
    and Dublin cases not in reception. Each member keeps its own mix of everything no figure
    observes (Dublin cases, orders to leave, status holders, who of the residents is in which
    centre)."""
    from flowsim.scenario.initial_state import InitialState

    def persons(row: pd.Series, fields: tuple[str, ...]) -> float:
        return float(sum(row[STATE + f] for f in fields))

    out = members.copy()
    prefix = ANCHORS["in_reception"] + "."
    columns = [c for c in out.columns if c.startswith(prefix)]
    room = pd.Series({c: places[c[len(prefix) :]] for c in columns}, dtype=float)
    for k in out.index:
        row = out.loc[k].copy()
        if "cgrs_backlog" in stocks:
            row[ANCHORS["cgrs_backlog"]] = float(round(stocks["cgrs_backlog"][0]))
        residents = persons(row, InitialState.RESIDENT_FIELDS)
        filling = persons(row, InitialState.PLACE_FILLING_FIELDS)
        placed = row[columns].astype(float)
        wanted = stocks["in_reception"][0] if "in_reception" in stocks else placed.sum()
        # a backlog set lower may leave fewer persons than the member's residents
        total = min(wanted, residents + filling)
        if placed.sum() > 0 and total != placed.sum():
            placed = pd.Series(_whole(_within(placed, total, room), room))
            row[columns] = placed
        unplaced = max(filling - (placed.sum() - residents), 0.0)
        waiting = row[ANCHORS["without_reception"]]
        if "without_reception" in stocks:
            waiting = float(round(stocks["without_reception"][0]))
        row[ANCHORS["without_reception"]] = min(waiting, unplaced)
        out.loc[k] = row
    return out


def _within(shares: pd.Series, total: float, room: pd.Series) -> pd.Series:
    """``total`` (at most ``room``'s sum) shared in proportion to ``shares``, no entry above
    its ``room``: what an entry cannot take goes to the others by their room left."""
    target = shares * min(total, room.sum()) / shares.sum()
    for _ in range(len(target)):
        excess = float((target - room).clip(lower=0).sum())
        target = target.clip(upper=room)
        free = room - target
        if excess <= 0 or free.sum() <= 0:
            break
        target += excess * free / free.sum()
    return target


def _start_tree(fitted: Scenario, origin: dt.date, end: dt.date, name: str) -> dict:
    """The history carried on after ``origin`` with its own inputs: every changeable field
    at its value on the origin, the changes after it, no ensemble or calibration."""
    base = fitted.member(0)  # only the fields it shares with every member are kept
    tree = base.model_dump(mode="json")
    values = Timeline(base).values_on(base.day_of(origin))
    for field in changeable_fields(base):
        set_path(tree, field, values[field])
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
    observed: pd.DataFrame | None = None,
) -> Scenario:
    """Write the forecast scenario ``out`` (and its ensemble ``<out stem>-ensemble.csv``
    beside it, or under ``data/`` when ``out``'s folder has one) from ``fitted_path``; see
    the module docstring. The members' histories are stored under ``runs`` (default
    ``results/forward/<name>``). With ``observed`` (a table as
    :func:`flowsim.validation.observed.load_observed` gives), the stocks observed at the origin set
    every member's start state (:func:`anchor_members`). Returns the forecast scenario,
    validated."""
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
    if not LABEL.match(name):
        raise ForwardError(
            [f"--name: expected a label (letters, digits, '.', '_' or '-'), got {name!r}"]
        )
    runs = runs or Path("results") / "forward" / name
    states = member_states(client, fitted, origin, seed, runs)
    members = forward_members(fitted, states, origin, template)
    stocks = observed_state(observed, origin) if observed is not None else {}
    if stocks:
        start = template or fitted
        day = start.day_of(start.start_date if template else origin)
        values = Timeline(start).values_on(day)
        places = {
            name: values.get(f"reception.centres.{name}.places", centre.places)
            for name, centre in start.reception.centres.items()
        }
        members = anchor_members(members, stocks, places)
    data = out.parent / "data" if (out.parent / "data").is_dir() else out.parent
    table = data / f"{name}-ensemble.csv"
    with atomic_path(table) as tmp:
        members.to_csv(tmp, index=False, lineterminator="\n")
    source = (
        f"flowsim forward {fitted_path} --origin {origin}"
        + (f" --template {template_path}" if template_path else "")
        + f" (seed {seed}; {len(members)} members, each from its own history up to the origin"
        + "".join(
            f"; {ANCHORS[series].removeprefix(STATE)} set to the observed {series} of {day}"
            " (within what the member's other groups allow)"
            for series, (_value, day) in sorted(stocks.items())
        )
        + ")"
    )
    ensemble = {"source": source, "file": os.path.relpath(table, out.parent)}
    if fitted.ensemble.errors:  # the fit's errors travel with the members (predictive bands)
        errors = data / f"{name}-errors.csv"
        with atomic_path(errors) as tmp:
            scenario_scales(fitted).to_csv(tmp, index=False, lineterminator="\n")
        ensemble["errors_file"] = os.path.relpath(errors, out.parent)
    header = [
        f"Generated by flowsim forward on {time.strftime('%Y-%m-%d')} ({versions()['flowsim']}):",
        "the calibrated history carried forward from its state at the origin. Do not edit:",
        "edit the template or the history and run the command again (docs/validation.md).",
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
    schema = Path("docs") / "schema" / schema_for(body)  # the project's, run from its folder
    if schema.is_file():
        relative = os.path.relpath(schema.resolve(), out.parent.resolve())
        text = f"# yaml-language-server: $schema={Path(relative).as_posix()}\n" + text
    text += yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=100)
    with atomic_path(out) as tmp:  # an invalid forecast is never left in place of a good one
        tmp.write_text(text, encoding="utf-8")
        try:
            scenario = load_config(tmp)
        except ConfigError as err:
            raise ConfigError([p.replace(str(tmp), str(out)) for p in err.problems]) from None
    return scenario
