"""Belgium's municipalities and how national totals are shared out among them.

The package carries the 581 municipalities as they stood before the 2025 mergers, with their
population on 1 January 2020 (persons; Statbel, see ``flowsim/data/README.md``).
:func:`load_municipalities` reads that table (or another CSV with the same columns) into a
:class:`MunicipalityTable`. :func:`allocate` splits a whole number (persons, places) into
whole shares by the largest-remainder method, :func:`distribute` does so for a national total
by a distribution key, and :func:`read_capacity_table` reads per-municipality figures (places,
persons per month) from a CSV keyed by NIS code.

File problems raise :class:`flowsim.scenario.errors.ConfigError` with one line per problem, naming
the file, the line and the column: ``<file>: line <n>, column <name>: expected ..., got ...``.
"""

from __future__ import annotations

import csv
import functools
import math
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np

from flowsim.engine.states import REGIONS
from flowsim.scenario.errors import ConfigError

DISTRIBUTION_KEYS = ("population", "equal")
MUNICIPALITY_COLUMNS = ("nis_code", "name", "region", "province", "population")
NIS_COLUMN = "nis"  # the key column of a per-municipality table

# Region labels as written in data files (lower case, spaces collapsed) -> index into REGIONS.
_REGION_LABELS = {
    "flanders": 0,
    "flemish region": 0,
    "wallonia": 1,
    "walloon region": 1,
    "brussels": 2,
    "brussels-capital": 2,
    "brussels-capital region": 2,
    "brussels capital region": 2,
}
_BRUSSELS = REGIONS.index("brussels")
_FLOAT_TOTAL_LIMIT = 2**40  # float64 quotas stay far below one unit of rounding error
_SHOWN = 4  # missing municipalities named in an error before "and N more"


def region_index(label: str) -> int:
    """Index into :data:`REGIONS` of a region label such as ``Flanders`` or
    ``Brussels-Capital`` (case and surrounding spaces ignored); ValueError if unknown."""
    key = " ".join(str(label).split()).lower()
    if key not in _REGION_LABELS:
        raise ValueError(
            f"expected a region (Flanders, Wallonia or Brussels-Capital), got {label!r}"
        )
    return _REGION_LABELS[key]


