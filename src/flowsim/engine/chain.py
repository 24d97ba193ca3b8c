"""The chain's registers in one object: the population, its tally, and the institutions'
queues and calendars, as the daily kernels receive them.

Passing a named tuple of arrays from Python to a kernel costs numba one conversion per array:
the day's kernels took some 700 arrays a day that way, each about 0.25 us with the
processor's caches cold between calls (taking them as one object made the baseline about a
tenth faster, 0.50 -> 0.445 s a run). A :class:`Chain` is passed as one object. It refers to
the very arrays the model and its institutions keep (nothing is copied), so either side sees
the other's changes. Arrays that are replaced during a run (the CGRS decision log when it
grows, today's row of flows, the window of active cases) are passed to kernels beside it.

Inside a kernel, take the parts it uses with :func:`flowsim.engine.compiled.borrowed`, e.g.
``cases, tally = borrowed((chain.cases, chain.tally))``.
"""

from __future__ import annotations

from numba import njit, types
from numba.experimental import structref

# Imported to run, not for annotations only: :func:`new_chain`'s cached versions are keyed
# by the types of these registers, so its cache must follow their modules
# (``engine/numba_cache.py`` hashes what a module imports to run). Left out, a change of a
# register's layout (a new module defining a field's type) put versions a checkout without
# that module cannot read into the cache shared with it.
from flowsim.engine.calendar import Calendar
from flowsim.engine.population import Cases, Tally
from flowsim.engine.procedure import (
    CgrsDesk,
    DublinDesk,
    ReturnDesk,
    StatusHolders,
    TemporaryProtectionDesk,
)
from flowsim.engine.queues import Queue

FIELDS = (
    "cases",  # Cases: one row per household
    "tally",  # Tally: running counts (persons)
    "registration",  # Queue: awaiting registration at the Arrival Centre
    "cgrs",  # CgrsDesk: pending first-instance decisions and their withdrawal days
    "call",  # Queue: pending appeals
    "waiting",  # Queue: entitled to reception, without a place
    "dublin",  # DublinDesk: Dublin cases' next steps and the transfer queue
    "departures",  # Calendar: the day a resident may leave reception on their own
    "holders",  # StatusHolders: status holders' housing search and deadlines
    "returns",  # ReturnDesk: orders to leave, counselling, removals
    "tp",  # TemporaryProtectionDesk: crisis housing queue, departures, own housing
)


@structref.register
class ChainType(types.StructRef):
    """Numba type of a :class:`Chain` (its fields typed as given)."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class Chain(structref.StructRefProxy):
    """The chain's registers as one kernel argument (see the module's docstring).

    Python code keeps using the named tuples themselves (``model.cases``, ...).
    """


structref.define_boxing(ChainType, Chain)


# ``Chain(cases, tally, ...)`` in compiled code: fields set in the order of FIELDS
structref.define_constructor(Chain, ChainType, FIELDS)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def new_chain(
    cases: Cases,
    tally: Tally,
    registration: Queue,
    cgrs: CgrsDesk,
    call: Queue,
    waiting: Queue,
    dublin: DublinDesk,
    departures: Calendar,
    holders: StatusHolders,
    returns: ReturnDesk,
    tp: TemporaryProtectionDesk,
) -> Chain:
    """The registers in one object, referring to these arrays (not copies)."""
    return Chain(
        cases,
        tally,
        registration,
        cgrs,
        call,
        waiting,
        dublin,
        departures,
        holders,
        returns,
        tp,
    )
