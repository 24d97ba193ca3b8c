"""The daily series a run produces: their names, units and column order.

All counts are persons. Flows are per day; stocks are at the end of the day; ``exits_<state>``
columns are cumulative. Kernels write flows into one row per day by the indices below.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from flowsim.engine import states
from flowsim.engine.population import Tally
from flowsim.engine.states import ACTIVE_STATES, CENTRE_TYPES, EXIT_STATES, STATE_NAMES

# Flow indices (persons per day unless stated), written by the kernels.
APPLICATIONS = 0  # persons arriving to apply
REGISTERED = 1  # persons registered by the Immigration Office
ENTRIES = 2  # persons entering the model by any route
DUBLIN_TRANSFERS = 3
CGRS_DECISIONS = 4
CGRS_DECISIONS_CASES = 5  # cases
CGRS_POSITIVE_DECISIONS = 6
CGRS_DAYS_WAITED = 7  # person-days waited since lodging, summed over persons decided today
CALL_DECISIONS = 8
FINAL_POSITIVE = 9
FINAL_NEGATIVE = 10
LEFT_RECEPTION = 11  # persons leaving a place on their own (private housing or absconding)
HOUSED_BY_MUNICIPALITIES = 12  # status holders housed through a municipality
AVR_DEPARTURES = 13  # assisted voluntary returns
FORCED_RETURNS = 14
# persons lodging a subsequent application: after an order to leave in the run, and people the
# run did not refuse (SUBSEQUENT_EXTERNAL, an input), as the Immigration Office counts them
SUBSEQUENT_APPLICATIONS = 15
IRREGULAR_STAY = 16  # persons whose removal window ended without a return
REINTEGRATION_EUR = 17  # euros of reintegration packages paid
RESETTLEMENT_ARRIVALS = 18  # resettled refugees arriving (persons)
TP_REGISTRATIONS = 19  # persons registered for temporary protection
TP_DEPARTURES = 20  # persons under temporary protection leaving Belgium
ICAM_COACHED = 21  # persons on the removal list guided by an ICAM coach
REGULARISED = 22  # persons obtaining a right to stay after ICAM guidance
WITHDRAWALS = 23  # persons withdrawing or abandoning an application pending at the CGRS
DUBLIN_REQUESTS = 24  # persons for whom a Dublin request is sent to another state
DUBLIN_ACCEPTANCES = 25  # persons whose request is accepted (explicitly or by silence)
DUBLIN_ABSCONDED = 26  # persons absconding while their transfer window is open
DUBLIN_RESPONSIBLE = 27  # persons Belgium becomes responsible for, lodged with the CGRS then
CGRS_LODGED = 28  # persons entering the CGRS's workload (any route)
CGRS_LODGED_CASES = 29  # cases
CGRS_CLOSED = 30  # persons leaving the CGRS's workload without a decision
CGRS_CLOSED_CASES = 31  # cases
SUBSEQUENT_EXTERNAL = 32  # subsequent applications of people the run did not refuse (input)
RECEPTION_ADMISSIONS = 33  # persons given a place by Fedasil (not counting relocations)
# persons whose Dublin transfer window closed without a transfer, for whom Belgium then
# became responsible (six months from acceptance; eighteen for absconders who reappear:
# one who never does becomes no Belgian case)
DUBLIN_DEADLINE_EXPIRED = 34
CALL_ANNULMENTS = 35  # persons whose CGRS decision CALL annulled: back to the CGRS
CALL_ANNULMENTS_CASES = 36  # cases
# cases the Immigration Office sends to the CGRS: first applications after registration or
# after Dublin, subsequent applications (all CGRS entries but CALL annulments)
IO_TRANSMISSIONS_CASES = 37
IO_TRANSMISSIONS = 38  # the persons of those cases
# persons who left while their file waited to be sent to the CGRS (never lodged)
LEFT_BEFORE_TRANSMISSION = 39
# persons who stopped waiting for a reception place and live privately (procedure goes on)
LEFT_WAITING_LIST = 40
# persons whose case the CGRS examined but whose decision it held under a suspension
# (cgrs.suspended_groups): still pending, decided when the suspension ends
CGRS_DECISIONS_HELD = 41
N_FLOWS = 42

FLOW_NAMES = (
    "applications",
    "registered",
    "entries",
    "dublin_transfers",
    "cgrs_decisions",
    "cgrs_decisions_cases",
    "cgrs_positive_decisions",
    "cgrs_days_waited",
    "call_decisions",
    "final_positive",
    "final_negative",
    "left_reception",
    "housed_by_municipalities",
    "avr_departures",
    "forced_returns",
    "subsequent_applications",
    "irregular_stay",
    "reintegration_eur",
    "resettlement_arrivals",
    "tp_registrations",
    "tp_departures",
    "icam_coached",
    "regularised",
    "withdrawals",
    "dublin_requests",
    "dublin_acceptances",
    "dublin_absconded",
    "dublin_responsible",
    "cgrs_lodged",
    "cgrs_lodged_cases",
    "cgrs_closed",
    "cgrs_closed_cases",
    "subsequent_applications_external",
    "reception_admissions",
    "dublin_deadline_expired",
    "call_annulments",
    "call_annulments_cases",
    "io_transmissions_cases",
    "io_transmissions",
    "left_before_transmission",
    "left_waiting_list",
    "cgrs_decisions_held",
)
assert len(FLOW_NAMES) == N_FLOWS

STOCK_NAMES = (
    "in_reception",
    "reception_capacity",
    "occupancy_rate",  # in_reception / reception_capacity (a share; 1 when no places open)
    "lri_occupancy",  # in_reception_lri / capacity_lri (a share; 1 when no LRI places open)
    "without_reception",
    "in_private_housing",
    "cgrs_backlog",
    "cgrs_backlog_cases",
    "call_backlog",
    "status_holders_in_reception",
    # past the transition period and still in the model (in a place, or waiting for one
    # after a capacity cut or on arrival by resettlement)
    "status_holders_overstaying",
    "open_return_places",  # persons with an order to leave still in a reception place
    "resettlement_pledge",  # persons pledged for the current calendar year
    "resettlement_selected",  # persons selected abroad that day (a flow)
    "resettlement_awaiting_transfer",  # selected, not yet transferred (persons)
    "resettlement_transferred",  # persons transferred that day (a flow)
    "tp_in_emergency",  # temporary protection: emergency reception (persons)
    "tp_in_crisis_housing",
    "tp_in_sustainable_housing",
    "reception_cost_eur",  # euros per day: occupied places x cost per night
    "cost_eur",  # euros per day: reception nights and reintegration packages
    *(f"reception_cost_{t}_eur" for t in CENTRE_TYPES),  # euros per day by place type
    *(f"in_reception_{t}" for t in CENTRE_TYPES),
    *(f"capacity_{t}" for t in CENTRE_TYPES),
    *(f"stock_{STATE_NAMES[s]}" for s in ACTIVE_STATES),
    *(f"exits_{STATE_NAMES[s]}" for s in EXIT_STATES),
)

# Positions in a row of stocks (the kernel below writes them in STOCK_NAMES order).
N_STOCKS = len(STOCK_NAMES)
N_TYPES = len(CENTRE_TYPES)
COST_BY_TYPE = STOCK_NAMES.index(f"reception_cost_{CENTRE_TYPES[0]}_eur")
IN_RECEPTION_BY_TYPE = STOCK_NAMES.index(f"in_reception_{CENTRE_TYPES[0]}")
CAPACITY_BY_TYPE = STOCK_NAMES.index(f"capacity_{CENTRE_TYPES[0]}")
FIRST_STOCK_STATE = STOCK_NAMES.index(f"stock_{STATE_NAMES[ACTIVE_STATES[0]]}")
FIRST_EXIT_STATE = STOCK_NAMES.index(f"exits_{STATE_NAMES[EXIT_STATES[0]]}")
LRI = CENTRE_TYPES.index("lri")
# record_stocks writes the 21 stocks before the by-type columns by position
assert COST_BY_TYPE == 21 and FIRST_STOCK_STATE == CAPACITY_BY_TYPE + N_TYPES


@njit(cache=True, inline="always")
def share_occupied(persons: float, places: float) -> float:
    """Occupied share of places (persons / places); 1 when no place is open (nothing free)."""
    return persons / places if places > 0 else 1.0


@njit(cache=True, inline="always")
def record_stocks(
    out: np.ndarray,
    tally: Tally,
    capacity: np.ndarray,
    cost: np.ndarray,
    centre_types: np.ndarray,
    resettlement: np.ndarray,
    reintegration_eur: float,
) -> None:
    """Write today's end-of-day stocks (one row, STOCK_NAMES order) from the tally, the
    centres' places, cost per night (euros) and type (index into CENTRE_TYPES), today's
    resettlement figures (pledge, selected, awaiting transfer, transferred; persons) and
    today's reintegration packages (euros). Positions 0-20 follow STOCK_NAMES."""
    by_type = np.zeros(N_TYPES)
    cost_by_type = np.zeros(N_TYPES)
    places_by_type = np.zeros(N_TYPES)
    for k in range(capacity.shape[0]):
        t = centre_types[k]
        by_type[t] += tally.occupancy[k]
        cost_by_type[t] += tally.occupancy[k] * cost[k]
        places_by_type[t] += capacity[k]
    in_reception = tally.housing_persons[states.IN_CENTRE]
    places = places_by_type.sum()
    reception_cost = cost_by_type.sum()
    out[0] = in_reception
    out[1] = places
    out[2] = share_occupied(in_reception, places)
    out[3] = share_occupied(by_type[LRI], places_by_type[LRI])
    out[4] = tally.housing_persons[states.WAITING]
    out[5] = tally.housing_persons[states.PRIVATE]
    out[6] = tally.state_persons[states.PENDING_CGRS]
    out[7] = tally.state_cases[states.PENDING_CGRS]
    out[8] = tally.state_persons[states.PENDING_CALL]
    out[9] = tally.state_housing[states.STATUS_HOLDER, states.IN_CENTRE]
    out[10] = tally.overstaying[0]
    out[11] = tally.state_housing[states.ORDER_TO_LEAVE, states.IN_CENTRE]
    out[12:16] = resettlement
    out[16] = tally.state_persons[states.TP_EMERGENCY]
    out[17] = tally.state_persons[states.TP_CRISIS_HOUSING]
    out[18] = tally.state_persons[states.TP_SUSTAINABLE_HOUSING]
    out[19] = reception_cost
    out[20] = reception_cost + reintegration_eur
    out[COST_BY_TYPE : COST_BY_TYPE + N_TYPES] = cost_by_type
    out[IN_RECEPTION_BY_TYPE : IN_RECEPTION_BY_TYPE + N_TYPES] = by_type
    out[CAPACITY_BY_TYPE : CAPACITY_BY_TYPE + N_TYPES] = places_by_type
    for j, s in enumerate(ACTIVE_STATES):
        out[FIRST_STOCK_STATE + j] = tally.state_persons[s]
    for j, s in enumerate(EXIT_STATES):
        out[FIRST_EXIT_STATE + j] = tally.state_persons[s]


SERIES_NAMES: tuple[str, ...] = FLOW_NAMES + STOCK_NAMES
STOCK_COLUMNS = tuple(f"stock_{STATE_NAMES[s]}" for s in ACTIVE_STATES)
EXIT_COLUMNS = tuple(f"exits_{STATE_NAMES[s]}" for s in EXIT_STATES)

# Rates derived from two recorded series when a run is compared with observed figures
# (defined in flowsim.validation.observed.DERIVED_RATES); named here so the config can check a
# calibration's series without importing the analysis side.
DERIVED_RATE_NAMES = (
    "cgrs_protection_rate",
    "reception_occupancy_rate",
    "cgrs_mean_days_to_decision",
    "io_transmissions_cases_per_month",
    "io_transmissions_per_month",
)
