"""Calibration: fit a scenario's uncertain fields to the observed Belgian figures (Optuna).

The scenario's ``calibration:`` section (:class:`flowsim.config.Calibration`) names the fields
to fit with their ranges and the observed series to fit them to, each with a loss and a
weight. A trial sets the fields, runs the scenario ``replications`` times with the same
replication seeds in every trial (common random numbers, so two trials differ only by their
values), and compares the runs with the observed *outcomes* of the ``fit`` split whose period
ends on or before ``until`` (:func:`targets`; inputs, hindcast rows and figures that count
more people than the model series, scope ``wider``, are never fitted). The comparison reuses
:func:`flowsim.hindcast.compare`; the model's value of a point is its mean over replications.

A parameter may be a field's value from a date (``field@YYYY-MM-DD``, e.g. CGRS productivity
per period): the trial adds a dated ``set`` change of the field, and ``fitted.yaml`` lists
those values as ``changes`` entries.

Losses per point, ``y`` observed, ``mu`` the model's mean (unit deviances, dimensionless):

- ``poisson``: ``2 (y log(y / mu) - (y - mu))``;
- ``negative_binomial`` with size ``k``: ``2 (y log(y / mu) - (y + k) log((y + k) / (mu + k)))``;
  for counts far above ``k`` it tends to the gamma deviance ``2k (y/mu - 1 - log(y/mu))``,
  about ``k (log(mu / y))^2`` for differences of a few tens of percent, so a flow off by
  about ``1 / sqrt(k)`` costs about 1 per point whatever its size (Poisson's deviance grows
  with the count and lets large annual flows dominate);
- ``relative``: ``((mu - y) / y)^2`` (stocks and rates).

A series' loss is its weight times the mean over its points; the trial's loss is the sum
over series. The study lives in an RDB storage (``sqlite:///<out>/calibration.db`` by default)
under a name derived from the scenario, the observed data, ``until`` and ``replications``,
so running the same command again resumes it; the TPE sampler is seeded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from flowsim.config import (
    ConfigError,
    Scenario,
    SeriesLoss,
    _set_path,
    calibrated_change,
    calibrated_parameter,
    load_config,
    scenario_from_dict,
)
from flowsim.hindcast import compare, summarise
from flowsim.observed import ModelRun, ObservedError, load_observed
from flowsim.results import atomic_path, run_replications

DEFAULT_UNTIL = dt.date(2022, 12, 31)
_TINY = 1e-9  # floor for the model's mean in logarithms (a model value of 0 against y > 0)


class CalibrationError(ValueError):
    """A calibration that cannot start; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- losses -------------------------------------------------------------------------------


def _y_log_y_over_mu(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, y * np.log(y / np.maximum(mu, _TINY)), 0.0)


