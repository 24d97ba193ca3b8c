"""Where compiled numba kernels are cached.

Numba invalidates a cached kernel only when its own source file changes, not when a kernel it
calls in another file does. flowsim's kernels call each other across modules, so the cache
lives in a folder named after a hash of flowsim's sources: any edit gives a fresh cache. The
modules that only read, write or analyse results (listed below) hold no kernel and no constant
a kernel reads, so they are left out of the hash: editing them does not recompile the model.
A new module is in the hash unless it is added to that list.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

# Modules outside the simulation: results, figures, the command line, observed data, analysis.
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
        "dashboard.py",
        "calibration.py",
    }
)


def _source_hash() -> str:
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name in NOT_COMPILED:
            continue
        digest.update(path.name.encode())
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
