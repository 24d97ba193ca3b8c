"""The ``flowsim`` command: ``run`` a scenario, ``validate`` a scenario file, ``hindcast`` a
run, ``compare`` a run with a baseline run, ``calibrate`` a scenario's uncertain fields to
the observed figures (an ensemble), ``forward`` a calibrated history from a date,
``backtest`` the forecasts from past dates, ``forecast`` a calibrated run's table,
``sweep`` an experiment (many scenarios and replications on Dask), ``report`` on a sweep.

Exit codes: 0 success, 2 invalid configuration or arguments, 1 unexpected failure.

Kept whole, though over 500 lines: it is the parser of these eleven commands and one short
handler per command, which reads the command's options, calls the layer that does the work
and prints what it did; read together, an option sits next to what is done with it. The
top layer: may import any other (lazily, so that ``flowsim --help`` starts at once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flowsim.results import footprint
from flowsim.results.markdown import block_problem, write_block
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
DEFAULT_REPLICATIONS = 10  # flowsim run, for a scenario without an ensemble


def _version() -> str:
    """flowsim's installed version."""
    from flowsim.results.runs import versions

    return versions()["flowsim"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowsim",
        description="Agent-based simulation of Belgium's asylum, reception and return flows.",
    )
    parser.add_argument("--version", action="version", version=f"flowsim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("config", type=Path, help="scenario YAML file")
    run.add_argument(
        "--replications",
        type=_positive_int,
        default=None,
        help="default: 10, or one per member of a calibrated ensemble",
    )
    run.add_argument("--seed", type=_seed, default=0, help="master seed (default: 0)")
    run.add_argument(
        "--overwrite", action="store_true", help="replace an existing results folder whole"
    )
    run.add_argument(
        "--out", type=Path, default=None, help="results folder (default: results/<scenario name>)"
    )
    run.add_argument(
        "--profile",
        action="store_true",
        help="print the seconds spent in each stage of the day, summed over replications",
    )
    validate = sub.add_parser(
        "validate", help="check a scenario or experiment file without running it"
    )
    validate.add_argument("config", type=Path, help="scenario or experiment YAML file")
    sweep = sub.add_parser("sweep", help="run an experiment (levers x uncertainties x seeds)")
    sweep.add_argument("spec", type=Path, help="experiment YAML file (experiments/)")
    sweep.add_argument(
        "--out", type=Path, default=None, help="results folder (default: results/<experiment>)"
    )
    _cluster_arguments(sweep)
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
    hindcast.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="markdown file whose balance markers receive the yearly CGRS workload balance",
    )
    forecast = sub.add_parser(
        "forecast",
        help="a calibrated run's forecast: stocks at each year's end, yearly flows, both bands",
    )
    forecast.add_argument("results", type=Path, help="results folder written by flowsim run")
    forecast.add_argument(
        "--on",
        type=_date,
        action="append",
        default=[],
        help="also the stocks on this day (YYYY-MM-DD; repeat for more days)",
    )
    forecast.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="markdown file whose forecast markers receive the table",
    )
    compare = sub.add_parser(
        "compare", help="what a run changes against a baseline run (paired replications)"
    )
    compare.add_argument("results", type=Path, help="results folder of the scenario's run")
    compare.add_argument(
        "--baseline", type=Path, required=True, help="results folder of the baseline's run"
    )
    compare.add_argument(
        "--start", type=_date, default=None, help="first day (default: the runs' first)"
    )
    compare.add_argument(
        "--end", type=_date, default=None, help="last day (default: the runs' last)"
    )
    compare.add_argument("--csv", type=Path, default=None, help="also write the table to this CSV")
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
        "--particles", type=_positive_int, default=None, help="parameter sets in the sample"
    )
    calibrate.add_argument(
        "--rounds", type=_positive_int, default=None, help="rounds of simulations at most"
    )
    calibrate.add_argument(
        "--replications", type=_positive_int, default=None, help="runs per parameter set"
    )
    _cluster_arguments(calibrate)
    calibrate.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: results/calibration/<scenario name>)",
    )
    calibrate.add_argument(
        "--docs", type=Path, default=None, help="markdown file to put the tables in"
    )
    backtest = sub.add_parser(
        "backtest", help="calibrate up to past dates and score the forecasts after them"
    )
    backtest.add_argument("config", type=Path, help="history scenario with a calibration:")
    backtest.add_argument(
        "--origins",
        type=_date,
        nargs="+",
        default=[dt.date(2019, 12, 31), dt.date(2020, 12, 31), dt.date(2021, 12, 31)],
        help="last days of history (default: the ends of 2019, 2020, 2021)",
    )
    backtest.add_argument(
        "--out", type=Path, default=Path("results/backtest"), help="default: results/backtest"
    )
    backtest.add_argument(
        "--docs", type=Path, default=None, help="markdown file to put the table in"
    )
    backtest.add_argument(
        "--observed", type=Path, default=None, help="observed CSV (default: the shipped one)"
    )
    backtest.add_argument("--particles", type=_positive_int, default=None)
    backtest.add_argument("--rounds", type=_positive_int, default=None)
    backtest.add_argument("--replications", type=_positive_int, default=None)
    backtest.add_argument(
        "--no-anchor",
        action="store_true",
        help="forecasts from each member's own state, not the stocks observed at the origin",
    )
    _cluster_arguments(backtest)
    dashboard = sub.add_parser(
        "dashboard", help="serve the results dashboard on this machine (needs .[dashboard])"
    )
    dashboard.add_argument("--port", type=_positive_int, default=8866, help="default: 8866")
    dashboard.add_argument(
        "--results", type=Path, default=None, help="results root (default: results/)"
    )
    forward = sub.add_parser(
        "forward", help="carry a calibrated history forward from its state at a date"
    )
    forward.add_argument("fitted", type=Path, help="a calibration's fitted.yaml")
    forward.add_argument("--origin", type=_date, required=True, help="last day of history")
    forward.add_argument("--out", type=Path, required=True, help="scenario file to write")
    forward.add_argument(
        "--template", type=Path, default=None, help="scenario from the day after the origin"
    )
    forward.add_argument("--end", type=_date, default=None, help="end date (no template)")
    forward.add_argument("--name", default=None, help="scenario name (default: file stem)")
    forward.add_argument("--seed", type=_seed, default=0, help="master seed of the histories")
    forward.add_argument(
        "--observed", type=Path, default=None, help="observed-data CSV (default: shipped)"
    )
    forward.add_argument(
        "--no-anchor",
        action="store_true",
        help="start from each member's own state, not the stocks observed at the origin",
    )
    _cluster_arguments(forward)
    return parser


