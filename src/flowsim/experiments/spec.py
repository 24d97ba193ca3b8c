"""Experiment specifications: what a sweep varies, how it samples, what it measures.

An experiment file (YAML) names a base scenario, the **levers** (what policy controls) and
**uncertainties** (what nobody controls), a **design** (full factorial, Latin hypercube,
Sobol/Saltelli or Morris), replications per point with a master seed, and named
**outcomes** computed from each run's daily series (:mod:`flowsim.experiments.outcomes`).

Every lever or uncertainty (a *factor*) changes the base scenario in one of three ways:

- ``field``: a changeable number set from the start date (``cgrs.case_officers_fte``);
- ``change``: a dated change appended to the scenario's ``changes``
  (``{field: cgrs.case_officers_fte, date: 2023-03-01, op: add}``), the value being the
  operand;
- ``scenarios``: a choice among named scenario files (``baseline`` vs ``winter-plan``).

Problems are reported like scenario files: one line per problem, ``file: field.path: what
was expected`` (:class:`flowsim.scenario.errors.ConfigError`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from flowsim.experiments.outcomes import Outcome, check_series_names
from flowsim.scenario.calibration import set_path
from flowsim.scenario.checks import unknown_field
from flowsim.scenario.errors import ConfigError, format_errors
from flowsim.scenario.fields import Label, Number
from flowsim.scenario.loading import (
    load_raw_config,
    missing_scenario,
    read_yaml_mapping,
    scenario_from_dict,
    scenario_path,
)
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import changeable_fields

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # factor and outcome names are column names
DESIGNS = ("factorial", "latin_hypercube", "sobol", "morris")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DatedChange(_Strict):
    """A factor applied as a dated change: from ``date`` on, ``field`` is ``op``-ed by the
    factor's value (``set`` to it, ``add`` it, ``multiply`` by it)."""

    field: str
    date: dt.date
    op: Literal["set", "add", "multiply"]


class Factor(_Strict):
    """A lever or an uncertainty: what it changes, and its values or range."""

    name: str
    description: str = ""
    field: str | None = None
    change: DatedChange | None = None
    scenarios: dict[str, str] | None = None  # name -> scenario file (relative to the spec)
    values: list[Number] | None = None
    range: tuple[Number, Number] | None = None
    distribution: Literal["uniform", "triangular"] = "uniform"
    mode: Number | None = None  # the peak of a triangular distribution (same unit)

    @model_validator(mode="after")
    def _consistent(self) -> Factor:
        problems = []
        if not NAME.match(self.name):
            problems.append(f"@name: expected letters, digits and _, got {self.name!r}")
        targets = [t for t in ("field", "change", "scenarios") if getattr(self, t) is not None]
        if len(targets) != 1:
            problems.append(
                f"expected exactly one of field, change, scenarios; got {targets or 'none'}"
            )
        if self.scenarios is not None:
            if self.values is not None or self.range is not None:
                problems.append("expected no values or range with scenarios (their names)")
            if not self.scenarios:
                problems.append("@scenarios: expected at least one named scenario file")
        elif (self.values is None) == (self.range is None):
            problems.append("expected exactly one of values, range")
        if self.values is not None and not self.values:
            problems.append("@values: expected at least one value")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                problems.append(f"@range: expected [low, high] with low < high, got {low}, {high}")
            if self.distribution == "triangular" and (
                self.mode is None or not low <= self.mode <= high
            ):
                problems.append("@mode: expected the peak of the triangular range, within it")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def levels(self) -> list[float | str]:
        """The values a factorial design takes (scenario names for a scenario choice)."""
        if self.scenarios is not None:
            return list(self.scenarios)
        return list(self.values or [])

    @property
    def numeric(self) -> bool:
        """Whether the factor's values are numbers (a scenario choice is not)."""
        return self.scenarios is None


class Design(_Strict):
    """How points are chosen. ``samples``: Latin-hypercube points, Sobol base sample ``N``
    (``N*(2D+2)`` points with second-order indices, ``N*(D+2)`` without) or Morris
    trajectories (``N*(D+1)`` points)."""

    kind: Literal["factorial", "latin_hypercube", "sobol", "morris"]
    samples: Annotated[int, Field(ge=1, strict=True)] | None = None
    second_order: bool = False  # Sobol second-order indices (more points)
    levels: Annotated[int, Field(ge=2, strict=True)] = 4  # Morris grid levels
    seed: int | None = None  # seed of the sample; default the experiment's master seed

    @model_validator(mode="after")
    def _samples(self) -> Design:
        if self.kind != "factorial" and self.samples is None:
            raise ValueError(f"@samples: required for a {self.kind} design")
        if self.kind == "factorial" and self.samples is not None:
            raise ValueError("@samples: a factorial design takes every combination of values")
        return self


