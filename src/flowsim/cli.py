"""The ``flowsim`` command: ``run`` a scenario, ``validate`` a scenario file, ``hindcast`` a
run, ``calibrate`` a scenario's uncertain fields to the observed figures, ``sweep`` an
experiment (many scenarios and replications on Dask), ``report`` on a sweep.

Exit codes: 0 success, 2 invalid configuration or arguments, 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from flowsim.config import ConfigError, load_config

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowsim",
        description="Agent-based simulation of Belgium's asylum, reception and return flows.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("config", type=Path, help="scenario YAML file")
    run.add_argument("--replications", type=_positive_int, default=10, help="default: 10")
    run.add_argument("--seed", type=int, default=0, help="master seed (default: 0)")
    run.add_argument(
        "--out", type=Path, default=None, help="results folder (default: results/<scenario name>)"
    )
    validate = sub.add_parser(
        "validate", help="check a scenario or experiment file without running it"
    )
    validate.add_argument("config", type=Path, help="scenario or experiment YAML file")
    sweep = sub.add_parser("sweep", help="run an experiment (levers x uncertainties x seeds)")
    sweep.add_argument("spec", type=Path, help="experiment YAML file (experiments/)")
    sweep.add_argument(
        "--workers", type=_positive_int, default=None, help="local workers (default: cores)"
    )
    sweep.add_argument(
        "--out", type=Path, default=None, help="results folder (default: results/<experiment>)"
    )
    sweep.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    sweep.add_argument(
        "--cluster", choices=("slurm", "pbs"), default=None, help="submit workers as jobs"
    )
    sweep.add_argument("--jobs", type=_positive_int, default=1, help="jobs with --cluster")
    sweep.add_argument("--resume", action="store_true", help="skip the runs already stored")
    report = sub.add_parser("report", help="tables, charts and report.md for a sweep folder")
    report.add_argument("folder", type=Path, help="a sweep's results folder")
    hindcast = sub.add_parser(
        "hindcast", help="compare a results folder with the observed Belgian figures"
    )
    hindcast.add_argument("results", type=Path, help="results folder written by flowsim run")
    hindcast.add_argument(
        "--observed", type=Path, default=None, help="observed CSV (default: the shipped one)"
    )
    hindcast.add_argument(
        "--out", type=Path, default=None, help="output folder (default: the results folder)"
    )
    calibrate = sub.add_parser(
        "calibrate", help="fit a scenario's calibration section to the observed Belgian figures"
    )
    calibrate.add_argument("config", type=Path, help="scenario YAML file with a calibration:")
    calibrate.add_argument(
        "--observed", type=Path, default=None, help="observed CSV (default: the shipped one)"
    )
    calibrate.add_argument(
        "--until",
        type=_date,
        default=dt.date(2022, 12, 31),
        help="fit observed outcomes ending on or before this date (default: 2022-12-31)",
    )
    calibrate.add_argument(
        "--trials", type=_positive_int, default=None, help="finished trials wanted in all"
    )
    calibrate.add_argument(
        "--replications", type=_positive_int, default=None, help="runs per trial"
    )
    calibrate.add_argument(
        "--storage",
        default=None,
        help="Optuna storage URL (default: sqlite:///<out>/calibration.db)",
    )
    calibrate.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: results/calibration/<scenario name>)",
    )
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text}") from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``flowsim`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "report":
        return _report(args)
    if args.command == "validate" and _is_experiment(args.config):
        return _validate_experiment(args.config)
    if args.command == "hindcast":
        return _hindcast(args)
    if args.command == "calibrate":
        return _calibrate(args)
    try:
        scenario = load_config(args.config)
    except ConfigError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "validate":
        print(
            f"{args.config}: valid ({scenario.name}, {scenario.start_date} to {scenario.end_date})"
        )
        return EXIT_OK
    return _run(args, scenario)


def _run(args: argparse.Namespace, scenario) -> int:
    from flowsim.results import run_replications, write_results

    out = args.out or Path("results") / scenario.name
    print(
        f"flowsim: {scenario.name}, {scenario.start_date} to {scenario.end_date}, "
        f"{args.replications} replications, seed {args.seed}"
    )
    started = time.perf_counter()

    def progress(k: int, seconds: float) -> None:
        print(f"  replication {k + 1}/{args.replications} done in {seconds:.2f} s", flush=True)

    tables, seeds = run_replications(scenario, args.replications, args.seed, progress)
    wall = time.perf_counter() - started
    write_results(out, scenario, tables, seeds, args.seed, wall, source=str(args.config))
    files = ", ".join(f"{name}.parquet" for name in tables)
    print(f"Results written to {out}/ ({files}, manifest.json, figures/overview.png)")
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from flowsim.experiments import design_size, load_experiment
    from flowsim.sweep import SweepError, make_client, run_sweep

    try:
        experiment = load_experiment(args.spec)
    except ConfigError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    if (args.scheduler is not None) + (args.cluster is not None) + (args.workers is not None) > 1:
        print("flowsim sweep: give one of --workers, --scheduler, --cluster", file=sys.stderr)
        return EXIT_CONFIG
    spec = experiment.spec
    out = args.out or Path("results") / spec.name
    print(
        f"flowsim sweep: {spec.name}, {spec.design.kind} design, {design_size(spec)} points x "
        f"{spec.replications} replications, seed {spec.seed} -> {out}/",
        flush=True,
    )
    client = make_client(experiment, args.workers, args.scheduler, args.cluster, args.jobs)
    try:
        summary = run_sweep(experiment, out, client, resume=args.resume)
    except SweepError as err:
        print(err, file=sys.stderr)
        return EXIT_CONFIG
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None and args.scheduler is None:
            cluster.close()
    counts = ", ".join(f"{k} {v}" for k, v in summary.statuses.items())
    print(
        f"{summary.runs} runs ({counts}); {summary.computed} computed, {summary.skipped} "
        f"already stored, in {summary.wall_time_s:.1f} s. Results: {out}/runs.parquet; "
        f"report: flowsim report {out}"
    )
    return EXIT_OK


def _is_experiment(path: Path) -> bool:
    """Whether a YAML file is an experiment (it has a ``design``) rather than a scenario."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False  # the scenario loader reports the problem
    return isinstance(raw, dict) and "design" in raw


