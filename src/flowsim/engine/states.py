"""The states a person can be in, where they live while in it, and the kinds of households
and reception places (a scenario names them; the arrays hold their index).

Every person who has entered the model is in exactly one state on every day. Active states
come first; exit states (codes from :data:`FIRST_EXIT` on) end a person's time in the model.
"""

from __future__ import annotations

# Kinds of cases and places: the scenario names them, the arrays hold their index.
HOUSEHOLD_TYPES = ("single_man", "single_woman", "family", "unaccompanied_minor")
FAMILY = HOUSEHOLD_TYPES.index("family")  # the one household type of more than one person
CENTRE_TYPES = ("collective", "lri", "emergency", "private_operator", "convention")
REGIONS = ("flanders", "wallonia", "brussels")  # of a centre or a municipality

# Procedure states (int8 codes stored per case; every member of a household shares them).
NOT_ARRIVED = 0  # generated in advance, not yet in the model: never counted
AWAITING_REGISTRATION = 1  # arrived, waiting at the Arrival Centre
DUBLIN_PROCEDURE = 2  # registered as a Dublin case; the request to another state is prepared
PENDING_CGRS = 3  # waiting for a first-instance decision
PENDING_CALL = 4  # refused by the CGRS and appealing at CALL
STATUS_HOLDER = 5  # granted protection, still in reception, looking for housing
ORDER_TO_LEAVE = 6  # final negative outcome: open return place, counselling, return decision
TP_EMERGENCY = 7  # temporary protection: emergency reception, waiting for crisis housing
TP_CRISIS_HOUSING = 8  # temporary protection: crisis housing offered by a municipality
TP_SUSTAINABLE_HOUSING = 9  # temporary protection: in sustainable housing
DUBLIN_REQUESTED = 10  # Dublin: request sent, waiting for the other state's reply
DUBLIN_ACCEPTED = 11  # Dublin: accepted (or no reply in time), transfer window open
DUBLIN_ABSCONDED = 12  # Dublin: absconded after acceptance, window extended (whereabouts unknown)
# registered, not a Dublin case (or Belgium responsible): the Immigration Office has not yet
# sent the file to the CGRS (only while its capacity to send files binds)
AWAITING_TRANSMISSION = 13
# Exit states.
HOUSED = 14  # status holder who found housing through a municipality
LEFT_WITH_STATUS = 15  # status holder who left reception otherwise (or had no place)
AVR_DEPARTED = 16  # assisted voluntary return
FORCED_RETURN = 17  # removed by the Immigration Office
IRREGULAR_STAY = 18  # stayed without a right to stay (no return within the removal window)
DUBLIN_TRANSFERRED = 19
ABSCONDED = 20  # left reception and the procedure without notice (or never reappeared)
TP_DEPARTED = 21  # left Belgium (temporary protection)
REGULARISED = 22  # obtained a right to stay after an order to leave (ICAM guidance)
WITHDRAWN = 23  # withdrew or abandoned the application while pending at the CGRS
FIRST_EXIT = HOUSED
N_STATES = 24

STATE_NAMES = {
    AWAITING_REGISTRATION: "awaiting_registration",
    DUBLIN_PROCEDURE: "dublin_procedure",
    PENDING_CGRS: "pending_cgrs",
    PENDING_CALL: "pending_call",
    STATUS_HOLDER: "status_holder",
    ORDER_TO_LEAVE: "order_to_leave",
    TP_EMERGENCY: "tp_emergency",
    TP_CRISIS_HOUSING: "tp_crisis_housing",
    TP_SUSTAINABLE_HOUSING: "tp_sustainable_housing",
    DUBLIN_REQUESTED: "dublin_requested",
    DUBLIN_ACCEPTED: "dublin_accepted",
    DUBLIN_ABSCONDED: "dublin_absconded",
    AWAITING_TRANSMISSION: "awaiting_transmission",
    HOUSED: "housed",
    LEFT_WITH_STATUS: "left_with_status",
    AVR_DEPARTED: "avr_departed",
    FORCED_RETURN: "forced_return",
    IRREGULAR_STAY: "irregular_stay",
    DUBLIN_TRANSFERRED: "dublin_transferred",
    ABSCONDED: "absconded",
    TP_DEPARTED: "tp_departed",
    REGULARISED: "regularised",
    WITHDRAWN: "withdrawn",
}
ACTIVE_STATES = tuple(s for s in STATE_NAMES if s < FIRST_EXIT)
EXIT_STATES = tuple(s for s in STATE_NAMES if s >= FIRST_EXIT)

# How a case came into the model (a case fact).
ASYLUM = 0  # applied for international protection in Belgium
RESETTLED = 1  # selected abroad and transferred, arrives recognised
TEMPORARY_PROTECTION = 2  # registered for temporary protection (people fleeing Ukraine)
# applies again after a refusal before the run (or outside it): a subsequent application
# from someone the run did not refuse, lodged with the CGRS without a Dublin check
SUBSEQUENT = 3

# Final outcome of the procedure (a case fact kept after the state moves on).
NO_STATUS = 0  # no final outcome yet
REFUGEE = 1
SUBSIDIARY = 2
REFUSED = 3  # final negative outcome

# Housing while in an active state.
NO_HOUSING = 0  # not (yet) entitled: awaiting registration, or exited
IN_CENTRE = 1  # has a Fedasil place
WAITING = 2  # entitled to a place but none was given: counted in `without_reception`
PRIVATE = 3  # left reception for private housing; still in the procedure