def poisson_deviance(model: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Poisson unit deviance of each point (counts ``observed``, model means ``model``)."""
    y, mu = np.asarray(observed, float), np.asarray(model, float)
    return 2.0 * (_y_log_y_over_mu(y, mu) - (y - mu))


def negative_binomial_deviance(
    model: np.ndarray, observed: np.ndarray, dispersion: float
) -> np.ndarray:
    """Negative-binomial unit deviance of each point with size ``dispersion`` (k > 0)."""
    y, mu, k = np.asarray(observed, float), np.asarray(model, float), float(dispersion)
    mu = np.maximum(mu, _TINY)
    return 2.0 * (_y_log_y_over_mu(y, mu) - (y + k) * np.log((y + k) / (mu + k)))


def squared_relative_error(model: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """``((model - observed) / observed)^2`` of each point (observed must not be 0)."""
    y, mu = np.asarray(observed, float), np.asarray(model, float)
    return ((mu - y) / y) ** 2


def point_losses(spec: SeriesLoss, model: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """The unweighted loss of each point under a series' loss (dimensionless).

    A model value that is NaN (a rate whose denominator is zero) counts as 0.
    """
    model = np.nan_to_num(np.asarray(model, float), nan=0.0)
    if spec.loss == "poisson":
        return poisson_deviance(model, observed)
    if spec.loss == "negative_binomial":
        return negative_binomial_deviance(model, observed, spec.dispersion)
    return squared_relative_error(model, observed)


# --- targets and the loss of a run --------------------------------------------------------


def targets(observed: pd.DataFrame, series: list[str], until: dt.date) -> pd.DataFrame:
    """The observed rows a calibration fits: outcomes of the ``fit`` split on the named model
    series, of the model's own scope, with a non-zero value, ending on or before ``until``."""
    keep = (
        observed["in_model"]
        & (observed["role"] == "outcome")
        & (observed["split"] == "fit")
        & (observed["scope"] != "wider")
        & (observed["end"] <= pd.Timestamp(until))
        & observed["series"].isin(series)
        & (observed["value"] != 0)
    )
    return observed[keep]


def _why_not_fitted(
    observed: pd.DataFrame, series: str, start: pd.Timestamp, end: pd.Timestamp
) -> str:
    """Why a series' observed figures within the run are no targets ("" if it has none)."""
    rows = observed[
        (observed["series"] == series) & (observed["start"] >= start) & (observed["end"] <= end)
    ]
    reasons = []
    if (rows["role"] == "input").any():
        reasons.append("inputs")
    if (rows["scope"] == "wider").any():
        reasons.append("of a wider scope than the model series")
    return f" (its figures are {' and '.join(reasons)}: never fitted)" if reasons else ""


def series_losses(
    run: ModelRun, fitted: pd.DataFrame, losses: dict[str, SeriesLoss]
) -> dict[str, float]:
    """Weighted loss of each series (weight x mean point loss) of a run against its targets.

    Series with no target point inside the run are left out.
    """
    points, samples = compare(run, fitted)
    if points.empty:
        return {}
    mean = np.nanmean(np.where(np.isfinite(samples), samples, np.nan), axis=0)
    out: dict[str, float] = {}
    for series, group in points.groupby("series", sort=True):
        idx = group.index.to_numpy()
        spec = losses[series]
        out[series] = spec.weight * float(
            np.mean(point_losses(spec, mean[idx], group["observed"].to_numpy(float)))
        )
    return out


# --- scenarios with fitted values ---------------------------------------------------------


FITTED_NOTE = "fitted"  # the note of a dated change that carries a fitted value


def with_values(scenario: Scenario, values: dict[str, float], source: str) -> Scenario:
    """``scenario`` with the calibrated ``values`` in place, validated again.

    A key is a calibration parameter (:func:`flowsim.config.calibrated_parameter`): a field
    (dotted path) is set; ``field@date`` adds a dated ``set`` change of the field. The result
    is a fitted scenario: it has no calibration section (its dated values are changes now).
    """
    tree = scenario.model_dump(mode="python")
    tree["calibration"] = None
    for key, value in values.items():
        path, date = calibrated_parameter(key)
        if date is None:
            _set_path(tree, path, float(value))
        else:
            tree["changes"].append(calibrated_change(path, date, value, FITTED_NOTE))
    return scenario_from_dict(tree, source)


def _nested(values: dict[str, float], reference: dict[str, Any]) -> dict[str, Any]:
    """Dotted paths as nested mappings, keys typed as in ``reference`` (years stay integers)."""
    out: dict[Any, Any] = {}
    for path, value in values.items():
        node, ref = out, reference
        keys = path.split(".")
        for i, key in enumerate(keys):
            typed: Any = int(key) if key not in ref and key.isdigit() and int(key) in ref else key
            if i == len(keys) - 1:
                node[typed] = float(value)
            else:
                node, ref = node.setdefault(typed, {}), ref[typed]
    return out


def fitted_override(
    config: Path, scenario: Scenario, values: dict[str, float], header: str, out: Path
) -> str:
    """The text of a scenario file that extends ``config`` with the fitted ``values``.

    ``base:`` is ``config`` relative to ``out`` (where the file is written), so the file runs
    with ``flowsim run`` from anywhere. Fields fitted from the start date are set in their
    sections; values fitted from a date (``field@date``) are ``changes`` entries (added to
    the base's changes), one per date. ``calibration: null``: the file is the fitted
    scenario, as :func:`with_values` makes it (calibrate the base file, not this one).
    """
    base = os.path.relpath(config.resolve(), out.parent.resolve())
    parsed = {key: calibrated_parameter(key) for key in values}
    plain = {key: value for key, value in values.items() if parsed[key][1] is None}
    dated = [
        calibrated_change(field, date, values[key], FITTED_NOTE)
        for key, (field, date) in parsed.items()
        if date is not None
    ]
    head: dict[str, Any] = {"base": base, "name": f"{scenario.name}-fitted"}
    head.update(_nested(plain, scenario.model_dump(mode="python")))
    text = "".join(f"# {line}\n" for line in header.splitlines())
    text += yaml.safe_dump(head, sort_keys=False, default_flow_style=False)
    text += "# The fitted scenario: calibrate the base file, not this one.\n"
    text += yaml.safe_dump({"calibration": None}, sort_keys=False)
    if dated:
        text += (
            "# Values fitted for a period: from each date on, the field has the fitted value\n"
            "# (the base file's later changes of the field apply on top of it).\n"
        )
        dated.sort(key=lambda change: (change["field"], change["date"]))
        text += yaml.safe_dump(  # one line per change, however long
            {"changes": dated}, sort_keys=False, default_flow_style=None, width=1000
        )
    return text


# --- the study ----------------------------------------------------------------------------


def study_name(scenario: Scenario, observed: pd.DataFrame, until: dt.date, reps: int) -> str:
    """A name that changes with anything that changes the loss: the scenario (calibration
    section included), the observed data, ``until`` and the replications per trial."""
    digest = hashlib.sha256(scenario.config_hash().encode())
    # The table's text, not pandas' object hash, so the name survives a pandas upgrade.
    digest.update(observed.to_csv(index=False, date_format="%Y-%m-%d").encode())
    digest.update(f"{until.isoformat()}|{reps}".encode())
    return f"{scenario.name}-{digest.hexdigest()[:16]}"


@dataclass
class CalibrationResult:
    """What :func:`calibrate` did and wrote."""

    study_name: str
    best_values: dict[str, float]
    best_loss: float
    best_series_losses: dict[str, float]
    trials_run: int  # in this call
    trials_total: int  # finished trials in the study
    out: Path
    fit_summary: pd.DataFrame  # flowsim.hindcast.summarise of the best values' run


def calibrate(
    config: str | Path,
    observed: str | Path | None = None,
    until: dt.date = DEFAULT_UNTIL,
    trials: int | None = None,
    replications: int | None = None,
    storage: str | None = None,
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> CalibrationResult:
    """Fit the calibration section of a scenario file to the observed figures.

    ``trials`` (total finished trials of the study) and ``replications`` (runs per trial)
    default to the section's. Writes into ``out`` (default ``results/calibration/<name>``),
    each file atomically: ``fitted.yaml`` (extends ``config`` with the best values),
    ``calibration.csv`` (one row per trial: values, loss, loss per series), ``fit.csv`` and
    ``fit_points.csv`` (the best values' run against the targets, as ``flowsim hindcast``
    writes them) and ``figures/fit.png``. Raises :class:`ConfigError` for an invalid scenario
    and :class:`CalibrationError` when it cannot calibrate.
    """
    import optuna  # the optimiser is only needed here

    config = Path(config)
    scenario = load_config(config)
    section = scenario.calibration
    if section is None:
        raise CalibrationError(
            [f"{config}: calibration: expected a calibration section (parameters, series)"]
        )
    try:
        table = load_observed(observed)
    except ObservedError as err:
        raise CalibrationError(err.problems) from err
    fitted = targets(table, list(section.series), until)
    run_start, run_end = pd.Timestamp(scenario.start_date), pd.Timestamp(scenario.end_date)
    inside = fitted[(fitted["start"] >= run_start) & (fitted["end"] <= run_end)]
    missing = sorted(set(section.series) - set(inside["series"]))
    if missing:
        raise CalibrationError(
            [
                f"{config}: calibration.series.{name}: expected observed outcomes of the fit "
                f"split within the run ({scenario.start_date} to {min(until, scenario.end_date)})"
                f", found none{_why_not_fitted(table, name, run_start, run_end)}"
                for name in missing
            ]
        )
    reps = replications or section.replications
    wanted = trials or section.trials
    out = Path(out) if out is not None else Path("results") / "calibration" / scenario.name
    out.mkdir(parents=True, exist_ok=True)
    storage = storage or f"sqlite:///{(out / 'calibration.db').resolve()}"
    name = study_name(scenario, table, until, reps)
    say = progress or (lambda _line: None)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=section.seed),
        load_if_exists=True,
    )
    _requeue_interrupted(study)
    finished = _finished(study)
    to_run = max(0, wanted - finished)
    say(f"study {name}: {finished} trials done, {to_run} to run ({reps} replications each)")

    source = str(config)

    def objective(trial: optuna.Trial) -> float:
        values = {
            path: trial.suggest_float(path, rng.low, rng.high, log=rng.log)
            for path, rng in section.parameters.items()
        }
        started = time.perf_counter()
        try:
            candidate = with_values(scenario, values, source)
        except ConfigError as err:
            # A combination may be invalid although each range is valid (two shares summing
            # over 1): the trial is pruned, counted as done, and the study goes on.
            trial.set_user_attr("invalid", "; ".join(err.problems))
            raise optuna.TrialPruned() from None
        losses = _losses(candidate, reps, section.seed, inside, section.series)
        for series, value in losses.items():
            trial.set_user_attr(f"loss_{series}", value)
        total = float(sum(losses.values()))
        say(
            f"trial {trial.number}: loss {total:.4g} in {time.perf_counter() - started:.1f} s "
            + ", ".join(f"{k}={v:.4g}" for k, v in values.items())
        )
        return total

    study.optimize(objective, n_trials=to_run)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise CalibrationError([f"{config}: calibration: no trial completed"])
    best = study.best_trial
    best_values = {path: float(best.params[path]) for path in section.parameters}

    best_scenario = with_values(scenario, best_values, source)
    tables, _ = run_replications(best_scenario, reps, section.seed)
    run = ModelRun(tables["series"])
    points, samples = compare(run, inside)
    summary = summarise(points, samples)
    _write(out, config, scenario, study, best, best_values, points, summary, reps, until)
    say(f"best trial {best.number}: loss {best.value:.4g}; written to {out}/")
    return CalibrationResult(
        study_name=name,
        best_values=best_values,
        best_loss=float(best.value),
        best_series_losses={
            k.removeprefix("loss_"): v for k, v in best.user_attrs.items() if k.startswith("loss_")
        },
        trials_run=to_run,
        trials_total=_finished(study),
        out=out,
        fit_summary=summary,
    )


