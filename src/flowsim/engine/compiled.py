"""How the daily loop calls compiled kernels, and what a kernel does with its arguments.

:func:`direct`: each call of a numba kernel from Python first works out the numba type of
every argument to pick the compiled version; for the population's named tuples of arrays
that costs about 12 us a call, against about 5 us for the call itself. The model always
calls a kernel with the same kinds of arguments, so :func:`direct` remembers the compiled
version after the first call and calls it straight, as long as the arguments have the same
Python types (and array dtypes) as that first call; otherwise it goes through numba's
dispatcher as usual.

:func:`borrowed`: inside a kernel, the arrays of its arguments are used without numba's
reference counting (see the comment above it); each kernel the daily loop calls starts so.

Kernels compiled on their own (not inlined) are declared ``no_cfunc_wrapper=True``: numba
otherwise adds to each a C-callable wrapper, for passing the kernel as a first-class
function value (which flowsim never does), that converts every array of its named-tuple
arguments; those wrappers were an eighth of the LLVM IR of a cold first replication and
about 4 s of its 76 s of compiling (issue 19, benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic


class DirectKernel:
    """A numba kernel that, after its first call, calls its compiled version directly."""

    def __init__(self, kernel: Any):
        self.kernel = kernel
        self.entry: Callable[..., Any] | None = None
        self.types: tuple = ()
        self.dtypes: tuple = ()  # (position, dtype) of each array argument

    def _same_kinds(self, args: tuple) -> bool:
        if tuple(map(type, args)) != self.types:
            return False
        return all(args[i].dtype == dtype for i, dtype in self.dtypes)

    def __call__(self, *args: Any) -> Any:
        if self.entry is not None and self._same_kinds(args):
            return self.entry(*args)
        result = self.kernel(*args)
        compiled = getattr(self.kernel, "overloads", {})  # a plain function has none
        if self.entry is None and len(compiled) == 1:
            # one compiled version, and these arguments were just dispatched to it
            self.entry = next(iter(compiled.values())).entry_point
            self.types = tuple(map(type, args))
            self.dtypes = tuple(
                (i, a.dtype) for i, a in enumerate(args) if isinstance(a, np.ndarray)
            )
        return result


_DIRECT: dict[int, DirectKernel] = {}


def direct(kernel: Any) -> DirectKernel:
    """``kernel`` (an ``@njit`` function) as called from the daily loop: same results as
    calling it, without the per-call type dispatch once it has been called once."""
    found = _DIRECT.get(id(kernel))
    if found is None or found.kernel is not kernel:
        found = _DIRECT[id(kernel)] = DirectKernel(kernel)
    return found


# --- borrowing arrays inside kernels -------------------------------------------------------
#
# Numba counts references to every array it passes around. Each call of a helper kernel
# (``set_state``, ``push``, ...) with the population's named tuples of arrays increments and
# decrements the count of every array in them, one atomic operation each, and LLVM cannot
# prove the pairs cancel across branches: about 100 such operations per transition, which
# made a registration cost 2 us instead of 0.1 us. A kernel called from Python holds its
# arguments for the whole call (the caller keeps them alive), so inside it the arrays can be
# used without counting: :func:`borrowed` gives the same arrays with no reference count.


def borrow_array(context, builder, typ, value):
    """In an intrinsic's code generation: an array value sharing ``value``'s data, without a
    reference (null meminfo), so using it counts nothing."""
    src = context.make_array(typ)(context, builder, value)
    dst = context.make_array(typ)(context, builder)
    for name in ("parent", "nitems", "itemsize", "data", "shape", "strides"):
        setattr(dst, name, getattr(src, name))
    dst.meminfo = cgutils.get_null_value(dst.meminfo.type)
    return dst._getvalue()


def _borrow_value(context, builder, typ, value):
    if isinstance(typ, types.Array):
        return borrow_array(context, builder, typ, value)
    if isinstance(typ, types.BaseTuple):
        out = value
        for i, member in enumerate(typ.types):
            item = _borrow_value(context, builder, member, builder.extract_value(value, i))
            out = builder.insert_value(out, item, i)
        return out
    context.nrt.incref(builder, typ, value)  # returned as a new reference, like any result
    return value


@intrinsic
def borrowed(typingctx, value):
    """``value`` (an array, or a tuple or named tuple of arrays, nested or not) with its
    arrays' reference counting switched off, for use inside the kernel that received it.

    Only for a kernel's own arguments, never for arrays it allocates, and never returned or
    stored beyond the call: the caller's references are what keep the arrays alive.
    """

    def codegen(context, builder, signature, args):
        return _borrow_value(context, builder, signature.args[0], args[0])

    return value(value), codegen
