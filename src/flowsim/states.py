"""The states a person can be in, and where they live while in it.

Every person who has entered the model is in exactly one state on every day. Exit states end a
person's time in the international-protection chain (the whole-system issue carries them on).
"""

from __future__ import annotations

# Procedure states (int8 codes stored per case; every member of a household shares them).
NOT_ARRIVED = 0  # generated in advance, not yet in the model: never counted
AWAITING_REGISTRATION = 1  # arrived, waiting at the Arrival Centre
DUBLIN_PROCEDURE = 2  # registered; another EU state has been asked to take the case
PENDING_CGRS = 3  # waiting for a first-instance decision
PENDING_CALL = 4  # refused by the CGRS and appealing at CALL
# Exit states.
REFUGEE_STATUS = 5
SUBSIDIARY_PROTECTION = 6
NEGATIVE_FINAL = 7  # refusal or inadmissibility not appealed, or confirmed by CALL
DUBLIN_TRANSFERRED = 8
ABSCONDED = 9  # left reception and the procedure without notice

STATE_NAMES = {
    AWAITING_REGISTRATION: "awaiting_registration",
    DUBLIN_PROCEDURE: "dublin_procedure",
    PENDING_CGRS: "pending_cgrs",
    PENDING_CALL: "pending_call",
    REFUGEE_STATUS: "refugee_status",
    SUBSIDIARY_PROTECTION: "subsidiary_protection",
    NEGATIVE_FINAL: "negative_final",
    DUBLIN_TRANSFERRED: "dublin_transferred",
    ABSCONDED: "absconded",
}
ACTIVE_STATES = (AWAITING_REGISTRATION, DUBLIN_PROCEDURE, PENDING_CGRS, PENDING_CALL)
EXIT_STATES = (REFUGEE_STATUS, SUBSIDIARY_PROTECTION, NEGATIVE_FINAL, DUBLIN_TRANSFERRED, ABSCONDED)
N_STATES = 10

# Housing while in an active state.
NO_HOUSING = 0  # not (yet) entitled: awaiting registration, or exited
IN_CENTRE = 1  # has a Fedasil place
WAITING = 2  # entitled to a place but none was given: counted in `without_reception`
PRIVATE = 3  # left reception for private housing; still in the procedure