def _refused(problems: list[str]) -> int:
    """Print one line per problem with the input (stderr); the exit code that says so."""
    for line in problems:
        print(line, file=sys.stderr)
    return EXIT_CONFIG


@contextmanager
def _dask(cluster_options: Any, args: argparse.Namespace) -> Iterator[Any]:
    """A Dask client for the command's --workers, --scheduler or --cluster, closed after
    it with the cluster it started (an existing scheduler is left running)."""
    from flowsim.results.clusters import make_client

    client = make_client(cluster_options, args.workers, args.scheduler, args.cluster, args.jobs)
    try:
        yield client
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None and args.scheduler is None:
            cluster.close()


def _forward(args: argparse.Namespace) -> int:
    from flowsim.validation.forward import ForwardError, write_forward
    from flowsim.validation.observed import ObservedError, load_observed

    if not _one_place(args, "forward"):
        return EXIT_CONFIG
    try:
        observed = None if args.no_anchor else load_observed(args.observed)
    except ObservedError as err:
        return _refused(err.problems)
    try:
        with _dask(None, args) as client:
            scenario = write_forward(
                args.fitted,
                args.origin,
                args.out,
                client,
                template_path=args.template,
                end=args.end,
                name=args.name,
                seed=args.seed,
                observed=observed,
            )
    except (ConfigError, ForwardError) as err:
        return _refused(err.problems)
    members = len(scenario.ensemble.members) if scenario.ensemble else 0
    print(
        f"Forecast written to {args.out} ({scenario.start_date} to {scenario.end_date}, "
        f"{members} members, each from its own state on {args.origin})"
    )
    return EXIT_OK


