"""Results by region add up to the national series."""

from __future__ import annotations

import numpy as np

from flowsim.model import ProtectionSystem


def test_regions_add_up_and_centres_count_in_their_region(small_scenario):
    scenario = small_scenario(
        years=2,
        **{
            "reception.centres.north.region": "flanders",
            "reception.centres.south.region": "wallonia",
            "municipalities.housing_persons_per_month": 100,
        },
    )
    model = ProtectionSystem(scenario, 3)
    frame = model.run_to_end()
    regions = model.series_by_region()
    totals = regions.groupby("date")[["in_reception", "reception_capacity"]].sum()
    np.testing.assert_array_equal(totals.in_reception, frame.in_reception)
    np.testing.assert_array_equal(totals.reception_capacity, frame.reception_capacity)
    housed = regions.groupby("date")["housed_by_municipalities"].sum()
    np.testing.assert_array_equal(housed, frame.housed_by_municipalities)
    flanders = regions[regions.region == "flanders"]
    np.testing.assert_array_equal(flanders.reception_capacity, frame.capacity_collective)
    tents = regions[regions.region == "unassigned"]  # the emergency site names no region
    np.testing.assert_array_equal(tents.in_reception, frame.in_reception_emergency)
    # housing is found in every region (its split by population under scarcity is tested in
    # tests/test_housing.py)
    by_region = regions.groupby("region")["housed_by_municipalities"].sum()
    assert (by_region[["flanders", "wallonia", "brussels"]] > 0).all()
    assert by_region["unassigned"] == 0
