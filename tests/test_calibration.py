"""Calibration: the config section, recovering known parameters (the Dublin clocks
included) from data the model made itself, resuming after a kill without running a finished
simulation twice, and ``flowsim calibrate``'s errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import flowsim.results.shards
from flowsim.cli import main
from flowsim.engine import series
from flowsim.results.runs import run_replications
from flowsim.results.store import RunStore
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config, scenario_from_dict
from flowsim.scenario.timeline import Timeline
from flowsim.validation import calibration
from flowsim.validation.calibration import CalibrationError, calibrate, study_identity, with_values
from flowsim.validation.observed import DERIVED_RATES, load_observed
from flowsim.validation.targets import targets
from stored_runs import copy_runs

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PARAM = "cgrs.decisions_per_officer_per_month"
UNTIL = dt.date(2024, 12, 31)
# The truth behind the synthetic data: a CGRS productivity and two Dublin rates.
TRUTH = {
    PARAM: 4.0,
    "immigration_office.dublin_acceptance_share": 0.6,
    "immigration_office.dublin_abscond_per_month": 0.15,
}
PRIORS = {
    PARAM: {"low": 2.0, "high": 8.0},
    "immigration_office.dublin_acceptance_share": {"low": 0.2, "high": 0.95},
    "immigration_office.dublin_abscond_per_month": {
        "low": 0.02,
        "high": 0.6,
        "log": True,
        "observed": False,
        "reason": "no figure counts absconders",
        "neutral": 0.0,
    },
}
FITTED_SERIES = [
    "cgrs_decisions",
    "cgrs_backlog",
    "dublin_acceptances",
    "dublin_deadline_expired",
    "dublin_absconded",
]
# A busy Dublin desk (every third applicant), transfers few: most windows close or abscond.
SYNTHETIC = {
    "end_date": dt.date(2024, 10, 31),
    "immigration_office.dublin_share": 0.35,
    "immigration_office.dublin_transfers_persons_per_month": 8,
    "immigration_office.dublin_transfer_window_days": 60,
    "immigration_office.dublin_absconded_window_days": 150,
}


def section(**overrides) -> dict:
    """A valid calibration section for the small scenario, with top-level overrides."""
    out = {
        "parameters": {PARAM: {"low": 2.0, "high": 8.0}},
        "series": ["cgrs_decisions", "cgrs_backlog"],
        "particles": 8,
        "rounds": 2,
        "replications": 1,
        "members": 4,
        "seed": 0,
    }
    out.update(overrides)
    return out


def problems(small_raw, calibration_section: dict) -> list[str]:
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(small_raw(calibration=calibration_section), "<small>")
    return err.value.problems


# --- the config section ------------------------------------------------------------------


def test_config_knows_the_derived_rates_by_name() -> None:
    assert set(series.DERIVED_RATE_NAMES) == set(DERIVED_RATES)


def test_valid_section_accepted(small_raw) -> None:
    scenario = scenario_from_dict(small_raw(calibration=section()), "<small>")
    assert scenario.calibration is not None
    assert scenario.calibration.parameters[PARAM].high == 8.0


def test_unknown_field_path_rejected_with_a_hint(small_raw) -> None:
    bad = section(parameters={"cgrs.decisions_per_oficer_per_month": {"low": 1, "high": 2}})
    (line,) = problems(small_raw, bad)
    assert line.startswith("<small>: calibration.parameters.cgrs.decisions_per_oficer_per_month:")
    assert "did you mean cgrs.decisions_per_officer_per_month" in line


def test_range_giving_an_invalid_value_rejected(small_raw) -> None:
    bad = section(parameters={"reception.abscond_per_month": {"low": 0.1, "high": 1.5}})
    (line,) = problems(small_raw, bad)
    assert "calibration.parameters.reception.abscond_per_month.high gives an invalid value" in line


def test_unknown_series_and_keys_rejected(small_raw) -> None:
    (line,) = problems(small_raw, section(series=["cgrs_backlogg"]))
    assert "calibration.series.0: expected a model series" in line
    assert "did you mean cgrs_backlog" in line
    assert problems(small_raw, section(trials=3)) == ["<small>: calibration.trials: unknown field"]
    assert problems(small_raw, section(particles=2)) == [
        "<small>: calibration.particles: input should be greater than or equal to 4, got 2"
    ]


def test_an_unobserved_parameter_must_say_why(small_raw) -> None:
    bad = section(parameters={PARAM: {"low": 2.0, "high": 8.0, "observed": False}})
    (line,) = problems(small_raw, bad)
    assert line == (
        f"<small>: calibration.parameters.{PARAM}.reason: expected why the range is "
        "plausible (observed is false)"
    )


def test_dated_parameters_checked(small_raw) -> None:
    late = section(parameters={f"{PARAM}@2026-01-01": {"low": 2.0, "high": 8.0}})
    (line,) = problems(small_raw, late)
    assert "expected a date after the start date and on or before the end date" in line
    bad = section(parameters={f"{PARAM}@2024-02-30": {"low": 2.0, "high": 8.0}})
    (line,) = problems(small_raw, bad)
    assert "expected field@YYYY-MM-DD" in line


def test_targets_are_fit_outcomes_of_the_models_scope_up_to_until() -> None:
    observed = load_observed()
    names = ["cgrs_backlog", "cgrs_decisions_cases", "avr_departures", "applications"]
    fitted = targets(observed, names, dt.date(2022, 12, 31))
    assert set(fitted["role"]) == {"outcome"} and set(fitted["split"]) == {"fit"}
    assert "avr_departures" not in set(fitted["series"])  # scope wider: never fitted
    assert "applications" not in set(fitted["series"])  # an input
    early = targets(observed, names, dt.date(2019, 12, 31))
    assert early["end"].max() <= pd.Timestamp("2019-12-31")
    assert len(early) < len(fitted)


def test_identity_changes_with_what_changes_the_results(small_scenario) -> None:
    observed = load_observed()
    scenario = small_scenario()
    name = study_identity(scenario, observed, dt.date(2022, 12, 31))
    assert name == study_identity(scenario, observed, dt.date(2022, 12, 31))
    assert name != study_identity(scenario, observed, dt.date(2021, 12, 31))
    assert name != study_identity(scenario, observed.iloc[1:], dt.date(2022, 12, 31))
    other = small_scenario(**{PARAM: 5.5})
    assert name != study_identity(other, observed, dt.date(2022, 12, 31))


def test_with_values_sets_fields_and_dated_values(small_scenario) -> None:
    may = dt.date(2024, 5, 1)
    fitted = with_values(small_scenario(), {PARAM: 3.0, f"{PARAM}@{may}": 6.0}, "<small>")
    daily = Timeline(fitted).daily(PARAM, fitted.days)
    assert daily[fitted.day_of(may) - 1] == 3.0 and daily[fitted.day_of(may)] == 6.0
    assert fitted.calibration is None


# --- calibrations on data made by the model -----------------------------------------------


@pytest.fixture(scope="module")
def client():
    """An in-process Dask client with one worker thread (the runs go where a sweep's go)."""
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        yield c


def write_synthetic(folder: Path, small_raw, calibration_section: dict) -> tuple[Path, Path]:
    """Observed data made by the model with :data:`TRUTH` (the mean of eight replications
    with other seeds than the calibration's: every month's flows of the fitted series and
    the backlog at its end) and a scenario file whose own values are not the truth."""
    truth = small_raw(**SYNTHETIC, **TRUTH)
    tables, _ = run_replications(scenario_from_dict(truth, "<synthetic>"), 8, 99)
    daily = tables["series"].assign(date=lambda f: pd.to_datetime(f["date"]))
    mean = daily.groupby("date")[FITTED_SERIES].mean()
    rows = []
    for month, days in mean.groupby(pd.Grouper(freq="MS")):
        end = days.index[-1]
        rows.append(("cgrs_backlog", "stock", end, end, days["cgrs_backlog"].iloc[-1]))
        for name in FITTED_SERIES:
            if name != "cgrs_backlog":
                rows.append((name, "flow", month, end, days[name].sum()))
    observed = pd.DataFrame(rows, columns=["series", "kind", "start", "end", "value"]).assign(
        in_model=True, role="outcome", split="fit", scope="same", unit="persons"
    )
    observed_path = folder / "observed.csv"
    observed.to_csv(observed_path, index=False, date_format="%Y-%m-%d")
    config = small_raw(
        **SYNTHETIC,
        **{PARAM: 5.7, "immigration_office.dublin_acceptance_share": 0.8},
        calibration=calibration_section,
    )
    config_path = folder / "small.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return config_path, observed_path


RECOVERY = section(
    parameters=PRIORS,
    series=FITTED_SERIES,
    particles=32,
    rounds=40,
    replications=2,
    members=20,
    seed=5,
)


@pytest.fixture(scope="module")
def recovered(tmp_path_factory, small_raw, client):
    folder = tmp_path_factory.mktemp("recovery")
    config, observed = write_synthetic(folder, small_raw, RECOVERY)
    result = calibrate(config, observed=observed, until=UNTIL, out=folder / "fit", client=client)
    return config, observed, result


def test_the_truth_lies_inside_the_ensembles_90_percent_interval(recovered) -> None:
    _, _, result = recovered
    posterior = result.posterior.set_index("parameter")
    print(posterior[["q05", "median", "q95", "range_kept"]])
    for key, value in TRUTH.items():
        assert posterior.loc[key, "q05"] <= value <= posterior.loc[key, "q95"], key
    # the data constrain the productivity well; the acceptance share less, since a series
    # counts one effective point a year at most and these data span ten months, but its
    # interval is still narrower than its prior (0.9 or more if acceptances ignored it)
    assert posterior.loc[PARAM, "range_kept"] < 0.25
    assert posterior.loc["immigration_office.dublin_acceptance_share", "range_kept"] < 0.75
    assert result.beta == 1.0


def test_the_fitted_file_runs_its_ensemble(recovered) -> None:
    config, _, result = recovered
    out = result.out
    fitted = load_config(out / "fitted.yaml")
    assert fitted.calibration is None and fitted.ensemble is not None
    assert len(fitted.ensemble.members) == 20
    members = pd.read_csv(out / "ensemble.csv")
    assert list(members.columns) == ["member", *PRIORS]
    # replication k runs member k: its productivity is the member's
    for k in (0, 7):
        assert fitted.member(k).cgrs.decisions_per_officer_per_month == pytest.approx(
            members.loc[k, PARAM]
        )
    base = yaml.safe_load((out / "fitted.yaml").read_text())["base"]
    assert (out / base).resolve() == config.resolve()
    fit = pd.read_csv(out / "fit.csv")
    assert set(FITTED_SERIES) <= set(fit["series"])
    assert (out / "figures" / "fit.png").stat().st_size > 1000
    # the fit's error per fitted series travels with the ensemble (predictive bands)
    errors = pd.read_csv(out / "errors.csv")
    assert set(FITTED_SERIES) <= set(errors["series"])
    assert {e.series for e in fitted.ensemble.errors} == set(errors["series"])
    assert (errors["scale"] >= 0.02).all()  # the likelihood's error floor at least
    particles = pd.read_csv(out / "particles.csv")
    assert {"round", "beta", "accepted", "log_likelihood", *PRIORS} <= set(particles.columns)
    assert len(particles) == 32 * result.rounds


def test_unobserved_mechanisms_are_reported(recovered) -> None:
    _, _, result = recovered
    report = pd.read_csv(result.out / "unobserved.csv")
    (row,) = report.itertuples()
    assert row.parameter == "immigration_office.dublin_abscond_per_month"
    assert row.reason == "no figure counts absconders"
    # switching absconding off makes the fit much worse, above all for the absconders
    assert row.log_likelihood_neutral < row.log_likelihood_best - 5
    assert row.series_most_worse.startswith("dublin_absconded")


def test_the_tables_for_a_reader_say_what_the_files_hold(recovered) -> None:
    _, _, result = recovered
    text = (result.out / "calibration.md").read_text(encoding="utf-8")
    posterior = result.posterior.set_index("parameter")
    q = posterior.loc[PARAM]
    assert f"| `{PARAM}` | {q['low']:g}-{q['high']:g} | {q['median']:.3g} [{q['q05']:.3g}, " in text
    unobserved = pd.read_csv(result.out / "unobserved.csv").iloc[0]
    change = unobserved["log_likelihood_neutral"] - unobserved["log_likelihood_best"]
    assert f"({change:+.1f}) | {unobserved['series_most_worse']} |" in text
    fit = pd.read_csv(result.out / "fit.csv")
    backlog = fit[(fit["series"] == "cgrs_backlog") & (fit["role"] == "outcome")].iloc[0]
    assert f"| `cgrs_backlog` | {backlog['resolution']} | {backlog['points']} | " in text
    assert f"{result.rounds} rounds of 32 parameter sets" in text


# A short calibration of the first two parameters on three series (8 sets, 4 members).
TWO_PARAMETERS = {
    "parameters": {k: PRIORS[k] for k in list(PRIORS)[:2]},
    "series": FITTED_SERIES[:3],
    "particles": 8,
    "members": 4,
}


def test_a_kill_resumes_without_running_a_finished_simulation_twice(
    tmp_path, small_raw, client, monkeypatch
) -> None:
    settings = section(**TWO_PARAMETERS, rounds=4, replications=2)
    config, observed = write_synthetic(tmp_path, small_raw, settings)
    whole = calibrate(config, observed=observed, until=UNTIL, out=tmp_path / "a", client=client)
    # What a kill leaves: the simulations stored so far (here 20 of the sampler's, from
    # generations 0 and later), a row half-written at the time, the manifest "running".
    rows = RunStore(tmp_path / "a" / "runs").rows()
    sampled = sorted(rows.loc[rows["p0"].notna(), "run_id"])[:20]
    stored = set(copy_runs(tmp_path / "a" / "runs", tmp_path / "b" / "runs", sampled))
    (tmp_path / "b" / "runs" / "shards" / ".x.parquet.abc.part").write_bytes(b"half a shard")
    ran: list[str] = []
    execute = flowsim.results.shards.execute_run

    def counted(task, out):
        ran.append(task.run_id)
        return execute(task, out)

    monkeypatch.setattr(flowsim.results.shards, "execute_run", counted)
    resumed = calibrate(config, observed=observed, until=UNTIL, out=tmp_path / "b", client=client)
    assert not set(ran) & stored  # nothing stored before the kill ran again
    assert resumed.runs_computed == whole.runs_computed - 20
    pd.testing.assert_frame_equal(resumed.posterior, whole.posterior)
    pd.testing.assert_frame_equal(resumed.members, whole.members)
    # running it again computes nothing
    again = calibrate(config, observed=observed, until=UNTIL, out=tmp_path / "b", client=client)
    assert again.runs_computed == 0


def test_prior_redraws_move_one_parameter_of_a_kept_set(tmp_path, small_raw, client) -> None:
    """With ``prior_redraw_share: 1`` every proposal after the first round is a set of that
    round with one parameter redrawn from its prior; without it, random-walk steps change
    every parameter."""
    differing = {}
    for share in (0.0, 1.0):
        settings = section(**TWO_PARAMETERS, prior_redraw_share=share)
        folder = tmp_path / str(share)
        folder.mkdir()
        config, observed = write_synthetic(folder, small_raw, settings)
        calibrate(config, observed=observed, until=UNTIL, out=folder / "fit", client=client)
        sets = pd.read_csv(folder / "fit" / "particles.csv")
        keys = list(TWO_PARAMETERS["parameters"])
        first = sets.loc[sets["round"] == 0, keys].to_numpy()
        proposed = sets.loc[sets["round"] == 1, keys].to_numpy()
        # for each proposal, the fewest parameters in which it differs from a first-round set
        differing[share] = (~np.isclose(proposed[:, None, :], first[None])).sum(axis=2).min(axis=1)
    np.testing.assert_array_equal(differing[1.0], 1)
    np.testing.assert_array_equal(differing[0.0], 2)


def test_a_folder_of_another_calibration_is_refused(tmp_path, small_raw, client) -> None:
    settings = section(particles=4, rounds=1, members=2)
    config, observed = write_synthetic(tmp_path, small_raw, settings)
    calibrate(config, observed=observed, until=UNTIL, out=tmp_path / "fit", client=client)
    with pytest.raises(CalibrationError) as err:
        calibrate(config, observed=observed, until=dt.date(2024, 6, 30), out=tmp_path / "fit")
    assert err.value.problems == [
        f"{tmp_path / 'fit'}: holds another calibration (another scenario, observed data or "
        "--until); give another --out"
    ]


# --- the command ----------------------------------------------------------------------------


def test_cli_errors_are_one_line_each(tmp_path, small_raw, capsys) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(small_raw(), sort_keys=False), encoding="utf-8")
    assert main(["calibrate", str(plain), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{plain}: calibration: expected a calibration section (parameters, series)"
    )
    wrong = tmp_path / "wrong.yaml"
    raw = small_raw(calibration=section(series=["subsequent_applications"]))
    wrong.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert main(["calibrate", str(wrong), "--until", "2024-12-31"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{wrong}: calibration.series: subsequent_applications: expected observed outcomes of "
        "the fit split within the run (2024-01-01 to 2024-12-31), found none (its figures are "
        "inputs: never fitted)"
    )
    assert main(["calibrate", str(wrong), "--workers", "1", "--scheduler", "x:1"]) == 2
    assert "give one of --workers, --scheduler, --cluster" in capsys.readouterr().err
    # a docs file without its markers is refused before anything runs
    docs = tmp_path / "validation.md"
    docs.write_text("# no markers\n", encoding="utf-8")
    for command in ("calibrate", "backtest"):
        out = tmp_path / f"{command}-out"
        assert main([command, str(wrong), "--docs", str(docs), "--out", str(out)]) == 2
        marker = "calibration" if command == "calibrate" else "backtest"
        assert capsys.readouterr().err.strip() == (
            f"{docs}: expected the markers <!-- {marker}:begin --> and <!-- {marker}:end -->"
        )
        assert not out.exists()


def test_the_shipped_history_validates() -> None:
    history = load_config(CONFIGS / "belgium-history.yaml")
    assert history.calibration is not None
    assert np.isfinite(len(calibration.prior_of(history.calibration).keys))
