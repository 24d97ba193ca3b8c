"""The run store (flowsim.results.store): one row per run however runs are stored, compacted
or interrupted; series found wherever they are; few files; nothing lost by a kill."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from flowsim.results.store import RunStore

IDS = [f"{k:020x}" for k in range(6)]


class Killed(BaseException):
    """A kill of the process, as SIGKILL would leave it (not an Exception: nothing catches
    it on the way)."""


def row_of(rid: str, ok: bool, attempt: int) -> dict:
    """An ok row depends on the run only (runs are deterministic); an error row on the
    attempt too."""
    value = float(int(rid, 16)) if ok else float("nan")
    return {
        "run_id": rid,
        "peak": value,
        "status": "ok" if ok else "error",
        "error": "" if ok else f"attempt {attempt}",
    }


def series_of(rid: str, days: int = 5) -> pd.DataFrame:
    dates = pd.date_range("2023-01-01", periods=days, freq="D")
    return pd.DataFrame({"date": dates, "in_reception": np.arange(days) + int(rid, 16) * 10.0})


def expected_rows(puts: list[tuple[str, bool, int]]) -> dict[str, dict]:
    """Per run: its ok row if it was ever stored ok, else its last row."""
    found: dict[str, dict] = {}
    for rid, ok, attempt in puts:
        if found.get(rid, {}).get("status") != "ok":
            found[rid] = row_of(rid, ok, attempt)
    return found


KILLS = {
    # after the series part is written, before the rows part
    "series part": ("_write_series_part", True),
    # after both parts, before any small file is removed
    "parts": ("_drop_orphan_series_parts", False),
    # after removing half of the small files
    "removal": ("_remove_small_files", None),
}


def compact(store: RunStore, kill: str | None) -> None:
    """``store.compact()``, killed at ``kill`` (one of :data:`KILLS`) if given."""
    if kill is None:
        store.compact()
        return
    name, after = KILLS[kill]
    original = getattr(RunStore, name)

    def killed(self, *args):
        if after is None:  # half the files, then the kill
            ids, files = args
            half = len(ids) // 2
            original(self, ids[:half], files[:half])
        elif after:
            original(self, *args)
        raise Killed

    with mock.patch.object(RunStore, name, killed), contextlib.suppress(Killed):
        store.compact()  # (a compaction that does not reach the kill's step completes)


step = st.one_of(
    st.tuples(st.just("put"), st.sampled_from(IDS), st.booleans()),
    st.tuples(st.just("compact"), st.sampled_from([None, *KILLS]), st.none()),
)


def keeps_series(rid: str) -> bool:
    """Whether a run keeps series when it succeeds (half of them do; a failed run never)."""
    return int(rid, 16) % 2 == 0


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, max_size=14))
def test_every_run_is_found_once_whatever_compactions_and_kills_happened(steps):
    with tempfile.TemporaryDirectory() as folder:
        puts: list[tuple[str, bool, int]] = []
        for k, (kind, a, b) in enumerate(steps):
            store = RunStore(folder)  # a new process after each step, as after a kill
            if kind == "put":
                puts.append((a, b, k))
                store.put(row_of(a, b, k), series_of(a) if b and keeps_series(a) else None)
            else:
                compact(store, a)
        store = RunStore(folder)
        want = expected_rows(puts)
        kept = {rid for rid, row in want.items() if row["status"] == "ok" and keeps_series(rid)}
        check_store(store, want, kept)
        # a last compaction leaves every run in the parts and no small file
        store.compact()
        check_store(RunStore(folder), want, kept)
        assert not list((Path(folder) / "shards").glob("*.parquet"))
        assert not list((Path(folder) / "series").glob("*.parquet"))
        if want:  # the parts, read as a plain Parquet dataset, hold each ok run once
            parts = pd.read_parquet(Path(folder) / "store" / "rows")
            assert set(parts["run_id"]) == set(want)
            assert parts.loc[parts["status"] == "ok", "run_id"].is_unique


def check_store(store: RunStore, want: dict[str, dict], kept: set[str]) -> None:
    rows = store.rows()
    assert sorted(rows["run_id"]) == sorted(want)
    assert store.count() == len(want)
    assert store.ok_ids() == {rid for rid, row in want.items() if row["status"] == "ok"}
    for rid, row in want.items():
        got = rows[rows["run_id"] == rid].iloc[0]
        assert got["status"] == row["status"] and got["error"] == row["error"]
        assert got["peak"] == row["peak"] or (np.isnan(got["peak"]) and np.isnan(row["peak"]))
    # the series of every run that kept some, in the order asked for
    asked = sorted(want, reverse=True)
    series = store.series(asked)
    has = [rid for rid in asked if rid in kept]
    assert list(dict.fromkeys(series["run_id"])) == has
    for rid in has:
        got = series[series["run_id"] == rid].drop(columns="run_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, series_of(rid), check_dtype=False)


def test_an_empty_store_reads_as_empty(tmp_path):
    store = RunStore(tmp_path / "nothing")
    assert not store.holds_runs() and store.count() == 0 and store.ok_ids() == set()
    assert list(store.rows().columns) == ["run_id", "status", "error"]
    assert store.series(["a"]).empty and store.compact() == {}


def test_rows_of_several_shapes_read_as_pandas_reads_them(tmp_path):
    # an ok run, an error with no outcome, a run lacking a column: the union of columns
    rows = [
        {"run_id": "b", "peak": 7.5, "status": "ok", "error": "", "wall_time_s": 0.4},
        {"run_id": "a", "peak": float("nan"), "status": "error", "error": "ValueError: x"},
        {"run_id": "c", "status": "ok", "error": "", "wall_time_s": 0.5, "worker": "h:1"},
    ]
    store = RunStore(tmp_path)
    for row in rows:
        store.put(row)
    files = sorted((tmp_path / "shards").glob("*.parquet"))
    expected = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    for _ in range(2):  # before and after compaction
        stored = store.rows().sort_values("run_id", ignore_index=True)
        assert list(stored["run_id"]) == ["a", "b", "c"]
        pd.testing.assert_frame_equal(stored[expected.columns], expected, check_dtype=False)
        assert set(stored.columns) == {"run_id", "peak", "status", "error", "wall_time_s", "worker"}
        assert set(store.columns()) == set(stored.columns)
        store.compact()


def test_compaction_leaves_two_files_a_part_and_reads_a_few_runs_only(tmp_path):
    store = RunStore(tmp_path)
    ids = [f"{k:020x}" for k in range(64)]
    for rid in ids:
        store.put(row_of(rid, True, 0), series_of(rid, days=400))
    assert store.compact() == dict.fromkeys(ids, "ok")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == ["store/rows/part-000001.parquet", "store/series/part-000001.parquet"]
    assert store.files() == [tmp_path / f for f in files]
    # the series part is sorted by run and cut in row groups of a few runs
    meta = pq.ParquetFile(tmp_path / files[1]).metadata
    assert meta.num_row_groups == 64 // 8 and meta.num_rows == 64 * 400
    with mock.patch("pyarrow.parquet.read_table", wraps=pq.read_table) as read:
        found = store.series([ids[40], ids[3]])
    assert list(dict.fromkeys(found["run_id"])) == [ids[40], ids[3]]
    series_reads = [c for c in read.call_args_list if "series" in str(c.args[0])]
    assert len(series_reads) == 1 and series_reads[0].kwargs["filters"]  # one part, filtered
    assert len(found) == 800
    # a later batch goes into a second part, and a run stored again ok is not duplicated
    store.put(row_of(ids[0], True, 1), series_of(ids[0], days=400))
    store.put(row_of("f" * 20, False, 1))
    assert store.compact() == {ids[0]: "ok", "f" * 20: "error"}
    assert len(pd.read_parquet(tmp_path / "store" / "rows")) == 65
    assert store.count() == 65 and not store.series(["f" * 20]).size


def test_a_reader_misses_no_run_compacted_while_it_reads(tmp_path):
    store = RunStore(tmp_path)
    for rid in IDS:
        store.put(row_of(rid, True, 0), series_of(rid))
    reader = RunStore(tmp_path)
    original = RunStore._shard_files
    calls = []

    def listed_then_compacted(self):
        files = original(self)
        if not calls:  # the first listing is out of date by the time it is read
            calls.append(1)
            store.compact()
        return files

    with mock.patch.object(RunStore, "_shard_files", listed_then_compacted):
        assert sorted(reader.rows()["run_id"]) == IDS
    assert set(reader.series(IDS)["run_id"]) == set(IDS)
