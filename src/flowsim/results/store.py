"""Where a sweep, calibration or forecast keeps its finished runs: the run store of a folder.

A worker stores each run as soon as it finishes, so that a killed sweep loses no run that
finished: its kept series as ``series/<run id>.parquet``, then its row (summary, status,
timing) as ``shards/<run id>.parquet``. Those small files are the runs *not yet
compacted*. The driver compacts them from time to time (:meth:`RunStore.compact`) into
parts, and deletes the small files only once their part is written:

- ``store/rows/part-000001.parquet``: the rows of many runs;
- ``store/series/part-000001.parquet``: their kept series (``run_id``, ``date``, one column
  per series), sorted by run id in row groups of a few runs, so that reading a few runs
  skips the rest. ``store/series`` is a Parquet dataset any Arrow reader (pyarrow, DuckDB,
  Polars) can query as it is.

So a sweep of 100,000 runs leaves a few dozen files rather than 200,000, and every reader
goes through :class:`RunStore`, which sees the parts and the runs not yet compacted alike.

One row per run id: a run is stored twice only when a compaction was killed before it
deleted its small files, or when ``--resume`` runs again a run that had failed. The row
read is then the one with status ok if any, else the latest (runs not yet compacted are
later than any part, a later part later than an earlier one). The parts hold each run's ok
row once; a failed attempt's row may stay beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SHARDS = "shards"
SERIES = "series"
ROW_PARTS = Path("store") / "rows"
SERIES_PARTS = Path("store") / "series"
# Runs a driver lets pile up as small files before it compacts them: a few seconds of its
# time per compaction (reading and deleting 4,000 small files), a few thousand files at
# most on the disk at a time.
COMPACT_EVERY = 2000
# Runs per row group of a series part: reading a few runs reads their row groups only
# (found by the run id's statistics), and a row group stays above a few thousand rows.
RUNS_PER_ROW_GROUP = 8
_PART = re.compile(r"part-(\d{6})\.parquet")
# what the index of the compacted rows holds, and the part of a run not yet compacted
_INDEX_COLUMNS = ["run_id", "status"]
NOT_COMPACTED = 1_000_000_000


class RunStore:
    """The runs stored under ``folder`` (see the module's docstring for the layout).

    One writer at a time compacts (the driver of a sweep, calibration or forecast); any
    number of workers add runs meanwhile, and readers may read at any time.
    """

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self._parts: dict[tuple[str, ...], pa.Table] = {}  # part names -> their rows

    # -- writing -------------------------------------------------------------------------

    def put(self, row: dict[str, Any], series: pd.DataFrame | None = None) -> None:
        """Store a finished run: its kept series (if any), then its row (with ``run_id``).

        The row comes last, so a run whose row is stored has its series; both are written
        then renamed, so a killed write leaves no half file behind. A failed attempt never
        replaces a row stored ok.
        """
        if row.get("status") != "ok" and shard_ok(self.folder, row["run_id"]):
            return
        if series is not None:
            with _atomic(self._series_file(row["run_id"])) as tmp:
                series.to_parquet(tmp, index=False)
        with _atomic(self.shard_file(row["run_id"])) as tmp:
            # pyarrow directly: 0.4 ms a run, pandas 1.6 ms
            pq.write_table(pa.Table.from_pylist([row]), tmp)

    def compact(self, final: bool = False) -> dict[str, str]:
        """Move the runs not yet compacted into a new part (rows, and series if any);
        returns the status of each run it moved, by run id.

        The small files are deleted only once both parts are written, each row's file
        before its series' file: a compaction killed at any point loses nothing and leaves
        no run whose row is found without its series. ``final`` says no worker writes any
        more: the emptied folders of the small files are removed too.
        """
        files = self._shard_files()
        if not files:
            if final:
                self._remove_empty_folders()
            return {}
        rows = pa.concat_tables([read_shard(f) for f in files], promote_options="permissive")
        ids = rows.column("run_id").to_pylist()
        statuses = dict(zip(ids, rows.column("status").to_pylist(), strict=True))
        # runs a killed compaction had moved already with status ok are not stored twice
        done = self._compacted_ok()
        new = [k for k, rid in enumerate(ids) if rid not in done]
        if new:
            number = self._next_part()
            series = [(ids[k], self._series_file(ids[k])) for k in new]
            series = [(rid, file) for rid, file in series if file.is_file()]
            if series:
                self._write_series_part(number, series)
            with _atomic(self.folder / ROW_PARTS / f"part-{number:06d}.parquet") as tmp:
                pq.write_table(rows.take(pa.array(new, pa.int64())), tmp)
        self._drop_orphan_series_parts()
        self._remove_small_files(ids, files)
        if final:
            self._remove_empty_folders()
        return statuses

    # -- reading -------------------------------------------------------------------------

    def holds_runs(self) -> bool:
        """Whether any run is stored (compacted or not)."""
        return bool(self._row_part_files() or self._shard_files())

    def count(self) -> int:
        """Runs stored (one per run id)."""
        return len(self._index())

    def ok_ids(self) -> set[str]:
        """Ids of the runs stored with status ok."""
        index = self._index()
        return set(index.loc[index["status"] == "ok", "run_id"])

    def columns(self) -> list[str]:
        """The columns of the stored rows (their union, in order of appearance)."""
        names: dict[str, None] = {}
        for file in [*self._row_part_files(), *self._shard_files()]:
            try:
                names.update(dict.fromkeys(pq.read_schema(file).names))
            except FileNotFoundError:  # compacted meanwhile: its part has the same columns
                continue
        return list(names)

    def rows(self, ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The stored rows (one per run id; of ``ids`` only, if given), or an empty table
        with columns run_id, status and error."""
        table = self._snapshot()
        if table is None:
            return pd.DataFrame(columns=["run_id", "status", "error"])
        frame = _one_per_run(table).to_pandas()
        if ids is not None:
            frame = frame[frame["run_id"].isin(set(ids))]
        return frame.drop(columns="_part").reset_index(drop=True)

    def series(self, ids: Iterable[str]) -> pd.DataFrame:
        """The kept series of the runs ``ids`` that have any, as one frame with a
        ``run_id`` column first (runs in the order of ``ids``, days in order)."""
        wanted = list(dict.fromkeys(ids))
        for _ in range(10):
            try:
                pieces = self._series_pieces(wanted)
                break
            except FileNotFoundError:  # compacted meanwhile: found in its part next time
                continue
        else:
            raise OSError(f"{self.folder}: its runs kept moving while being read")
        if not pieces:
            return pd.DataFrame(columns=["run_id", "date"])
        frame = pd.concat(pieces, ignore_index=True)
        frame["run_id"] = frame["run_id"].astype(str)
        order = {rid: k for k, rid in enumerate(wanted)}
        frame = frame.sort_values(["run_id", "date"], key=_ranked(order), kind="stable")
        columns = ["run_id", *[c for c in frame.columns if c != "run_id"]]
        return frame[columns].reset_index(drop=True)

    def _series_pieces(self, wanted: list[str]) -> list[pd.DataFrame]:
        index = self._index()
        parts = dict(zip(index["run_id"], index["_part"], strict=True))
        by_part: dict[int, list[str]] = {}
        for rid in wanted:
            if rid in parts:
                by_part.setdefault(int(parts[rid]), []).append(rid)
        pieces = []
        for part, rids in sorted(by_part.items()):
            if part == NOT_COMPACTED:
                pieces += [p for p in map(self._loose_series, rids) if p is not None]
                continue
            file = self.folder / SERIES_PARTS / f"part-{part:06d}.parquet"
            if file.is_file():
                found = pq.read_table(file, filters=[("run_id", "in", rids)])
                pieces.append(found.to_pandas())
        return pieces

    def _loose_series(self, rid: str) -> pd.DataFrame | None:
        """The series of run ``rid`` not yet compacted; None if it keeps none. Raises
        FileNotFoundError when the run was compacted meanwhile."""
        try:
            return pd.read_parquet(self._series_file(rid)).assign(run_id=rid)
        except FileNotFoundError:
            if self.shard_file(rid).is_file():
                return None  # a run that keeps no series
            raise

    def files(self) -> list[Path]:
        """Every file the store holds now (parts and runs not yet compacted): what a cache
        of its contents checks for changes."""
        parts = [*self._row_part_files(), *self._part_files(SERIES_PARTS)]
        return [*parts, *self._shard_files()]

    def shard_file(self, rid: str) -> Path:
        """Where run ``rid``'s row is written until it is compacted."""
        return self.folder / SHARDS / f"{rid}.parquet"

    # -- internals -----------------------------------------------------------------------

    def _series_file(self, rid: str) -> Path:
        return self.folder / SERIES / f"{rid}.parquet"

    def _shard_files(self) -> list[Path]:
        folder = self.folder / SHARDS
        # complete files only: a write in progress is a hidden ".<name>.<random>.part"
        return sorted(folder.glob("[!.]*.parquet")) if folder.is_dir() else []

    def _part_files(self, where: Path) -> list[Path]:
        folder = self.folder / where
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if _PART.fullmatch(p.name))

    def _row_part_files(self) -> list[Path]:
        return self._part_files(ROW_PARTS)

    def _next_part(self) -> int:
        parts = [*self._row_part_files(), *self._part_files(SERIES_PARTS)]
        numbers = [_part_number(p) for p in parts]
        return max(numbers, default=0) + 1

    def _compacted(self, files: list[Path]) -> pa.Table | None:
        """The rows of the parts ``files``, with a ``_part`` column (read once per set of
        parts: a part never changes once written)."""
        if not files:
            return None
        key = tuple(f.name for f in files)
        if key not in self._parts:
            tables = [_with_part(pq.read_table(f), _part_number(f)) for f in files]
            self._parts = {key: pa.concat_tables(tables, promote_options="permissive")}
        return self._parts[key]

    def _compacted_ok(self) -> set[str]:
        compacted = self._compacted(self._row_part_files())
        if compacted is None:
            return set()
        ok = pc.fill_null(pc.equal(compacted["status"], "ok"), False)
        return set(compacted.filter(ok)["run_id"].to_pylist())

    def _snapshot(self, columns: list[str] | None = None) -> pa.Table | None:
        """Every stored row (``columns`` and ``_part`` only, if given), compacted or not, as
        one table; None when nothing is stored.

        A compaction may move runs while this reads: when a small file is gone before it
        is read, the parts and files are listed again, so no run is missed.
        """
        for _ in range(10):
            parts, shards = self._row_part_files(), self._shard_files()
            try:
                loose = [read_shard(f, columns) for f in shards]
            except FileNotFoundError:  # compacted meanwhile: into a part listed next time
                continue
            tables = []
            compacted = self._compacted(parts)
            if compacted is not None:
                tables.append(compacted.select([*columns, "_part"]) if columns else compacted)
            if loose:
                table = pa.concat_tables(loose, promote_options="permissive")
                tables.append(_with_part(table, NOT_COMPACTED))
            if not tables:
                return None
            return pa.concat_tables(tables, promote_options="permissive")
        raise OSError(f"{self.folder}: its runs kept moving while being read")

    def _index(self) -> pd.DataFrame:
        """run_id, status and part of each stored run (one per run id)."""
        table = self._snapshot(_INDEX_COLUMNS)
        if table is None:
            return pd.DataFrame({"run_id": [], "status": [], "_part": []})
        return _one_per_run(table).to_pandas()

    def _write_series_part(self, number: int, series: list[tuple[str, Path]]) -> None:
        tables = []
        for rid, file in series:
            table = read_shard(file)  # a small file: read as one, not through datasets
            ids = pa.array([rid] * len(table), pa.string())
            tables.append(table.add_column(0, "run_id", ids))
        table = pa.concat_tables(tables, promote_options="permissive")
        table = table.sort_by([("run_id", "ascending"), ("date", "ascending")])
        rows_per_group = max(1, len(table) // len(series)) * RUNS_PER_ROW_GROUP
        with _atomic(self.folder / SERIES_PARTS / f"part-{number:06d}.parquet") as tmp:
            pq.write_table(table, tmp, row_group_size=rows_per_group)

    def _remove_small_files(self, ids: list[str], files: list[Path]) -> None:
        for rid, file in zip(ids, files, strict=True):
            file.unlink(missing_ok=True)  # the row first: no row is left without its series
            self._series_file(rid).unlink(missing_ok=True)

    def _remove_empty_folders(self) -> None:
        # only once no worker writes: a worker creates the folder again before each write,
        # but removing it between its mkdir and its write would fail that write; for the
        # same reason the hidden leftovers of killed writes are garbage only then
        for name in (SHARDS, SERIES):
            folder = self.folder / name
            if not folder.is_dir():
                continue
            for leftover in folder.glob(".*.part"):
                leftover.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()

    def _drop_orphan_series_parts(self) -> None:
        """A series part with no rows part of its number was left by a killed compaction:
        its runs were compacted again into a later part."""
        rows = {p.name for p in self._row_part_files()}
        for part in self._part_files(SERIES_PARTS):
            if part.name not in rows:
                part.unlink(missing_ok=True)


def _atomic(target: Path):
    # imported here: flowsim.results.runs imports the model, which a reader of a store
    # (the dashboard's list of folders) does not need
    from flowsim.results.runs import atomic_path

    return atomic_path(target)


def read_shard(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One run's row file (``columns`` only, if given) as an Arrow table."""
    # ParquetFile, not pq.read_table: read_table goes through the dataset machinery, three
    # times the cost for a one-row file; one thread, as a one-row file has nothing to share
    with open(path, "rb") as file:
        return pq.ParquetFile(file).read(columns=columns, use_threads=False)


def shard_ok(folder: Path, rid: str) -> bool:
    """Whether run ``rid`` has a row file not yet compacted with status ok: what a worker
    checks before running a run again (a missing or unreadable file: no)."""
    path = RunStore(folder).shard_file(rid)
    if not path.is_file():  # the usual case, a file-system lookup only
        return False
    try:
        return read_shard(path, ["status"]).column("status")[0].as_py() == "ok"
    except (OSError, pa.ArrowException, KeyError, IndexError):
        return False


def _part_number(file: Path) -> int:
    return int(file.name[len("part-") : -len(".parquet")])


def _with_part(table: pa.Table, part: int) -> pa.Table:
    return table.append_column("_part", pa.array([part] * len(table), pa.int64()))


def _one_per_run(table: pa.Table) -> pa.Table:
    """One row per run id: the ok row if any, else the latest (highest ``_part``, then the
    last read)."""
    frame = pd.DataFrame(
        {
            "ok": pc.fill_null(pc.equal(table.column("status"), "ok"), False).to_numpy(
                zero_copy_only=False
            ),
            "part": table.column("_part").to_numpy(),
            "run_id": table.column("run_id").to_numpy(zero_copy_only=False),
        }
    )
    frame["order"] = range(len(frame))
    kept = frame.sort_values(["ok", "part", "order"]).drop_duplicates("run_id", keep="last")
    return table.take(pa.array(sorted(kept["order"])))


def _ranked(order: dict[str, int]):
    def key(column: pd.Series) -> pd.Series:
        return column.map(order) if column.name == "run_id" else column

    return key
