"""The dashboard notebook end to end: executed top to bottom (nbclient), then served by
Voila and used in headless Chromium (Playwright driving Debian's ``/usr/bin/chromium``; no
browser is downloaded). The browser test is skipped, saying how to enable it, where that
Chromium is missing; ``.ci/run`` installs it so it always runs in CI."""

from __future__ import annotations

import base64
import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dashboard_helpers import RUNS, make_results_root
from flowsim.dashboard import COMPARISON_VIEW, PRIM_VIEW, discover
from flowsim.dashboard.serve import serve_environment, voila_command

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "dashboard.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    base = tmp_path_factory.mktemp("page")
    return make_results_root(base / "results", base / "work")


def _environment(root: Path) -> dict[str, str]:
    """The server's environment as `flowsim dashboard` sets it, with the test's results root
    and the repository's scenarios (the what-if's bases)."""
    env = serve_environment(root)
    env["FLOWSIM_CONFIGS"] = str(NOTEBOOK.parents[1] / "configs")
    return env


def test_notebook_runs_top_to_bottom_without_error_output(root, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for key, value in _environment(root).items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not errors and not stderr, (errors, stderr)
    widget = outputs[-1]["data"]
    assert "application/vnd.jupyter.widget-view+json" in widget


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"voila exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "static/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # the server answers (a page it refuses is an answer)
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"voila did not answer on {url} in {seconds} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def served(root, tmp_path):
    """Voila serving the notebook on a free loopback port; killed afterwards."""
    pytest.importorskip("voila")
    port = _free_port()
    log = tmp_path / "voila.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            voila_command(port, NOTEBOOK),  # as `flowsim dashboard` serves it
            cwd=NOTEBOOK.parent,
            env=_environment(root),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, server, log, 40)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium: install Debian's chromium (as root: apt-get install -y "
    "chromium chromium-driver; .ci/run does it) to run the browser test",
)