def _backtest(args: argparse.Namespace) -> int:
    from flowsim.validation.backtest import run_backtest
    from flowsim.validation.calibration import CalibrationError
    from flowsim.validation.forward import ForwardError

    if not _one_place(args, "backtest"):
        return EXIT_CONFIG
    if args.docs is not None and (problem := block_problem(args.docs, "backtest")):
        return _refused([problem])
    try:
        cluster_options = load_config(args.config).calibration
    except ConfigError as err:
        return _refused(err.problems)
    options = cluster_options.cluster if cluster_options is not None else None
    try:
        with _dask(options, args) as client:
            summary = run_backtest(
                args.config,
                args.out,
                client,
                origins=tuple(args.origins),
                observed=args.observed,
                particles=args.particles,
                rounds=args.rounds,
                replications=args.replications,
                docs=args.docs,
                progress=lambda line: print(line, flush=True),
                anchor=not args.no_anchor,
            )
    except (ConfigError, CalibrationError, ForwardError) as err:
        return _refused(err.problems)
    pooled = summary[summary["origin"] == "all"]
    for _, row in pooled.iterrows():
        print(
            f"{row['series']} ({row['resolution']}): {row['points']} points, ARD "
            f"{row['ard']:.1%}, in 90% band {row['coverage_90']:.0%}, skill {row['skill']:.2f}"
        )
    where = f"; table and figures in {args.docs}" if args.docs else ""
    print(f"Backtest written to {args.out}/ (backtest.md, backtest.csv, figures/){where}")
    return EXIT_OK


def _cluster_arguments(command: argparse.ArgumentParser) -> None:
    """Where the runs go: local workers, a running Dask scheduler, or SLURM/PBS jobs."""
    command.add_argument(
        "--workers", type=_positive_int, default=None, help="local workers (default: cores)"
    )
    command.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    command.add_argument(
        "--cluster", choices=("slurm", "pbs"), default=None, help="submit workers as jobs"
    )
    command.add_argument("--jobs", type=_positive_int, default=1, help="jobs with --cluster")


def _one_place(args: argparse.Namespace, command: str) -> bool:
    """Whether at most one of --workers, --scheduler, --cluster is given (else says so)."""
    if (args.scheduler is not None) + (args.cluster is not None) + (args.workers is not None) > 1:
        print(f"flowsim {command}: give one of --workers, --scheduler, --cluster", file=sys.stderr)
        return False
    return True


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text}") from None


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 2**63 - 1, got {text}")
    return value


def _unwritable(option: str, out: Path) -> str | None:
    """A line saying why results cannot go to ``out``, found before anything runs."""
    import os

    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"{option} {out}: cannot create its folder {parent}: {err.strerror}"
    if not os.access(parent, os.W_OK | os.X_OK) or (out.exists() and not out.is_dir()):
        return f"{option} {out}: expected a folder this user can write in"
    return None


def _folder_kind(folder: Path) -> str:
    """What a folder holds: "sweep", "calibration", "run" results, or "other" files."""
    import json

    from flowsim.results.store import RunStore

    if (folder / "runs.parquet").exists() or RunStore(folder).holds_runs():
        return "sweep"
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "other"
    if not isinstance(manifest, dict):
        return "other"
    if "spec" in manifest:
        return "sweep"
    return "calibration" if manifest.get("kind") == "calibration" else "run"


