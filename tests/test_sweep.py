"""Sweeps on Dask: seeds and run ids, same results on 1 and 2 workers, resume, failures,
a scheduler at a loopback address, SLURM/PBS job scripts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from distributed.diagnostics.plugin import WorkerPlugin
from hypothesis import given
from hypothesis import strategies as st

import flowsim.results.runs
import slow_runs
from experiment_helpers import local_client, write_spec
from flowsim.cli import main
from flowsim.experiments.spec import Experiment, load_experiment
from flowsim.experiments.sweep import plan_runs, run_sweep
from flowsim.model import ProtectionSystem
from flowsim.results import clusters, shards
from flowsim.results.clusters import SweepError, jobqueue_cluster
from flowsim.results.runs import replication_seeds
from flowsim.results.store import RunStore, shard_ok
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.scenario import Scenario
from slow_runs import Slow
from stored_runs import copy_runs

RUNS = 12  # 4 points x 3 replications


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The tiny experiment swept once, uninterrupted, on two workers."""
    folder = tmp_path_factory.mktemp("reference")
    spec = write_spec(folder)
    with local_client(workers=2) as client:
        summary = run_sweep(load_experiment(spec), folder / "out", client, progress=False)
    assert summary.statuses == {"ok": RUNS}
    return folder / "out", pd.read_parquet(folder / "out" / "runs.parquet")


class Counting(ProtectionSystem):
    """The model, counting the runs it starts (the 14-day warm-up runs are not counted)."""

    started: list[int] = []

    def __init__(self, scenario, seed=0):
        if scenario.days > shards.WARM_UP_DAYS:
            Counting.started.append(seed)
        super().__init__(scenario, seed)


@pytest.fixture
def counting(monkeypatch) -> list[int]:
    # workers are threads of this process (processes=False), so they see the patch
    Counting.started = []
    monkeypatch.setattr(flowsim.results.runs, "ProtectionSystem", Counting)
    return Counting.started


def test_seeds_are_common_to_every_point_and_run_ids_stable(tmp_path):
    experiment = load_experiment(write_spec(tmp_path))
    plan = plan_runs(experiment)
    runs = plan.runs
    assert len(runs) == RUNS and list(runs["index"]) == list(range(RUNS))
    seeds = replication_seeds(3, 3)
    for _, group in runs.groupby("point"):
        assert list(group["seed"]) == seeds  # common random numbers
        assert list(group["replication"]) == [0, 1, 2]
    assert runs["run_id"].is_unique and len(plan.tasks) == RUNS
    assert list(plan_runs(experiment).runs["run_id"]) == list(runs["run_id"])
    version = flowsim.results.runs.versions()["flowsim"]
    for task in plan.tasks.values():  # the id is the hash of scenario, seed and version
        assert task.run_id == shards.run_id(task.scenario, task.seed, version)
    other = plan_runs(load_experiment(write_spec(tmp_path, seed=4))).runs
    assert not set(other["run_id"]) & set(runs["run_id"])  # another seed, other runs


def test_the_plan_keeps_no_scenario_and_resolves_each_point_once_when_its_runs_go_out(
    tmp_path, monkeypatch
):
    """Planning resolves each point to hash it and keeps its runs' points, not their
    scenarios; handing the runs out in plan order resolves each point once more."""
    experiment = load_experiment(write_spec(tmp_path))
    resolved: list[int] = []
    resolve = type(experiment).resolve

    def counted(self, point):
        resolved.append(len(resolved))
        return resolve(self, point)

    monkeypatch.setattr(type(experiment), "resolve", counted)
    plan = plan_runs(experiment)
    points = plan.runs["point"].nunique()
    assert len(resolved) == points
    pending = plan.tasks.pending(set())
    assert len(pending) == RUNS and not any(
        isinstance(v, Scenario) for v in vars(plan.tasks).values()
    )
    tasks = [task for batch in shards.batches(pending, workers=2) for task in batch]
    assert [t.run_id for t in tasks] == list(plan.runs["run_id"])
    assert len(resolved) == 2 * points  # once more per point, not per run
    skipped = plan.tasks.pending({tasks[0].run_id})
    assert [t.run_id for t in skipped[:2]] == [t.run_id for t in tasks[1:3]]


