"""The catalogue of views: what each page view shows (panels of daily series, breakdowns
by region or group, the hindcast, the sweep views) and :class:`Shown`, what drawing a view
gives back. Definitions only: the views are built by :mod:`flowsim.dashboard.page`.

Units: counts are persons unless named (places, cases, euros); flows are persons per day,
shown as :data:`WINDOW`-day means; stocks at the end of the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from flowsim.engine.states import CENTRE_TYPES
from flowsim.results.fan_charts import Panel
from flowsim.results.frames import WINDOW

_MEAN = f"({WINDOW}-day mean)"
PLACE_TYPES = {  # reception place types (states.CENTRE_TYPES) as the charts name them
    "collective": "Collective centres",
    "lri": "Local reception initiatives (LRI)",
    "emergency": "Emergency places",
    "private_operator": "Private operators",
    "convention": "Convention places",
}
assert set(PLACE_TYPES) == set(CENTRE_TYPES)
VIEWS: dict[str, tuple[Panel, ...]] = {
    "Main series": (
        Panel("Applications", f"persons per day {_MEAN}", (("applications", "applications"),),
              WINDOW, ("applications",)),
        Panel("In reception", "persons", (("in_reception", "in reception"),),
              observed=("in_reception",)),
        Panel("Pending at the CGRS", "persons", (("cgrs_backlog", "pending"),),
              observed=("cgrs_backlog",)),
        Panel("Entitled, without a place", "persons", (("without_reception", "without a place"),)),
    ),
    "Reception": (
        Panel("Whole network: residents against places", "persons / places",
              (("in_reception", "residents"), ("reception_capacity", "places")),
              observed=("in_reception", "reception_capacity")),
        Panel("Occupancy rate", "percent of places", (("occupancy_pct", "occupancy"),),
              observed=("reception_occupancy_rate",)),
        *(
            Panel(f"{PLACE_TYPES[t]}: residents against places",
                  "persons / places",
                  ((f"in_reception_{t}", "residents"), (f"capacity_{t}", "places")),
                  observed=("capacity_lri",) if t == "lri" else ())
            for t in CENTRE_TYPES
        ),
        Panel("Entitled, without a place", "persons", (("without_reception", "without a place"),)),
    ),
    "Procedure": (
        Panel("Backlogs", "persons",
              (("cgrs_backlog", "pending at the CGRS"), ("call_backlog", "pending at CALL")),
              observed=("cgrs_backlog",)),
        Panel("Decisions", f"persons per day {_MEAN}",
              (("cgrs_decisions", "CGRS decisions"), ("call_decisions", "CALL decisions")),
              WINDOW, ("cgrs_decisions",)),
        Panel("CGRS protection rate", f"percent of decisions {_MEAN}",
              (("protection_rate_pct", "protection rate"),), observed=("cgrs_protection_rate",)),
        Panel("Time to a CGRS decision", f"days since lodging {_MEAN}",
              (("days_to_decision", "mean days"),), observed=("cgrs_mean_days_to_decision",)),
    ),
    "Outflow and return": (
        Panel("Status holders in reception", "persons",
              (("status_holders_in_reception", "in reception"),
               ("status_holders_overstaying", "past the transition period"))),
        Panel("Housing found through municipalities", f"persons per day {_MEAN}",
              (("housed_by_municipalities", "housed"),), WINDOW),
        Panel("Returns", f"persons per day {_MEAN}",
              (("avr_departures", "assisted voluntary return"), ("forced_returns", "forced")),
              WINDOW, ("avr_departures", "forced_returns")),
        Panel("After an order to leave", f"persons per day {_MEAN}",
              (("subsequent_applications", "subsequent application"),
               ("irregular_stay", "irregular stay")), WINDOW),
    ),
    "Resettlement and temporary protection": (
        Panel("Resettlement against the pledge", "persons (calendar year)",
              (("resettlement_pledge", "pledge"), ("resettled_this_year", "arrived so far")),
              observed=("resettlement_pledge",)),
        Panel("Resettlement pipeline", "persons",
              (("resettlement_awaiting_transfer", "selected, awaiting transfer"),)),
        Panel("Resettled arrivals", f"persons per day {_MEAN}",
              (("resettlement_arrivals", "arrived"),), WINDOW, ("resettlement_arrivals",)),
        Panel("Temporary protection stocks", "persons",
              (("tp_in_emergency", "emergency"), ("tp_in_crisis_housing", "crisis housing"),
               ("tp_in_sustainable_housing", "sustainable housing"), ("tp_total", "total"))),
        Panel("Temporary protection registrations", f"persons per day {_MEAN}",
              (("tp_registrations", "registrations"),), WINDOW, ("tp_registrations",)),
    ),
    "Costs": (
        Panel("Cost per day", "euros per day",
              (("cost_eur", "all"), ("reception_cost_eur", "reception nights"),
               ("reintegration_eur", "reintegration packages"))),
        Panel("Reception cost by place type", "euros per day",
              tuple((f"reception_cost_{t}_eur", t.replace("_", " ")) for t in CENTRE_TYPES)),
    ),
}  # fmt: skip
REGION_SERIES = {
    "in_reception": "persons in reception",
    "reception_capacity": "places",
    "pending_cgrs": "persons pending at the CGRS",
    "status_holders": "status holders in reception (persons)",
}
REGION_VIEW = "Regions"
REGION_NAMES = {  # regions.CENTRE_REGIONS as the charts name them
    "brussels": "Brussels-Capital",
    "flanders": "Flanders",
    "wallonia": "Wallonia",
    "unassigned": "Not tied to one region (places spanning regions, never placed)",
}
GROUP_SERIES = {  # series_by_group columns: who waits without a place, and how long
    "without_reception": "persons entitled to a place without one",
    "in_reception": "persons in reception",
    "pending_cgrs": "persons pending at the CGRS",
    "cgrs_median_days_waited": f"median days waited by those decided {_MEAN}",
}


@dataclass(frozen=True)
class Breakdown:
    """A view with one panel per category of a results table (regions, household types,
    nationality groups)."""

    view: str
    table: str  # the Scenario attribute holding the table
    category: str  # its column naming the category
    series: dict[str, str]  # column -> axis label (unit)
    names: dict[str, str] = field(default_factory=dict)  # category -> panel title
    grouping: str | None = None  # series_by_group's grouping to keep
    smoothed: tuple[str, ...] = ()  # columns shown as a rolling mean (noisy daily values)
    alphabetical: bool = False  # panels in name order (else in the order of the table)
    absent: str = "no results by category in the folders picked"


BREAKDOWNS = {
    b.view: b
    for b in (
        Breakdown(
            REGION_VIEW,
            "by_region",
            "region",
            REGION_SERIES,
            REGION_NAMES,
            alphabetical=True,
            absent="no results by region in the folders picked (sweeps keep none)",
        ),
        Breakdown(
            "By household type",
            "by_group",
            "group",
            GROUP_SERIES,
            {"single_man": "Single men", "single_woman": "Single women",
             "family": "Families", "unaccompanied_minor": "Unaccompanied minors"},
            grouping="household_type",
            smoothed=("cgrs_median_days_waited",),
            absent="no results by group in the folders picked (sweeps keep none)",
        ),
        Breakdown(
            "By nationality group",
            "by_group",
            "group",
            GROUP_SERIES,
            grouping="nationality_group",
            smoothed=("cgrs_median_days_waited",),
            absent="no results by group in the folders picked (sweeps keep none)",
        ),
    )
}  # fmt: skip


@dataclass
class Shown:
    """What a view shows: a figure and its table, or a message; ``html`` an extra table;
    ``chart`` the same figure as an interactive Plotly figure, which the page shows in its
    place when there is one (the PNG link keeps ``figure``)."""

    figure: Figure | None = None
    table: pd.DataFrame | None = None
    message: str = ""
    html: str = ""
    chart: Any = None


PRIM_VIEW = "Sweep: scenario discovery (PRIM)"
SWEEP_VIEWS = (
    "Sweep: outcomes",
    "Sweep: outcome against a factor",
    "Sweep: sensitivity",
    PRIM_VIEW,
)
HINDCAST_VIEW = "Validation: a run against observed figures"
COMPARISON_VIEW = "Against a baseline: paired differences"
# views of one folder at a time (a design's sensitivity, one run against the observed
# figures, the baseline the other runs are compared with): with several picked, the page
# offers a picker of that kind of folder
ONE_FOLDER_VIEWS = {
    HINDCAST_VIEW: "run",
    COMPARISON_VIEW: "run",
    SWEEP_VIEWS[2]: "sweep",
    PRIM_VIEW: "sweep",
}


def one_folder_note(view: str, name: str, picked: int) -> str:
    """What the page says when a view of one folder at a time got several: which one it
    shows and where to choose another."""
    kind = ONE_FOLDER_VIEWS[view]
    return (
        f"{view} shows one {kind} at a time: {name} ({picked} {kind}s picked; choose under "
        f"{kind.capitalize()})"
    )


def view_names() -> list[str]:
    """Every view, in the order the page offers them."""
    return [*VIEWS, COMPARISON_VIEW, *BREAKDOWNS, HINDCAST_VIEW, *SWEEP_VIEWS]
