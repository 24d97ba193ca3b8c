"""The recorded stocks are what the population holds: each day's row is recounted here from
the case arrays, the centres and the resettlement pipeline, independently of the tally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowsim.engine import series, states
from flowsim.engine.states import CENTRE_TYPES
from flowsim.model import ProtectionSystem
from flowsim.scenario.loading import load_config

BASELINE = Path(__file__).resolve().parents[1] / "configs" / "belgium-baseline.yaml"


def share(persons: float, places: float) -> float:
    """Occupied share; 1 when no place is open."""
    return persons / places if places > 0 else 1.0


def recount(model: ProtectionSystem) -> dict[str, float]:
    """End-of-day stocks from the case arrays (persons; places; euros per day)."""
    c = model.cases
    size = c.size.astype(np.int64)

    def persons(mask: np.ndarray) -> float:
        return float(size[mask].sum())

    capacity = model.fedasil.capacity
    occupancy = np.bincount(c.centre[c.centre >= 0], size[c.centre >= 0], len(capacity))
    types = np.array([CENTRE_TYPES.index(centre.centre_type) for centre in model.centres])
    day = model.day - 1
    pipe = model.resettlement
    out = {
        "in_reception": persons(c.housing == states.IN_CENTRE),
        "reception_capacity": float(capacity.sum()),
        "without_reception": persons(c.housing == states.WAITING),
        "in_private_housing": persons(c.housing == states.PRIVATE),
        "cgrs_backlog": persons(c.state == states.PENDING_CGRS),
        "cgrs_backlog_cases": float((c.state == states.PENDING_CGRS).sum()),
        "call_backlog": persons(c.state == states.PENDING_CALL),
        "status_holders_in_reception": persons(
            (c.state == states.STATUS_HOLDER) & (c.housing == states.IN_CENTRE)
        ),
        "status_holders_overstaying": persons(c.overstaying),
        "open_return_places": persons(
            (c.state == states.ORDER_TO_LEAVE) & (c.housing == states.IN_CENTRE)
        ),
        "resettlement_pledge": pipe.pledge[day],
        "resettlement_selected": pipe.selected[day],
        "resettlement_awaiting_transfer": pipe.awaiting_transfer[day],
        "resettlement_transferred": pipe.transferred[day],
        "tp_in_emergency": persons(c.state == states.TP_EMERGENCY),
        "tp_in_crisis_housing": persons(c.state == states.TP_CRISIS_HOUSING),
        "tp_in_sustainable_housing": persons(c.state == states.TP_SUSTAINABLE_HOUSING),
        "reception_cost_eur": float((occupancy * model.fedasil.cost).sum()),
    }
    out["occupancy_rate"] = share(out["in_reception"], out["reception_capacity"])
    for t, name in enumerate(CENTRE_TYPES):
        out[f"in_reception_{name}"] = float(occupancy[types == t].sum())
        out[f"capacity_{name}"] = float(capacity[types == t].sum())
        out[f"reception_cost_{name}_eur"] = float(
            (occupancy * model.fedasil.cost)[types == t].sum()
        )
    out["lri_occupancy"] = share(out["in_reception_lri"], out["capacity_lri"])
    for s in states.ACTIVE_STATES:
        out[f"stock_{states.STATE_NAMES[s]}"] = persons(c.state == s)
    for s in states.EXIT_STATES:
        out[f"exits_{states.STATE_NAMES[s]}"] = persons(c.state == s)
    return out


def test_every_recorded_stock_equals_a_recount_from_the_population():
    model = ProtectionSystem(load_config(BASELINE), 5)
    # before, during and after the 2022 temporary-protection peak, and at the end
    checked = 0
    for until in (40, 300, 800, model.n_days):
        while model.day < until:
            model.step()
        row = dict(zip(series.STOCK_NAMES, model.stocks[model.day - 1], strict=True))
        expected = recount(model)
        assert set(expected) == set(series.STOCK_NAMES) - {"cost_eur"}
        for name, value in expected.items():
            assert row[name] == pytest.approx(value, rel=1e-12, abs=1e-6), name
        reintegration = model.flows[model.day - 1, series.REINTEGRATION_EUR]
        assert row["cost_eur"] == pytest.approx(row["reception_cost_eur"] + reintegration)
        checked += 1
    assert checked == 4 and model.stocks[:, 0].max() > 0
