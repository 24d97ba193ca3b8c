"""Calibration: an ensemble of parameter sets that fit the observed Belgian figures.

The scenario's ``calibration:`` section (:class:`flowsim.scenario.calibration.Calibration`) names
the fields to fit with their prior ranges and the observed series to fit them to. The result is an
approximate posterior (:mod:`flowsim.validation.posterior`: likelihood, prior, sequential Monte
Carlo), kept as an *ensemble* of parameter sets: ``fitted.yaml`` extends the calibrated file with
it, and every run of it (``flowsim run``, ``flowsim forward``, sweeps) spreads its replications over
the members, so its bands carry parameter uncertainty, not only the randomness of one parameter set.

Targets are the observed *outcomes* of the ``fit`` split whose period ends on or before
``until`` (:func:`targets`; inputs, hindcast rows and figures that count more people than the
model series, scope ``wider``, are never fitted). A parameter set runs ``replications``
times with the same seeds as every other set (common random numbers: two sets differ only by
their values, so the sampler compares like with like), and its model value at a point is
the mean over them. The posterior is therefore conditional on those seeds: the model's own
randomness is not in it. For the national model (hundreds of thousands of persons) it is
small next to the errors against the observed figures; for a small population, raise
``replications`` (each halving of that noise costs four times the runs). Seeds drawn afresh
for every set (pseudo-marginal sampling) were tried: sets that drew lucky seeds then stop
the Metropolis moves (acceptance fell to 0 within 40 rounds).

Simulations run on Dask, as a sweep's do (:func:`flowsim.results.shards.compute_runs`: a
LocalCluster by default, an existing scheduler, or SLURM/PBS): each is stored as it finishes
(``runs/shards/<run id>.parquet``: the model's value at every target point). The sampler's
draws depend only on the seed and on the results of earlier rounds, so running the same
command again after a kill draws the same sets, finds the finished simulations stored and
runs only the others.

Written into ``out`` (each file atomically, :mod:`flowsim.validation.calibration_outputs`):
``fitted.yaml`` and ``ensemble.csv`` (the members), ``posterior.csv`` (each parameter's prior and
posterior quantiles), ``particles.csv`` (every set of every round: values, log likelihood, whether
accepted), ``rounds.csv``, ``unobserved.csv`` (the fit without each mechanism no figure observes),
``calibration.md`` (those tables for a reader: :mod:`flowsim.validation.calibration_docs`),
``fit.csv``, ``fit_points.csv`` and ``figures/fit.png`` (the ensemble against every observed figure
of the run, as ``flowsim hindcast`` writes them), ``manifest.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flowsim.results.runs import replication_seeds, versions
from flowsim.results.store import RunStore
from flowsim.scenario.calibration import Calibration, apply_values, calibrated_parameter
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config, scenario_from_dict
from flowsim.scenario.scenario import Scenario
from flowsim.validation.calibration_outputs import write_manifest, write_outputs, write_particles
from flowsim.validation.observed import ObservedError, load_observed
from flowsim.validation.posterior import (
    MOST_MOVES,
    STAY,
    Prior,
    accepted,
    incremental_weights,
    log_likelihood,
    next_beta,
    point_weights,
    prior_redraws,
    random_walk,
    sobol_sets,
    systematic_resample,
    weighted_quantiles,
)
from flowsim.validation.targets import PointValues, series_codes, targets, why_not_fitted

DEFAULT_UNTIL = dt.date(2022, 12, 31)


class CalibrationError(ValueError):
    """A calibration that cannot start; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- parameter sets as scenarios ----------------------------------------------------------


def with_values(scenario: Scenario, values: dict[str, float], source: str) -> Scenario:
    """``scenario`` with the calibrated ``values`` in place
    (:func:`flowsim.scenario.calibration.apply_values`), validated again; a fitted scenario has no
    calibration section."""
    tree = scenario.model_dump(mode="python")
    tree["calibration"] = None
    apply_values(tree, values)
    return scenario_from_dict(tree, source)


