"""Shared fixtures: a small, fast, valid scenario and helpers to vary it.

``small_raw(**overrides)`` returns the scenario as a plain dict (as read from YAML);
``small_scenario(**overrides)`` validates it with
:func:`flowsim.scenario.loading.scenario_from_dict`. Overrides are keyed by dotted field path, e.g.
``small_scenario(**{"cgrs.case_officers_fte": 5})``; ``cgrs__case_officers_fte=5`` is accepted as a
shorthand. A value of :data:`DELETE` removes the field.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from flowsim.engine.states import HOUSEHOLD_TYPES
from flowsim.model import ProtectionSystem
from flowsim.scenario.loading import scenario_from_dict
from flowsim.scenario.scenario import Scenario

SOURCE = "<small>"
DELETE = object()  # sentinel: remove the field at this path

_START = dt.date(2024, 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """Calendar months ``YYYY-MM`` from ``start`` to ``end`` inclusive."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def base_raw(years: int = 1, persons_per_month: float = 300.0) -> dict[str, Any]:
    """A small valid scenario: two nationality groups, three centres, small stocks."""
    end = dt.date(_START.year + years - 1, 12, 31)
    return {
        "name": "small",
        "description": "small test scenario",
        "start_date": _START,
        "end_date": end,
        "profiles": {
            "nationality_groups": {
                "alpha": {
                    "inflow_share": 0.6,
                    "cgrs_outcomes": {
                        "refugee_status": 0.5,
                        "subsidiary_protection": 0.05,
                        "refusal": 0.35,
                        "inadmissible": 0.10,
                    },
                    "case_effort": 1.0,
                },
                "beta": {
                    "inflow_share": 0.4,
                    "cgrs_outcomes": {
                        "refugee_status": 0.15,
                        "subsidiary_protection": 0.05,
                        "refusal": 0.55,
                        "inadmissible": 0.25,
                    },
                    "case_effort": 1.5,
                },
            },
            "household_types": {
                "single_man": {"inflow_share": 0.5},
                "single_woman": {"inflow_share": 0.1},
                "family": {"inflow_share": 0.3, "mean_size_persons": 3.5},
                "unaccompanied_minor": {"inflow_share": 0.1},
            },
            "vulnerable_share": 0.2,
        },
        "inflow": {
            "monthly_persons": {m: persons_per_month for m in months_between(_START, end)},
            "scale": 1.0,
        },
        "immigration_office": {
            "registration_capacity_persons_per_day": 40,
            "dublin_share": 0.2,
            "dublin_request_days": 20,
            "dublin_reply_days": 20,
            "dublin_acceptance_share": 0.6,
            "dublin_transfers_persons_per_month": 10,
            "dublin_transfer_window_days": 120,
            "dublin_abscond_per_month": 0.05,
            "dublin_absconded_window_days": 360,
            "dublin_absconded_return_share": 0.3,
        },
        "reception": {
            "centres": {
                "north": {"type": "collective", "places": 150, "cost_eur_per_night": 45},
                "south": {"type": "lri", "places": 60, "cost_eur_per_night": 37},
                "tents": {"type": "emergency", "places": 40, "cost_eur_per_night": 60},
            },
            "dispatch": {
                "priority": ["unaccompanied_minor", "family", "single_woman", "single_man"],
                "vulnerable_first": True,
            },
            "leave_to_private_housing_per_month": 0.02,
            "abscond_per_month": 0.01,
        },
        "cgrs": {
            "case_officers_fte": 30,
            "hiring_lag_days": 60,
            "decisions_per_officer_per_month": 5,
            "prioritisation": {"rule": "fifo"},
        },
        "call": {
            "appeal_share_refusal": 0.5,
            "appeal_share_inadmissible": 0.3,
            "decisions_per_month": 40,
            "outcomes": {"confirm": 0.8, "annul": 0.1, "reform": 0.1},
        },
        "municipalities": {"housing_persons_per_month": 60},
        "status_holders": {"transition_period_days": 60, "max_stay_days": 180},
        "returns": {"subsequent_application_share": 0.0},
        "initial_state": {
            "pending_cgrs_persons": 200,
            "pending_cgrs_max_waited_days": 300,
            "pending_call_persons": 50,
            "pending_call_max_waited_days": 200,
            "status_holders_in_reception_persons": 0,
            "status_holders_max_days_since_status": 100,
            "in_reception_persons": {"north": 100, "south": 30},
        },
        "changes": [],
    }


def set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with :data:`DELETE` remove) ``tree[a][b][c]`` for the dotted ``path`` ``a.b.c``.

    Integer parts index lists (``changes.0.date``); missing dicts are created.
    """
    keys = path.split(".")
    node: Any = tree
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    last = keys[-1]
    if isinstance(node, list):
        if value is DELETE:
            del node[int(last)]
        else:
            node[int(last)] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


def merge(raw: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``raw`` with every dotted-path override applied in order."""
    out = copy.deepcopy(raw)
    for path, value in overrides.items():
        value = value if value is DELETE else copy.deepcopy(value)
        set_path(out, path.replace("__", "."), value)
    return out


def make_raw(years: int = 1, persons_per_month: float = 300.0, **overrides: Any) -> dict:
    """The small scenario as a raw dict, with dotted-path overrides."""
    return merge(base_raw(years, persons_per_month), overrides)


def make_scenario(years: int = 1, persons_per_month: float = 300.0, **overrides: Any) -> Scenario:
    """The small scenario, validated, with dotted-path overrides."""
    return scenario_from_dict(make_raw(years, persons_per_month, **overrides), SOURCE)


def dispatch_rank(scenario: Scenario, profiles, profile: np.ndarray) -> np.ndarray:
    """Fedasil's waiting-list rank of each profile index (lower is served first).

    Computed here from the scenario, independently of :mod:`flowsim.institutions.reception`.
    """
    rule = scenario.reception.dispatch
    htype = np.array([HOUSEHOLD_TYPES[h] for h in profiles.household_type[profile]])
    rank = np.array([rule.priority.index(h) for h in htype], np.float64) * 2.0
    if rule.vulnerable_first:
        rank += ~profiles.vulnerable[profile]
    return rank


def wrap_step(
    agent: Any, before: Callable[[], None] | None = None, after: Callable[[], None] | None = None
) -> None:
    """Run ``before``/``after`` around an institution's daily ``step`` (instance-level)."""
    original = agent.step

    def step() -> None:
        if before is not None:
            before()
        original()
        if after is not None:
            after()

    agent.step = step


@pytest.fixture(scope="session")
def small_raw() -> Callable[..., dict]:
    """Factory: ``small_raw(years=1, persons_per_month=300, **dotted_overrides)``."""
    return make_raw


@pytest.fixture(scope="session")
def small_scenario() -> Callable[..., Scenario]:
    """Factory: ``small_scenario(years=1, persons_per_month=300, **dotted_overrides)``."""
    return make_scenario


@pytest.fixture(scope="session")
def run_model() -> Callable[..., tuple[ProtectionSystem, Any]]:
    """Factory: ``run_model(scenario, seed=0)`` -> (finished model, series frame)."""

    def run(scenario: Scenario, seed: int = 0):
        model = ProtectionSystem(scenario, seed)
        frame = model.run_to_end()
        return model, frame

    return run


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the kernels once, in this process, before any test starts other processes:
    Dask workers, command-line runs and the dashboard's kernel then load them from numba's
    on-disk cache instead of each compiling them at once on a fresh checkout (on CI the
    first calibration test's two workers compiled side by side: 184 s of set-up)."""
    from flowsim.results.shards import warm_up

    warm_up(make_scenario())
