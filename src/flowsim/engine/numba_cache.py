"""Where compiled numba kernels are cached.

Numba invalidates a cached kernel only when its own source file changes, not when a kernel it
calls in another file does. flowsim's kernels call each other across modules, so the cache
lives in a folder named after a hash of the simulation's sources: any edit to them gives a
fresh cache. The simulation is the lower layers of the package (:data:`COMPILED`): the
engine, the institutions and the model's day hold every kernel, and the scenario, which they
import, is hashed with them (a constant a kernel reads may come from any module its own
imports). The layers above them (results, experiments, validation, the dashboard, the
command line, the generated docs) only read, write or analyse results, so editing them does
not recompile the model. A kernel anywhere else would be cached without its sources in the
hash: ``tests/test_numba_cache.py`` fails if a module outside these layers holds a kernel or
is imported by a module inside them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

# The simulation's layers: sub-packages and modules of flowsim whose files enter the hash.
COMPILED = ("engine", "scenario", "institutions", "model.py")


def package_folder() -> Path:
    """The ``flowsim`` package folder (this module is in its ``engine`` sub-package)."""
    return Path(__file__).parents[1]


def compiled_sources() -> list[Path]:
    """flowsim's source files that enter the hash: every ``*.py`` of the layers in
    :data:`COMPILED`, at any depth (a sub-package of the engine is hashed too)."""
    package = package_folder()
    return [
        path
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[0] in COMPILED
    ]


def _source_hash() -> str:
    package = package_folder()
    digest = hashlib.sha256(numba.__version__.encode())
    for path in compiled_sources():
        # the path within the package (engine/states.py): moving a file changes the hash
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def configure() -> Path | None:
    """Point numba's cache at a folder keyed by flowsim's sources, unless the user chose one."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "flowsim" / "numba"
    folder = base / _source_hash()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # numba falls back to __pycache__ next to the sources
    numba.config.CACHE_DIR = str(folder)
    return folder