def prior_of(section: Calibration) -> Prior:
    """The prior of a calibration section, parameters in their order there."""
    ranges = section.parameters
    return Prior(
        keys=tuple(ranges),
        low=np.array([r.low for r in ranges.values()], float),
        high=np.array([r.high for r in ranges.values()], float),
        log=np.array([r.log for r in ranges.values()], bool),
    )


def study_identity(scenario: Scenario, observed: pd.DataFrame, until: dt.date) -> str:
    """A digest of everything that changes a calibration's results: the scenario (its
    calibration section included), the observed data and ``until``."""
    digest = hashlib.sha256(scenario.config_hash().encode())
    digest.update(observed.to_csv(index=False, date_format="%Y-%m-%d").encode())
    digest.update(until.isoformat().encode())
    return digest.hexdigest()[:16]


# --- the study ----------------------------------------------------------------------------


@dataclass
class Rounds:
    """Every round of simulations of a calibration: the sets it ran and what they gave."""

    z: list[np.ndarray] = field(default_factory=list)  # (sets, parameters) per round
    log_lik: list[np.ndarray] = field(default_factory=list)  # -inf: invalid or failed
    sse: list[list[dict[int, float]]] = field(default_factory=list)  # by series code
    beta: list[float] = field(default_factory=list)  # the tempering the round was run at
    moved: list[np.ndarray] = field(default_factory=list)  # accepted (all True: first round)
    seconds: list[float] = field(default_factory=list)

    def add(self, z, log_lik, sse, beta, moved, seconds) -> None:
        """Record a round."""
        for name, value in zip(
            ("z", "log_lik", "sse", "beta", "moved", "seconds"),
            (z, log_lik, sse, beta, moved, seconds),
            strict=True,
        ):
            getattr(self, name).append(value)


@dataclass
class CalibrationResult:
    """What :func:`calibrate` found and wrote."""

    out: Path
    identity: str
    rounds: int
    beta: float  # 1: the posterior itself was reached
    distinct: int  # distinct parameter sets in the final sample
    posterior: pd.DataFrame  # one row per parameter: prior range, quantiles
    best_values: dict[str, float]  # the set of highest likelihood
    members: pd.DataFrame  # the ensemble: one row per member
    runs_computed: int
    runs_total: int
    fit_summary: pd.DataFrame  # flowsim.validation.hindcast.summarise of the ensemble's run


