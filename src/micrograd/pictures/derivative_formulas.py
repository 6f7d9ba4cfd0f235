"""What each operation computes and its local derivatives, as formulas the explainer prints.

:func:`forward_formula` writes a node as computed from its operands (``d * f`` and
``(4) * (-2)``); :func:`local_formula` writes the local derivative d node / d
operand (``∂o/∂n = 1 − o²`` for tanh), one row per operation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from micrograd.autograd import ADD, LINEAR, MUL, Operation, Recorded
from micrograd.pictures.formula import Formula, Part
from micrograd.pictures.graph_text import format_number
from micrograd.pictures.graphview import Box

__all__ = ["forward_formula", "local_formula"]

_INFIX = ("+", "-", "*", "/", "**")  # written between their two operands

# the operations of the boxes that have no Value of their own: the parts of an expanded linear
_PARTS: dict[str, Operation] = {"*": MUL, "+": ADD}


def _recompute(box: Box) -> Callable[[Sequence[float]], float] | None:
    """``box``'s operation on other operand values: the rule table's checked forward (None if it has none)."""
    node = box.value
    if box.kind == "total":  # a chain of + shown as one sum: added left to right, as it was
        return _add_in_order
    if node is None or (box.kind == "value" and box.op != node.op):  # a part of an expanded linear
        part = _PARTS.get(box.op) if len(box.operands) == 2 else None
        return None if part is None else lambda v: part.evaluate(v)
    operation = node.operation
    if operation is None or isinstance(operation, Recorded):
        return None  # a leaf, or an operation recorded micrograd style, which has no forward to call
    constants = operation.constants(node)
    if box.kind == "neuron" and box.activation:  # the box is activation(linear(...)), both inside it
        return lambda v: operation.evaluate([LINEAR.evaluate(v)], constants)
    return lambda v: operation.evaluate(v, constants)


def _add_in_order(terms: Sequence[float]) -> float:
    total = terms[0]
    for term in terms[1:]:
        total = ADD.evaluate([total, term])
    return total


def forward_formula(box: Box) -> Formula:
    """``box`` as computed from its operands: ``d * f`` and ``(4) * (-2)``."""
    names = [x.name for x in box.operands]
    values = [x.data for x in box.operands]
    op = box.op
    recompute = _recompute(box)
    if box.kind == "neuron" or op == "linear":
        n = len(values) // 2
        parts: list[Part] = []
        for i in range(n):
            parts += [" + " if i else "", (n + i, "paren"), " · ", (i, "paren")]
        parts += [" + ", (2 * n, "paren")]
        if box.activation:
            parts = [f"{box.activation}(", *parts, ")"]
        return Formula(parts, names, values, recompute, box.data)
    if box.kind == "total":
        terms: list[Part] = []
        for i in range(len(values)):
            terms += [" + " if i else "", (i, "paren")]
        return Formula(terms, names, values, recompute, box.data)
    if len(values) == 2 and op in _INFIX:
        return Formula([(0, "paren"), f" {op} ", (1, "paren")], names, values, recompute, box.data)
    if len(values) == 1 and op.startswith("**"):
        return Formula([(0, "neg"), op], names, values, recompute, box.data)
    if len(values) == 1 and op == "neg":
        return Formula(["-", (0, "paren")], names, values, recompute, box.data)
    if len(values) == 1:
        return Formula([f"{op}(", (0, "bare"), ")"], names, values, recompute, box.data)
    parts = [f"{op}("]
    for i in range(len(values)):
        parts += [", " if i else "", (i, "bare")]
    return Formula([*parts, ")"], names, values, recompute, box.data)


def _activation_derivative(activation: str, out: Box, x: Box) -> tuple[list[Part], list[Box], Callable[..., float]]:
    """d activation / d its input, in terms of the result ``out`` (or the input ``x`` for ReLU)."""
    if activation == "tanh":
        return ["1 − ", (0, "neg"), "²"], [out], lambda o: 1 - o * o
    if activation == "sigmoid":
        return [(0, "neg"), " · (1 − ", (0, "neg"), ")"], [out], lambda o: o * (1 - o)
    if activation == "exp":
        return [(0, "bare")], [out], lambda o: o
    return ["1 if ", (0, "neg"), " > 0 else 0"], [x], lambda v: 1.0 if v > 0 else 0.0


def _neuron_local_formula(box: Box, index: int, local: float) -> Formula | None:
    """d neuron / d operand ``index``: the activation's derivative times the input or weight it multiplies."""
    operands = box.operands
    n = len(operands) // 2
    factor = operands[n + index] if index < n else operands[index - n] if index < 2 * n else None
    if not box.activation:
        return Formula([(0, "bare")], [factor.name], [factor.data], lambda v: v[0], local) if factor else None
    parts, inputs, derivative = _activation_derivative(box.activation, box, box)
    if box.activation == "ReLU":  # its derivative depends on the neuron's sum, which is inside the box
        return None
    count = len(inputs)
    names = [x.name for x in inputs]
    values = [x.data for x in inputs]
    if factor is None:
        return Formula(parts, names, values, lambda v: derivative(*v[:count]), local)
    parts = ["(", *parts, ") · ", (count, "neg")]
    return Formula(
        parts, [*names, factor.name], [*values, factor.data], lambda v: derivative(*v[:count]) * v[count], local
    )