def test_same_runs_table_with_one_and_two_workers(tmp_path, reference):
    out, expected = reference
    with local_client(workers=1) as client:
        run_sweep(load_experiment(write_spec(tmp_path)), tmp_path / "out", client, progress=False)
    got = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    pd.testing.assert_frame_equal(got, expected)
    assert (tmp_path / "out" / "runs.parquet").read_bytes() == (out / "runs.parquet").read_bytes()
    assert list(expected.columns[:7]) == [
        "index",
        "point",
        "replication",
        "seed",
        "run_id",
        "officers",
        "extra_tents",
    ]
    assert expected["status"].eq("ok").all() and expected["error"].eq("").all()
    assert expected["peak_without"].notna().all()
    store = RunStore(out)
    kept = store.series(expected["run_id"])
    assert list(dict.fromkeys(kept["run_id"])) == list(expected["run_id"])  # one series asked
    assert list(kept.columns) == ["run_id", "date", "without_reception"]
    # compacted at the end: a part of rows and one of series, no file per run
    assert len(list(out.rglob("*.parquet"))) == 4  # with runs.parquet and timings.parquet


@given(runs=st.integers(0, 5000), workers=st.integers(1, 300), most=st.integers(1, 20))
def test_tasks_hold_every_run_once_and_shrink_to_single_runs_at_the_end(runs, workers, most):
    sizes = shards.task_sizes(runs, workers, most)
    assert sum(sizes) == runs and all(1 <= size <= most for size in sizes)
    assert sizes == sorted(sizes, reverse=True)
    left = runs
    for size in sizes:  # a task takes at most its share of what is left, one run at least
        assert size <= max(1, left // (shards.TASKS_AHEAD * workers))
        left -= size
    # the last runs go one at a time (no worker finishes a long task while others wait)
    assert sizes[-min(runs, shards.TASKS_AHEAD * workers) :] == [1] * min(
        runs, shards.TASKS_AHEAD * workers
    )
    if runs >= 2 * most * shards.TASKS_AHEAD * workers:
        assert sizes[0] == most  # large sweeps do use tasks of several runs


TASK_SIZES: list[int] = []  # runs per Dask task, recorded by counted_runs
EXECUTE_RUNS = shards.execute_runs


def counted_runs(tasks, out):
    """:func:`flowsim.results.shards.execute_runs`, recording how many runs each task held."""
    TASK_SIZES.append(len(tasks))
    return EXECUTE_RUNS(tasks, out)


def test_same_runs_table_whatever_the_runs_per_task(tmp_path, reference, monkeypatch):
    _, expected = reference
    # workers are threads of this process; the function travels by reference (a module's)
    monkeypatch.setattr(shards, "execute_runs", counted_runs)
    experiment = load_experiment(write_spec(tmp_path))
    for most in (1, 4):
        TASK_SIZES.clear()
        with local_client(workers=1) as client:
            out = tmp_path / f"most-{most}"
            run_sweep(experiment, out, client, progress=False, runs_per_task=most)
        pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), expected)
        assert sum(TASK_SIZES) == RUNS and max(TASK_SIZES) == min(most, 3)  # 12 // 4 = 3


def test_a_retried_task_does_not_rerun_the_runs_its_dead_worker_stored(tmp_path, reference):
    out, expected = reference
    tasks = list(plan_runs(load_experiment(write_spec(tmp_path))).tasks.values())[:3]
    target = tmp_path / "out"
    # the dead worker had stored the first run (ok) and the second (an error)
    copy_runs(out, target, [task.run_id for task in tasks[:2]])
    store = RunStore(target)
    stored = pd.read_parquet(store.shard_file(tasks[0].run_id)).assign(peak_without=-1.0)
    stored.to_parquet(store.shard_file(tasks[0].run_id))  # marked: a rerun would undo it
    failed = pd.read_parquet(store.shard_file(tasks[1].run_id))
    failed.assign(status="error", error="RuntimeError: x").to_parquet(
        store.shard_file(tasks[1].run_id)
    )
    rows = shards.execute_runs(tuple(tasks), str(target))
    assert [row["run_id"] for row in rows] == [t.run_id for t in tasks[1:]]
    again = store.rows().set_index("run_id")
    assert again.loc[tasks[0].run_id, "peak_without"] == -1
    for task in tasks[1:]:
        assert again.loc[task.run_id, "status"] == "ok"
        want = expected.loc[expected["run_id"] == task.run_id, "peak_without"].iloc[0]
        assert again.loc[task.run_id, "peak_without"] == want
    assert not shard_ok(target, "no-such-run")