class Study:
    """A calibration of one scenario file against observed data up to a date, in ``out``."""

    def __init__(
        self,
        config: Path,
        observed: str | Path | None,
        until: dt.date,
        out: Path | None,
        particles: int | None = None,
        rounds: int | None = None,
        replications: int | None = None,
    ):
        self.config = Path(config)
        self.scenario = load_config(self.config)
        section = self.scenario.calibration
        if section is None:
            raise CalibrationError(
                [f"{config}: calibration: expected a calibration section (parameters, series)"]
            )
        overrides = {
            "particles": particles,
            "rounds": rounds,
            "replications": replications,
        }
        # A value fitted from a date after ``until`` would meet no observed figure: its
        # period is left out, and the value before it carries on in the fitted file.
        self.dropped = [
            key
            for key in section.parameters
            if (date := calibrated_parameter(key)[1]) is not None and date > until
        ]
        overrides["parameters"] = {
            key: spec for key, spec in section.parameters.items() if key not in self.dropped
        }
        self.section = section.model_copy(
            update={k: v for k, v in overrides.items() if v is not None}
        )
        # The runs stop at ``until``: what comes after is not compared with anything.
        self.fit_scenario = _until(self.scenario, until, str(self.config))
        try:
            self.table = load_observed(observed)
        except ObservedError as err:
            raise CalibrationError(err.problems) from err
        self.until = until
        self.points = self._targets()
        self.codes, self.labels = series_codes(self._points_with_resolution())
        self.weights = point_weights(self.codes, self.points["end"].to_numpy("datetime64[D]"))
        self.prior = prior_of(self.section)
        self.seeds = replication_seeds(self.section.seed, self.section.replications)
        self.summary = PointValues.of(self.points)
        self.identity = study_identity(self.scenario, self.table, until)
        self.out = Path(out) if out is not None else Path("results/calibration") / self.name
        self.runs = self.out / "runs"

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    def _targets(self) -> pd.DataFrame:
        fitted = targets(self.table, list(self.section.series), self.until)
        start, end = pd.Timestamp(self.scenario.start_date), pd.Timestamp(self.scenario.end_date)
        inside = fitted[(fitted["start"] >= start) & (fitted["end"] <= end)]
        missing = [name for name in self.section.series if name not in set(inside["series"])]
        # A series observed only after ``until`` (a backtest's origin) has nothing to fit yet:
        # left out, as the parameters of periods beginning after it.
        later = set(targets(self.table, missing, self.scenario.end_date)["series"])
        self.series_after_until = sorted(later)
        missing = [name for name in missing if name not in later]
        if missing:
            raise CalibrationError(
                [
                    f"{self.config}: calibration.series: {name}: expected observed outcomes "
                    f"of the fit split within the run ({self.scenario.start_date} to "
                    f"{min(self.until, self.scenario.end_date)}), found none"
                    f"{why_not_fitted(self.table, name, start, end)}"
                    for name in missing
                ]
            )
        return inside.sort_values(["series", "end", "start"]).reset_index(drop=True)

    def _points_with_resolution(self) -> pd.DataFrame:
        from flowsim.validation.observed import resolutions

        return self.points.assign(resolution=resolutions(self.points))

    # -- simulations --

    def scenario_of(self, values: dict[str, float]) -> Scenario | None:
        """The scenario of one parameter set, run up to ``until``; None when the combination
        is invalid (each value is in its range, but two may clash: shares summing over 1)."""
        try:
            return with_values(self.fit_scenario, values, str(self.config))
        except ConfigError:
            return None

    def tasks(self, sets: list[dict[str, float]]) -> list[list[Any]]:
        """The runs of each set (one per replication, the calibration's seeds for every set:
        common random numbers; none for an invalid set)."""
        from flowsim.results.shards import RunTask, run_id

        version = versions()["flowsim"]
        seeds = self.seeds
        out: list[list[Any]] = []
        for values in sets:
            scenario = self.scenario_of(values)
            out.append(
                []
                if scenario is None
                else [
                    RunTask(
                        run_id(scenario, seed, version),
                        scenario,
                        seed,
                        self.summary,
                        self.summary.names,
                    )
                    for seed in seeds
                ]
            )
        return out

    def evaluate(
        self, client: Any, sets: list[dict[str, float]]
    ) -> tuple[np.ndarray, list[dict[int, float]], int]:
        """Run every set (skipping runs already stored) and return each set's log
        likelihood, its squared errors by series, and the number of runs computed."""
        from flowsim.results.shards import compute_runs

        per_set = self.tasks(sets)
        store = RunStore(self.runs)
        done = store.ok_ids()
        todo = [t for tasks in per_set for t in tasks if t.run_id not in done]
        compute_runs(client, todo, self.runs)
        stored = _stored_values(store, [t.run_id for tasks in per_set for t in tasks])
        observed = self.points["value"].to_numpy(float)
        log_lik = np.full(len(sets), -np.inf)
        sse: list[dict[int, float]] = []
        for i, tasks in enumerate(per_set):
            rows = [stored.get(t.run_id) for t in tasks]
            if not tasks or any(r is None for r in rows):
                sse.append({})
                continue
            mean = np.mean(np.array(rows, float), axis=0)
            log_lik[i], found = log_likelihood(
                mean, observed, self.codes, self.section.error_floor, self.weights
            )
            sse.append(found)
        return log_lik, sse, len(todo)

    def values_of(self, z: np.ndarray) -> list[dict[str, float]]:
        """Parameter sets (key -> value) at unbounded coordinates."""
        values = self.prior.from_z(z)
        return [dict(zip(self.prior.keys, map(float, row), strict=True)) for row in values]