def _occupied(out: Path, kind: str, overwrite: bool) -> str | None:
    """A line saying why ``kind`` results cannot go to the existing folder ``out``: it is
    there (without ``overwrite``; a sweep's own folder is resumed or extended by the sweep),
    or it holds another kind of results or other files."""
    if not out.exists():
        return None
    if out.is_dir() and not any(out.iterdir()):
        return None  # an empty folder made for the results: as if absent
    found = _folder_kind(out)
    if found == "other":
        return f"--out {out}: holds other files, not flowsim results: give another --out"
    if found != kind:
        return f"--out {out}: holds {found} results, not a {kind}'s: give another --out"
    if not overwrite:
        return f"--out {out}: exists; give another --out, or --overwrite to replace it whole"
    return None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``flowsim`` command; returns the exit code (0 done, 1 a failure
    or a bug, 2 a problem with the input, 130 interrupted). Every problem with the input is
    reported as lines naming the file and the field; a traceback means a bug in flowsim,
    and says so."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("flowsim: interrupted (finished runs are kept)", file=sys.stderr)
        return 130
    except Exception:  # a bug: the traceback is for the report, and says so
        import traceback

        traceback.print_exc()
        print(
            "flowsim: this is a bug in flowsim, not a problem with your input: please report "
            "it to the flowsim maintainers with the command and the lines above",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "report":
        return _report(args)
    if args.command == "validate" and _is_experiment(args.config):
        return _validate_experiment(args.config)
    if args.command == "hindcast":
        return _hindcast(args)
    if args.command == "forecast":
        return _forecast(args)
    if args.command == "compare":
        return _compare(args)
    if args.command == "calibrate":
        return _calibrate(args)
    if args.command == "forward":
        return _forward(args)
    if args.command == "backtest":
        return _backtest(args)
    if args.command == "dashboard":
        return _dashboard(args)
    try:
        scenario = load_config(args.config)
    except ConfigError as err:
        return _refused(err.problems)
    replications = getattr(args, "replications", None) or _default_replications(scenario)
    problems = footprint.run_problems(str(args.config), scenario, replications)
    if problems:
        return _refused(problems)
    if args.command == "validate":
        need = footprint.run_bytes(scenario, replications) / 2**30
        print(
            f"{args.config}: valid ({scenario.name}, {scenario.start_date} to {scenario.end_date}"
            f"; about {footprint.persons(scenario):,.0f} persons, {need:,.1f} GiB for "
            f"{replications} replications)"
        )
        return EXIT_OK
    args.replications = replications
    return _run(args, scenario)


def _dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard notebook with Voila until interrupted."""
    import importlib.util
    import subprocess

    from flowsim.dashboard.serve import HOST, NOTEBOOK, serve_environment, voila_command

    if importlib.util.find_spec("voila") is None:
        return _refused(["flowsim dashboard: Voila is missing: pip install -e '.[dashboard]'"])
    if not NOTEBOOK.is_file():
        return _refused([f"flowsim dashboard: {NOTEBOOK}: the dashboard notebook is missing"])
    results = args.results if args.results is not None else Path("results")
    print(f"flowsim dashboard: open http://{HOST}:{args.port}/ (Ctrl-C stops it)", flush=True)
    server = subprocess.run(
        voila_command(args.port),
        cwd=NOTEBOOK.parent,
        env=serve_environment(results),
        check=False,
    )
    return EXIT_OK if server.returncode in (0, -2, 130) else EXIT_FAILURE


def _default_replications(scenario) -> int:
    """``flowsim run``'s replications by default: one per ensemble member (bands with
    parameter uncertainty), else :data:`DEFAULT_REPLICATIONS`."""
    members = len(scenario.ensemble.members) if scenario.ensemble is not None else 0
    return members or DEFAULT_REPLICATIONS


def _run(args: argparse.Namespace, scenario) -> int:
    from flowsim.results.runs import run_replications, write_results

    out = args.out or Path("results") / scenario.name
    problem = _unwritable("--out", out) or _occupied(out, "run", args.overwrite)
    if problem:
        return _refused([problem])
    members = len(scenario.ensemble.members) if scenario.ensemble is not None else 0
    each = f", {members} ensemble members" if members else ""
    print(
        f"flowsim: {scenario.name}, {scenario.start_date} to {scenario.end_date}, "
        f"{args.replications} replications{each}, seed {args.seed}"
    )
    started = time.perf_counter()

    def progress(k: int, seconds: float) -> None:
        print(f"  replication {k + 1}/{args.replications} done in {seconds:.2f} s", flush=True)

    profile: dict[str, float] | None = {} if args.profile else None
    tables, seeds = run_replications(scenario, args.replications, args.seed, progress, profile)
    wall = time.perf_counter() - started
    if profile is not None:
        print(_profile_text(profile, args.replications))
    write_results(
        out, scenario, tables, seeds, args.seed, wall, str(args.config), overwrite=args.overwrite
    )
    files = ", ".join(f"{name}.parquet" for name in tables)
    print(f"Results written to {out}/ ({files}, manifest.json, figures/overview.png)")
    return EXIT_OK


def _profile_text(profile: dict[str, float], replications: int) -> str:
    """The seconds of each stage (in the day's order, set-up first), with its share."""
    total = sum(profile.values()) or 1.0
    lines = [f"Time by stage, summed over {replications} replications ({total:.2f} s):"]
    width = max(len(name) for name in profile)
    for name, seconds in profile.items():
        lines.append(f"  {name:<{width}}  {seconds:8.3f} s  {seconds / total:6.1%}")
    return "\n".join(lines)


def _sweep(args: argparse.Namespace) -> int:
    from flowsim.experiments.design import design_size
    from flowsim.experiments.spec import load_experiment
    from flowsim.experiments.sweep import run_sweep
    from flowsim.results.clusters import SweepError

    try:
        experiment = load_experiment(args.spec)
    except ConfigError as err:
        return _refused(err.problems)
    if not _one_place(args, "sweep"):
        return EXIT_CONFIG
    spec = experiment.spec
    problems = _sweep_problems(experiment, args.workers if args.cluster is None else 1)
    if problems and args.scheduler is None:
        return _refused(problems)
    out = args.out or Path("results") / spec.name
    problem = _unwritable("--out", out) or _occupied(out, "sweep", overwrite=True)
    if problem:
        return _refused([problem])
    print(
        f"flowsim sweep: {spec.name}, {spec.design.kind} design, {design_size(spec)} points x "
        f"{spec.replications} replications, seed {spec.seed} -> {out}/",
        flush=True,
    )
    try:
        with _dask(experiment.spec.cluster, args) as client:
            summary = run_sweep(experiment, out, client, resume=args.resume)
    except SweepError as err:
        return _refused([str(err)])
    counts = ", ".join(f"{k} {v}" for k, v in summary.statuses.items())
    print(
        f"{summary.runs} runs ({counts}); {summary.computed} computed, {summary.skipped} "
        f"already stored, in {summary.wall_time_s:.1f} s. Results: {out}/runs.parquet; "
        f"report: flowsim report {out}"
    )
    if summary.unmatched:
        print(
            f"{summary.unmatched} runs stored in {out} match no run of this sweep (its "
            "scenarios, seeds or flowsim changed since they ran): not reused."
        )
    return EXIT_OK


def _sweep_problems(experiment, workers: int | None) -> list[str]:
    """Whether this machine holds the sweep: its plan and the runs in flight (the largest
    base scenario), ``workers`` local workers (default: the cores)."""
    from flowsim.experiments.design import design_size

    spec = experiment.spec
    runs = design_size(spec) * spec.replications
    largest = max(experiment.bases.values(), key=footprint.persons)
    return footprint.sweep_problems(experiment.source, runs, largest, workers or _cores())


def _cores() -> int:
    """This machine's cores (a local cluster's default workers)."""
    import os

    return os.cpu_count() or 1


def _is_experiment(path: Path) -> bool:
    """Whether a YAML file is an experiment (it has a ``design``) rather than a scenario."""
    from flowsim.scenario.loading import read_yaml_mapping

    try:
        raw = read_yaml_mapping(path)
    except ConfigError:
        return False  # the scenario loader reports the problem
    return "design" in raw


def _validate_experiment(path: Path) -> int:
    from flowsim.experiments.design import design_size
    from flowsim.experiments.spec import load_experiment

    try:
        experiment = load_experiment(path)
    except ConfigError as err:
        return _refused(err.problems)
    spec = experiment.spec
    points = design_size(spec)
    problems = _sweep_problems(experiment, None)
    if problems:
        return _refused(problems)
    print(
        f"{path}: valid experiment ({spec.name}, {spec.design.kind} design, {points} points x "
        f"{spec.replications} replications = {points * spec.replications} runs)"
    )
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from flowsim.experiments.report import incomplete_note, read_sweep, write_report

    if not (args.folder / "runs.parquet").is_file():
        return _refused([f"{args.folder}: no runs.parquet (not a sweep folder?)"])
    try:
        manifest, runs = read_sweep(args.folder)
    except ValueError as err:
        return _refused([str(err)])
    note = incomplete_note(manifest, runs)
    if note:
        print(f"{args.folder}: {note}", file=sys.stderr)
    target = write_report(args.folder)
    print(f"Report written to {target}")
    return EXIT_OK


def _hindcast(args: argparse.Namespace) -> int:
    from flowsim.validation.hindcast import HindcastError, run_hindcast, summary_line

    try:
        summary = run_hindcast(args.results, args.observed, args.out, args.docs)
    except HindcastError as err:
        return _refused(err.problems)
    out = args.out or args.results
    if summary.empty:
        print(f"{args.results}: no observed figure on a model series overlaps the run")
    for _, row in summary.iterrows():
        print(summary_line(row))
    balance = Path(out) / "hindcast_balance.csv"
    if balance.is_file():
        print(_balance_line(balance))
    print(
        f"Hindcast written to {out}/ (hindcast.csv, hindcast_points.csv, hindcast_balance.csv, "
        "hindcast_balance_yearly.csv, figures/hindcast_*.png)"
    )
    return EXIT_OK


def _forecast(args: argparse.Namespace) -> int:
    from flowsim.validation.forecast import run_forecast
    from flowsim.validation.hindcast import HindcastError

    try:
        frame = run_forecast(args.results, args.on, args.docs)
    except HindcastError as err:
        return _refused(err.problems)
    except ValueError as err:  # docs without the markers
        return _refused([str(err)])
    measured = int(frame["predictive_q05"].notna().sum())
    print(
        f"Forecast written to {args.results}/forecast.csv: {len(frame)} figures, "
        f"{measured} with a predictive band" + (f"; table in {args.docs}" if args.docs else "")
    )
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from flowsim.experiments.comparison import compare_totals, own_changes, pair
    from flowsim.experiments.constraints import unchanged_reason
    from flowsim.experiments.intervals import amount_interval_text, amount_text
    from flowsim.results.runs import atomic_path
    from flowsim.validation.hindcast import HindcastError, read_run

    try:
        (scenario, manifest), (baseline, base_manifest) = (
            read_run(args.results),
            read_run(args.baseline),
        )
    except HindcastError as err:
        return _refused(err.problems)
    start = pd.Timestamp(args.start) if args.start else max(scenario.dates[0], baseline.dates[0])
    end = pd.Timestamp(args.end) if args.end else min(scenario.dates[-1], baseline.dates[-1])
    if start > end:
        return _refused(
            [f"--start {start:%Y-%m-%d} / --end {end:%Y-%m-%d}: expected a period both runs cover"]
        )
    pairing = pair(base_manifest, manifest)
    for line in pairing.warnings:
        print(f"note: {line}")
    table = compare_totals(baseline.frame, scenario.frame, pairing, start, end)
    name = manifest.get("scenario", args.results.name)
    base_name = base_manifest.get("scenario", args.baseline.name)
    print(
        f"{name} against {base_name}, {start:%Y-%m-%d} to {end:%Y-%m-%d} (medians; "
        f"difference: mean over {len(pairing.pairs)} paired replications, 95% interval):"
    )
    for r in table.itertuples():
        paired = amount_interval_text(r.paired_difference, r.paired_low, r.paired_high, r.unit)
        unpaired = amount_interval_text(None, r.unpaired_low, r.unpaired_high, r.unit)
        print(
            f"  {r.label}: {amount_text(r.scenario_median, r.unit)} against "
            f"{amount_text(r.baseline_median, r.unit)}; difference {paired} (unpaired {unpaired})"
        )
    if pairing.pairs and (table["paired_difference"] == 0).all():
        fields = [field for _day, field in own_changes(base_manifest, manifest)]
        because = unchanged_reason(scenario.frame, fields)
        print(f"note: {name} changes none of these figures: {because}")
    if args.csv is not None:
        with atomic_path(args.csv) as tmp:
            table.to_csv(tmp, index=False, lineterminator="\n")
        print(f"Table written to {args.csv}")
    return EXIT_OK


def _balance_line(path: Path) -> str:
    """One line on the CGRS's monthly workload balance (persons) of a hindcast."""
    import pandas as pd

    table = pd.read_csv(path)
    table = table[table["unit"] == "persons"]
    if table.empty:
        return "CGRS workload balance: no whole month in the run"
    implied = table.dropna(subset=["observed_closed_implied"])
    model = table[["model_lodged", "model_decided", "model_closed"]].sum()
    line = (
        f"CGRS workload balance ({len(table)} months, persons): the model lodged "
        f"{model['model_lodged']:,.0f}, decided {model['model_decided']:,.0f}, closed "
        f"{model['model_closed']:,.0f} without a decision"
    )
    if len(implied):
        line += f"; observed balance in {len(implied)} months (hindcast_balance.csv)"
    return line


def _calibrate(args: argparse.Namespace) -> int:
    from flowsim.validation.calibration import CalibrationError, calibrate

    if not _one_place(args, "calibrate"):
        return EXIT_CONFIG
    if args.docs is not None and (problem := block_problem(args.docs, "calibration")):
        return _refused([problem])
    try:
        result = calibrate(
            args.config,
            observed=args.observed,
            until=args.until,
            out=args.out,
            workers=args.workers,
            scheduler=args.scheduler,
            cluster=args.cluster,
            jobs=args.jobs,
            particles=args.particles,
            rounds=args.rounds,
            replications=args.replications,
            progress=lambda line: print(line, flush=True),
        )
    except (ConfigError, CalibrationError) as err:
        return _refused(err.problems)
    reached = (
        "the posterior" if result.beta >= 1 else f"a tempered posterior (beta {result.beta:.3g})"
    )
    print(
        f"{result.rounds} rounds, {result.runs_computed} of {result.runs_total} runs "
        f"computed now; {reached}, {result.distinct} distinct sets"
    )
    for _, row in result.posterior.iterrows():
        print(
            f"  {row['parameter']}: {row['median']:.4g} [{row['q05']:.4g}, {row['q95']:.4g}] "
            f"(prior {row['low']:g}-{row['high']:g})"
        )
    if args.docs is not None:
        text = (result.out / "calibration.md").read_text(encoding="utf-8")
        figure = result.out / "figures" / "fit.png"
        write_block(args.docs, "calibration", text, [figure], prefix="calibration_")
    where = f"; tables and figure in {args.docs}" if args.docs else ""
    print(
        f"Calibration written to {result.out}/ (fitted.yaml with {len(result.members)} members "
        f"in ensemble.csv, posterior.csv, particles.csv, fit.csv, calibration.md, "
        f"figures/fit.png){where}"
    )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