@contextlib.contextmanager
def opened(url: str, width: int, height: int):
    """The served page in headless Chromium at ``width`` x ``height`` pixels (closed after)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            # a page opened just after another waits for Voila to prepare the next kernel
            # (the notebook run ahead): generous on a loaded machine
            page.goto(url, timeout=180_000)
            yield page
        finally:
            browser.close()


@needs_chromium
def test_served_page_in_headless_chromium(served, root, tmp_path):
    with opened(served, 1400, 1000) as page:
        # the series views are interactive charts (Plotly); the image is for views without
        page.wait_for_selector(".flowsim-chart .js-plotly-plot", timeout=60_000)
        page.wait_for_selector("[data-renders='0']", state="attached", timeout=30_000)
        assert page.locator(".flowsim-chart .legendtext").count() >= 1
        assert not page.locator("img.flowsim-figure").is_visible()
        # on laptops (1366 x 768, 1024 x 768) the first chart starts on the first screen
        for width in (1366, 1024):
            page.set_viewport_size({"width": width, "height": 768})
            top = page.locator(".flowsim-chart .js-plotly-plot").bounding_box()["y"]
            page.screenshot(path=str(tmp_path / f"dashboard-{width}x768.png"))
            assert top < 500, (width, top)
        page.set_viewport_size({"width": 1400, "height": 1000})
        body = page.inner_text("body")
        assert "manifest version 0" in body and "not finished" in body  # folder notes
        assert "Traceback" not in body
        # pick both runs: the figure is drawn again with two scenarios
        picker = page.locator(".flowsim-folders select")
        found = {f.path.name: f.label for f in discover(root)}
        labels = [found[name] for name in RUNS]
        # the picker says what pairs runs (the seed) and when each was made
        assert all(", seed " in label and ", 20" in label for label in labels), labels
        picker.select_option(label=labels)
        page.wait_for_selector("[data-renders='1']", state="attached", timeout=30_000)
        text = page.locator(".flowsim-chart .js-plotly-plot").text_content()
        assert all(f"{name}: " in text for name in RUNS)  # both runs in the legend
        page.locator(".flowsim-view select").select_option(label="Procedure")
        page.wait_for_selector("[data-renders='2']", state="attached", timeout=30_000)
        # PNG from the chart's camera (its mode bar), the table as CSV
        assert page.locator(".flowsim-chart .modebar-btn[data-title*='png' i]").count() == 1
        assert page.locator("a[download$='.csv']").count() == 1
        csv = page.locator("a[download$='.csv']").get_attribute("href")
        header = base64.b64decode(csv.split(",", 1)[1]).decode().splitlines()[0]
        assert csv.startswith("data:text/csv;base64,")
        assert header.startswith("scenario,panel,series,line,unit,date,q05")
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        print(f"screenshot: {shot}")
        # the second run against the first, paired replication by replication
        page.locator(".flowsim-view select").select_option(label=COMPARISON_VIEW)
        page.wait_for_selector("[data-renders='3']", state="attached", timeout=30_000)
        assert page.locator("table.flowsim-totals").count() == 1
        page.wait_for_selector(".flowsim-chart .js-plotly-plot", timeout=30_000)
        text = page.locator(".flowsim-chart .js-plotly-plot").text_content()
        assert "scenario minus" in text  # the comparison's own chart, not the last one
        box = page.locator(".flowsim-chart .js-plotly-plot").bounding_box()
        assert box["width"] > 1000  # the chart fills the page's width
        body = page.inner_text("body")
        assert "paired difference" in body and "only 2 paired replications" in body
        assert page.locator(".flowsim-single select").input_value() == RUNS[0]
        # a sweep: its outcome table, an outcome picked, then another one
        picker.select_option(label=found["tiny-sweep"])
        page.wait_for_selector("[data-renders='4']", state="attached", timeout=30_000)
        page.locator(".flowsim-view select").select_option(label="Sweep: outcomes")
        page.wait_for_selector("[data-renders='5']", state="attached", timeout=30_000)
        outcome = page.locator(".flowsim-option select")
        assert outcome.input_value() == "peak_without"
        assert page.locator("table.flowsim-outcomes tbody tr").count() == 4
        outcome.select_option(label="backlog_end")
        page.wait_for_selector("[data-renders='6']", state="attached", timeout=30_000)
        page.screenshot(path=str(tmp_path / "dashboard-sweep.png"), full_page=True)
        # scenario discovery: the box and its trajectory, then the other side of the
        # threshold the page started from (the outcome's median)
        page.locator(".flowsim-view select").select_option(label=PRIM_VIEW)
        page.wait_for_selector("[data-renders='7']", state="attached", timeout=60_000)
        assert page.locator("table.flowsim-prim").count() == 1
        assert page.locator(".flowsim-threshold input").is_visible()
        assert "backlog_end &gt;" in page.inner_html("body")  # the outcome picked before
        page.locator(".flowsim-direction select").select_option(label="outcome below")
        page.wait_for_selector("[data-renders='8']", state="attached", timeout=60_000)
        assert "Traceback" not in page.inner_text("body")
        assert page.locator("a[download$='.csv']").count() == 1
        page.screenshot(path=str(tmp_path / "dashboard-prim.png"), full_page=True)


@needs_chromium
def test_a_what_if_from_the_page_runs_and_its_download_runs_in_the_cli(served, tmp_path):
    """Unfold the what-if, move the officers on the shipped baseline, run 2 replications,
    see the paired chart, download the scenario file and run it with ``flowsim run`` from
    another folder."""
    with opened(served, 1366, 768) as page:
        page.wait_for_selector(".flowsim-chart .js-plotly-plot", timeout=60_000)
        page.get_by_text("What-if: move a lever from a date").click()
        for selector, value in (
            (".flowsim-what-if-replications .widget-readout", "2"),
            (".flowsim-lever-officers .widget-readout", "600"),
        ):
            readout = page.locator(selector)
            readout.wait_for(timeout=30_000)
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type(value)
            page.keyboard.press("Enter")
        page.locator("button.flowsim-what-if-run").click()
        page.wait_for_function(
            "() => (document.querySelector('.flowsim-what-if-status') || {}).innerText"
            "?.startsWith('Done')",
            timeout=300_000,
        )
        page.wait_for_selector(".flowsim-what-if-chart .js-plotly-plot", timeout=30_000)
        href = page.locator("a[download$='.yaml']").get_attribute("href")
        page.screenshot(path=str(tmp_path / "what-if.png"), full_page=True)
    text = base64.b64decode(href.split(",", 1)[1]).decode()
    assert "base: belgium-baseline\n" in text and "cgrs.case_officers_fte" in text
    saved = tmp_path / "anywhere" / "what-if.yaml"
    saved.parent.mkdir()
    saved.write_text(text, encoding="utf-8")
    flowsim = Path(sys.executable).parent / "flowsim"
    done = subprocess.run(
        [str(flowsim), "run", str(saved), "--replications", "1", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "series.parquet").is_file()
