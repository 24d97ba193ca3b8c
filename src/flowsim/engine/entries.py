"""Pooled entries of linked lists: the links of queues and calendars.

A queue or a calendar keeps per case only what must be looked up by case (a flag, a day:
one or two bytes); its lists are made of **entries** (case, next entry, day) taken from a
pool of its own that grows as needed. Only the cases actually in a list hold an entry, and
at any time they are few: over a baseline run each queue or calendar holds at most a tenth
of the cases, most far less, while per-case links cost every case of the run 8-12 bytes
per structure whether it ever joins or not (issue 19, part 4: benchmarks/README.md).

An entry is taken with :func:`allocate` and given back with :func:`release`; given-back
entries are reused first (a free list through ``nxt``), then never-used ones, and when none
is left the pool doubles (:func:`grow`).

The pool is a numba structref (its arrays are replaced when it grows) held by the queue or
calendar, a named tuple, in its field ``entries``. Reading a structref's array field the
usual way counts a reference (two atomic operations) at every access, which made pushing
and popping twice as slow; :func:`arrays` and the counters below read and write the
pool's fields in place, without counting, as :func:`flowsim.engine.compiled.borrowed`
does for named tuples. The arrays :func:`arrays` returns stay valid until the pool next
grows: take them again after every :func:`allocate`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.experimental import structref
from numba.experimental.structref import _Utils
from numba.extending import intrinsic

from flowsim.engine.compiled import borrow_array

# The pool's fields, in the order of the constructor.
FIELDS = (
    "case",  # int32 per entry: the case it stands for
    "nxt",  # int32 per entry: the next entry of its list (-1: the last), or of the free list
    "day",  # int32 per entry: a queue's day the case joined (empty for a calendar's pool)
    "free",  # int64: the first given-back entry, -1 when none
    "used",  # int64: entries handed out at least once; [used, capacity) are untouched
)

# Entries a queue's or calendar's pool holds before it first grows, at least.
MIN_CAPACITY = 1024


@structref.register
class EntriesType(types.StructRef):
    """Numba type of an :class:`Entries` pool."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class Entries(structref.StructRefProxy):
    """A pool of list entries (see the module's docstring); made by :func:`new_entries`."""


structref.define_boxing(EntriesType, Entries)
structref.define_constructor(Entries, EntriesType, FIELDS)


@njit(cache=True, no_cfunc_wrapper=True)
def _make(case: np.ndarray, nxt: np.ndarray, day: np.ndarray):
    return Entries(case, nxt, day, -1, 0)


def new_entries(capacity: int, with_days: bool) -> Entries:
    """An empty pool with room for ``capacity`` entries (at least one) before it grows;
    ``with_days`` for a queue's pool, whose entries keep the day the case joined. Its arrays
    are written before they are read (``np.empty``)."""
    capacity = max(int(capacity), 1)
    return _make(
        np.empty(capacity, np.int32),
        np.empty(capacity, np.int32),
        np.empty(capacity if with_days else 0, np.int32),
    )


def _pool(context, builder, holder_type, holder):
    """The data of the pool in a named tuple's ``entries`` field (no reference counted)."""
    index = holder_type.fields.index("entries")
    pool_type = holder_type.types[index]
    pool = builder.extract_value(holder, index)
    return pool_type, _Utils(context, builder, pool_type).get_data_struct(pool)


@intrinsic
def arrays(typingctx, holder):
    """``(case, nxt, day)``: the entry arrays of the pool of ``holder`` (a queue or a
    calendar), not reference counted; valid until the pool next grows."""
    pool_type = holder.types[holder.fields.index("entries")]
    array = pool_type.field_dict["case"]
    signature = types.UniTuple(array, 3)(holder)

    def codegen(context, builder, sig, args):
        _, data = _pool(context, builder, sig.args[0], args[0])
        values = [
            borrow_array(context, builder, array, getattr(data, name))
            for name in ("case", "nxt", "day")
        ]
        return context.make_tuple(builder, sig.return_type, values)

    return signature, codegen


def _counter_getter(name: str):
    @intrinsic
    def get(typingctx, holder):
        def codegen(context, builder, sig, args):
            return getattr(_pool(context, builder, sig.args[0], args[0])[1], name)

        return types.int64(holder), codegen

    get.__doc__ = f"The pool's ``{name}`` counter (see FIELDS)."
    return get


def _counter_setter(name: str):
    @intrinsic
    def set_(typingctx, holder, value):
        def codegen(context, builder, sig, args):
            data = _pool(context, builder, sig.args[0], args[0])[1]
            setattr(data, name, context.cast(builder, args[1], sig.args[1], types.int64))
            return context.get_dummy_value()

        return types.void(holder, value), codegen

    set_.__doc__ = f"Set the pool's ``{name}`` counter (see FIELDS)."
    return set_


_free, _set_free = _counter_getter("free"), _counter_setter("free")
_used, _set_used = _counter_getter("used"), _counter_setter("used")


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def grow(pool: Entries) -> None:
    """Double the pool's room, keeping every entry where it is (entry numbers unchanged)."""
    n = pool.case.shape[0]
    m = 2 * n
    case = np.empty(m, np.int32)
    case[:n] = pool.case
    pool.case = case
    nxt = np.empty(m, np.int32)
    nxt[:n] = pool.nxt
    pool.nxt = nxt
    if pool.day.shape[0] > 0:
        day = np.empty(m, np.int32)
        day[:n] = pool.day
        pool.day = day


@njit(cache=True, inline="always")
def allocate(holder) -> int:
    """An unused entry of ``holder``'s pool (its fields unset); the pool grows when full, so
    arrays taken from it before are stale."""
    e = _free(holder)
    if e >= 0:
        _set_free(holder, arrays(holder)[1][e])
        return e
    e = _used(holder)
    if e == arrays(holder)[0].shape[0]:
        grow(holder.entries)
    _set_used(holder, e + 1)
    return e


@njit(cache=True, inline="always")
def release(holder, e: int) -> None:
    """Give entry ``e`` back to ``holder``'s pool (it must be in no list any more)."""
    arrays(holder)[1][e] = _free(holder)
    _set_free(holder, e)


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def in_use(holder) -> int:
    """Entries of ``holder``'s pool now in a list (handed out and not given back)."""
    nxt = arrays(holder)[1]
    n = _used(holder)
    e = _free(holder)
    while e >= 0:
        n -= 1
        e = nxt[e]
    return n


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def capacity(holder) -> int:
    """Entries ``holder``'s pool has room for before it grows again."""
    return arrays(holder)[0].shape[0]


@njit(cache=True, nogil=True, no_cfunc_wrapper=True)
def nbytes(holder) -> int:
    """Bytes ``holder``'s pool takes (its arrays at their capacity)."""
    case, nxt, day = arrays(holder)
    return case.nbytes + nxt.nbytes + day.nbytes


def initial_capacity(n_cases: int) -> int:
    """The room a queue or calendar of a run of ``n_cases`` cases starts with: small (the
    baseline's largest holds a tenth of the cases at once, most a hundredth or less); it
    doubles when needed, a handful of times in a run."""
    return max(MIN_CAPACITY, n_cases // 256)
