"""Running replications of a scenario and writing a results folder.

A results folder holds ``series.parquet`` (one row per replication and date),
``series_by_group.parquet`` (one row per replication, date and group),
``series_by_region.parquet`` (one row per replication, date and region), ``events.parquet``
(what the scenario's triggers did, with dates), ``manifest.json``
(the resolved scenario, its hash, the seed of each replication, versions, wall time) and
``figures/overview.png``. Every file is written under a temporary name and renamed, so an
interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from flowsim.model import ProtectionSystem, paused_gc
from flowsim.scenario.scenario import Scenario

MANIFEST_VERSION = 1
TABLES = ("series", "series_by_group", "series_by_region", "events")  # one Parquet file each
DEPENDENCIES = ("mesa", "numpy", "numba", "pandas", "pyarrow", "pydantic", "scipy", "matplotlib")


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seed of each replication, derived from a master seed (numpy ``SeedSequence``).

    Replication ``k`` gets the same seed in every scenario run with the same master seed, so
    scenarios share their random numbers (common random numbers).
    """
    return [
        int(np.random.SeedSequence(seed, spawn_key=(k,)).generate_state(1, np.uint64)[0])
        for k in range(replications)
    ]


def release(model: ProtectionSystem) -> None:
    """Let a finished model be freed once the caller drops it.

    Mesa before 3.4 numbers agents in a class-level mapping keyed by the model
    (``mesa.Agent._ids``, mesa issue #3179), which keeps every model a process has built
    alive: about 50-65 MB per 2015-2022 run, so a calibration or a sweep worker running
    hundreds of models runs out of memory. Later Mesa has no such mapping (nothing to do).
    """
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


#: The profile's entry for building the models (population, queues, institutions).
SET_UP = "building the model"


@contextmanager
def replication(scenario: Scenario, seed: int) -> Iterator[ProtectionSystem]:
    """The model of one replication of ``scenario``, released when the block ends (see
    :func:`release`); the garbage collector is paused from its set-up to its release
    (see :func:`flowsim.model.paused_gc`)."""
    with paused_gc():
        model = ProtectionSystem(scenario, seed)
        try:
            yield model
        finally:
            release(model)


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    progress: Callable[[int, float], None] | None = None,
    profile: dict[str, float] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[int]]:
    """Run a scenario ``replications`` times (replication ``k`` runs ensemble member ``k``
    modulo the members, if the scenario has an ensemble: :meth:`Scenario.member`).

    Returns the tables (``series``, ``series_by_group``, ``series_by_region``, ``events``;
    each with a ``replication`` column) and the seeds used. Given a ``profile`` dict, adds
    to it the seconds spent building the models and in each stage of the day
    (:meth:`~flowsim.model.ProtectionSystem.day_plan`), summed over the replications.
    """
    seeds = replication_seeds(seed, replications)
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for k, rep_seed in enumerate(seeds):
        started = time.perf_counter()
        with replication(scenario.member(k), rep_seed) as model:
            if profile is not None:
                built = time.perf_counter() - started
                profile[SET_UP] = profile.get(SET_UP, 0.0) + built
                model.stage_seconds = {}
            produced = {
                "series": model.run_to_end(),
                "series_by_group": model.series_by_group(),
                "series_by_region": model.series_by_region(),
                "events": model.events(),
            }
            if profile is not None:
                for stage, seconds in model.stage_seconds.items():
                    profile[stage] = profile.get(stage, 0.0) + seconds
        for name, table in produced.items():
            table.insert(0, "replication", k)
            tables[name].append(table)
        if progress is not None:
            progress(k, time.perf_counter() - started)
    return {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}, seeds


def versions() -> dict[str, str]:
    """Versions of flowsim, Python and every runtime dependency."""
    found = {"flowsim": _version("flowsim"), "python": platform.python_version()}
    found.update({name: _version(name) for name in DEPENDENCIES})
    return found


@functools.cache  # 4 ms a package (its metadata parsed): a sweep's manifests ask 3 times
def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


STALE_SECONDS = 3600  # a temporary file or folder this old is a killed write's leftover


class FolderExistsError(FileExistsError):
    """A results folder is there already and the caller did not ask to replace it."""


def _clean_leftovers(target: Path, suffix: str) -> None:
    """Remove what killed writes of ``target`` left beside it (``.<name>.*<suffix>``, older
    than :data:`STALE_SECONDS`: a write in progress elsewhere is left alone)."""
    now = time.time()
    for stale in target.parent.glob(f".{target.name}.*{suffix}"):
        try:
            if now - stale.stat().st_mtime < STALE_SECONDS:
                continue
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        except OSError:
            continue  # gone already, or another writer's


@contextmanager
def atomic_folder(target: Path, overwrite: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``target``, renamed onto it whole only if the block
    succeeds: ``target`` is then the block's complete set of files, or as it was before.
    An existing ``target`` (not an empty folder) raises :class:`FolderExistsError` unless
    ``overwrite``, which replaces it whole (no earlier file survives)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(target, ".partdir")
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()  # an empty folder made for the results: as if absent
    if target.exists() and not overwrite:
        raise FolderExistsError(str(target))
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partdir", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp creates owner-only folders
        if target.exists():
            if not overwrite:
                raise FolderExistsError(str(target))
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partdir", dir=target.parent)
            )
            os.replace(target, old / "previous")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto it only if the block succeeds
    (a killed write's leftovers of the same target are removed first)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(target, ".part")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp creates owner-only files
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_results(
    out: Path,
    scenario: Scenario,
    tables: dict[str, pd.DataFrame],
    seeds: list[int],
    master_seed: int,
    wall_time_s: float,
    source: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write series, series by group, trigger events, manifest and overview figure into
    the folder ``out`` as one set (:func:`atomic_folder`: complete, or not there; an existing
    folder is refused unless ``overwrite``, which replaces it whole)."""
    from flowsim.results.figures import overview  # matplotlib only when writing figures

    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "scenario": scenario.name,
        "source": source,
        "config": scenario.model_dump(mode="json"),
        "config_hash": scenario.config_hash(),
        "master_seed": master_seed,
        "replication_seeds": seeds,
        "replications": len(seeds),
        # the ensemble member each replication ran (see Scenario.member), if any
        "replication_members": [k % len(scenario.ensemble.members) for k in range(len(seeds))]
        if scenario.ensemble is not None
        else None,
        "start_date": str(scenario.start_date),
        "end_date": str(scenario.end_date),
        "versions": versions(),
        "wall_time_s": round(wall_time_s, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "units": "persons; flows per day, stocks at the end of the day, exits_* cumulative; "
        "reception_cost_eur in euros per day",
    }
    figure = overview(tables["series"], title=f"{scenario.name} ({len(seeds)} replications)")
    with atomic_folder(out, overwrite) as folder:
        for name in TABLES:
            tables[name].to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        (folder / "figures").mkdir()
        figure.savefig(folder / "figures" / "overview.png", dpi=110, format="png")
    return out


def read_results(folder: str | Path) -> tuple[pd.DataFrame, dict]:
    """Read a results folder written by :func:`write_results`: (series, manifest)."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return pd.read_parquet(folder / "series.parquet"), manifest
