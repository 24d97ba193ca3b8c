"""Who applies (the ``profiles`` section): nationality groups x household types x
vulnerability, each group with its own share of applicants and protection rate."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
    model_validator,
)

from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.scenario.fields import Positive, Share, Strict, check_sum


class CgrsOutcomes(Strict):
    """Shares of CGRS first-instance decisions (per case) by outcome; they sum to 1."""

    refugee_status: Share  # share granted refugee status
    subsidiary_protection: Share  # share granted subsidiary protection
    refusal: Share  # share refused on the merits
    inadmissible: Share  # share declared inadmissible

    @model_validator(mode="after")
    def _sum_to_one(self) -> CgrsOutcomes:
        check_sum(self.model_dump(), "CGRS outcome shares")
        return self


class NationalityGroup(Strict):
    """A group of nationalities with its own share of applicants and protection rate."""

    inflow_share: Share  # share of applicants (persons)
    cgrs_outcomes: CgrsOutcomes
    case_effort: Positive = 1.0  # officer effort per case relative to an average case


class HouseholdType(Strict):
    """A household type: its share of applicants (persons) and its mean size (persons)."""

    inflow_share: Share  # share of applicants (persons)
    # mean persons per case (1 but for families)
    mean_size_persons: Annotated[
        float, Field(ge=1.0, le=15.0, strict=True, allow_inf_nan=False)
    ] = 1.0


class HouseholdTypes(Strict):
    single_man: HouseholdType
    single_woman: HouseholdType
    family: HouseholdType
    unaccompanied_minor: HouseholdType

    @model_validator(mode="after")
    def _sum_to_one(self) -> HouseholdTypes:
        check_sum({k: getattr(self, k).inflow_share for k in HOUSEHOLD_TYPES}, "inflow_share")
        problems = [
            f"@{name}.mean_size_persons: expected 1 (one person per {name} case), "
            f"got {getattr(self, name).mean_size_persons:g}"
            for name in HOUSEHOLD_TYPES
            if name != "family" and getattr(self, name).mean_size_persons != 1.0
        ]
        if self.family.mean_size_persons < 2.0:
            problems.append(
                f"@family.mean_size_persons: expected at least 2 persons, "
                f"got {self.family.mean_size_persons:g}"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self


class Profiles(Strict):
    """Who applies: nationality groups x household types x vulnerability."""

    nationality_groups: dict[str, NationalityGroup] = Field(min_length=1)
    household_types: HouseholdTypes  # share and size of each household type
    vulnerable_share: Share  # share of cases with a recognised vulnerability

    @model_validator(mode="after")
    def _groups_sum_to_one(self) -> Profiles:
        shares = {k: g.inflow_share for k, g in self.nationality_groups.items()}
        try:
            check_sum(shares, "inflow_share")
        except ValueError as err:
            raise ValueError(f"@nationality_groups: {err}") from None
        clash = set(self.nationality_groups) & (set(HOUSEHOLD_TYPES) | {"vulnerable"})
        if clash:
            raise ValueError(
                f"@nationality_groups: expected names other than household types and "
                f"'vulnerable', got {sorted(clash)}"
            )
        return self
