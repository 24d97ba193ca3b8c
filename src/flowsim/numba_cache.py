"""Where compiled numba kernels are cached.

Numba invalidates a cached kernel only when its own source file changes, not when a kernel it
calls in another file does. flowsim's kernels call each other across modules, so the cache
lives in a folder named after a hash of flowsim's sources: any edit gives a fresh cache. The
modules that only read, write or analyse results (listed below) hold no kernel and no constant
a kernel reads, so they are left out of the hash: editing them does not recompile the model.
A new module (or sub-package) is in the hash unless it is added to that list.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

# Modules outside the simulation: results, figures, the command line, observed data, analysis.
# An entry is a module file or a sub-package folder (all of its files): ``dashboard`` is the
# results dashboard, ``data`` the package data (observed figures, its empty __init__.py).
NOT_COMPILED = frozenset(
    {
        "cli.py",
        "results.py",
        "figures.py",
        "observed.py",
        "observed_build.py",
        "hindcast.py",
        "experiments.py",
        "sweep.py",
        "outcomes.py",
        "report.py",
        "calibration.py",
        "posterior.py",
        "predictive.py",
        "forecast.py",
        "reference.py",
        "inputs.py",
        "backtest.py",
        "forward.py",
        "calibration_docs.py",
        "catalogue.py",
        "comparison.py",
        "constraints.py",
        "intervals.py",
        "markdown.py",
        "schema.py",
        "__main__.py",
        "dashboard",
        "data",
    }
)


def compiled_sources() -> list[Path]:
    """flowsim's source files that enter the hash: every ``*.py`` of the package and its
    sub-packages, less the modules and sub-packages in :data:`NOT_COMPILED`."""
    package = Path(__file__).parent
    # recursive: a sub-package holding kernels would be hashed too (a plain glob of the
    # package folder would leave every sub-package out, kernels or not)
    return [
        path
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[0] not in NOT_COMPILED
    ]


def _source_hash() -> str:
    package = Path(__file__).parent
    digest = hashlib.sha256(numba.__version__.encode())
    for path in compiled_sources():
        # the path within the package: a module's bare name, as before sub-packages counted
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
