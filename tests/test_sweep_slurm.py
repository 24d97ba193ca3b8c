"""A sweep on a real SLURM cluster, end to end through the command line: two worker jobs,
one cancelled midway and replaced, the driver killed and the sweep resumed, and the runs
identical to the same sweep on local workers.

The cluster is a single node on this machine (:mod:`slurm_cluster`); without root or
without SLURM's packages the test is skipped with the reason."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import slurm_cluster
from experiment_helpers import local_client, write_spec
from flowsim.experiments.spec import load_experiment
from flowsim.experiments.sweep import run_sweep
from flowsim.results.store import RunStore

REPLICATIONS = 16  # 4 points: 64 runs of 0.5 s or more each (tests/slow_runs.py)
RUNS = 4 * REPLICATIONS
TIMEOUT_S = 240.0


@pytest.fixture(scope="module")
def slurm(tmp_path_factory) -> Iterator[slurm_cluster.Slurm]:
    reason = slurm_cluster.why_not()
    if reason is not None:
        pytest.skip(reason)
    cluster = slurm_cluster.start(tmp_path_factory.mktemp("slurm"))
    try:
        yield cluster
    finally:
        slurm_cluster.stop(cluster)


def _until(what: str, check: Callable[[], object]) -> object:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {TIMEOUT_S} s: {what}")


def _stored(out: Path) -> int:
    return RunStore(out).count()


def test_a_slurm_sweep_replaces_a_cancelled_job_and_resumes_after_its_driver_is_killed(
    tmp_path, slurm
):
    logs = tmp_path / "logs"
    section = {
        "cores": 1,
        "processes": 1,
        "memory": "1GB",
        "walltime": "00:20:00",
        "log_directory": str(logs),
        # each run sleeps 0.5 s in the job's worker, so that the sweep is still going when
        # the test cancels a job and kills the driver
        "worker_extra_args": ["--preload", str(Path(__file__).with_name("slow_runs.py"))],
    }
    spec = write_spec(tmp_path, replications=REPLICATIONS, cluster={"slurm": section})
    with local_client(workers=2) as client:
        run_sweep(load_experiment(spec), tmp_path / "local", client, progress=False)
    expected = pd.read_parquet(tmp_path / "local" / "runs.parquet")

    out = tmp_path / "slurm"
    command = [sys.executable, "-m", "flowsim.cli", "sweep", str(spec), "--out", str(out)]
    command += ["--cluster", "slurm", "--jobs", "2"]
    # Dask gives a vanished worker up after 2 s instead of 15 s: the replacement comes sooner
    env = {**slurm.env, "DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT": "2s"}
    errors = tmp_path / "driver.err"  # a file, not a pipe: a full pipe would stall the driver
    with errors.open("w") as err:
        driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        first = _until("two worker jobs running and three runs stored", lambda: _two(slurm, out))
        slurm.command("scancel", first[0])
        replacement = _until(
            "a job submitted in place of the cancelled one",
            lambda: [job for job in slurm.running_jobs() if job not in first],
        )[0]
        _until(
            "the replacement's worker joining the sweep",
            lambda: "Registered to" in _log(logs, replacement),
        )
        assert driver.poll() is None, errors.read_text()
        driver.kill()
    finally:
        driver.kill()
        driver.wait()
    # the killed driver's workers would hold the node's cores until their death timeout
    slurm.command("scancel", "--user=root")
    _until("the old jobs gone", lambda: not slurm.jobs())
    # counted once the jobs are gone: their workers go on storing the runs they hold until
    # they are cancelled, after the driver's death
    stored = _stored(out)
    assert 0 < stored < RUNS and not (out / "runs.parquet").exists()
    resumed = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{stored} already stored" in resumed.stdout
    assert _stored(out) == RUNS  # one shard a run: nothing stored twice
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), expected)


def _two(slurm: slurm_cluster.Slurm, out: Path) -> list[str]:
    """The two running jobs once three runs are stored, else nothing."""
    jobs = slurm.running_jobs()
    return jobs if len(jobs) == 2 and _stored(out) >= 3 else []


def _log(folder: Path, job: str) -> str:
    """What a job's Dask worker wrote (dask-jobqueue names its files after the job id)."""
    return "".join(path.read_text(errors="replace") for path in folder.glob(f"*{job}*"))