def _validate_experiment(path: Path) -> int:
    from flowsim.experiments import design_size, load_experiment

    try:
        spec = load_experiment(path).spec
    except ConfigError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    points = design_size(spec)
    print(
        f"{path}: valid experiment ({spec.name}, {spec.design.kind} design, {points} points x "
        f"{spec.replications} replications = {points * spec.replications} runs)"
    )
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from flowsim.report import write_report

    if not (args.folder / "runs.parquet").is_file():
        print(f"{args.folder}: no runs.parquet (not a sweep folder?)", file=sys.stderr)
        return EXIT_CONFIG
    target = write_report(args.folder)
    print(f"Report written to {target}")
    return EXIT_OK


def _hindcast(args: argparse.Namespace) -> int:
    from flowsim.hindcast import HindcastError, run_hindcast, summary_line

    try:
        summary = run_hindcast(args.results, args.observed, args.out)
    except HindcastError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    out = args.out or args.results
    if summary.empty:
        print(f"{args.results}: no observed figure on a model series overlaps the run")
    for _, row in summary.iterrows():
        print(summary_line(row))
    print(f"Hindcast written to {out}/ (hindcast.csv, hindcast_points.csv, figures/hindcast_*.png)")
    return EXIT_OK


def _calibrate(args: argparse.Namespace) -> int:
    from flowsim.calibration import CalibrationError, calibrate

    try:
        result = calibrate(
            args.config,
            observed=args.observed,
            until=args.until,
            trials=args.trials,
            replications=args.replications,
            storage=args.storage,
            out=args.out,
            progress=lambda line: print(line, flush=True),
        )
    except (ConfigError, CalibrationError) as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        return EXIT_CONFIG
    values = ", ".join(f"{k} = {v:.4g}" for k, v in result.best_values.items())
    print(f"fitted ({result.trials_total} trials, loss {result.best_loss:.4g}): {values}")
    print(
        f"Calibration written to {result.out}/ (fitted.yaml, calibration.csv, fit.csv, "
        f"fit_points.csv, figures/fit.png)"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
