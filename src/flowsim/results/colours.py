"""Colours and line styles: one colour per scenario on every chart of a pick, one line
style per series within a panel."""

from __future__ import annotations

from collections.abc import Iterable

# matplotlib's tab10: ten colours told apart by colour-blind readers more often than not
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# lines of one scenario within a panel (five: one per reception place type)
LINESTYLES = ("-", "--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)))


def scenario_colours(labels: Iterable[str]) -> dict[str, str]:
    """One colour per scenario, in the order given (cycling after ten)."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(dict.fromkeys(labels))}
