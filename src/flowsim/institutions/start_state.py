"""The state a run has reached, written as the start state of another run.

A forecast can start where a fitted history run stands on a date: :func:`state_summary` reads the
model at the end of its last simulated day and gives the ``initial_state`` mapping
(:class:`flowsim.scenario.initial_state.InitialState`) of a scenario starting the next day. The new
run then starts with as many persons in each state, the same residents by centre, the same waiting
list and the same people under temporary protection by housing; what the fields cannot carry is
drawn anew: households and profiles, each case's clocks (spread evenly over the longest current
wait, the legal terms), who of the pending persons is placed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from flowsim.engine import states
from flowsim.engine.queues import Queue, days_joined
from flowsim.scenario.initial_state import InitialState

if TYPE_CHECKING:
    from flowsim.engine.procedure import CgrsDesk
    from flowsim.model import ProtectionSystem

# States of the persons who fill the places the residents leave (InitialState's
# PLACE_FILLING_FIELDS): pending at the CGRS or CALL, Dublin cases with a request being
# prepared, sent or accepted, files waiting to be sent to the CGRS.
PLACE_FILLING_STATES = (
    states.PENDING_CGRS,
    states.PENDING_CALL,
    states.DUBLIN_PROCEDURE,
    states.DUBLIN_REQUESTED,
    states.DUBLIN_ACCEPTED,
    states.AWAITING_TRANSMISSION,
)


def state_summary(model: ProtectionSystem) -> dict[str, Any]:
    """The ``initial_state`` (plain numbers and a dict of ints, for JSON or YAML) of a scenario
    starting the day after the model's last simulated day (``model.day - 1``; before the
    first step: the model's own start state).

    Persons per group; ``in_reception_persons``: residents by centre name (centres reserved for
    resettled refugees left out); ``without_reception_persons``: the waiting list (the pending
    persons and Dublin cases entitled to a place without one); ``*_max_waited_days``: the longest
    current wait at the CGRS or CALL since (re)lodging and ``status_holders_max_days_since_status``
    the longest since the status, of those counted (days, as of the end of the last day);
    ``cgrs_officers_*``: the CGRS's officers still in their hiring lag or their ramp (FTE) and the
    FTE-weighted days left (:meth:`flowsim.institutions.cgrs.Cgrs.learning`: today's output is kept,
    the rest approximately).

    Grouped as the fields allow: Dublin cases whose request is still being prepared count as
    requested; orders to leave outside a reception place (on the removal list, deciding
    tomorrow, or displaced by a capacity cut) as on the removal list. Left out, as no field
    holds them: persons waiting to register and status holders outside the open centres (in
    a partner municipality's place, or waiting for a place after a capacity cut or on
    arrival by resettlement).
    """
    c = model.cases
    last_day = model.day - 1
    size = c.size.astype(np.int64)
    open_centre = np.array([k.reserved_for is None for k in model.centres], np.bool_)
    in_open_centre = (c.centre >= 0) & open_centre[np.maximum(c.centre, 0)]
    in_state = {code: c.state == code for code in states.ACTIVE_STATES}

    def persons(*codes: int, where: np.ndarray | None = None) -> int:
        mask = np.logical_or.reduce([in_state[code] for code in codes])
        return int(size[mask if where is None else mask & where].sum())

    holders = in_state[states.STATUS_HOLDER] & in_open_centre
    summary = {
        "pending_cgrs_persons": persons(states.PENDING_CGRS),
        "pending_cgrs_max_waited_days": _longest(
            last_day - _pending_since(model.cgrs_desk, in_state[states.PENDING_CGRS])
        ),
        "pending_call_persons": persons(states.PENDING_CALL),
        "pending_call_max_waited_days": _longest(
            last_day - _since(model.queues.call, in_state[states.PENDING_CALL])
        ),
        "status_holders_in_reception_persons": int(size[holders].sum()),
        "status_holders_max_days_since_status": _longest(last_day - c.status_day[holders]),
        "in_reception_persons": {
            centre.name: int(model.tally.occupancy[k])
            for k, centre in enumerate(model.centres)
            if open_centre[k]
        },
        "without_reception_persons": persons(
            *PLACE_FILLING_STATES, where=c.housing == states.WAITING
        ),
        "tp_in_emergency_persons": persons(states.TP_EMERGENCY),
        "tp_in_crisis_housing_persons": persons(states.TP_CRISIS_HOUSING),
        "tp_in_sustainable_housing_persons": persons(states.TP_SUSTAINABLE_HOUSING),
        "dublin_requested_persons": persons(states.DUBLIN_PROCEDURE, states.DUBLIN_REQUESTED),
        "dublin_accepted_persons": persons(states.DUBLIN_ACCEPTED),
        "dublin_absconded_persons": persons(states.DUBLIN_ABSCONDED),
        "awaiting_transmission_persons": persons(states.AWAITING_TRANSMISSION),
        "order_to_leave_in_reception_persons": persons(states.ORDER_TO_LEAVE, where=in_open_centre),
        "order_to_leave_removal_list_persons": persons(
            states.ORDER_TO_LEAVE, where=~in_open_centre
        ),
    }
    for name, value in model.cgrs.learning(last_day + 1).items():
        summary[name] = round(value, 6) if name.endswith("_fte") else round(value)
    # every field, in the schema's order (a field added to InitialState must be summarised)
    return {name: summary[name] for name in InitialState.model_fields}


def _since(queue: Queue, cases: np.ndarray) -> np.ndarray:
    """The day each of the cases (a mask of cases in it) joined ``queue`` (int64)."""
    return days_joined(queue)[cases]


def _pending_since(desk: CgrsDesk, cases: np.ndarray) -> np.ndarray:
    """The day each of the cases pending at the CGRS (a mask) joined its queue, whether
    queued or held by a suspension (int64)."""
    # a case is in at most one of the two; NOT_QUEUED is the smallest int64
    return np.maximum(_since(desk.queue, cases), _since(desk.held, cases))


def _longest(days: np.ndarray) -> int:
    """The largest of ``days`` (0 when empty)."""
    return int(days.max()) if len(days) else 0