def local_formula(box: Box, index: int, local: float) -> Formula | None:
    """The local derivative d box / d operand ``index`` as a formula, or None if it has none to show."""
    op = box.op
    operands = box.operands
    if box.kind == "neuron":
        return _neuron_local_formula(box, index, local)
    names = [x.name for x in operands]
    values = [x.data for x in operands]
    if op == "linear":
        n = len(operands) // 2
        if index == 2 * n:
            return None
        other = index + n if index < n else index - n
        return Formula([(0, "bare")], [names[other]], [values[other]], lambda v: v[0], local)
    if op in ("+", "-", "neg") or box.kind in ("sum", "total"):
        return None  # 1 or -1: nothing to work out
    if op == "*":
        return Formula([(0, "bare")], [names[1 - index]], [values[1 - index]], lambda v: v[0], local)
    if op == "/":
        if index == 0:
            return Formula(["1/", (1, "neg")], names, values, lambda v: 1 / v[1], local)
        return Formula(["−", (0, "neg"), "/", (1, "neg"), "²"], names, values, lambda v: -v[0] / v[1] ** 2, local)
    if op == "**" and len(operands) == 2:
        if index == 0:
            power: list[Part] = [(1, "neg"), " · ", (0, "neg"), "^(", (1, "bare"), " − 1)"]
            return Formula(power, names, values, lambda v: v[1] * v[0] ** (v[1] - 1), local)
        return Formula(
            [(2, "neg"), " · log(", (0, "bare"), ")"],
            [*names, box.name],
            [*values, box.data],
            lambda v: v[2] * math.log(v[0]),
            local,
        )
    if op.startswith("**") and len(operands) == 1:
        k = float(op[2:])
        if k == 0:
            return None  # x**0 is constant: nothing to work out
        exponent = "" if k == 2 else f"^{format_number(k - 1)}"
        return Formula(
            [format_number(k), " · ", (0, "neg"), exponent], names, values, lambda v: k * v[0] ** (k - 1), local
        )
    if op == "log":
        return Formula(["1/", (0, "neg")], names, values, lambda v: 1 / v[0], local)
    if op == "abs":
        return Formula(
            ["sign(", (0, "bare"), ")"], names, values, lambda v: math.copysign(1.0, v[0]) if v[0] else 0.0, local
        )
    if op in ("tanh", "sigmoid", "exp", "ReLU"):
        parts, inputs, derivative = _activation_derivative(op, box, operands[0])
        return Formula(parts, [x.name for x in inputs], [x.data for x in inputs], lambda v: derivative(v[0]), local)
    return None