def _until(scenario: Scenario, until: dt.date, source: str) -> Scenario:
    """``scenario`` ending on ``until`` at the latest (its changes after it dropped)."""
    if until >= scenario.end_date:
        return scenario
    tree = scenario.model_dump(mode="python")
    tree["end_date"] = until
    tree["changes"] = [c for c in tree["changes"] if c["date"] <= until]
    tree["calibration"] = None  # its periods may begin after the new end
    return scenario_from_dict(tree, source)


def _stored_values(store: RunStore, ids: list[str]) -> dict[str, list[float]]:
    """The point values of the runs ``ids`` stored ok in ``store`` (run id -> values)."""
    rows = store.rows(ids)
    rows = rows[rows["status"] == "ok"]
    names = sorted((k for k in rows.columns if k.startswith("p") and k[1:].isdigit()), key=_point)
    values = rows[names].to_numpy(float)
    return {rid: list(row) for rid, row in zip(rows["run_id"], values, strict=True)}


def _point(name: str) -> int:
    return int(name[1:])


def calibrate(
    config: str | Path,
    observed: str | Path | None = None,
    until: dt.date = DEFAULT_UNTIL,
    out: str | Path | None = None,
    client: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    jobs: int = 1,
    particles: int | None = None,
    rounds: int | None = None,
    replications: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Calibrate the ``calibration:`` section of a scenario file (module docstring).

    Runs on ``client`` (a Dask client) or on one made from ``workers`` / ``scheduler`` /
    ``cluster`` and ``jobs`` as ``flowsim sweep`` does. ``particles``, ``rounds`` and
    ``replications`` override the section's. Running again with the same arguments resumes:
    nothing stored is run twice. Raises :class:`ConfigError` for an invalid scenario and
    :class:`CalibrationError` when it cannot calibrate (no target, another calibration's
    folder).
    """
    say = progress or (lambda _line: None)
    study = Study(
        Path(config),
        observed,
        until,
        None if out is None else Path(out),
        particles,
        rounds,
        replications,
    )
    _claim(study)
    made = client is None
    if made:
        from flowsim.results.clusters import make_client

        client = make_client(study.section.cluster, workers, scheduler, cluster, jobs)
    started = time.perf_counter()
    try:
        result = _sample(study, client, say)
        write_outputs(study, client, result, say)
    finally:
        if made:
            _close(client, scheduler)
    write_manifest(study, "complete", time.perf_counter() - started, result)
    return result


def _close(client: Any, scheduler: str | None) -> None:
    cluster = client.cluster
    client.close()
    if cluster is not None and scheduler is None:
        cluster.close()


def _claim(study: Study) -> None:
    """Refuse a folder holding another calibration; mark this one running."""
    manifest = study.out / "manifest.json"
    if manifest.is_file():
        try:
            found = json.loads(manifest.read_text(encoding="utf-8")).get("identity")
        except (OSError, ValueError):
            found = None
        if found != study.identity:
            raise CalibrationError(
                [
                    f"{study.out}: holds another calibration (another scenario, observed "
                    f"data or --until); give another --out"
                ]
            )
    write_manifest(study, "running", 0.0, None)


def _sample(study: Study, client: Any, say: Callable[[str], None]) -> CalibrationResult:
    """Sequential Monte Carlo (:mod:`flowsim.validation.posterior`): the first round from the prior,
    then tempering, resampling and Metropolis moves, one round of simulations per move."""
    section, prior = study.section, study.prior
    n = section.particles
    rounds = Rounds()
    z = sobol_sets(prior, n, section.seed)
    started = time.perf_counter()
    log_lik, sse, computed = study.evaluate(client, study.values_of(z))
    rounds.add(z, log_lik, sse, 0.0, np.ones(n, bool), time.perf_counter() - started)
    beta, level_done = 0.0, True
    moves = accepted_share = 0.0
    while len(rounds.beta) < section.rounds:
        if level_done:  # temper, then resample by the incremental weights
            following = next_beta(beta, log_lik)
            weights = incremental_weights(beta, following, log_lik)
            rng = np.random.default_rng([section.seed, len(rounds.beta), 1])
            chosen = systematic_resample(weights, n, rng)
            z, log_lik, sse = z[chosen], log_lik[chosen], [sse[i] for i in chosen]
            beta, moves, accepted_share, level_done = following, 0.0, 0.0, False
        rng = np.random.default_rng([section.seed, len(rounds.beta), 2])
        proposed, log_ratio = random_walk(z, rng), 0.0
        if section.prior_redraw_share > 0:  # its own stream: without it, draws as before
            redraws = np.random.default_rng([section.seed, len(rounds.beta), 3])
            proposed, log_ratio = prior_redraws(z, proposed, section.prior_redraw_share, redraws)
        started = time.perf_counter()
        new_log_lik, new_sse, ran = study.evaluate(client, study.values_of(proposed))
        computed += ran
        move = accepted(
            beta,
            log_lik,
            prior.log_density(z),
            new_log_lik,
            prior.log_density(proposed),
            rng,
            log_ratio,
        )
        rounds.add(proposed, new_log_lik, new_sse, beta, move, time.perf_counter() - started)
        z = np.where(move[:, None], proposed, z)
        log_lik = np.where(move, new_log_lik, log_lik)
        sse = [b if m else a for a, b, m in zip(sse, new_sse, move, strict=True)]
        moves += 1
        accepted_share += float(move.mean())
        level_done = (1.0 - accepted_share / moves) ** moves < STAY or moves >= MOST_MOVES
        write_particles(study, rounds)
        say(
            f"round {len(rounds.beta) - 1}: beta {beta:.3g}, {100 * move.mean():.0f}% of the "
            f"sets moved, best log likelihood {np.max(log_lik):.2f}, {ran} runs in "
            f"{rounds.seconds[-1]:.0f} s"
        )
        if beta >= 1.0 and level_done:
            break
    if len(rounds.beta) == 1:
        write_particles(study, rounds)
    weights = np.full(n, 1.0 / n)
    values = prior.from_z(z)
    rng = np.random.default_rng([section.seed, 10_000])
    # in random order: the first k members (a run of k replications) are a sample too
    chosen = rng.permutation(systematic_resample(weights, section.members, rng))
    members = pd.DataFrame(values[chosen], columns=list(prior.keys))
    members.insert(0, "member", np.arange(len(members)))
    every = np.vstack(rounds.z)
    best = int(np.argmax(np.concatenate(rounds.log_lik)))
    return CalibrationResult(
        out=study.out,
        identity=study.identity,
        rounds=len(rounds.beta),
        beta=beta,
        distinct=len(np.unique(z, axis=0)),
        posterior=_posterior_table(study, values, weights),
        best_values=dict(zip(prior.keys, map(float, prior.from_z(every[best])), strict=True)),
        members=members,
        runs_computed=computed,
        runs_total=sum(len(r) for r in rounds.z) * section.replications,
        fit_summary=pd.DataFrame(),
    )


def _posterior_table(study: Study, values: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    rows = []
    for j, key in enumerate(study.prior.keys):
        spec = study.section.parameters[key]
        q05, q50, q95 = weighted_quantiles(values[:, j], weights, [0.05, 0.5, 0.95])
        rows.append(
            {
                "parameter": key,
                "low": spec.low,
                "high": spec.high,
                "log": spec.log,
                "observed": spec.observed,
                "q05": q05,
                "median": q50,
                "q95": q95,
                # the share of its prior range the 90% interval still spans
                "range_kept": _span(study.prior, j, q05, q95),
                "reason": spec.reason,
            }
        )
    return pd.DataFrame(rows)


def _span(prior: Prior, j: int, low: float, high: float) -> float:
    ends = np.tile(prior.low, (2, 1))
    ends[0, j], ends[1, j] = low, high
    u = prior.to_unit(ends)[:, j]
    return float(u[1] - u[0])
