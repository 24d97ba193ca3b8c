"""The data files a scenario file names, read when it loads (paths relative to the file):
monthly inflow schedules, the municipalities' table, the ensemble's members and errors."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from flowsim.scenario.calibration import ModelError
from flowsim.scenario.errors import ConfigError
from flowsim.scenario.municipalities import load_municipalities, read_capacity_table
from flowsim.scenario.sections import MUNICIPAL_TABLE_COLUMNS


def check_municipal_table(raw: dict[str, Any], path: Path) -> list[str]:
    """Resolve ``municipalities.table_file`` next to the scenario and check its contents."""
    section = raw.get("municipalities")
    if not isinstance(section, dict) or not isinstance(section.get("table_file"), str):
        return []
    table_path = (path.parent / section["table_file"]).resolve()
    if not table_path.is_file():
        return [
            f"{path}: municipalities.table_file: expected a CSV file with columns "
            f"nis,housing_persons_per_month, not found: {table_path}"
        ]
    try:
        read_capacity_table(table_path, load_municipalities(), MUNICIPAL_TABLE_COLUMNS)
    except ConfigError as err:
        return err.problems
    section["table_file"] = str(table_path)
    return []


def read_inflow_file(raw: dict[str, Any], path: Path) -> list[str]:
    """Read ``inflow.monthly_persons_file`` and ``inflow.subsequent_monthly_persons_file``
    (relative to the scenario) into their mappings."""
    inflow = raw.get("inflow")
    if not isinstance(inflow, dict):
        return []
    problems: list[str] = []
    for field in ("monthly_persons", "subsequent_monthly_persons"):
        if isinstance(inflow.get(f"{field}_file"), str):
            problems += _read_monthly_file(inflow, field, path)
    return problems


def read_ensemble_file(raw: dict[str, Any], path: Path) -> list[str]:
    """Read ``ensemble.file`` (relative to the scenario; a CSV file with a ``member`` column
    and one column per key, one member per row) into ``ensemble.members``, and
    ``ensemble.errors_file`` (a CSV file with the columns of :class:`ModelError`) into
    ``ensemble.errors``."""
    section = raw.get("ensemble")
    if not isinstance(section, dict):
        return []
    problems = _read_errors_file(section, path)
    if not isinstance(section.get("file"), str):
        return problems
    where = f"{path}: ensemble.file"
    if section.get("members"):
        return [f"{where}: expected either members or file, not both"]
    csv_path = (path.parent / section.pop("file")).resolve()
    if not csv_path.is_file():
        return [f"{where}: expected a CSV file with a member column, not found: {csv_path}"]
    members: list[dict[str, float]] = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "member" not in reader.fieldnames:
            return [f"{where}: expected a member column in {csv_path}"]
        keys = [k for k in reader.fieldnames if k != "member"]
        for line, row in enumerate(reader, start=2):
            try:
                members.append({key: float(row[key]) for key in keys})
            except (ValueError, TypeError):  # not a number, or a short row
                return [f"{where}: expected numbers in every column at {csv_path}:{line}"]
    section["members"] = members
    return problems


def _read_errors_file(section: dict[str, Any], path: Path) -> list[str]:
    """Read ``ensemble.errors_file`` into ``ensemble.errors`` (rows as dicts: the schema
    checks each value)."""
    if not isinstance(section.get("errors_file"), str):
        return []
    where = f"{path}: ensemble.errors_file"
    if section.get("errors"):
        return [f"{where}: expected either errors or errors_file, not both"]
    csv_path = (path.parent / section.pop("errors_file")).resolve()
    columns = list(ModelError.model_fields)
    if not csv_path.is_file():
        return [
            f"{where}: expected a CSV file with columns {','.join(columns)}, not found: {csv_path}"
        ]
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not set(columns) <= set(reader.fieldnames):
            return [f"{where}: expected columns {','.join(columns)} in {csv_path}"]
        section["errors"] = [{key: row[key] for key in columns} for row in reader]
    return []


def _read_monthly_file(inflow: dict[str, Any], field: str, path: Path) -> list[str]:
    """Read ``inflow.<field>_file`` (columns month,persons) into ``inflow.<field>``."""
    where = f"{path}: inflow.{field}_file"
    if inflow.get(field):
        return [f"{where}: expected either {field} or {field}_file, not both"]
    csv_path = (path.parent / inflow.pop(f"{field}_file")).resolve()
    if not csv_path.is_file():
        return [f"{where}: expected a CSV file with columns month,persons, not found: {csv_path}"]
    table: dict[str, float] = {}
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"month", "persons"} <= set(reader.fieldnames):
            return [f"{where}: expected columns month,persons in {csv_path}"]
        for line, row in enumerate(reader, start=2):
            try:
                table[row["month"].strip()] = float(row["persons"])
            except (ValueError, TypeError, AttributeError):  # not a number, or a short row
                return [f"{where}: expected a number of persons at {csv_path}:{line}"]
    inflow[field] = table
    return []
