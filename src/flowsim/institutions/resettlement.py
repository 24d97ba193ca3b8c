"""Resettlement: refugees selected abroad under a yearly pledge and transferred by IOM.

The pipeline (pledge -> CGRS selection missions -> IOM transfers) depends only on the
scenario's pledges and capacities, so it is computed when the run starts; the resettled
households then arrive like other applicants, already recognised as refugees. They go to a
reception centre first (Fedasil dispatches them ahead of everyone), stay there for the
configured weeks, move to a place that partner municipalities keep for them (centres with
``reserved_for: resettled``) when one is free, then look for housing like other status
holders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from flowsim.engine import streams
from flowsim.engine.arrivals import household_sizes
from flowsim.engine.rates import DAYS_PER_MONTH
from flowsim.engine.states import FAMILY, HOUSEHOLD_TYPES
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import Timeline


@dataclass(frozen=True)
class Pipeline:
    """Daily resettlement figures (persons): pledge of the year, selected, waiting, moved."""

    pledge: np.ndarray  # persons pledged for the current calendar year
    selected: np.ndarray  # persons selected by CGRS missions that day
    awaiting_transfer: np.ndarray  # selected, not yet transferred (end of day)
    transferred: np.ndarray  # persons transferred to Belgium that day

    def today(self, day: int) -> np.ndarray:
        """The day's four figures in that order (persons), as recorded in the stocks."""
        return self._rows[day]

    @cached_property
    def _rows(self) -> np.ndarray:
        return np.column_stack(
            [self.pledge, self.selected, self.awaiting_transfer, self.transferred]
        )


def pipeline(scenario: Scenario, timeline: Timeline) -> Pipeline:
    """Selections and transfers day by day, within the pledge of each year and the monthly
    selection and transfer capacities (both may change at dates)."""
    days = scenario.days
    calendar = scenario.run_days
    select_rate = timeline.daily("resettlement.selection_persons_per_month", days)
    transfer_rate = timeline.daily("resettlement.transfer_persons_per_month", days)
    pledge_fields = {
        year: timeline.daily(f"resettlement.pledges_persons.{year}", days)
        for year in scenario.resettlement.pledges_persons
    }
    out = {name: np.zeros(days) for name in ("pledge", "selected", "awaiting", "transferred")}
    if not any(rate.any() for rate in pledge_fields.values()):
        return Pipeline(out["pledge"], out["selected"], out["awaiting"], out["transferred"])
    selected_this_year, awaiting, select_budget, transfer_budget = 0.0, 0.0, 0.0, 0.0
    # plain Python floats and lists: a day's few operations on numpy scalars cost more
    select, transfer = select_rate.tolist(), transfer_rate.tolist()
    pledges = {year: rate.tolist() for year, rate in pledge_fields.items()}
    years, new_year = calendar.year.tolist(), calendar.new_year.tolist()
    for d in range(days):
        if d == 0 or new_year[d]:
            selected_this_year = 0.0
        pledge = pledges[years[d]][d] if years[d] in pledges else 0.0
        select_budget = min(select_budget + select[d] / DAYS_PER_MONTH, 1.0 + select[d])
        selected = min(float(math.floor(select_budget)), max(pledge - selected_this_year, 0.0))
        select_budget -= selected
        selected_this_year += selected
        awaiting += selected
        transfer_budget = min(transfer_budget + transfer[d] / DAYS_PER_MONTH, 1.0 + transfer[d])
        moved = min(float(math.floor(transfer_budget)), awaiting)
        transfer_budget -= moved
        awaiting -= moved
        out["pledge"][d] = pledge
        out["selected"][d] = selected
        out["awaiting"][d] = awaiting
        out["transferred"][d] = moved
    return Pipeline(out["pledge"], out["selected"], out["awaiting"], out["transferred"])


def resettled_cases(scenario: Scenario, transferred: np.ndarray, seed) -> tuple:
    """Households arriving with the transfers: (keys, profiles, sizes, arrival days).

    A household arrives on the first day the cumulative persons transferred cover it.
    """
    total = int(transferred.sum())
    if total == 0:
        empty = np.zeros(0)
        return (
            empty.astype(np.uint64),
            empty.astype(np.int16),
            empty.astype(np.int16),
            empty.astype(np.int32),
        )
    spec = scenario.resettlement
    groups = list(scenario.profiles.nationality_groups)
    group = groups.index(spec.nationality_group) if spec.nationality_group else 0
    htypes = scenario.profiles.household_types
    family_size = htypes.family.mean_size_persons
    family_cases = spec.family_share / family_size
    single_cases = 1.0 - spec.family_share
    keys = streams.child_keys(streams.key_of("resettled"), total)
    u = streams.uniforms(seed, keys, streams.RESETTLED_HOUSEHOLD, 0)
    is_family = u < family_cases / (family_cases + single_cases)
    women = htypes.single_woman.inflow_share / max(
        htypes.single_woman.inflow_share + htypes.single_man.inflow_share, 1e-12
    )
    u2 = streams.uniforms(seed, keys, streams.RESETTLED_HOUSEHOLD, 1)
    single = np.where(u2 < women, HOUSEHOLD_TYPES.index("single_woman"), 0)
    htype = np.where(is_family, HOUSEHOLD_TYPES.index("family"), single)
    family_sizes = household_sizes(
        scenario, FAMILY, streams.uniforms(seed, keys, streams.HOUSEHOLD_SIZE, 0)
    )
    size = np.where(is_family, family_sizes, 1).astype(np.int16)
    cumulative = np.cumsum(size)
    arrived = np.cumsum(transferred)
    keep = cumulative <= arrived[-1]
    keys, htype, size, cumulative = keys[keep], htype[keep], size[keep], cumulative[keep]
    day = np.searchsorted(arrived, cumulative, side="left").astype(np.int32)
    vulnerable = (
        streams.uniforms(seed, keys, streams.VULNERABLE, 0) < scenario.profiles.vulnerable_share
    )
    profile = ((group * len(HOUSEHOLD_TYPES) + htype) * 2 + vulnerable).astype(np.int16)
    return keys, profile, size, day
