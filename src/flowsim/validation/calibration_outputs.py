"""What a calibration writes into its folder, once its sampler has finished: the particles
and rounds, the posterior and the ensemble, ``fitted.yaml`` (the calibrated file extended
with its ensemble and, after the fit, the model's errors), the fit (the ensemble run
against every observed figure: ``fit.csv``, ``fit_points.csv``, ``errors.csv``,
``figures/fit.png``), the weight of the mechanisms no figure observes (``unobserved.csv``),
``calibration.md`` and ``manifest.json``; each file atomically. The study and its sampler
are :mod:`flowsim.validation.calibration`."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from flowsim.results.runs import atomic_path, replication_seeds, versions
from flowsim.results.store import RunStore
from flowsim.scenario.loading import load_config
from flowsim.scenario.scenario import Scenario
from flowsim.validation.calibration_docs import calibration_tables
from flowsim.validation.hindcast import compare, summarise
from flowsim.validation.observed import ModelRun

if TYPE_CHECKING:  # the study hands itself over; nothing of it is needed to import this
    from flowsim.validation.calibration import CalibrationResult, Rounds, Study

MANIFEST_VERSION = 2


def write_particles(study: Study, rounds: Rounds) -> None:
    """``particles.csv`` (every set of every round: the round, its tempering, whether it
    was accepted, values, log likelihood, squared errors by series) and ``rounds.csv``."""
    frames = []
    for k, z in enumerate(rounds.z):
        frame = pd.DataFrame(study.prior.from_z(z), columns=list(study.prior.keys))
        frame.insert(0, "round", k)
        frame.insert(1, "beta", rounds.beta[k])
        frame.insert(2, "accepted", rounds.moved[k])
        frame["log_likelihood"] = rounds.log_lik[k]
        for code, label in enumerate(study.labels):
            frame[f"sse {label}"] = [sse.get(code, np.nan) for sse in rounds.sse[k]]
        frames.append(frame)
    _write_csv(study.out / "particles.csv", pd.concat(frames, ignore_index=True))
    summary = pd.DataFrame(
        {
            "round": np.arange(len(rounds.z)),
            "beta": rounds.beta,
            "sets": [len(z) for z in rounds.z],
            "accepted": [float(m.mean()) for m in rounds.moved],
            "best_log_likelihood": [float(np.max(x)) for x in rounds.log_lik],
            "invalid_or_failed": [int((~np.isfinite(x)).sum()) for x in rounds.log_lik],
            "seconds": [round(t, 1) for t in rounds.seconds],
        }
    )
    _write_csv(study.out / "rounds.csv", summary)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")


def fitted_text(study: Study, result: CalibrationResult, fitted: Path, errors: bool = False) -> str:
    """The text of ``fitted.yaml``: the calibrated file as its base, no calibration section,
    and the ensemble (``ensemble.csv`` beside it; with ``errors``, the fit's errors
    ``errors.csv`` too, written once the ensemble has been run)."""
    base = os.path.relpath(study.config.resolve(), fitted.parent.resolve())
    tempered = "" if result.beta >= 1 else f" (tempered posterior: beta {result.beta:.3g})"
    head = [
        f"Fitted by flowsim calibrate on {time.strftime('%Y-%m-%d')} (study {study.identity}):",
        f"{result.rounds} rounds of {study.section.particles} parameter sets, "
        f"{study.section.replications} replications each{tempered};",
        f"observed outcomes of the fit split up to {study.until}. {len(result.members)} members "
        "drawn from the posterior;",
        "a run's replication k uses member k modulo their number. Fields not fitted are the "
        "base file's.",
    ]
    text = "".join(f"# {line}\n" for line in head)
    body = {
        "base": base,
        "name": f"{study.name}-fitted",
        "calibration": None,
        "ensemble": {
            "source": f"flowsim calibrate {study.config} --until {study.until} "
            f"(study {study.identity})",
            "file": "ensemble.csv",
        },
    }
    if errors:
        body["ensemble"]["errors_file"] = "errors.csv"
    return text + yaml.safe_dump(body, sort_keys=False)


def write_outputs(
    study: Study, client: Any, result: CalibrationResult, say: Callable[[str], None]
) -> None:
    """Write what the sampler found: ``posterior.csv``, ``ensemble.csv``, ``fitted.yaml`` (again
    once the fit has measured the model's errors), the fit, ``unobserved.csv`` and
    ``calibration.md``; the fit and the unobserved variants run on ``client``."""
    _write_csv(study.out / "posterior.csv", result.posterior)
    _write_csv(study.out / "ensemble.csv", result.members)
    fitted = study.out / "fitted.yaml"
    with atomic_path(fitted) as tmp:
        tmp.write_text(fitted_text(study, result, fitted), encoding="utf-8")
    result.fit_summary = _fit(study, client, fitted, say)
    with atomic_path(fitted) as tmp:  # now with the fit's errors, for predictive bands
        tmp.write_text(fitted_text(study, result, fitted, errors=True), encoding="utf-8")
    unobserved = _unobserved(study, client, result, say)
    _write_csv(study.out / "unobserved.csv", unobserved)
    headline = (
        f"Fitted to the observed outcomes up to {study.until}: {result.rounds} rounds of "
        f"{study.section.particles} parameter sets, {result.distinct} distinct sets at the end, "
        f"{len(result.members)} members in the ensemble (study {study.identity})."
    )
    points = pd.read_csv(study.out / "fit_points.csv")
    text = calibration_tables(result.posterior, unobserved, result.fit_summary, headline, points)
    with atomic_path(study.out / "calibration.md") as tmp:
        tmp.write_text(text, encoding="utf-8")


def ensemble_series(client: Any, scenario: Scenario, seed: int, out: Path, keep: list[str]):
    """Run each member of ``scenario``'s ensemble once (replication seeds from ``seed``) on
    ``client``, keeping the daily series ``keep``; returns them as one frame with a
    ``replication`` column (member order), stored under ``out`` (resumable)."""
    from flowsim.results.shards import RunTask, compute_runs, run_id

    members = len(scenario.ensemble.members) if scenario.ensemble else 1
    version = versions()["flowsim"]
    tasks = []
    for k, rep_seed in enumerate(replication_seeds(seed, members)):
        resolved = scenario.member(k)
        tasks.append(
            RunTask(
                run_id(resolved, rep_seed, version),
                resolved,
                rep_seed,
                _no_summary,
                (),
                tuple(keep),
            )
        )
    store = RunStore(out)
    done = store.ok_ids()
    compute_runs(client, [t for t in tasks if t.run_id not in done], out)
    ids = [t.run_id for t in tasks]
    frame = store.series(ids)
    frame["replication"] = frame.pop("run_id").map({rid: k for k, rid in enumerate(ids)})
    return frame


def _no_summary(frame: pd.DataFrame, model: Any = None) -> dict[str, float]:
    return {}


def _fit(study: Study, client: Any, fitted: Path, say: Callable[[str], None]) -> pd.DataFrame:
    """The fitted ensemble against every observed figure of the run: fit.csv,
    fit_points.csv, errors.csv (the fit's log-error scale per series), figures/fit.png.
    Returns the summary."""
    from flowsim.engine.series import SERIES_NAMES
    from flowsim.validation.figures import fit_figure
    from flowsim.validation.predictive import error_scales

    scenario = load_config(fitted)
    frame = ensemble_series(client, scenario, study.section.seed, study.runs, list(SERIES_NAMES))
    run = ModelRun(frame)
    points, samples = compare(run, study.table[study.table["end"] <= pd.Timestamp(study.until)])
    summary = summarise(points, samples)
    _write_csv(study.out / "fit.csv", summary)
    _write_csv(study.out / "fit_points.csv", points)
    # the model's own error per series, for predictive bands (flowsim.validation.predictive)
    _write_csv(study.out / "errors.csv", error_scales(points, study.section.error_floor))
    fitted_points = points[points["series"].isin(study.section.series)]
    if not fitted_points.empty:
        members = len(scenario.ensemble.members) if scenario.ensemble else 1
        fig = fit_figure(fitted_points, f"{study.name}: fitted ensemble", members)
        with atomic_path(study.out / "figures" / "fit.png") as tmp:
            fig.savefig(tmp, dpi=90, format="png")
    say(f"fit of the ensemble: {len(points)} observed points written to {study.out}/fit.csv")
    return summary


def _unobserved(
    study: Study, client: Any, result: CalibrationResult, say: Callable[[str], None]
) -> pd.DataFrame:
    """How much of the fit rests on each parameter no figure observes: the best set's log
    likelihood with the parameter at its neutral value (mechanism off), against the best."""
    rows = []
    names = [k for k, spec in study.section.parameters.items() if not spec.observed]
    best = dict(result.best_values)
    variants = [best] + [
        {**best, key: study.section.parameters[key].neutral}
        for key in names
        if study.section.parameters[key].neutral is not None
    ]
    log_lik, sse, _ = study.evaluate(client, variants)
    posterior = result.posterior.set_index("parameter")
    for key in names:
        spec = study.section.parameters[key]
        row: dict[str, Any] = {
            "parameter": key,
            "reason": spec.reason,
            "low": spec.low,
            "high": spec.high,
            "posterior_q05": posterior.loc[key, "q05"],
            "posterior_median": posterior.loc[key, "median"],
            "posterior_q95": posterior.loc[key, "q95"],
            "range_kept": posterior.loc[key, "range_kept"],
            "neutral": spec.neutral,
            "log_likelihood_best": log_lik[0],
            "log_likelihood_neutral": np.nan,
            "series_most_worse": "",
        }
        if spec.neutral is not None:
            i = 1 + [k for k in names if study.section.parameters[k].neutral is not None].index(key)
            row["log_likelihood_neutral"] = log_lik[i]
            worse = {
                study.labels[c]: sse[i].get(c, np.nan) - sse[0].get(c, np.nan)
                for c in range(len(study.labels))
            }
            worst = max(worse, key=lambda label: np.nan_to_num(worse[label], nan=-np.inf))
            row["series_most_worse"] = worst
        rows.append(row)
    return pd.DataFrame(rows)


def write_manifest(study: Study, state: str, wall: float, result: CalibrationResult | None) -> None:
    """Write ``manifest.json``: the study (identity, settings, targets, seeds, versions), its
    ``state`` (``running`` or ``complete``), the wall time (seconds) and, once there is one,
    what the result counts (rounds, sets, members, runs)."""
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "kind": "calibration",
        "state": state,
        "identity": study.identity,
        "config": str(study.config),
        "config_hash": study.scenario.config_hash(),
        "until": study.until.isoformat(),
        "calibration": study.section.model_dump(mode="json"),
        "targets": len(study.points),
        "parameters_after_until": study.dropped,
        "series_after_until": study.series_after_until,
        "series": study.labels,
        "replication_seeds": study.seeds,
        "versions": versions(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_time_s": round(wall, 1),
    }
    if result is not None:
        manifest.update(
            rounds=result.rounds,
            beta=result.beta,
            distinct_sets=result.distinct,
            members=len(result.members),
            runs_computed=result.runs_computed,
            runs_total=result.runs_total,
        )
    with atomic_path(study.out / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