def test_a_sweep_compacting_as_it_goes_stores_the_same_runs_and_series(
    tmp_path, reference, monkeypatch
):
    out, expected = reference
    monkeypatch.setattr(shards, "COMPACT_EVERY", 3)
    target = tmp_path / "out"
    with local_client(workers=2) as client:
        run_sweep(load_experiment(write_spec(tmp_path)), target, client, progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(target / "runs.parquet"), expected)
    parts = sorted(p.name for p in (target / "store" / "rows").iterdir())
    assert len(parts) >= RUNS // 3  # compacted every three runs or so, then at the end
    assert sorted(p.name for p in (target / "store" / "series").iterdir()) == parts
    # every small file compacted at the end, their folders removed with them
    assert not (target / "shards").exists() and not (target / "series").exists()
    ids = list(expected["run_id"])
    pd.testing.assert_frame_equal(RunStore(target).series(ids), RunStore(out).series(ids))


def test_the_driver_hands_dask_a_window_of_tasks_not_the_whole_sweep(
    tmp_path, reference, monkeypatch
):
    _, expected = reference
    monkeypatch.setattr(shards, "TASKS_IN_FLIGHT", 2)
    submit, submitted, waiting = shards._submit, [], []

    def counted(client, batch, out):
        waiting.append(sum(not future.done() for future in submitted))
        submitted.append(submit(client, batch, out))
        return submitted[-1]

    monkeypatch.setattr(shards, "_submit", counted)
    with local_client(workers=1) as client:
        run_sweep(
            load_experiment(write_spec(tmp_path)),
            tmp_path / "out",
            client,
            progress=False,
            runs_per_task=1,
        )
    assert len(submitted) == RUNS and max(waiting) < 2  # never more than 2 tasks handed out
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "runs.parquet"), expected)


def test_a_task_that_fails_as_a_whole_has_its_runs_made_one_by_one(
    tmp_path, reference, monkeypatch
):
    _, expected = reference
    original = shards.execute_runs

    def fragile(tasks, out):  # as if the worker died whenever it held several runs
        if len(tasks) > 1:
            raise RuntimeError("worker lost")
        return original(tasks, out)

    monkeypatch.setattr(shards, "execute_runs", fragile)
    with local_client(workers=1) as client:
        summary = run_sweep(
            load_experiment(write_spec(tmp_path)), tmp_path / "out", client, progress=False
        )
    assert summary.statuses == {"ok": RUNS}
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "runs.parquet"), expected)


def test_resume_counts_the_stored_runs_that_belong_to_another_version_of_the_sweep(
    tmp_path, reference
):
    out, _ = reference
    target = tmp_path / "out"
    shutil.copytree(out, target)
    # another master seed: every run is another run; the stored ones are not reused
    with local_client(workers=2) as client:
        summary = run_sweep(
            load_experiment(write_spec(tmp_path, seed=99)), target, client, resume=True
        )
    assert (summary.computed, summary.skipped, summary.unmatched) == (RUNS, 0, RUNS)


def test_resume_after_an_interruption_reruns_nothing_stored_and_duplicates_nothing(
    tmp_path, reference, counting
):
    out, expected = reference
    # the driver was killed after five runs had been stored: no runs.parquet, a row
    # half-written at the time (a temporary file), the manifest still "running"
    target = tmp_path / "out"
    copy_runs(out, target, sorted(expected["run_id"])[:5])
    (target / "shards" / ".abc.parquet.xyz.part").write_bytes(b"half a shard")
    spec = write_spec(tmp_path)
    with local_client(workers=2) as client:
        summary = run_sweep(load_experiment(spec), target, client, resume=True, progress=False)
        assert (summary.skipped, summary.computed) == (5, RUNS - 5)
        assert len(counting) == RUNS - 5
        pd.testing.assert_frame_equal(pd.read_parquet(target / "runs.parquet"), expected)
        # resuming a finished sweep computes nothing
        again = run_sweep(load_experiment(spec), target, client, resume=True, progress=False)
    assert (again.skipped, again.computed) == (RUNS, 0) and len(counting) == RUNS - 5
    # the half-written row and the emptied folders are gone with the last compaction
    assert RunStore(target).count() == RUNS and not (target / "shards").exists()
    assert pd.read_parquet(target / "store" / "rows")["run_id"].is_unique
    pd.testing.assert_frame_equal(pd.read_parquet(target / "runs.parquet"), expected)
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["state"] == "complete" and manifest["statuses"] == {"ok": RUNS}


