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


def test_people_count_in_the_region_where_they_were_received(small_scenario):
    """Pending cases, status holders and outcomes add up to the national series; people
    never placed in a centre of one region are unassigned."""
    scenario = small_scenario(
        years=2,
        **{
            "reception.centres.north.region": "flanders",
            "reception.centres.south.region": "brussels",
            "reception.centres.tents.places": 0,  # every place is in a region
        },
    )
    model = ProtectionSystem(scenario, 4)
    frame = model.run_to_end()
    regions = model.series_by_region()
    totals = regions.groupby("date").sum(numeric_only=True)
    for column, national in (
        ("pending_cgrs", "cgrs_backlog"),
        ("pending_call", "call_backlog"),
        ("status_holders", "stock_status_holder"),
        ("final_positive", "final_positive"),
        ("final_negative", "final_negative"),
    ):
        np.testing.assert_array_equal(totals[column], frame[national], err_msg=column)
    by_region = regions.groupby("region")[["pending_cgrs", "final_positive"]].sum()
    assert (by_region.loc[["flanders", "brussels"]] > 0).all().all()
    assert (by_region.loc["wallonia"] == 0).all()
    # a case's region is that of the last centre it was placed in, and kept afterwards
    c = model.cases
    placed = c.region != 3
    assert set(np.unique(c.region[placed])) == {0, 2}
    in_centre = c.centre >= 0
    np.testing.assert_array_equal(
        c.region[in_centre], model.tally.centre_region[c.centre[in_centre]]
    )
    # status holders are residents: all of them were placed somewhere
    last = regions[regions.date == regions.date.max()].set_index("region")
    assert last.loc["unassigned", "status_holders"] == 0
