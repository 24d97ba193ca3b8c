"""Serving the dashboard: Voila on the notebook, with one kernel prepared ahead.

Voila's pre-heated kernel runs the notebook before anyone asks for the page, so opening the
page costs the browser's work only, not a kernel start, flowsim's imports and the first
chart's data (about 3 s of the 6 s a first chart took without it, see
``benchmarks/README.md``). The page then lists the results folders present when its kernel
was prepared; its "Look for new results" button lists them again.

``flowsim dashboard`` (hence ``make dashboard``), the browser tests and the benchmark all
serve the page through :func:`voila_command`, so they measure and test what a researcher
opens.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# the notebook shipped beside the package in a checkout (src/flowsim/dashboard -> repo)
NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "dashboard.ipynb"
HOST = "127.0.0.1"  # the page runs code on this machine: never served beyond it


def voila_command(port: int, notebook: Path = NOTEBOOK) -> list[str]:
    """The command serving ``notebook`` on ``http://127.0.0.1:<port>/`` with one pre-heated
    kernel; run it from the notebook's folder (:func:`serve_environment` for its
    environment)."""
    return [
        sys.executable,
        "-m",
        "voila",
        notebook.name,
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--preheat_kernel=True",
        "--pool_size=1",
    ]


def serve_environment(results: Path | None = None) -> dict[str, str]:
    """The server's (and so the kernel's) environment: this Python's executables first on
    ``PATH`` (the kernel starts ``python`` from it, the what-if runs ``flowsim``), and
    ``FLOWSIM_RESULTS`` when a results root is given."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("MPLBACKEND", "Agg")
    if results is not None:
        env["FLOWSIM_RESULTS"] = str(Path(results).resolve())
    return env
