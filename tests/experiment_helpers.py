"""Helpers for the sweep tests: a tiny experiment on the small scenario (60 days) and
in-process Dask clusters."""

from __future__ import annotations

import copy
import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from conftest import make_raw, merge

END = dt.date(2024, 2, 29)  # the small scenario's first 60 days

TINY_SPEC: dict[str, Any] = {
    "name": "tiny",
    "description": "two levers on the small scenario",
    "base": "small.yaml",
    "levers": [
        {"name": "officers", "field": "cgrs.case_officers_fte", "values": [20, 40]},
        {
            "name": "extra_tents",
            "change": {
                "field": "reception.centres.tents.places",
                "date": dt.date(2024, 1, 15),
                "op": "add",
            },
            "values": [0, 100],
        },
    ],
    "design": {"kind": "factorial"},
    "replications": 3,
    "seed": 3,
    "outcomes": {
        "peak_without": {"series": "without_reception", "stat": "max"},
        "backlog_end": {"series": "cgrs_backlog", "stat": "value", "date": END},
        "applications": {"series": "applications", "stat": "sum"},
        "cost": {"series": "cost_eur", "stat": "sum", "from": dt.date(2024, 2, 1)},
    },
    "series": ["without_reception"],
}


def write_base(folder: Path, filename: str = "small.yaml", **overrides: Any) -> Path:
    """Write the small scenario, cut to 60 days, as a scenario file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = make_raw(**{"end_date": END, **overrides})
    path = folder / filename
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def write_spec(folder: Path, spec: dict[str, Any] | None = None, **overrides: Any) -> Path:
    """Write an experiment file (default :data:`TINY_SPEC`, dotted-path overrides) next to
    the small scenario file."""
    if not (folder / "small.yaml").is_file():
        write_base(folder)
    raw = merge(copy.deepcopy(spec or TINY_SPEC), overrides)
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def local_client(workers: int = 1, tcp: bool = False):
    """A Dask client on an in-process cluster (threads, no worker processes to start).

    ``tcp``: the scheduler listens on a loopback TCP address (a real scheduler, as a
    cluster's would), and the client connects to it by address.
    """
    from distributed import Client, LocalCluster

    options: dict[str, Any] = {"protocol": "tcp", "host": "127.0.0.1"} if tcp else {}
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=False,
            dashboard_address=":0",
            **options,
        ) as cluster,
        Client(cluster.scheduler_address if tcp else cluster) as client,
    ):
        yield client
