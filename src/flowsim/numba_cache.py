"""Where compiled numba kernels are cached.

Numba invalidates a cached kernel only when its own source file changes, not when a kernel it
calls in another file does. flowsim's kernels call each other across modules, so the cache
lives in a folder named after a hash of all of flowsim's sources: any edit gives a fresh cache.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba


def _source_hash() -> str:
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
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
