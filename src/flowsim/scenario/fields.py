"""The kinds of value a scenario field holds: strict, finite numbers, shares, monthly
schedules, labels; and the strict base every section of the schema builds on."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

from flowsim.scenario.errors import abbrev

SHARE_TOLERANCE = 1e-6

# Numbers are strict (a YAML `yes` or a quoted "120" is not a number) and finite.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0, strict=True, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, strict=True, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, strict=True, allow_inf_nan=False)]
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _check_months(value: dict[str, float]) -> dict[str, float]:
    bad = [key for key in value if not MONTH.match(str(key))]
    if bad:
        raise ValueError(f"expected months as YYYY-MM, got {abbrev([repr(b) for b in bad])}")
    return value


# Persons per calendar month, keyed YYYY-MM.
MonthlyPersons = Annotated[dict[str, NonNegative], AfterValidator(_check_months)]

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_label(value: str) -> str:
    """``value`` if it is a label (a scenario's or an experiment's ``name``: it names the
    default results folder, ``results/<name>/``, so it is never a path); else ValueError."""
    if not isinstance(value, str) or not LABEL.match(value):
        raise ValueError(
            "expected a label: letters, digits, '.', '_' or '-', starting with a letter or "
            f"a digit, at most 100 characters (not a path), got {value!r}"
        )
    return value


# A name that is only a label, never a path (results go where --out says, or results/<name>).
Label = Annotated[str, Field(strict=True), AfterValidator(check_label)]


class Strict(BaseModel):
    """The base of every section: unknown fields refused, values frozen and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def check_sum(shares: dict[str, float], what: str) -> None:
    """ValueError unless the shares sum to 1 (within :data:`SHARE_TOLERANCE`)."""
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"expected {what} to sum to 1, got {total:.6g}")
