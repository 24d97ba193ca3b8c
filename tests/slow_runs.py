"""Slower runs, so that a test can kill a worker, cancel a job or kill the driver while a
sweep is midway: each replication sleeps 0.5 s before it runs. In this process, patch
``flowsim.results.runs.ProtectionSystem`` with :class:`Slow`; in Dask workers, preload this
file (``--preload``) or call :func:`dask_setup` from a worker plugin. The results are
unchanged: only the wall time grows."""

from __future__ import annotations

import time

import flowsim.results.runs
from flowsim.model import ProtectionSystem
from flowsim.results.shards import WARM_UP_DAYS

SECONDS_PER_RUN = 0.5


class Slow(ProtectionSystem):
    """The model, each run made slower (the kernels' warm-up runs are left as they are)."""

    def run_to_end(self):
        if self.config.days > WARM_UP_DAYS:
            time.sleep(SECONDS_PER_RUN)
        return super().run_to_end()


def dask_setup(worker) -> None:
    """Called by the worker at start: the replications it makes use :class:`Slow`."""
    flowsim.results.runs.ProtectionSystem = Slow
