"""What a scenario changes against a baseline: differences paired replication by replication.

Two runs with the same seed (``flowsim run --seed S``) give replication k the same seed and
the same ensemble member, so the same persons meet the same luck and the same parameter set
(:mod:`flowsim.engine.streams`): the difference of their series, replication by replication, is the
scenario's effect under that replication's uncertainty. :func:`pair` matches replications
by their seed and member (from the two manifests) and says when it cannot;
:func:`difference_bands` gives, per date, the quantiles of the paired differences of a
series; :func:`compare_totals` sums a period into the figures a policy reader asks for
(person-days without a place, the peak, the backlog at the end, costs) with the paired
interval beside the unpaired one (:mod:`flowsim.experiments.intervals`).

Units: persons unless named; person-days; euros; dates are calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from flowsim.experiments.intervals import mean_interval, welch_interval
from flowsim.results.frames import QUANTILES, by_replication

#: Fewer paired replications than this and a difference's interval is flagged as unreliable.
FEW_REPLICATIONS = 10


@dataclass(frozen=True)
class Total:
    """A figure over a period of one replication: a daily series and how it is summed."""

    label: str  # for people
    series: str  # daily series of a run (flowsim.engine.series)
    how: Literal["sum", "max", "last"]  # over the days of the period
    unit: str


#: The figures :func:`compare_totals` gives, in the order shown.
TOTALS = {
    "person_days_without_place": Total(
        "person-days without a place", "without_reception", "sum", "person-days"
    ),
    "peak_without_place": Total("peak without a place", "without_reception", "max", "persons"),
    "cgrs_backlog_at_end": Total("CGRS backlog at the end", "cgrs_backlog", "last", "persons"),
    "status_holders_in_reception_at_end": Total(
        "status holders in reception at the end", "status_holders_in_reception", "last", "persons"
    ),
    "cgrs_decisions": Total("CGRS decisions", "cgrs_decisions", "sum", "persons"),
    "reception_cost_eur": Total("reception cost", "reception_cost_eur", "sum", "euros"),
    "cost_eur": Total("cost (reception and return packages)", "cost_eur", "sum", "euros"),
}


@dataclass(frozen=True)
class Pairing:
    """Which replication of the scenario goes with which of the baseline, and what a reader
    should know about it (one sentence per warning)."""

    pairs: list[tuple[int, int]]  # (baseline replication, scenario replication)
    warnings: list[str] = field(default_factory=list)

    @property
    def paired(self) -> bool:
        """Whether any replication is paired."""
        return bool(self.pairs)


def own_changes(
    baseline: dict[str, Any], scenario: dict[str, Any]
) -> list[tuple[pd.Timestamp, str]]:
    """The dated changes of a scenario's run that its baseline's run does not have, as
    (date, field), from the two manifests (the measure's dates and what it moves)."""

    def changes(manifest: dict[str, Any]) -> list[dict]:
        return list((manifest.get("config") or {}).get("changes") or [])

    theirs = {(str(c.get("date")), c.get("field"), str(c)) for c in changes(baseline)}
    mine = [
        (pd.Timestamp(c["date"]), str(c.get("field", "")))
        for c in changes(scenario)
        if (str(c.get("date")), c.get("field"), str(c)) not in theirs
    ]
    return sorted(set(mine))


def _draws(manifest: dict[str, Any]) -> list[tuple[int, int]]:
    """(seed, ensemble member) of every replication of a run, in replication order."""
    seeds = manifest.get("replication_seeds", [])
    members = manifest.get("replication_members") or [0] * len(seeds)
    return [(int(s), int(m)) for s, m in zip(seeds, members, strict=True)]


def pair(
    baseline: dict[str, Any], scenario: dict[str, Any], few: int = FEW_REPLICATIONS
) -> Pairing:
    """Pair the replications of two runs (their manifests) that share a seed and a member.
    Warns when none do (the differences are then unpaired), when only some do, and when
    fewer than ``few`` are paired."""
    base, other = _draws(baseline), _draws(scenario)
    where = {draw: k for k, draw in enumerate(base)}
    pairs = [(where[draw], k) for k, draw in enumerate(other) if draw in where]
    warnings = []
    if not pairs:
        warnings.append(
            f"no replication of {scenario.get('scenario', 'the scenario')} shares a seed with "
            f"{baseline.get('scenario', 'the baseline')}: run both with the same --seed to pair "
            "them; differences below are unpaired"
        )
    elif len(pairs) < max(len(base), len(other)):
        warnings.append(
            f"{len(pairs)} of {max(len(base), len(other))} replications are paired (same seed "
            "and member); the others are left out of the paired differences"
        )
    if 0 < len(pairs) < few:
        warnings.append(
            f"only {len(pairs)} paired replications: the bands and intervals of a difference "
            f"rest on few runs (run {few} or more)"
        )
    return Pairing(pairs, warnings)


def paired_series(
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    column: str,
    pairing: Pairing,
    window: int | None = None,
) -> pd.DataFrame:
    """Date x pair: the scenario's series minus the baseline's, replication by replication
    (dates both runs have; a flow as a ``window``-day mean when given)."""
    base, other = by_replication(baseline, column, window), by_replication(scenario, column, window)
    dates = base.index.intersection(other.index)
    diffs = {
        k: other.loc[dates, s].to_numpy() - base.loc[dates, b].to_numpy()
        for k, (b, s) in enumerate(pairing.pairs)
    }
    return pd.DataFrame(diffs, index=dates)


def difference_bands(
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    column: str,
    pairing: Pairing,
    window: int | None = None,
) -> pd.DataFrame:
    """Per date (index), the quantiles of the paired differences scenario - baseline of one
    series, one column per quantile of :data:`QUANTILES` (floats, as the dashboard's fan
    charts take them); empty without pairs."""
    wide = paired_series(baseline, scenario, column, pairing, window)
    if wide.empty or not pairing.paired:
        return pd.DataFrame(columns=list(QUANTILES), dtype=float)
    return wide.quantile(list(QUANTILES), axis=1).T


def period_totals(frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    """Per replication (index), every figure of :data:`TOTALS` whose series the run has,
    over the days from ``start`` to ``end`` included."""
    dates = pd.to_datetime(frame["date"])
    inside = frame[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    inside = inside.sort_values(["replication", "date"])
    grouped = inside.groupby("replication")
    out = {}
    for name, total in TOTALS.items():
        if total.series in inside:
            out[name] = getattr(grouped[total.series], total.how)()
    return pd.DataFrame(out)


def compare_totals(
    baseline: pd.DataFrame, scenario: pd.DataFrame, pairing: Pairing, start: Any, end: Any
) -> pd.DataFrame:
    """One row per figure of :data:`TOTALS` over the period: the baseline's and the
    scenario's medians over replications, the mean paired difference (scenario - baseline)
    with its 95% interval, and the unpaired (Welch) interval of the difference of means."""
    base, other = period_totals(baseline, start, end), period_totals(scenario, start, end)
    rows = []
    for name in [n for n in TOTALS if n in base and n in other]:
        b = [p[0] for p in pairing.pairs]
        s = [p[1] for p in pairing.pairs]
        diff = other[name].reindex(s).to_numpy() - base[name].reindex(b).to_numpy()
        mean, low, high = mean_interval(diff) if pairing.paired else (np.nan,) * 3
        unpaired_low, unpaired_high = welch_interval(other[name].to_numpy(), base[name].to_numpy())
        total = TOTALS[name]
        rows.append(
            {
                "figure": name,
                "label": total.label,
                "unit": total.unit,
                "baseline_median": float(base[name].median()),
                "scenario_median": float(other[name].median()),
                "pairs": len(pairing.pairs),
                "paired_difference": mean,
                "paired_low": low,
                "paired_high": high,
                "unpaired_low": unpaired_low,
                "unpaired_high": unpaired_high,
            }
        )
    return pd.DataFrame(rows)