def test_the_kernels_are_warmed_once_per_worker_not_per_sweep(tmp_path, monkeypatch):
    warmed: list[int] = []
    monkeypatch.setattr(shards, "warm_up", lambda scenario: warmed.append(1))
    experiment = load_experiment(write_spec(tmp_path, replications=1))
    with local_client(workers=2) as client:
        for out in ("first", "second"):  # two sweeps on one cluster
            run_sweep(experiment, tmp_path / out, client, progress=False)
        assert len(warmed) == 2  # one per worker
        client.cluster.scale(3)
        client.wait_for_workers(3)
        deadline = time.monotonic() + 30
        while len(warmed) < 3 and time.monotonic() < deadline:  # set up as it joins
            time.sleep(0.05)
        assert len(warmed) == 3  # a worker joining later warms too


def test_a_folder_with_runs_is_not_overwritten_without_resume(tmp_path, reference):
    out, _ = reference
    target = tmp_path / "out"
    shutil.copytree(out / "store", target / "store")
    with local_client(workers=1) as client, pytest.raises(SweepError, match="--resume"):
        run_sweep(load_experiment(write_spec(tmp_path)), target, client, progress=False)


def test_a_run_that_raises_is_recorded_and_the_others_finish(tmp_path, reference, monkeypatch):
    _, expected = reference
    failing_seed = replication_seeds(3, 3)[1]

    class Failing(ProtectionSystem):
        def __init__(self, scenario, seed=0):
            if seed == failing_seed and scenario.days > shards.WARM_UP_DAYS:
                raise RuntimeError("queue overflow in test")
            super().__init__(scenario, seed)

    monkeypatch.setattr(flowsim.results.runs, "ProtectionSystem", Failing)
    spec = write_spec(tmp_path)
    with local_client(workers=2) as client:
        summary = run_sweep(load_experiment(spec), tmp_path / "out", client, progress=False)
        runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
        assert summary.statuses == {"error": 4, "ok": RUNS - 4}
        failed = runs[runs["replication"] == 1]
        assert failed["status"].eq("error").all()
        assert failed["error"].str.contains("RuntimeError: queue overflow in test").all()
        assert failed["peak_without"].isna().all()
        ok = runs["replication"] != 1
        pd.testing.assert_frame_equal(runs[ok], expected[ok])
        # once the cause is gone, --resume runs the failed runs again, and only those
        monkeypatch.setattr(flowsim.results.runs, "ProtectionSystem", ProtectionSystem)
        again = run_sweep(load_experiment(spec), tmp_path / "out", client, resume=True)
    assert again.computed == 4
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "runs.parquet"), expected)


def test_runs_whose_worker_cannot_reach_the_folder_are_written_by_the_driver(
    tmp_path, reference, monkeypatch
):
    out, expected = reference
    unreachable = tmp_path / "elsewhere"
    unreachable.write_text("a file where the worker expects a folder", encoding="utf-8")
    original = shards.execute_run
    # the worker sees another file system: neither its shard nor its series can go there
    monkeypatch.setattr(shards, "execute_run", lambda task, out: original(task, str(unreachable)))
    with local_client(workers=2) as client:
        summary = run_sweep(
            load_experiment(write_spec(tmp_path)), tmp_path / "out", client, progress=False
        )
    assert summary.statuses == {"ok": RUNS}
    store = RunStore(tmp_path / "out")
    assert store.count() == RUNS
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "runs.parquet"), expected)
    # the kept series came back with the rows, and the driver stored them
    pd.testing.assert_frame_equal(
        store.series(expected["run_id"]), RunStore(out).series(expected["run_id"])
    )
    assert shards.SERIES not in store.columns()


