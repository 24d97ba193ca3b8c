"""The dashboard's first chart: seconds from opening the page to the first interactive chart,
for a results root holding two runs of the Belgian baseline with 10 replications each.

Runs ``flowsim run`` twice (the baseline, and the winter plan that extends it) into a
temporary results root, serves ``notebooks/dashboard.ipynb`` with Voila on a free port, and
opens it in headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright), timing
from navigation to the first Plotly chart on screen, then to the page with both runs picked.
Usage: ``.venv/bin/python benchmarks/dashboard.py`` (about two minutes).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    from playwright.sync_api import sync_playwright

    flowsim = Path(sys.executable).parent / "flowsim"
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        for name in ("belgium-baseline", "winter-plan-2022"):
            subprocess.run(
                [str(flowsim), "run", str(ROOT / "configs" / f"{name}.yaml"), "--replications",
                 "10", "--out", str(results / name)],
                check=True, capture_output=True,
            )  # fmt: skip
        port = _free_port()
        env = dict(os.environ, FLOWSIM_RESULTS=str(results), MPLBACKEND="Agg")
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        server = subprocess.Popen(
            [sys.executable, "-m", "voila", "dashboard.ipynb", "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1"],
            cwd=ROOT / "notebooks", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(url + "static/", timeout=2)
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                started = time.perf_counter()
                page.goto(url, timeout=120_000)
                page.wait_for_selector(".flowsim-chart .js-plotly-plot", timeout=120_000)
                first = time.perf_counter() - started
                labels = page.locator(".flowsim-folders select option").all_inner_texts()
                started = time.perf_counter()
                page.locator(".flowsim-folders select").select_option(label=labels[:2])
                page.wait_for_selector("[data-renders='1']", state="attached", timeout=120_000)
                both = time.perf_counter() - started
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(f"first chart {first:.1f} s after opening the page (one run of 10 replications)")
    print(f"both runs picked: drawn again in {both:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
