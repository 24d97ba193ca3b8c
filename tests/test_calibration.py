"""Calibration: the config section, the losses by hand, resuming a study, recovering known
parameters from data the model made itself, and ``flowsim calibrate`` end to end."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsim import series
from flowsim.calibration import (
    CalibrationError,
    calibrate,
    fitted_override,
    negative_binomial_deviance,
    point_losses,
    poisson_deviance,
    squared_relative_error,
    study_name,
    targets,
    with_values,
)
from flowsim.cli import main
from flowsim.config import (
    ConfigError,
    SeriesLoss,
    Timeline,
    calibrated_parameter,
    load_config,
    scenario_from_dict,
)
from flowsim.observed import DERIVED_RATES, load_observed
from flowsim.results import run_replications

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PARAM = "cgrs.decisions_per_officer_per_month"
TRUE_VALUE = 4.0  # decisions per officer per month behind the synthetic observed data
END = dt.date(2024, 9, 30)  # nine months of the small scenario: fast, and the CGRS is busy
UNTIL = dt.date(2024, 12, 31)


def section(**overrides) -> dict:
    """A valid calibration section for the small scenario, with top-level overrides."""
    out = {
        "parameters": {PARAM: {"low": 2.0, "high": 8.0}},
        "series": {
            "cgrs_decisions": {"loss": "negative_binomial", "dispersion": 50},
            "cgrs_backlog": {"loss": "relative", "weight": 50},
        },
        "trials": 4,
        "replications": 2,
        "seed": 0,
    }
    out.update(overrides)
    return out


def problems(small_raw, calibration: dict) -> list[str]:
    return raw_problems(small_raw(calibration=calibration))


def raw_problems(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(raw, "<small>")
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
    assert "1.5" in line


def test_unknown_series_and_count_loss_on_a_stock_rejected(small_raw) -> None:
    bad = section(
        series={
            "cgrs_backlogg": {"loss": "relative"},
            "in_reception": {"loss": "poisson"},
        }
    )
    lines = problems(small_raw, bad)
    assert len(lines) == 2
    assert "calibration.series.cgrs_backlogg: expected a model series" in lines[0]
    assert "did you mean cgrs_backlog" in lines[0]
    assert "calibration.series.in_reception.loss: expected relative" in lines[1]


def test_unknown_keys_loss_kind_and_empty_sections_rejected(small_raw) -> None:
    lines = problems(small_raw, section(trails=3))
    assert lines == ["<small>: calibration.trails: unknown field"]
    lines = problems(small_raw, section(series={"cgrs_decisions": {"loss": "gaussian"}}))
    assert len(lines) == 1 and lines[0].startswith(
        "<small>: calibration.series.cgrs_decisions.loss"
    )
    lines = problems(small_raw, section(parameters={}))
    assert len(lines) == 1 and "calibration.parameters" in lines[0]


@settings(max_examples=25, deadline=None)
@given(
    low=st.floats(0.0, 1.0, allow_nan=False),
    high=st.floats(0.0, 1.0, allow_nan=False),
    log=st.booleans(),
)
def test_share_ranges_accepted_exactly_when_ordered(small_raw, low, high, log) -> None:
    bounds = {"low": low, "high": high, "log": log}
    raw = small_raw(calibration=section(parameters={"reception.abscond_per_month": bounds}))
    if low < high and (low > 0 or not log):
        assert scenario_from_dict(raw, "<small>").calibration is not None
        return
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(raw, "<small>")
    (line,) = err.value.problems
    assert line.startswith("<small>: calibration.parameters.reception.abscond_per_month.")
    assert ("high: expected more than low" in line) or ("low: expected more than 0" in line)


# --- values from a date (a parameter per period) ------------------------------------------

DATED = f"{PARAM}@2024-07-01"
HALVED = {"date": dt.date(2024, 9, 1), "field": PARAM, "multiply": 0.5, "note": "halved"}


def dated_section(**parameters) -> dict:
    return section(parameters={PARAM: {"low": 2.0, "high": 8.0}, **parameters})


def test_parameter_keys_name_a_field_and_the_date_it_holds_from() -> None:
    assert calibrated_parameter(PARAM) == (PARAM, None)
    assert calibrated_parameter(DATED) == (PARAM, dt.date(2024, 7, 1))
    for bad in (f"{PARAM}@2024-02-30", f"{PARAM}@24-7-1", f"{PARAM}@", f"{PARAM}@2024-07-01@x"):
        with pytest.raises(ValueError, match="expected field@YYYY-MM-DD"):
            calibrated_parameter(bad)


def test_a_dated_value_holds_from_its_date_and_later_changes_apply_on_top(small_raw) -> None:
    raw = small_raw(calibration=dated_section(**{DATED: {"low": 2.0, "high": 8.0}}))
    raw["changes"] = [HALVED]
    scenario = scenario_from_dict(raw, "<small>")
    fitted = with_values(scenario, {PARAM: 3.0, DATED: 6.0}, "<small>")
    daily = Timeline(fitted).daily(PARAM, fitted.days)
    july, september = fitted.day_of(dt.date(2024, 7, 1)), fitted.day_of(dt.date(2024, 9, 1))
    assert set(daily[:july]) == {3.0}  # the field's own value until the date
    assert set(daily[july:september]) == {6.0}  # the fitted value from the date
    assert set(daily[september:]) == {3.0}  # the file's later change applies on top: 6 x 0.5
    assert fitted.calibration is None  # a fitted scenario, not one to calibrate again
    (added,) = [c for c in fitted.changes if c.date == dt.date(2024, 7, 1)]
    assert (added.field, added.set, added.note) == (PARAM, 6.0, "fitted")
    assert scenario.changes == fitted.changes[:1]  # the file's own changes are kept


def test_dated_parameters_rejected_with_one_line_each(small_raw) -> None:
    where = "<small>: calibration.parameters"
    run = "(2024-01-01 to 2024-12-31; from the start date, use " + PARAM + " itself)"
    cases = {
        f"{PARAM}@2024-13-01": (
            f"{where}.{PARAM}@2024-13-01: expected field@YYYY-MM-DD (a calendar date after "
            f"@), got '2024-13-01'"
        ),
        f"{PARAM}@2024-01-01": (
            f"{where}.{PARAM}@2024-01-01: expected a date after the start date and on or "
            f"before the end date {run}, got 2024-01-01"
        ),
        f"{PARAM}@2025-01-01": (
            f"{where}.{PARAM}@2025-01-01: expected a date after the start date and on or "
            f"before the end date {run}, got 2025-01-01"
        ),
        f"{PARAM}@2024-09-01": (
            f"{where}.{PARAM}@2024-09-01: expected a date on which the scenario does not "
            f"change {PARAM} (changes.0 does; the fitted value would replace it), got 2024-09-01"
        ),
    }
    for key, expected in cases.items():
        raw = small_raw(calibration=dated_section(**{key: {"low": 2.0, "high": 8.0}}))
        raw["changes"] = [HALVED]
        assert raw_problems(raw) == [expected], key
    bad = dated_section(**{"cgrs.decisions_per_oficer_per_month@2024-07-01": {"low": 2, "high": 8}})
    (line,) = problems(small_raw, bad)
    assert line.startswith(f"{where}.cgrs.decisions_per_oficer_per_month@2024-07-01: expected")
    assert line.endswith(
        "(did you mean cgrs.decisions_per_officer_per_month, "
        "call.decisions_per_month, returns.cases_per_counsellor_per_month?)"
    )
    bad = dated_section(**{"reception.abscond_per_month@2024-07-01": {"low": 0.1, "high": 1.5}})
    assert problems(small_raw, bad) == [
        f"{where}.reception.abscond_per_month@2024-07-01.high gives an invalid value: "
        f"reception.abscond_per_month: input should be less than or equal to 1, got 1.5"
    ]


@settings(max_examples=25, deadline=None)
@given(
    offset=st.integers(-40, 400),
    low=st.floats(0.0, 1.0, allow_nan=False),
    high=st.floats(0.0, 1.0, allow_nan=False),
)
def test_dated_ranges_accepted_exactly_inside_the_run_and_ordered(
    small_raw, offset, low, high
) -> None:
    date = dt.date(2024, 1, 1) + dt.timedelta(days=offset)
    key = f"reception.abscond_per_month@{date}"
    raw = small_raw(calibration=dated_section(**{key: {"low": low, "high": high}}))
    inside = dt.date(2024, 1, 1) < date <= dt.date(2024, 12, 31)
    if inside and low < high:
        assert scenario_from_dict(raw, "<small>").calibration is not None
        return
    with pytest.raises(ConfigError) as err:
        scenario_from_dict(raw, "<small>")
    (line,) = err.value.problems
    assert line.startswith(f"<small>: calibration.parameters.{key}")
    if low >= high:  # the range is checked first, by the schema
        assert line.endswith(f".high: expected more than low ({low:g}), got {high:g}")
    else:
        assert "expected a date after the start date and on or before the end date" in line
        assert line.endswith(f"got {date}")


def test_fitted_file_lists_dated_values_as_changes_and_runs_as_fitted(small_raw, tmp_path) -> None:
    raw = small_raw(calibration=dated_section(**{DATED: {"low": 2.0, "high": 8.0}}))
    raw["changes"] = [HALVED]
    config = tmp_path / "small.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    scenario = load_config(config)
    values = {PARAM: 3.25, DATED: 6.5}
    out = tmp_path / "fit" / "fitted.yaml"
    out.parent.mkdir()
    out.write_text(fitted_override(config, scenario, values, "header", out), encoding="utf-8")
    text = out.read_text()
    assert f"- {{date: 2024-07-01, field: {PARAM}, set: 6.5, note: fitted}}" in text
    assert "calibration: null" in text
    fitted = load_config(out)
    expected = with_values(scenario, values, str(config))
    assert fitted.cgrs.decisions_per_officer_per_month == 3.25
    assert fitted.calibration is None
    for field in (PARAM, "reception.abscond_per_month"):
        assert np.array_equal(
            Timeline(fitted).daily(field, fitted.days), Timeline(expected).daily(field, fitted.days)
        )


# --- losses by hand --------------------------------------------------------------------------


def test_losses_by_hand() -> None:
    # y = 10, mu = 12: Poisson 2 (10 ln(10/12) - (10 - 12)) = 2 (-1.823216 + 2) = 0.353569
    assert poisson_deviance([12.0], [10.0])[0] == pytest.approx(0.353569, rel=1e-5)
    # y = 0: 2 mu
    assert poisson_deviance([3.0], [0.0])[0] == pytest.approx(6.0)
    # NB, k = 5: 2 (10 ln(10/12) - 15 ln(15/17)) = 0.108452
    nb = 2 * (10 * math.log(10 / 12) - 15 * math.log(15 / 17))
    assert negative_binomial_deviance([12.0], [10.0], 5.0)[0] == pytest.approx(nb)
    assert squared_relative_error([12.0, 5.0], [10.0, 10.0]).tolist() == pytest.approx([0.04, 0.25])
    # A perfect fit costs nothing under every loss.
    for loss in ("poisson", "negative_binomial", "relative"):
        spec = SeriesLoss(loss=loss)
        assert point_losses(spec, np.array([7.0, 900.0]), np.array([7.0, 900.0])) == (
            pytest.approx([0.0, 0.0], abs=1e-9)
        )
    # A NaN model value (a rate of nothing) counts as 0: relative error 1.
    assert point_losses(SeriesLoss(loss="relative"), np.array([np.nan]), np.array([4.0]))[0] == 1


def test_negative_binomial_close_to_k_times_squared_log_ratio_for_large_counts() -> None:
    k, y, mu = 20.0, 20_000.0, 22_000.0
    # The limit is the gamma deviance with shape k, 2k (y/mu - 1 - ln(y/mu)) ...
    gamma = 2 * k * (y / mu - 1 - math.log(y / mu))
    assert negative_binomial_deviance([mu], [y], k)[0] == pytest.approx(gamma, rel=1e-3)
    # ... about k (ln(mu/y))^2 when the model is off by 10% (within 5%).
    assert negative_binomial_deviance([mu], [y], k)[0] == pytest.approx(
        k * math.log(mu / y) ** 2, rel=0.05
    )


# --- targets -----------------------------------------------------------------------------


def test_targets_are_fit_outcomes_of_the_models_scope_up_to_until() -> None:
    observed = load_observed()
    series = ["cgrs_backlog", "cgrs_decisions_cases", "avr_departures", "applications"]
    fitted = targets(observed, series, dt.date(2022, 12, 31))
    assert set(fitted["role"]) == {"outcome"} and set(fitted["split"]) == {"fit"}
    assert "avr_departures" not in set(fitted["series"])  # scope wider: never fitted
    assert "applications" not in set(fitted["series"])  # an input
    early = targets(observed, series, dt.date(2019, 12, 31))
    assert early["end"].max() <= pd.Timestamp("2019-12-31")
    assert len(early) < len(fitted)
    later = fitted[fitted["end"] > pd.Timestamp("2019-12-31")]
    assert not later.empty and later.index.isin(early.index).sum() == 0


def test_subsequent_applications_are_compared_but_never_fitted(tmp_path, small_raw) -> None:
    """The observed subsequent applications are inputs (the schedule of those the run did not
    refuse is built from them): a calibration refuses them and says why."""
    observed = load_observed()
    rows = observed[observed["series"] == "subsequent_applications"]
    assert len(rows) >= 3 and set(rows["role"]) == {"input"}
    assert targets(observed, ["subsequent_applications"], dt.date(2024, 12, 31)).empty
    raw = small_raw(
        calibration=section(series={"subsequent_applications": {"loss": "negative_binomial"}})
    )
    config = tmp_path / "small.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(CalibrationError) as err:
        calibrate(config, until=dt.date(2024, 12, 31), out=tmp_path / "o")
    assert err.value.problems == [
        f"{config}: calibration.series.subsequent_applications: expected observed outcomes of "
        f"the fit split within the run (2024-01-01 to 2024-12-31), found none (its figures are "
        f"inputs: never fitted)"
    ]


# --- studies on synthetic data made by the model -------------------------------------------


def write_synthetic(folder: Path, truth: dict, config: dict) -> tuple[Path, Path]:
    """Observed data made by the model from the scenario ``truth`` (mean of two replications
    with another seed than the calibration's: monthly CGRS decisions and the backlog at the
    end of each month) and the scenario file ``config`` to calibrate on them."""
    tables, _ = run_replications(scenario_from_dict(truth, "<synthetic>"), 2, 99)
    daily = tables["series"].assign(date=lambda f: pd.to_datetime(f["date"]))
    mean = daily.groupby("date")[["cgrs_decisions", "cgrs_backlog"]].mean()
    rows = []
    for month, days in mean.groupby(pd.Grouper(freq="MS")):
        end = days.index[-1]
        rows.append(("cgrs_decisions", "flow", month, end, days["cgrs_decisions"].sum()))
        rows.append(("cgrs_backlog", "stock", end, end, days["cgrs_backlog"].iloc[-1]))
    observed = pd.DataFrame(rows, columns=["series", "kind", "start", "end", "value"]).assign(
        in_model=True, role="outcome", split="fit", scope="same", unit="persons"
    )
    observed_path = folder / "observed.csv"
    observed.to_csv(observed_path, index=False, date_format="%Y-%m-%d")
    config_path = folder / "small.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return config_path, observed_path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, small_raw) -> tuple[Path, Path]:
    """A small scenario file with a calibration section, and observed data made by the model
    with ``PARAM = TRUE_VALUE``."""
    # The file's own value (5.7) is not the answer.
    return write_synthetic(
        tmp_path_factory.mktemp("synthetic"),
        small_raw(**{"end_date": END, PARAM: TRUE_VALUE}),
        small_raw(**{"end_date": END, PARAM: 5.7, "calibration": section()}),
    )


def test_recovers_a_known_parameter(synthetic, tmp_path) -> None:
    """20 trials x 2 replications find the value that made the data within 10%."""
    config, observed = synthetic
    out = tmp_path / "fit"
    result = calibrate(config, observed=observed, until=UNTIL, trials=20, out=out)
    print(f"recovered {result.best_values[PARAM]:.3f} (true {TRUE_VALUE})")
    assert result.best_values[PARAM] == pytest.approx(TRUE_VALUE, rel=0.10)
    assert result.trials_total == 20
    # The fitted config validates, names the original as its base, and runs.
    fitted = load_config(out / "fitted.yaml")
    assert fitted.cgrs.decisions_per_officer_per_month == result.best_values[PARAM]
    base = yaml.safe_load((out / "fitted.yaml").read_text())["base"]
    assert (out / base).resolve() == config.resolve()
    tables, _ = run_replications(fitted, 1, 0)
    assert len(tables["series"]) == fitted.days
    trials = pd.read_csv(out / "calibration.csv")
    assert len(trials) == 20 and set(trials["state"]) == {"complete"}
    assert {"loss", PARAM, "loss_cgrs_decisions", "loss_cgrs_backlog"} <= set(trials.columns)
    assert trials["loss"].min() == pytest.approx(result.best_loss)
    assert (out / "figures" / "fit.png").stat().st_size > 1000
    assert set(pd.read_csv(out / "fit.csv")["series"]) == {"cgrs_decisions", "cgrs_backlog"}


def test_recovers_a_productivity_per_period(small_raw, tmp_path) -> None:
    """Data made with 3 decisions per officer until May and 6 from May: a calibration of the
    field and of its value from 2024-05-01 finds both within 10% (60 trials: 3.12 and 5.64;
    30 trials stop at 3.29), and the fitted file runs with the dated value as a change."""
    may = dt.date(2024, 5, 1)
    step = {"date": may, "field": PARAM, "set": 6.0, "note": "truth"}
    parameters = {PARAM: {"low": 2.0, "high": 8.0}, f"{PARAM}@{may}": {"low": 2.0, "high": 8.0}}
    config, observed = write_synthetic(
        tmp_path,
        small_raw(**{"end_date": END, PARAM: 3.0, "changes": [step]}),
        small_raw(**{"end_date": END, PARAM: 5.7, "calibration": section(parameters=parameters)}),
    )
    out = tmp_path / "fit"
    result = calibrate(config, observed=observed, until=UNTIL, trials=60, out=out)
    print(f"recovered {result.best_values} (true 3 and 6)")
    assert result.best_values[PARAM] == pytest.approx(3.0, rel=0.10)
    assert result.best_values[f"{PARAM}@{may}"] == pytest.approx(6.0, rel=0.10)
    fitted = load_config(out / "fitted.yaml")
    daily = Timeline(fitted).daily(PARAM, fitted.days)
    assert daily[fitted.day_of(may) - 1] == result.best_values[PARAM]
    assert daily[fitted.day_of(may)] == result.best_values[f"{PARAM}@{may}"]
    trials = pd.read_csv(out / "calibration.csv")
    assert {PARAM, f"{PARAM}@{may}"} <= set(trials.columns)


def test_interrupted_study_resumes_without_redoing_trials(synthetic, tmp_path) -> None:
    config, observed = synthetic
    out = tmp_path / "resume"
    first = calibrate(config, observed=observed, until=UNTIL, trials=3, out=out)
    assert (first.trials_run, first.trials_total) == (3, 3)
    storage = f"sqlite:///{(out / 'calibration.db').resolve()}"
    study = optuna.load_study(study_name=first.study_name, storage=storage)
    before = [(t.number, t.params, t.value) for t in study.trials]
    # A trial left running, as when the process is killed mid-trial.
    trial = study.ask()
    interrupted = trial.suggest_float(PARAM, 2.0, 8.0)
    second = calibrate(config, observed=observed, until=UNTIL, trials=5, out=out)
    assert (second.trials_run, second.trials_total) == (2, 5)
    study = optuna.load_study(study_name=first.study_name, storage=storage)
    assert [(t.number, t.params, t.value) for t in study.trials[:3]] == before
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE"] * 3 + ["FAIL"] + ["COMPLETE"] * 2
    assert study.trials[4].params[PARAM] == interrupted  # queued again, run first
    # Nothing more to do: the same command leaves the study as it is.
    third = calibrate(config, observed=observed, until=UNTIL, trials=5, out=out)
    assert (third.trials_run, third.trials_total) == (0, 5)


def test_study_name_changes_with_what_changes_the_loss(small_scenario) -> None:
    observed = load_observed()
    scenario = small_scenario()
    name = study_name(scenario, observed, dt.date(2022, 12, 31), 2)
    assert name == study_name(scenario, observed, dt.date(2022, 12, 31), 2)
    assert name != study_name(scenario, observed, dt.date(2021, 12, 31), 2)
    assert name != study_name(scenario, observed, dt.date(2022, 12, 31), 3)
    assert name != study_name(scenario, observed.iloc[1:], dt.date(2022, 12, 31), 2)


# --- the command ----------------------------------------------------------------------------


def test_cli_calibrate_writes_outputs(synthetic, tmp_path, capsys) -> None:
    config, observed = synthetic
    out = tmp_path / "cli"
    argv = ["calibrate", str(config), "--observed", str(observed), "--until", "2024-12-31"]
    code = main([*argv, "--trials", "2", "--replications", "1", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "fitted (2 trials" in printed and str(out) in printed
    for name in ("fitted.yaml", "calibration.csv", "fit.csv", "fit_points.csv", "calibration.db"):
        assert (out / name).is_file(), name
    assert main(["validate", str(out / "fitted.yaml")]) == 0


def test_cli_until_excluding_every_target_exits_2(synthetic, tmp_path, capsys) -> None:
    config, observed = synthetic
    argv = ["calibrate", str(config), "--observed", str(observed), "--out", str(tmp_path)]
    assert main([*argv, "--until", "2023-12-31"]) == 2  # the data are all in 2024
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert all("expected observed outcomes of the fit split" in line for line in lines)


def test_cli_errors_exit_2_one_line_each(small_raw, tmp_path, capsys) -> None:
    raw = small_raw()
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{path}: calibration: expected a calibration section (parameters, series)"
    )
    raw["calibration"] = section()
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    missing = tmp_path / "none.csv"
    assert main(["calibrate", str(path), "--observed", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{missing}: expected an observed-data CSV file, found none"
    )
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", str(path), "--until", "2022-13-01"])
    assert exit_.value.code == 2


@pytest.mark.parametrize("name", ["belgium-history.yaml", "hindcast-2023-2024.yaml"])
def test_history_and_hindcast_configs_validate(name, capsys) -> None:
    assert main(["validate", str(CONFIGS / name)]) == 0
    assert "valid" in capsys.readouterr().out


def test_hindcast_config_uses_no_outcome_after_2022() -> None:
    """The hindcast starts at the end of 2022 with the fitted values: it is not calibrated
    further, and nothing it takes as given is a 2023+ outcome."""
    scenario = load_config(CONFIGS / "hindcast-2023-2024.yaml")
    assert scenario.start_date == dt.date(2023, 1, 1)
    assert scenario.calibration is None
