"""``Recorded``: the node shape of micrograd-style nodes, ``Value(data, _children, _op)``.

karpathy's micrograd adds an operation by making ``Value(data, (a, b), 'op')`` and
assigning its ``_backward`` closure.  Such a node gets a ``Recorded`` operation, one
per symbol: its operands in ``_a`` (a tuple), its closure in ``_b``, and no rule of
its own, so ``backward()`` runs the closure and ``grad()`` and ``explain()``, which
need a local derivative, say how to define it with ``Operation`` instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from micrograd.autograd.operation import Operation
from micrograd.autograd.value import Value

__all__ = ["Recorded"]


class Recorded(Operation):
    """A node made micrograd style, ``Value(data, _children, _op)``: operands in ``_a``, a symbol,
    and no rule: its step is the ``_backward`` closure the user assigned, kept in ``_b``
    (none: no gradient flows)."""

    __slots__ = ()
    arity = None

    def step(self, node: Value) -> None:
        backward = getattr(node, "_b", None)
        if backward is not None:
            backward()

    def assigned_step(self, node: Value) -> Callable[[], None] | None:
        return getattr(node, "_b", None)  # type: ignore[no-any-return]

    def assign_step(self, node: Value, closure: Callable[[], None]) -> None:
        node._b = closure

    def vjp_at(self, g: Any, data: Sequence[Any], out: Any, constants: tuple[Any, ...] = ()) -> Sequence[Any]:
        raise TypeError(
            f"the operation {self.name!r} was made micrograd style, with Value(data, _children, _op) and "
            "_backward: grad() and explain() need its local derivative; define it with micrograd.Operation"
        )

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        raise TypeError(
            f"the operation {self.name!r} was recorded with Value(data, _children, _op) and cannot be recomputed"
        )

    @staticmethod
    @functools.cache
    def named(symbol: str) -> Recorded:
        """The operation of micrograd-style nodes with this symbol (one per symbol)."""
        return Recorded(symbol, _unavailable, None)


def _unavailable(*args: Any) -> float:
    raise TypeError("this operation was recorded with Value(data, _children, _op) and cannot be recomputed")


Value._recorded = Recorded.named  # Value(data, _children, _op) makes its node with this