@dataclass(frozen=True, eq=False)
class MunicipalityTable:
    """Belgian municipalities, one entry per municipality in every field, in file order.

    ``nis``: NIS codes (int64); ``name``: names; ``region``: index into :data:`REGIONS`
    (int8); ``province``: province names, ``''`` for Brussels; ``population``: residents
    (persons, int64). The arrays are read-only.
    """

    nis: np.ndarray
    name: tuple[str, ...]
    region: np.ndarray
    province: tuple[str, ...]
    population: np.ndarray
    _row: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        arrays = {
            "nis": np.array(self.nis, dtype=np.int64),
            "region": np.array(self.region, dtype=np.int8),
            "population": np.array(self.population, dtype=np.int64),
        }
        for key, array in arrays.items():
            array.setflags(write=False)
            object.__setattr__(self, key, array)
        object.__setattr__(self, "name", tuple(self.name))
        object.__setattr__(self, "province", tuple(self.province))
        n = len(self.nis)
        sizes = {k: len(getattr(self, k)) for k in ("name", "region", "province", "population")}
        if self.nis.ndim != 1 or any(size != n for size in sizes.values()):
            raise ValueError(f"expected {n} entries in every field, got {sizes}")
        if n and (self.region.min() < 0 or self.region.max() >= len(REGIONS)):
            raise ValueError(f"expected region indices 0 to {len(REGIONS) - 1}")
        row = {int(code): i for i, code in enumerate(self.nis)}
        if len(row) != n:
            raise ValueError("expected each NIS code once")
        object.__setattr__(self, "_row", row)

    def __len__(self) -> int:
        return len(self.nis)

    def __repr__(self) -> str:
        return (
            f"MunicipalityTable({len(self)} municipalities, "
            f"population {int(self.population.sum()):,} persons)"
        )

    def index_of(self, nis: int) -> int:
        """Position (row) of the municipality with this NIS code; KeyError if there is none."""
        try:
            return self._row[int(nis)]
        except (KeyError, TypeError, ValueError):
            raise KeyError(f"no municipality with NIS code {nis!r}") from None

    def region_totals(self, values: np.ndarray) -> dict[str, float]:
        """Sum of a per-municipality array (any unit) over each region, keyed by
        :data:`REGIONS` name, in that order; the sums keep the values' unit."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (len(self),):
            raise ValueError(
                f"expected one value per municipality ({len(self)}), got shape {values.shape}"
            )
        sums = np.bincount(self.region, weights=values, minlength=len(REGIONS))
        return {region: float(total) for region, total in zip(REGIONS, sums, strict=True)}


# --- reading ------------------------------------------------------------------------------


def load_municipalities(path: Path | None = None) -> MunicipalityTable:
    """The municipalities table: the package's 581 municipalities (population on
    1 January 2020, persons) by default, or the CSV at ``path`` with the same columns
    (``nis_code,name,region,province,population``; other columns are ignored).

    Raises :class:`ConfigError` with one line per problem (file, line, column).
    """
    if path is None:
        return _package_municipalities()
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"{path}: file not found"])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return _parse_municipalities(handle, str(path))


@functools.cache
def _package_municipalities() -> MunicipalityTable:
    # read once per process: every model builds on it, and the table is immutable
    resource = resources.files("flowsim.data").joinpath("municipalities.csv")
    with resource.open("r", encoding="utf-8-sig", newline="") as handle:
        return _parse_municipalities(handle, str(resource))


def _parse_municipalities(handle: IO[str], source: str) -> MunicipalityTable:
    problems: list[str] = []
    rows = _csv_rows(handle, source, MUNICIPALITY_COLUMNS, problems)
    nis: list[int] = []
    names: list[str] = []
    regions: list[int] = []
    provinces: list[str] = []
    populations: list[int] = []
    first_line: dict[int, int] = {}
    for line, row in rows:
        at = f"{source}: line {line}, column"
        bad = len(problems)
        code = _nis_code(row["nis_code"])
        if code is None:
            problems.append(f"{at} nis_code: expected a 5-digit NIS code, got {row['nis_code']!r}")
        elif code in first_line:
            problems.append(
                f"{at} nis_code: expected each NIS code once, got {code} again "
                f"(first on line {first_line[code]})"
            )
        else:
            first_line[code] = line
        if not row["name"]:
            problems.append(f"{at} name: expected a name, got ''")
        try:
            region = region_index(row["region"])
        except ValueError as err:
            problems.append(f"{at} region: {err}")
            region = -1
        if region == _BRUSSELS and row["province"]:
            problems.append(
                f"{at} province: expected no province for a Brussels municipality, "
                f"got {row['province']!r}"
            )
        elif region not in (-1, _BRUSSELS) and not row["province"]:
            problems.append(f"{at} province: expected a province outside Brussels, got ''")
        population = _whole_number(row["population"])
        if population is None:
            problems.append(
                f"{at} population: expected a non-negative whole number of persons, "
                f"got {row['population']!r}"
            )
        if len(problems) == bad:
            nis.append(code)  # type: ignore[arg-type]
            names.append(row["name"])
            regions.append(region)
            provinces.append(row["province"])
            populations.append(population)  # type: ignore[arg-type]
    if not problems and not nis:
        problems.append(f"{source}: expected at least one municipality, got none")
    if problems:
        raise ConfigError(problems)
    return MunicipalityTable(
        nis=np.array(nis, dtype=np.int64),
        name=tuple(names),
        region=np.array(regions, dtype=np.int8),
        province=tuple(provinces),
        population=np.array(populations, dtype=np.int64),
    )


def read_capacity_table(
    path: Path, table: MunicipalityTable, columns: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Per-municipality figures from a CSV with a ``nis`` column and ``columns``.

    Every municipality of ``table`` appears exactly once; values are non-negative finite
    numbers in the unit the column name gives (e.g. ``lri_places``: places,
    ``housing_per_month``: persons per month). Other columns are ignored. Returns one float64
    array per column, in ``table`` order.

    Raises :class:`ConfigError` with one line per problem (file, line, column).
    """
    columns = _column_names(columns)
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise ConfigError([f"{source}: file not found"])
    problems: list[str] = []
    out = {name: np.zeros(len(table), dtype=np.float64) for name in columns}
    first_line: dict[int, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in _csv_rows(handle, source, (NIS_COLUMN, *columns), problems):
            at = f"{source}: line {line}, column"
            code = _nis_code(row[NIS_COLUMN])
            if code is None:
                problems.append(
                    f"{at} {NIS_COLUMN}: expected a 5-digit NIS code, got {row[NIS_COLUMN]!r}"
                )
                continue
            if code not in table._row:
                problems.append(
                    f"{at} {NIS_COLUMN}: expected the NIS code of a municipality in the "
                    f"table, got {code}"
                )
                continue
            if code in first_line:
                problems.append(
                    f"{at} {NIS_COLUMN}: expected each municipality once, got {code} again "
                    f"(first on line {first_line[code]})"
                )
                continue
            first_line[code] = line
            i = table._row[code]
            for name in columns:
                value = _non_negative(row[name])
                if value is None:
                    problems.append(
                        f"{at} {name}: expected a non-negative number, got {row[name]!r}"
                    )
                else:
                    out[name][i] = value
    missing = [i for i, code in enumerate(table.nis) if int(code) not in first_line]
    if missing:
        shown = ", ".join(f"{table.nis[i]} {table.name[i]}" for i in missing[:_SHOWN])
        more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
        problems.append(
            f"{source}: column {NIS_COLUMN}: expected every municipality of the table "
            f"once, missing {len(missing)} of {len(table)}: {shown}{more}"
        )
    if problems:
        raise ConfigError(problems)
    return out


def _column_names(columns: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(columns, str):
        raise TypeError(f"expected a tuple of column names, got the string {columns!r}")
    columns = tuple(columns)
    if not columns or len(set(columns)) != len(columns) or NIS_COLUMN in columns:
        raise ValueError(
            f"expected one or more distinct value columns other than {NIS_COLUMN!r}, "
            f"got {columns!r}"
        )
    return columns


def _csv_rows(
    handle: IO[str], source: str, required: tuple[str, ...], problems: list[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped text}) for each non-blank data row.

    A header without each ``required`` column exactly once raises :class:`ConfigError` at
    once; rows with the wrong number of fields are added to ``problems`` and skipped.
    """
    reader = csv.reader(handle)
    with _unreadable(source, reader, problems):
        header = [name.strip() for name in next(reader, [])]
    if not header:
        raise ConfigError(
            [f"{source}: line 1: expected a header with columns {', '.join(required)}, got none"]
        )
    header_problems = []
    for name in required:
        count = header.count(name)
        if count == 0:
            header_problems.append(
                f"{source}: line 1, column {name}: expected this column, missing"
            )
        elif count > 1:
            header_problems.append(
                f"{source}: line 1, column {name}: expected this column once, got it {count} times"
            )
    if header_problems:
        raise ConfigError(header_problems)
    return _data_rows(reader, header, source, problems)


def _data_rows(
    reader: Any, header: list[str], source: str, problems: list[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    while True:
        with _unreadable(source, reader, problems):
            fields = next(reader, None)
        if fields is None:
            return
        if not any(text.strip() for text in fields):
            continue
        if len(fields) != len(header):
            problems.append(
                f"{source}: line {reader.line_num}: expected {len(header)} fields "
                f"({', '.join(header)}), got {len(fields)}"
            )
            continue
        yield reader.line_num, {n: t.strip() for n, t in zip(header, fields, strict=True)}


@contextmanager
def _unreadable(source: str, reader: Any, problems: list[str]) -> Iterator[None]:
    """Turn a file that is not UTF-8 CSV text into a :class:`ConfigError`."""
    try:
        yield
    except UnicodeDecodeError:
        raise ConfigError([*problems, f"{source}: expected UTF-8 text, got other bytes"]) from None
    except csv.Error as err:
        raise ConfigError(
            [*problems, f"{source}: line {reader.line_num}: expected CSV text, got {err}"]
        ) from None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _nis_code(text: str) -> int | None:
    return int(text) if len(text) == 5 and _digits(text) and text[0] != "0" else None


def _whole_number(text: str) -> int | None:
    return int(text) if _digits(text) else None


def _non_negative(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


# --- sharing out --------------------------------------------------------------------------


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` (a whole number of persons, places, ...) into whole shares
    proportional to ``weights`` by the largest-remainder (Hamilton) method.

    Each share starts at the integer part of its exact quota ``total * w / sum(w)``; the
    units left over go one each to the largest fractional parts, the lower index first on a
    tie. The shares are non-negative int64 in the unit of ``total``, sum exactly to
    ``total``, and each is the floor or the ceiling of its quota; a zero weight gets nothing.
    Whole-number weights (integer, or floats without a fractional part) are handled
    exactly; fractional weights in float64, so their ties are broken on float64 remainders.
    Like every Hamilton allocation it can show the Alabama paradox (a larger total may give
    one entry less).

    ValueError if ``total`` is negative, a weight is negative or not finite, ``total`` is
    positive and every weight is zero, or ``total`` exceeds 2**40 with fractional weights.
    """
    try:
        total = operator.index(total)
    except TypeError:
        raise TypeError(f"allocate: expected a whole number total, got {total!r}") from None
    if total < 0:
        raise ValueError(f"allocate: expected a non-negative total, got {total}")
    w = np.asarray(weights)
    if w.ndim != 1 or not (
        np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)
    ):
        raise ValueError(
            f"allocate: expected a 1-D array of numeric weights, got {w.dtype} with shape {w.shape}"
        )
    if np.issubdtype(w.dtype, np.floating) and not np.isfinite(w).all():
        raise ValueError("allocate: expected finite weights, got NaN or infinity")
    if (w < 0).any():
        raise ValueError(f"allocate: expected non-negative weights, got {w[w < 0][0].item()!r}")
    if total > 0 and not (w > 0).any():
        raise ValueError(
            f"allocate: cannot share {total} among {w.size} weights that are all zero; "
            f"expected at least one positive weight"
        )
    shares = np.zeros(w.size, dtype=np.int64)
    if total == 0:
        return shares
    if np.issubdtype(w.dtype, np.floating) and np.all(w == np.floor(w)) and w.max() <= 2**53:
        w = w.astype(np.int64)  # whole numbers stored as floats: counts, populations
    limit = np.iinfo(np.int64).max
    if np.issubdtype(w.dtype, np.integer) and max(total, w.size) * int(w.max()) <= limit:
        # Integer arithmetic: quotas and remainders exact (no overflow: total * max fits).
        w = w.astype(np.int64)
        shares[:], remainder = np.divmod(total * w, int(w.sum()))
    else:  # float64, scaled by the largest weight: no overflow, no subnormal sums
        if total > _FLOAT_TOTAL_LIMIT:
            raise ValueError(
                f"allocate: expected a total of at most 2**40 with fractional or very large "
                f"weights, got {total}"
            )
        w = w.astype(np.float64) / float(w.max())
        quota = total * w / w.sum()
        floor = np.floor(quota)
        shares[:], remainder = floor.astype(np.int64), quota - floor
    left = total - int(shares.sum())
    if not 0 <= left <= w.size:  # cannot happen within the float limit; never mis-slice
        raise ArithmeticError(f"allocate: rounding left {left} units for {w.size} shares")
    order = np.lexsort((np.arange(w.size), -remainder))  # largest remainder, lower index
    shares[order[:left]] += 1
    return shares


def distribute(total: float, table: MunicipalityTable, key: str = "population") -> np.ndarray:
    """Whole places or persons per municipality (int64, in ``total``'s unit) from a national
    ``total``, shared by ``key``: ``population`` (in proportion to residents) or ``equal``
    (the same for every municipality). ``total`` is first rounded to a whole number (half to
    even, as :func:`round`), then shared with :func:`allocate`.
    """
    if not math.isfinite(total) or total < 0:
        raise ValueError(f"distribute: expected a non-negative finite total, got {total!r}")
    if key == "population":
        weights = table.population
    elif key == "equal":
        weights = np.ones(len(table), dtype=np.int64)
    else:
        raise ValueError(
            f"distribute: expected key {' or '.join(map(repr, DISTRIBUTION_KEYS))}, got {key!r}"
        )
    return allocate(round(total), weights)


def share_places_by_region(
    places: np.ndarray, regions: np.ndarray, table: MunicipalityTable, key: str = "population"
) -> np.ndarray:
    """Whole places per municipality (int64) from places given by region: ``places[i]`` are
    shared by ``key`` (see :func:`distribute`) among the municipalities of region
    ``regions[i]`` (an index into :data:`REGIONS`, or -1 for all municipalities).

    Used for the LRI places that the municipalities offer: the centres of type ``lri`` give
    the places, each region's municipalities share them.
    """
    weights = table.population if key == "population" else np.ones(len(table), np.int64)
    out = np.zeros(len(table), np.int64)
    for total, region in zip(places, regions, strict=True):
        inside = weights if region < 0 else np.where(table.region == region, weights, 0)
        out += allocate(int(total), inside)
    return out
