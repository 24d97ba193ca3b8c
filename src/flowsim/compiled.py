"""Calling compiled kernels from the daily loop without numba's per-call type dispatch.

Each call of a numba kernel from Python first works out the numba type of every argument to
pick the compiled version; for the population's named tuples of arrays that costs about
12 us a call, against about 5 us for the call itself, and the daily loop makes some twenty
such calls a day. The model always calls a kernel with the same kinds of arguments, so
:func:`direct` remembers the compiled version after the first call and calls it straight,
as long as the arguments have the same Python types (and array dtypes) as that first call;
otherwise it goes through numba's dispatcher as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _kinds(args: tuple) -> tuple:
    return tuple(a.dtype if isinstance(a, np.ndarray) else type(a) for a in args)


class DirectKernel:
    """A numba kernel that, after its first call, calls its compiled version directly."""

    def __init__(self, kernel: Any):
        self.kernel = kernel
        self.entry: Callable[..., Any] | None = None
        self.kinds: tuple = ()

    def __call__(self, *args: Any) -> Any:
        if self.entry is not None and _kinds(args) == self.kinds:
            return self.entry(*args)
        result = self.kernel(*args)
        compiled = getattr(self.kernel, "overloads", {})  # a plain function has none
        if self.entry is None and len(compiled) == 1:
            # one compiled version, and these arguments were just dispatched to it
            self.entry = next(iter(compiled.values())).entry_point
            self.kinds = _kinds(args)
        return result


_DIRECT: dict[int, DirectKernel] = {}


def direct(kernel: Any) -> DirectKernel:
    """``kernel`` (an ``@njit`` function) as called from the daily loop: same results as
    calling it, without the per-call type dispatch once it has been called once."""
    found = _DIRECT.get(id(kernel))
    if found is None or found.kernel is not kernel:
        found = _DIRECT[id(kernel)] = DirectKernel(kernel)
    return found