class Discovery(_Strict):
    """Scenario discovery: which factor combinations give ``outcome`` above (or below) a
    threshold in a run, found with PRIM."""

    outcome: str
    above: Number | None = None
    below: Number | None = None
    threshold: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8  # minimum density of the box

    @model_validator(mode="after")
    def _one(self) -> Discovery:
        if (self.above is None) == (self.below is None):
            raise ValueError("expected exactly one of above, below")
        return self


JobqueueValue = str | int | float | bool | list[str]


class Cluster(_Strict):
    """Keyword arguments of dask-jobqueue's ``SLURMCluster`` / ``PBSCluster`` (``cores``,
    ``memory``, ``walltime``, ``queue``, ``account``, ``job_extra_directives``, ...)."""

    slurm: dict[str, JobqueueValue] = Field(default_factory=dict)
    pbs: dict[str, JobqueueValue] = Field(default_factory=dict)


class Spec(_Strict):
    """The schema of an experiment file."""

    name: Label
    description: str = ""
    base: str | None = None  # scenario file (relative to this file) or a shipped name
    levers: list[Factor] = Field(default_factory=list)
    uncertainties: list[Factor] = Field(default_factory=list)
    design: Design
    replications: Annotated[int, Field(ge=1, strict=True)]
    seed: Annotated[int, Field(ge=0, strict=True)] = 0
    baseline: dict[str, Number | str] = Field(default_factory=dict)  # reference point
    outcomes: dict[str, Outcome]
    series: list[str] = Field(default_factory=list)  # full daily series kept for each run
    discovery: Discovery | None = None
    cluster: Cluster = Field(default_factory=Cluster)

    @model_validator(mode="after")
    def _consistent(self) -> Spec:
        problems: list[str] = []
        factors = self.factors
        if not factors:
            problems.append("levers: expected at least one lever or uncertainty")
        names = [f.name for f in factors]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"levers: factor names must be unique, {name!r} appears twice")
        if self.base is None and not any(f.scenarios for f in factors):
            problems.append("base: expected a scenario file (or a factor with scenarios)")
        if sum(f.scenarios is not None for f in factors) > 1:
            problems.append("levers: expected at most one factor with scenarios")
        for where, i, f in self._located():
            if self.design.kind == "factorial" and f.range is not None:
                problems.append(f"{where}.{i}.range: a factorial design needs values, not a range")
            if self.design.kind != "factorial" and f.range is None:
                problems.append(
                    f"{where}.{i}: a {self.design.kind} design needs a range for every factor"
                )
        if self.design.kind == "morris" and any(f.distribution != "uniform" for f in factors):
            problems.append("design.kind: a morris design samples uniform ranges only")
        by_name = {f.name: f for f in factors}
        for key, value in self.baseline.items():
            if key not in by_name:
                problems.append(f"baseline.{key}: expected a factor name, one of {names}")
            elif self.design.kind == "factorial" and value not in by_name[key].levels:
                problems.append(
                    f"baseline.{key}: expected one of its values {by_name[key].levels}, "
                    f"got {value!r}"
                )
        for name in self.outcomes:
            if not NAME.match(name):
                problems.append(f"outcomes.{name}: expected letters, digits and _ in the name")
            if name in by_name:
                problems.append(f"outcomes.{name}: the name of a factor too")
        problems += check_series_names(
            {f"outcomes.{n}.series": o.series for n, o in self.outcomes.items()}
        )
        problems += check_series_names({f"series.{i}": s for i, s in enumerate(self.series)})
        if self.discovery is not None and self.discovery.outcome not in self.outcomes:
            problems.append(
                f"discovery.outcome: expected an outcome name, one of {list(self.outcomes)}, "
                f"got {self.discovery.outcome!r}"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def factors(self) -> list[Factor]:
        """Levers then uncertainties, in file order."""
        return [*self.levers, *self.uncertainties]

    def _located(self) -> list[tuple[str, int, Factor]]:
        return [("levers", i, f) for i, f in enumerate(self.levers)] + [
            ("uncertainties", i, f) for i, f in enumerate(self.uncertainties)
        ]

    def spec_hash(self) -> str:
        """SHA-256 of the specification as validated."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


# --- loading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: the spec and its base scenarios, ready to resolve points."""

    spec: Spec
    source: str  # the experiment file, for messages
    bases: dict[str, Scenario]  # scenario choice -> scenario ("" when there is no choice)
    sources: dict[str, str]  # scenario choice -> scenario file

    @property
    def choice(self) -> Factor | None:
        """The factor choosing among scenario files, if any."""
        return next((f for f in self.spec.factors if f.scenarios is not None), None)

    def resolve(self, point: dict[str, float | str]) -> Scenario:
        """The scenario of one design point; raise :class:`ConfigError` if it is invalid."""
        choice = self.choice
        key = str(point[choice.name]) if choice is not None else ""
        tree = self.bases[key].model_dump(mode="python")  # complete, defaults included
        for factor in self.spec.factors:
            value = point[factor.name]
            if factor.field is not None:
                set_path(tree, factor.field, float(value))
                _leave_to_factor(tree, factor.field)
            elif factor.change is not None:
                change = factor.change
                tree["changes"].append(
                    {"date": change.date, "field": change.field, change.op: float(value)}
                )
        where = f"{self.source} ({_describe(point)})"
        return scenario_from_dict(tree, where)


def _leave_to_factor(tree: dict, field: str) -> None:
    """A factor that sets a field the scenario's ensemble members also set (a calibrated
    field): the factor's value holds in every member (a dated change of the field would
    apply on top of each member's value instead)."""
    ensemble = tree.get("ensemble")
    if ensemble:
        ensemble["members"] = [
            {key: v for key, v in member.items() if key != field} for member in ensemble["members"]
        ]


def _describe(point: dict[str, float | str]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in point.items())


def _fmt(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; raise :class:`ConfigError` on any problem.

    Scenario files are relative to the experiment file. Every lever field is checked against
    the changeable fields of each base scenario, and each factor's extreme values are applied
    alone to the base, so that a bad value is reported before anything runs.
    """
    path = Path(path)
    return experiment_from_dict(read_yaml_mapping(path), str(path), path.parent)


def experiment_from_dict(raw: dict[str, Any], source: str, folder: Path) -> Experiment:
    """Validate an experiment given as a dict; scenario files are relative to ``folder``."""
    try:
        spec = Spec.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_errors(err, source)) from None
    files = {"": spec.base} if spec.base is not None else {}
    choice = next((f for f in spec.factors if f.scenarios is not None), None)
    if choice is not None:
        files = dict(choice.scenarios or {})
    bases: dict[str, Scenario] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for key, name in files.items():
        where = "base" if key == "" else f"scenarios.{key}"
        path = scenario_path(name, folder)
        if not path.is_file():
            problems.append(f"{source}: {where}: {missing_scenario(name, path)}")
            continue
        try:
            bases[key] = scenario_from_dict(load_raw_config(path), str(path))
            sources[key] = str(path)
        except ConfigError as err:
            problems += [f"{source}: {where}: {line}" for line in err.problems]
    if problems:
        raise ConfigError(problems)
    experiment = Experiment(spec, source, bases, sources)
    problems += _check_fields(experiment)
    problems += _check_outcome_dates(experiment)
    if not problems:
        problems += _check_extremes(experiment)
    if problems:
        raise ConfigError(problems)
    return experiment


def _check_fields(experiment: Experiment) -> list[str]:
    problems = []
    for scenario in experiment.bases.values():
        fields = changeable_fields(scenario)
        for where, i, factor in experiment.spec._located():
            target = factor.field if factor.field is not None else None
            part = "field"
            if factor.change is not None:
                target, part = factor.change.field, "change.field"
            if target is None:
                continue
            line = unknown_field(f"{experiment.source}: {where}.{i}.{part}", target, fields)
            if line and line not in problems:
                problems.append(line)
    return problems


def _check_outcome_dates(experiment: Experiment) -> list[str]:
    """One line per outcome date outside a base scenario's run (its value would be no
    number of the run)."""
    problems = []
    for name, outcome in experiment.spec.outcomes.items():
        for key, date in (("date", outcome.date), ("from", outcome.start), ("to", outcome.end)):
            for scenario in experiment.bases.values():
                if date is not None and not scenario.start_date <= date <= scenario.end_date:
                    problems.append(
                        f"{experiment.source}: outcomes.{name}.{key}: expected a date within "
                        f"the run ({scenario.start_date} to {scenario.end_date}), got {date}"
                    )
                    break
    return problems


def _check_extremes(experiment: Experiment) -> list[str]:
    """Apply each factor's lowest and highest value alone to the base (others at their
    first value or low end) so that an invalid value is caught before anything runs."""
    spec = experiment.spec
    reference = {f.name: _anchor(f) for f in spec.factors}
    problems: list[str] = []
    for factor in spec.factors:
        candidates = factor.levels if factor.range is None else list(factor.range)
        if factor.numeric and candidates:
            candidates = sorted({min(candidates), max(candidates)})  # type: ignore[type-var]
        for value in candidates:
            try:
                experiment.resolve({**reference, factor.name: value})
            except ConfigError as err:
                problems += [p for p in err.problems if p not in problems]
    return problems


def _anchor(factor: Factor) -> float | str:
    if factor.range is not None:
        return factor.range[0]
    return factor.levels[0]
