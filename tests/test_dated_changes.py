"""Dated changes reach every institution on their date.

Institutions read their parameters only when one changes (``refresh``), not every day. A
run that makes them read every parameter every day must give the same series, whichever
field a dated change moves.
"""

from __future__ import annotations

import pandas as pd

from conftest import SOURCE, make_raw, make_scenario
from flowsim.model import ProtectionSystem
from flowsim.scenario.loading import scenario_from_dict
from flowsim.scenario.timeline import changeable_fields

CHANGE_DATE = "2024-09-01"


def every_field_changed() -> dict:
    """The small scenario with a dated change to every changeable field: a cut of a fifth,
    or a rise from zero."""
    fields = changeable_fields(make_scenario(years=2))
    changes = []
    for field, value in fields.items():
        if field.startswith("call.outcomes."):
            continue  # shares that must sum to one: one changed alone is rejected
        if value:
            changes.append({"date": CHANGE_DATE, "field": field, "multiply": 0.8})
        else:
            step = 30 if field.endswith("_days") else 0.05
            changes.append({"date": CHANGE_DATE, "field": field, "add": step})
    raw = make_raw(years=2)
    raw["changes"] = changes
    return raw


def run(reading_every_day: bool) -> pd.DataFrame:
    model = ProtectionSystem(scenario_from_dict(every_field_changed(), SOURCE), 4)
    if reading_every_day:
        # every agent that reads parameters, found here rather than taken from the model's
        # own list, so that an institution missing from that list fails the test
        institutions = [agent for agent in model.agents if hasattr(agent, "refresh")]
        step = model.step

        def step_reading_everything() -> None:
            for institution in institutions:
                institution.refresh()
            step()

        model.step = step_reading_everything
    return model.run_to_end()


def test_reading_parameters_on_change_days_equals_reading_them_every_day() -> None:
    on_change = run(reading_every_day=False)
    every_day = run(reading_every_day=True)
    pd.testing.assert_frame_equal(on_change, every_day)
    # the changes did something, so the comparison is not between two unchanged runs
    unchanged = ProtectionSystem(make_scenario(years=2), 4).run_to_end()
    after = on_change["date"] >= pd.Timestamp(CHANGE_DATE)
    assert not on_change[after].equals(unchanged[after])