def _losses(
    scenario: Scenario, reps: int, seed: int, fitted: pd.DataFrame, losses: dict[str, SeriesLoss]
) -> dict[str, float]:
    # The same master seed every trial: replication k gets the same seed (common numbers).
    tables, _ = run_replications(scenario, reps, seed)
    return series_losses(ModelRun(tables["series"]), fitted, losses)


def _finished(study) -> int:
    from optuna.trial import TrialState

    # Failed trials are interrupted ones (queued again), not done.
    return sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)


def _requeue_interrupted(study) -> None:
    """Trials left running by an interrupted calibration fail, and their values are queued
    again, so the study resumes where it stopped (one calibration per study at a time)."""
    from optuna.trial import TrialState

    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(trial.number, state=TrialState.FAIL)
        if trial.params:
            study.enqueue_trial(trial.params)


def trials_table(study, parameters: list[str]) -> pd.DataFrame:
    """One row per trial: number, state, loss, the values tried and each series' loss."""
    rows = []
    for t in study.trials:
        row: dict[str, Any] = {
            "trial": t.number,
            "state": t.state.name.lower(),
            "loss": t.value,
            "seconds": t.duration.total_seconds() if t.duration else float("nan"),
        }
        row.update({path: t.params.get(path, float("nan")) for path in parameters})
        row.update({k: v for k, v in t.user_attrs.items() if k.startswith("loss_")})
        rows.append(row)
    return pd.DataFrame(rows)


