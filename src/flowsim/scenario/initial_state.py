"""The ``initial_state`` section: the system as it stood on the start date (persons; days
where the name says so)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import (
    Field,
)

from flowsim.scenario.fields import NonNegative, Strict


class InitialState(Strict):
    """The system as it stood on the start date (persons; days where the name says so).

    Who lives in reception (``in_reception_persons``: the residents, by centre): everyone of
    the groups in :attr:`RESIDENT_FIELDS`; the groups in :attr:`PLACE_FILLING_FIELDS` fill the
    other places, and of those not placed the most recently lodged (or most recently in their
    Dublin step) are the waiting list (``without_reception_persons``), the others live
    privately (:func:`flowsim.institutions.reception.place_initial_residents`). The clocks of
    Dublin cases and orders to leave are spread evenly over the legal terms of the start date
    (the named fields of ``immigration_office`` and ``returns``).
    """

    # every person of these groups lives in reception on the start date
    RESIDENT_FIELDS: ClassVar[tuple[str, ...]] = (
        "status_holders_in_reception_persons",
        "order_to_leave_in_reception_persons",
    )
    # these fill the places left; the others of them wait for a place or live privately
    PLACE_FILLING_FIELDS: ClassVar[tuple[str, ...]] = (
        "pending_cgrs_persons",
        "pending_call_persons",
        "dublin_requested_persons",
        "dublin_accepted_persons",
        "awaiting_transmission_persons",
    )

    pending_cgrs_persons: NonNegative = 0  # persons pending at the CGRS on the start date
    pending_cgrs_max_waited_days: NonNegative = 0  # waits so far spread evenly up to this
    pending_call_persons: NonNegative = 0  # persons with an appeal pending at CALL
    pending_call_max_waited_days: NonNegative = 0  # their waits so far, spread evenly up to this
    status_holders_in_reception_persons: NonNegative = 0  # granted, still in a centre
    status_holders_max_days_since_status: NonNegative = 0  # spread evenly up to this
    in_reception_persons: dict[str, NonNegative] = Field(default_factory=dict)  # by centre
    # pending persons entitled to a place but without one (the waiting list): the most recently
    # lodged of those not placed; the other pending persons not placed live privately
    without_reception_persons: NonNegative = 0
    # people under temporary protection on the start date, by where they live (persons)
    tp_in_emergency_persons: NonNegative = 0  # emergency reception, waiting for crisis housing
    tp_in_crisis_housing_persons: NonNegative = 0  # a municipality's crisis housing
    tp_in_sustainable_housing_persons: NonNegative = 0  # housed (hosts, rent, municipality)
    # Dublin cases: request sent (or being prepared) and no reply yet; replies due evenly
    # over the next immigration_office.dublin_reply_days
    dublin_requested_persons: NonNegative = 0
    # accepted, transfer window open (accepted evenly over the last
    # dublin_transfer_window_days, so the windows close over the run's first months)
    dublin_accepted_persons: NonNegative = 0
    # absconded after acceptance (no housing); extended windows close evenly over the next
    # dublin_absconded_window_days - dublin_transfer_window_days (at least one day)
    dublin_absconded_persons: NonNegative = 0
    # registered, their files not yet sent to the CGRS by the Immigration Office (while its
    # capacity to send them binds); sent first, in a random order
    awaiting_transmission_persons: NonNegative = 0
    # orders to leave (final negative outcome): in an open return place, return decisions due
    # evenly over the next returns.open_return_place_days
    order_to_leave_in_reception_persons: NonNegative = 0
    # on the removal list (private housing), removal windows ending evenly over the next
    # returns.removal_window_days
    order_to_leave_removal_list_persons: NonNegative = 0
    # CGRS officers hired before the start date and not yet at a full officer's output (part
    # of cgrs.case_officers_fte): those still in their hiring lag (FTE, and the FTE-weighted
    # days until they start deciding) and those in their ramp (cgrs.new_officer_ramp_days:
    # FTE, and the FTE-weighted days until they reach full output)
    cgrs_officers_in_hiring_lag_fte: NonNegative = 0
    cgrs_officers_hiring_lag_days_left: NonNegative = 0  # days before officers hired decide
    cgrs_officers_in_ramp_fte: NonNegative = 0  # officers still learning on the start date (FTE)
    cgrs_officers_ramp_days_left: NonNegative = 0  # days left of their ramp to full output

    def persons_of(self, fields: tuple[str, ...]) -> float:
        """Persons of the named groups."""
        return sum(getattr(self, name) for name in fields)

    def residents_problems(self) -> list[str]:
        """One line per way the residents, the waiting list and the groups living in
        reception contradict each other (the rule in the class docstring)."""
        problems = []
        placed = sum(self.in_reception_persons.values())
        residents = self.persons_of(self.RESIDENT_FIELDS)
        filling = self.persons_of(self.PLACE_FILLING_FIELDS)
        if placed > residents + filling:
            problems.append(
                f"initial_state.in_reception_persons: expected at most the persons who can live "
                f"in reception (pending at the CGRS or CALL, Dublin requested or accepted, status "
                f"holders and orders to leave in reception: {residents + filling:g}), got "
                f"{placed:g}"
            )
        unplaced = max(filling - (placed - residents), 0)
        if self.without_reception_persons > unplaced:
            problems.append(
                f"initial_state.without_reception_persons: expected at most the pending persons "
                f"and Dublin cases (requested or accepted) not in reception ({unplaced:g}), got "
                f"{self.without_reception_persons:g}"
            )
        status = self.status_holders_in_reception_persons
        if status > placed:
            problems.append(
                f"initial_state.status_holders_in_reception_persons: expected at most the "
                f"persons in reception ({placed:g}), got {status:g}"
            )
        elif residents > placed:
            problems.append(
                f"initial_state.order_to_leave_in_reception_persons: expected at most the "
                f"persons in reception less the status holders there ({placed - status:g}), "
                f"got {self.order_to_leave_in_reception_persons:g}"
            )
        return problems
