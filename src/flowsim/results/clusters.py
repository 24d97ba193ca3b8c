"""Dask clients for many runs: a local cluster on this machine, an existing scheduler, or a
SLURM or PBS cluster (dask-jobqueue), with the settings that keep Dask's own polling off
the model's cores."""

from __future__ import annotations

import os
from typing import Any


class SweepError(Exception):
    """A sweep that cannot start (e.g. a folder holding another experiment's runs, or a
    cluster of an unknown kind)."""


# Dask settings of the processes flowsim starts (local cluster, SLURM/PBS workers). A
# worker's statistical profiler samples the thread running the model every 10 ms, its event
# loop checks its own health every 20 ms, and the worker, the nanny and the scheduler poll
# memory and system counters 2-10 times a second: Python work that takes the GIL from the
# model or a core from the workers. Measured with perf (worker CPU per run against a plain
# process, both normalised by the numba kernels' samples): +15% with Dask's defaults, +5%
# without the profiler and ticks; the pollers cost the driver 5 of its 22 ms a run.
# None changes a result: they feed Dask's dashboard, and the memory limits are still
# enforced, within a second instead of 0.1 s.
DASK_SETTINGS: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def worker_exports() -> list[str]:
    """Shell lines setting :data:`DASK_SETTINGS` through environment variables
    (``DASK_DISTRIBUTED__WORKER__...``), for job scripts of workers started elsewhere."""
    lines = []
    for key, value in DASK_SETTINGS.items():
        name = "DASK_" + "__".join(part.upper().replace("-", "_") for part in key.split("."))
        lines.append(f"export {name}={value}")
    return lines


def jobqueue_cluster(kind: str, options: dict[str, Any]) -> Any:
    """A dask-jobqueue cluster (``slurm`` or ``pbs``) from the experiment's ``cluster``
    section; no job is submitted until it is scaled. Its job script sets
    :data:`DASK_SETTINGS` before any line of the section's own ``job_script_prologue``."""
    if kind == "slurm":
        from dask_jobqueue import SLURMCluster as ClusterClass
    elif kind == "pbs":
        from dask_jobqueue import PBSCluster as ClusterClass
    else:
        raise SweepError(f"--cluster: expected slurm or pbs, got {kind!r}")
    settings = {"cores": 1, "processes": 1, "memory": "4GB", **options}
    settings["job_script_prologue"] = [
        *worker_exports(),
        *(settings.get("job_script_prologue") or []),
    ]
    return ClusterClass(**settings)


def keep_jobs(cluster: Any, jobs: int, every_s: float = 5.0) -> None:
    """Keep ``jobs`` worker jobs in ``cluster`` (a dask-jobqueue cluster) for as long as it
    is open: every ``every_s`` seconds it is scaled to ``jobs`` again, which submits a new
    job for each one whose worker has gone (cancelled, pre-empted, out of wall time) once
    Dask gives that worker up (``distributed.deploy.lost-worker-timeout``, 15 s by
    default). A single ``scale`` submits once, and ``adapt(minimum_jobs=jobs,
    maximum_jobs=jobs)`` does not resubmit either: both count the lost job as planned."""
    from tornado.ioloop import PeriodicCallback  # Dask's event loop (installed with it)

    def install() -> None:
        callback = PeriodicCallback(lambda: cluster.scale(jobs=jobs), every_s * 1000)
        cluster.periodic_callbacks["flowsim-keep-jobs"] = callback  # stopped on close
        callback.start()

    cluster.loop.add_callback(install)


LOCALHOST = "127.0.0.1"  # where a local cluster listens


def make_client(
    cluster_options: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    jobs: int = 1,
) -> Any:
    """A Dask client: an existing scheduler by address, a SLURM/PBS cluster scaled to
    ``jobs`` jobs (options from ``cluster_options``, an experiment's or a calibration's
    ``cluster`` section), or (default) a LocalCluster of ``workers`` single-threaded
    processes (default: the machine's cores), listening on 127.0.0.1 only."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler)
    if cluster is not None:
        options = dict(getattr(cluster_options, cluster, {}) or {})
        made = jobqueue_cluster(cluster, options)
        made.scale(jobs=jobs)
        keep_jobs(made, jobs)
        return Client(made)
    n = workers or os.cpu_count() or 1
    # One thread per worker: a run is single-threaded numba and the GIL would serialise
    # threads; dashboard on a free port so several sweeps can share a machine. Dask starts
    # workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's adaptive mmap
    # threshold: every array of every run then comes fresh from the kernel (8,400 more page
    # faults and about 0.02 s of system time a baseline run, some 5%); a worker runs one
    # model at a time, so the memory glibc keeps for reuse is at most one run's.
    settings = {
        **DASK_SETTINGS,
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    with dask.config.set(settings):  # the nanny hands the worker the settings of this moment
        # this machine only: a local sweep's scheduler, workers and dashboard have no login
        local = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host=LOCALHOST,
            dashboard_address=f"{LOCALHOST}:0",
        )
    return Client(local)