def test_a_run_that_cannot_be_stored_by_its_worker_brings_its_series_back(tmp_path):
    task = next(iter(plan_runs(load_experiment(write_spec(tmp_path))).tasks.values()))
    unreachable = tmp_path / "elsewhere"
    unreachable.write_text("not a folder", encoding="utf-8")
    row = shards.execute_run(task, str(unreachable))
    assert row["status"] == "ok" and list(row[shards.SERIES].columns) == ["date", *task.series]
    stored = shards.execute_run(task, str(tmp_path / "out"))  # reachable: stored, not shipped
    assert shards.SERIES not in stored
    assert (tmp_path / "out" / "series" / f"{task.run_id}.parquet").is_file()


def test_a_point_whose_scenario_does_not_validate_is_recorded_invalid(
    tmp_path, reference, monkeypatch
):
    _, expected = reference
    original = Experiment.resolve

    def resolve(self, point):
        if point == {"officers": 40.0, "extra_tents": 100.0}:
            raise ConfigError(["experiment.yaml (officers=40, extra_tents=100): a problem"])
        return original(self, point)

    monkeypatch.setattr(Experiment, "resolve", resolve)
    with local_client(workers=1) as client:
        summary = run_sweep(load_experiment(write_spec(tmp_path)), tmp_path / "out", client)
    assert summary.statuses == {"invalid": 3, "ok": RUNS - 3}
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    invalid = runs[runs["point"] == 3]
    assert invalid["status"].eq("invalid").all() and invalid["run_id"].eq("").all()
    assert invalid["error"].str.endswith("a problem").all()
    valid = runs["point"] != 3
    pd.testing.assert_frame_equal(runs[valid], expected[valid])


def test_the_command_against_a_scheduler_at_a_loopback_address(tmp_path, reference, capsys):
    _, expected = reference
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    with local_client(workers=2, tcp=True) as client:
        address = client.scheduler.address
        assert address.startswith("tcp://127.0.0.1:")
        assert main(["sweep", str(spec), "--scheduler", address, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "4 points x 3 replications" in printed and "12 runs (ok 12)" in printed
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), expected)


def test_a_bad_experiment_file_exits_2_before_any_cluster_starts(tmp_path, capsys):
    spec = write_spec(tmp_path, **{"levers.0.field": "cgrs.officers"})
    assert main(["sweep", str(spec)]) == 2
    assert "levers.0.field: expected a numeric field" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("slurm", ["#SBATCH -p short", "#SBATCH -A flowsim-project", "#SBATCH -t 01:30:00"]),
        ("pbs", ["#PBS -q short", "#PBS -A flowsim-project", "#PBS -l walltime=01:30:00"]),
    ],
)
def test_the_job_script_dask_jobqueue_generates_from_the_cluster_section(kind, expected):
    options = {
        "cores": 2,
        "memory": "6GB",
        "walltime": "01:30:00",
        "queue": "short",
        "account": "flowsim-project",
    }
    cluster = jobqueue_cluster(kind, options)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in expected:
        assert line in script
    assert "distributed.cli.dask_worker" in script or "dask-worker" in script
    assert "--nthreads 2" in script or "--nworkers 1" in script


def _wait_for_shards(folder: Path, count: int, timeout_s: float = 300.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = RunStore(folder).count()
        if found >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} shards after {timeout_s} s")


def test_a_killed_driver_resumes_to_exactly_the_uninterrupted_result(
    tmp_path, reference, monkeypatch
):
    _, expected = reference
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    # the runs happen in this process's worker threads: slow them down, then kill the driver
    monkeypatch.setattr(flowsim.results.runs, "ProtectionSystem", Slow)
    with local_client(workers=2, tcp=True) as client:
        command = [sys.executable, "-m", "flowsim.cli", "sweep", str(spec), "--out", str(out)]
        driver = subprocess.Popen(
            [*command, "--scheduler", client.scheduler.address],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            stored = _wait_for_shards(out, 3)
        finally:
            driver.kill()
            driver.wait()
        assert stored < RUNS and not (out / "runs.parquet").exists()
        monkeypatch.setattr(flowsim.results.runs, "ProtectionSystem", ProtectionSystem)
        summary = run_sweep(load_experiment(spec), out, client, resume=True, progress=False)
    assert summary.skipped >= stored
    assert len(pd.read_parquet(out / "store" / "rows")) == RUNS  # one per run, no duplicate
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), expected)


