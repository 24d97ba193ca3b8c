"""A corpus of hostile scenario files, made at test time (never stored): each case is a
name and a function writing the file(s) into a folder and returning the file to give the
command. Every one must end in exit 2 with one line per problem naming a file or an option.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from conftest import DELETE, make_raw


def _yaml(folder: Path, raw: dict, name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / "scenario.yaml"
        path.write_bytes(data)
        return path

    return write


def _raw(**overrides) -> Callable[[Path], Path]:
    return lambda folder: _yaml(folder, make_raw(**overrides))


def _through_base(inner: Callable[[Path], Path]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        base = inner(folder)
        child = folder / "child.yaml"
        child.write_text(f"base: {base.name}\nname: child\n", encoding="utf-8")
        return child

    return write


def _csv_inflow(text: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        (folder / "inflow.csv").write_text(text, encoding="utf-8")
        raw = make_raw(
            **{"inflow.monthly_persons": DELETE, "inflow.monthly_persons_file": "inflow.csv"}
        )
        return _yaml(folder, raw)

    return write


def _cycle(folder: Path) -> Path:
    (folder / "a.yaml").write_text("base: b.yaml\nname: a\n", encoding="utf-8")
    (folder / "b.yaml").write_text("base: a.yaml\nname: b\n", encoding="utf-8")
    return folder / "a.yaml"


CASES: dict[str, Callable[[Path], Path]] = {
    "empty-file": _bytes(b""),
    "not-a-mapping": _bytes(b"- a\n- b\n"),
    "latin-1": _bytes(b"name: caf\xe9\n"),
    "utf-16": _bytes("name: x\n".encode("utf-16")),
    "binary": _bytes(bytes(range(256))),
    "tab-indent": _bytes(b"name: x\n\tprofiles: 1\n"),
    "unclosed-bracket": _bytes(b"name: x\nprofiles: [a, b\n"),
    "duplicate-key": _bytes(b"name: a\nname: b\n"),
    "python-tag": _bytes(b"name: !!python/object/apply:os.system ['true']\n"),
    "deep-nesting": _bytes(b"name: x\ndescription: " + b"[" * 3000 + b"]" * 3000 + b"\n"),
    "day-30-february": _raw(end_date="2024-02-30"),
    "month-13": _bytes(b"name: x\nstart_date: 2024-13-01\n"),
    "name-path": _raw(name="../../escaped-run"),
    "name-absolute": _raw(name="/tmp/escaped"),
    "name-empty": _raw(name=""),
    "unknown-field": _raw(**{"cgrs.case_oficers_fte": 4}),
    "string-number": _raw(**{"cgrs.case_officers_fte": "120"}),
    "boolean-number": _raw(**{"cgrs.case_officers_fte": True}),
    "negative-places": _raw(**{"reception.centres.north.places": -5}),
    "huge-places": _raw(**{"reception.centres.north.places": 1e308}),
    "huge-officers": _raw(**{"cgrs.case_officers_fte": 1e30}),
    "huge-days": _raw(**{"cgrs.long_stay_first_days": 1e300}),
    "huge-pending": _raw(**{"initial_state.pending_cgrs_persons": 1e9}),
    "huge-scale": _raw(**{"inflow.scale": 1e6}),
    "nan": _raw(**{"cgrs.case_officers_fte": float("nan")}),
    "infinity": _raw(**{"cgrs.case_officers_fte": float("inf")}),
    "end-before-start": _raw(end_date="2023-01-01"),
    "change-outside-run": _raw(
        changes=[{"date": "2030-01-01", "field": "cgrs.case_officers_fte", "add": 1}]
    ),
    "change-unknown-field": _raw(
        changes=[{"date": "2024-03-01", "field": "cgrs.nothing", "add": 1}]
    ),
    "change-huge-multiply": _raw(
        changes=[{"date": "2024-03-01", "field": "cgrs.case_officers_fte", "multiply": 1e9}]
    ),
    "csv-row-without-value": _csv_inflow("month,persons\n2024-01,5\n2024-02\n"),
    "csv-bad-header": _csv_inflow("when,persons\n2024-01,5\n"),
    "csv-not-a-number": _csv_inflow("month,persons\n2024-01,many\n"),
    "missing-base": _bytes(b"base: nowhere.yaml\nname: x\n"),
    "base-cycle": _cycle,
    "latin-1-base": _through_base(_bytes(b"name: caf\xe9\n")),
    "bad-date-in-base": _through_base(_raw(end_date="2024-02-30")),
}


def _spec(**overrides) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        from experiment_helpers import write_spec

        return write_spec(folder, **overrides)

    return write


def _spec_bytes(data: bytes) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        from experiment_helpers import write_base

        write_base(folder)
        path = folder / "experiment.yaml"
        path.write_bytes(data)
        return path

    return write


SPECS: dict[str, Callable[[Path], Path]] = {
    "name-path": _spec(name="../../escaped-sweep"),
    "name-empty": _spec(name=""),
    "huge-design": _spec(
        design={"kind": "latin_hypercube", "samples": 10**9},
        levers=[{"name": "officers", "field": "cgrs.case_officers_fte", "range": [10, 50]}],
    ),
    "outcome-outside-run": _spec(**{"outcomes.backlog_end.date": "2031-01-01"}),
    "unknown-lever-field": _spec(**{"levers.0.field": "cgrs.nothing"}),
    "lever-out-of-range": _spec(**{"levers.0.values": [20, 1e30]}),
    "missing-base": _spec(base="nowhere.yaml"),
    "duplicate-key": _spec_bytes(b"name: a\nname: b\ndesign: {kind: factorial}\n"),
    "latin-1": _spec_bytes(b"name: caf\xe9\ndesign: {kind: factorial}\n"),
}
