"""Test helper: runs of one folder's store copied into another's, not yet compacted, as a
killed driver leaves them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flowsim.results.store import RunStore


def copy_runs(source: Path, target: Path, ids: Iterable[str]) -> list[str]:
    """Store the runs ``ids`` of ``source`` (rows and kept series) in ``target`` as runs
    not yet compacted; returns their ids."""
    ids = list(ids)
    store, into = RunStore(source), RunStore(target)
    rows = store.rows(ids).dropna(axis=1, how="all")  # columns of other kinds of runs
    series = store.series(ids)
    for row in rows.to_dict("records"):
        kept = series[series["run_id"] == row["run_id"]].drop(columns="run_id")
        into.put(row, kept.reset_index(drop=True) if len(kept) else None)
    return ids
