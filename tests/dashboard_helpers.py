"""Helpers for the dashboard tests: a small results root with every kind of folder the
dashboard meets (two runs, a finished sweep, a sweep still running, a folder from an older
flowsim version, an empty folder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import make_scenario
from experiment_helpers import END, local_client, write_spec
from flowsim.experiments.spec import load_experiment
from flowsim.experiments.sweep import run_sweep
from flowsim.results.runs import run_replications, write_results
from flowsim.results.store import RunStore
from stored_runs import copy_runs

RUNS = ("small-a", "small-b")


def write_run(out: Path, name: str, officers: float, replications: int = 2) -> Path:
    """The small scenario cut to 60 days, ``replications`` replications, into ``out``."""
    scenario = make_scenario(end_date=END, name=name, **{"cgrs.case_officers_fte": officers})
    tables, seeds = run_replications(scenario, replications, seed=5)
    return write_results(out, scenario, tables, seeds, master_seed=5, wall_time_s=0.0)


def make_results_root(root: Path, work: Path) -> Path:
    """Fill ``root`` with the folders the dashboard must show or explain; ``work`` holds
    the experiment files. Returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    write_run(root / RUNS[0], RUNS[0], 20)
    write_run(root / RUNS[1], RUNS[1], 40)
    spec = write_spec(
        work, replications=2, series=["without_reception", "cgrs_backlog", "in_reception"]
    )
    with local_client(workers=1) as client:
        run_sweep(load_experiment(spec), root / "tiny-sweep", client, progress=False)
    # a sweep still running: manifest and runs not yet compacted, no runs.parquet yet
    running = root / "running-sweep"
    running.mkdir()
    shutil.copy(root / "tiny-sweep" / "manifest.json", running / "manifest.json")
    copy_runs(root / "tiny-sweep", running, RunStore(root / "tiny-sweep").ok_ids())
    # a folder written by an older flowsim: another manifest version
    old = root / "old-run"
    shutil.copytree(root / RUNS[0], old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["manifest_version"] = 0
    (old / "manifest.json").write_text(json.dumps(manifest))
    (root / "empty").mkdir()
    return root


def widgets_in(box):
    """Every widget inside an ipywidgets box, the box first, depth first."""
    yield box
    for child in getattr(box, "children", ()):
        yield from widgets_in(child)


def widgets_by_class(app) -> dict:
    """The page's widgets by their ``flowsim-`` CSS class, without the prefix."""
    return {
        name.removeprefix("flowsim-"): widget
        for widget in widgets_in(app)
        for name in widget._dom_classes
    }
