"""The dashboard's first chart: seconds from opening the page to the first interactive chart,
for a results root holding two runs of the Belgian baseline with 10 replications each.

Runs ``flowsim run`` twice (the baseline, and the winter plan that extends it) into a
temporary results root, serves ``notebooks/dashboard.ipynb`` as ``flowsim dashboard`` does
(Voila, one kernel prepared ahead) on a free port, and opens it in headless Chromium
(Debian's ``/usr/bin/chromium``, driven by Playwright), timing from navigation to the first
Plotly chart on screen, then to the page with both runs picked. The page is opened twice:
the moment the server answers (its kernel still starting), and again 15 s later, when a
prepared kernel is waiting (the usual case: a researcher starts the server, then opens the
page).
Usage: ``.venv/bin/python benchmarks/dashboard.py`` (about two minutes); ``--results DIR``
opens an existing results root instead (a large sweep kept by ``sweep_scale.py --keep``);
``--screenshot docs/figures/dashboard.png`` also saves the laptop-sized first screen with
both runs picked (the README's picture).
"""

from __future__ import annotations

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
READY_SECONDS = 15  # between two visits: the time Voila takes to prepare the next kernel


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_chart(browser, url: str, shot: Path | None = None) -> tuple[float, float]:
    """Seconds from navigation to the first Plotly chart, then to the page with the first
    two runs picked and drawn again (saved to ``shot`` as a PNG when given)."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    started = time.perf_counter()
    page.goto(url, timeout=120_000)
    page.wait_for_selector(".flowsim-chart .js-plotly-plot", timeout=120_000)
    first = time.perf_counter() - started
    labels = page.locator(".flowsim-folders select option").all_inner_texts()
    if len(labels) < 2:
        page.close()
        return first, float("nan")
    started = time.perf_counter()
    page.locator(".flowsim-folders select").select_option(label=labels[:2])
    page.wait_for_selector("[data-renders='1']", state="attached", timeout=120_000)
    both = time.perf_counter() - started
    if shot is not None:
        page.wait_for_timeout(1000)  # the chart's resize after the redraw
        page.screenshot(path=str(shot))
    page.close()
    return first, both


def main() -> int:
    import argparse

    from playwright.sync_api import sync_playwright

    from flowsim.dashboard.serve import NOTEBOOK, serve_environment, voila_command

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshot", type=Path, help="PNG of the page with both runs")
    parser.add_argument(
        "--results",
        type=Path,
        help="an existing results root to open (for instance one holding a large sweep, "
        "benchmarks/sweep_scale.py --keep) instead of the two baseline runs",
    )
    args = parser.parse_args()
    flowsim = Path(sys.executable).parent / "flowsim"
    with tempfile.TemporaryDirectory() as tmp:
        results = args.results or Path(tmp) / "results"
        for name in () if args.results else ("belgium-baseline", "winter-plan-2022"):
            subprocess.run(
                [str(flowsim), "run", str(ROOT / "configs" / f"{name}.yaml"), "--replications",
                 "10", "--out", str(results / name)],
                check=True, capture_output=True,
            )  # fmt: skip
        port = _free_port()
        server = subprocess.Popen(
            voila_command(port),  # as `flowsim dashboard` serves it
            cwd=NOTEBOOK.parent,
            # the repository's scenarios, as `make dashboard` offers them to the what-if
            env={**serve_environment(results), "FLOWSIM_CONFIGS": str(ROOT / "configs")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
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
                # the page opened as soon as the server answers: its kernel is still
                # being prepared
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                at_once, _ = _first_chart(browser, url)
                browser.close()
                # the next visitor, a moment later, in a fresh browser (nothing cached):
                # Voila has prepared the next kernel
                time.sleep(READY_SECONDS)
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                first, both = _first_chart(browser, url, args.screenshot)
                again, _ = _first_chart(browser, url)  # the same browser opens it again
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    what = f"the first folder of {results}" if args.results else "one run of 10 replications"
    print(f"first chart {first:.1f} s after opening the page ({what})")
    print(f"both runs picked: drawn again in {both:.1f} s")
    print(f"opened again in the same browser: first chart in {again:.1f} s")
    print(f"opened the moment the server answers (kernel still starting): {at_once:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