class SlowWorkers(WorkerPlugin):
    """Worker plugin: slow the runs down in each worker process (:mod:`slow_runs`)."""

    name = "test-slow-runs"

    def setup(self, worker):
        slow_runs.dask_setup(worker)


def test_a_killed_worker_process_has_its_run_retried_elsewhere(tmp_path, reference):
    from distributed import Client, LocalCluster

    _, expected = reference
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        experiment = load_experiment(spec)
        # warm (or, on a cold cache, compile) the kernels in both worker processes first, so
        # that the wait for the first runs below measures runs, not compilation
        client.register_plugin(shards.WarmNumba(experiment.bases[""]))
        client.register_plugin(SlowWorkers())
        killed: list[int] = []

        def kill_a_worker_midway() -> None:
            _wait_for_shards(out, 2)
            pids = sorted(client.run(os.getpid).values())
            os.kill(pids[0], signal.SIGKILL)  # the nanny starts a new worker process
            killed.append(pids[0])

        killer = threading.Thread(target=kill_a_worker_midway)
        killer.start()
        summary = run_sweep(experiment, out, client, progress=False)
        killer.join()
    assert killed and summary.statuses == {"ok": RUNS}
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), expected)


def test_local_workers_keep_the_adaptive_malloc_threshold_one_blas_thread_and_localhost(
    tmp_path, monkeypatch
):
    """``flowsim sweep``'s LocalCluster starts workers without Dask's MALLOC_TRIM_THRESHOLD_ (which
    makes every run's arrays fresh pages: about 5% of a run), keeping the rest of Dask's worker
    environment (one BLAS thread), and with :data:`flowsim.results.clusters.DASK_SETTINGS` (no
    statistical profiler, slower health checks and pollers: Python work taking the GIL from the
    model)."""
    # Dask's nanny writes its worker environment into the environment of the process that
    # starts it, so earlier tests' clusters left the variable here; `flowsim sweep` starts
    # from a clean process
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    client = clusters.make_client(load_experiment(write_spec(tmp_path)).spec.cluster, workers=1)
    cluster = client.cluster
    try:
        env = client.run(
            lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"))
        )
        callbacks = client.run(
            lambda dask_worker: {
                name: pc.callback_time for name, pc in dask_worker.periodic_callbacks.items()
            }
        )
        ticks = client.run(lambda dask_worker: dask_worker._tick_interval)
        # nothing listens beyond this machine: scheduler, workers, dashboard
        addresses = [cluster.scheduler_address, *client.scheduler_info()["workers"]]
        dashboard = client.dashboard_link
    finally:
        client.close()
        cluster.close()
    assert all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
    assert dashboard.startswith("http://127.0.0.1:"), dashboard
    assert list(env.values()) == [(None, "1")]
    [running] = callbacks.values()  # milliseconds between calls
    assert "heartbeat" in running and not {"profile", "profile-cycle"} & set(running)
    assert running["memory_monitor"] == 1000 and running["monitor"] == 2000
    assert list(ticks.values()) == [1.0]  # seconds


def test_job_scripts_set_the_worker_settings_before_the_sections_own_lines():
    import dask

    own = ["module load python/3.11"]
    cluster = jobqueue_cluster("slurm", {"job_script_prologue": own})
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    exports = clusters.worker_exports()
    lines = script.splitlines()
    assert [lines.index(line) for line in [*exports, *own]] == sorted(
        lines.index(line) for line in [*exports, *own]
    )
    # the cluster guide gives the same lines for workers started by hand
    guide = Path(__file__).resolve().parent.parent / "docs" / "cluster.md"
    assert all(line in guide.read_text(encoding="utf-8").splitlines() for line in exports)
    # the lines are read back by Dask's own parser as the settings flowsim's local workers get
    environ = dict(line.removeprefix("export ").split("=", 1) for line in exports)
    collected = dask.config.collect_env(environ)
    for key, value in clusters.DASK_SETTINGS.items():
        assert dask.config.get(key, config=collected) == value