def _write(
    out: Path,
    config: Path,
    scenario: Scenario,
    study,
    best,
    best_values: dict[str, float],
    points: pd.DataFrame,
    summary: pd.DataFrame,
    reps: int,
    until: dt.date,
) -> None:
    from flowsim.figures import fit_figure  # matplotlib only when writing figures

    assert scenario.calibration is not None
    header = (
        f"Fitted by flowsim calibrate on {time.strftime('%Y-%m-%d')}: study {study.study_name},\n"
        f"best of {len(study.trials)} trials (trial {best.number}, loss {best.value:.6g}),\n"
        f"{reps} replications per trial, observed outcomes of the fit split up to {until}.\n"
        f"Fields not listed here are the base scenario's."
    )
    fitted_yaml = out / "fitted.yaml"
    text = fitted_override(config, scenario, best_values, header, fitted_yaml)
    with atomic_path(fitted_yaml) as tmp:
        tmp.write_text(text, encoding="utf-8")
    table = trials_table(study, list(scenario.calibration.parameters))
    for name, frame in (
        ("calibration.csv", table),
        ("fit.csv", summary),
        ("fit_points.csv", points),
    ):
        with atomic_path(out / name) as tmp:
            frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    if not points.empty:
        fig = fit_figure(points, f"{scenario.name} fitted (trial {best.number})", reps)
        with atomic_path(out / "figures" / "fit.png") as tmp:
            fig.savefig(tmp, dpi=90, format="png")
