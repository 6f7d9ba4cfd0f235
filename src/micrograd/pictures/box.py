"""One box of a view of a graph: a value with a name, data, grad, operation and operands."""

from __future__ import annotations

from dataclasses import dataclass

from micrograd.autograd import LINEAR, Value, local_gradients

__all__ = ["Box", "is_linear"]


@dataclass(eq=False, slots=True)
class Box:
    """One value of a view: a Value of the graph, or a product or sum of an expanded linear.

    ``operands`` are all the values it was computed from, in order (for a neuron:
    its inputs, then its weights, then its bias); ``hidden`` ones are drawn inside
    the box rather than as boxes of their own.  ``kind`` is ``"value"``,
    ``"product"`` or ``"sum"`` (parts of an expanded linear), ``"neuron"``, or
    ``"total"`` (a chain of ``+`` shown as one sum of all its terms).
    """

    name: str
    data: float
    grad: float
    op: str  # the operation that made it, '' for a leaf
    operands: tuple[Box, ...]
    value: Value | None  # the Value shown; None for a product or partial sum
    kind: str
    hidden: bool
    activation: str  # a neuron's activation ('' for a linear neuron)

    @property
    def drawn_operands(self) -> tuple[Box, ...]:
        """The operands a picture connects to this box (the hidden ones are inside it)."""
        return tuple(operand for operand in self.operands if not operand.hidden)

    def local_derivatives(self) -> tuple[float, ...]:
        """d self / d operand for each operand, in order: the local step of the chain rule."""
        if self.kind == "product":
            x, w = self.operands
            return (w.data, x.data)
        if self.kind == "sum" or (self.kind == "value" and self.op == "+" and is_linear(self.value)):
            return (1.0, 1.0)
        if self.kind == "total":
            return (1.0,) * len(self.operands)
        assert self.value is not None
        if self.kind == "neuron":
            if self.activation:
                (linear_value,) = self.value.operands
                outer = local_gradients(self.value)[0]
                return tuple(outer * d for d in local_gradients(linear_value))
            return local_gradients(self.value)
        return local_gradients(self.value)


def is_linear(value: Value | None) -> bool:
    """Whether ``value`` was made by ``linear`` (a neuron's ``w·x + b``)."""
    return value is not None and value.operation is LINEAR
