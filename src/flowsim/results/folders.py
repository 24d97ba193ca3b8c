"""Finding and classifying results folders: which folders under the results root are a
finished run, a finished sweep, or something the dashboard cannot show (with the reason).

Never raises on a bad folder: :func:`discover` lists it with a one-line reason, which the
page shows under the pickers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from flowsim.results.store import RunStore

MANIFEST_VERSION = 1  # the results and sweep manifests this dashboard reads


class DashboardError(ValueError):
    """A results folder cannot be shown; the message says why in one line."""


@dataclass(frozen=True)
class Folder:
    """A folder under the results root: ``kind`` is ``run``, ``sweep`` or ``problem``."""

    path: Path
    kind: str
    label: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.kind != "problem"


def default_root() -> Path:
    """The results root: ``$FLOWSIM_RESULTS``, else ``results/`` here or one folder up (the
    notebook runs in ``notebooks/``)."""
    if os.environ.get("FLOWSIM_RESULTS"):
        return Path(os.environ["FLOWSIM_RESULTS"])
    for candidate in (Path("results"), Path("..") / "results"):
        if candidate.is_dir():
            return candidate.resolve()
    return Path("results").resolve()


def discover(root: str | Path) -> list[Folder]:
    """Every results folder directly under ``root`` (sorted by name), classified.

    Never raises: a folder that is not a readable run or sweep of this flowsim version is
    listed with ``kind="problem"`` and a one-line reason. Hidden folders are skipped.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    return [
        classify(p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")
    ]


def classify(path: Path) -> Folder:
    """What ``path`` holds: a finished run, a finished sweep, or a problem with its reason."""
    name = path.name
    store = RunStore(path)
    manifest_file = path / "manifest.json"
    if not manifest_file.is_file():
        if store.holds_runs():
            n = store.count()
            return Folder(path, "problem", name, f"a sweep still running: {n} runs stored")
        return Folder(path, "problem", name, "no manifest.json: not a flowsim results folder")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return Folder(path, "problem", name, f"manifest.json cannot be read: {err}")
    if not isinstance(manifest, dict):
        return Folder(path, "problem", name, "manifest.json is not a JSON object")
    if manifest.get("kind") == "calibration":
        return Folder(
            path,
            "problem",
            name,
            "a calibration (flowsim calibrate): its fit is in fit.csv and figures/fit.png; "
            "run its fitted.yaml to see it here",
        )
    version = manifest.get("manifest_version")
    if version != MANIFEST_VERSION:
        return Folder(
            path,
            "problem",
            name,
            f"written by another flowsim version (manifest version {version}, this dashboard "
            f"reads {MANIFEST_VERSION}): run it again with this flowsim",
        )
    if "spec" in manifest:
        if not (path / "runs.parquet").is_file():
            n = store.count()
            return Folder(
                path,
                "problem",
                name,
                f"a sweep not finished: {n} of {manifest.get('runs', '?')} runs stored, no "
                "runs.parquet yet (wait, or `flowsim sweep SPEC --resume`)",
            )
        state = manifest.get("state", "complete")
        if state != "complete":  # an interrupted pass: runs.parquet is an earlier one
            return Folder(
                path,
                "sweep",
                f"{name} (sweep INCOMPLETE: {state}, an earlier table of "
                f"{manifest.get('runs', '?')} planned runs; `flowsim sweep SPEC --resume`)",
            )
        runs = manifest.get("runs", "?")
        return Folder(path, "sweep", f"{name} (sweep, {runs} runs{_seed_and_date(manifest)})")
    if not (path / "series.parquet").is_file():
        return Folder(path, "problem", name, "series.parquet is missing: an unfinished run")
    reps = manifest.get("replications", "?")
    return Folder(path, "run", f"{name} ({reps} replications{_seed_and_date(manifest)})")


def _seed_and_date(manifest: dict) -> str:
    """``, seed 7, 2026-12-06`` from a manifest (what pairs runs, and when it was made);
    empty parts are left out."""
    seed = manifest.get("master_seed")
    created = str(manifest.get("created", ""))[:10]
    parts = ([f"seed {seed}"] if seed is not None else []) + ([created] if created else [])
    return "".join(f", {p}" for p in parts)
