"""Random expression programs for the engine tests, kept as data.

A :class:`Program` is a list of instructions over a few leaves.  :func:`run`
interprets it with any :class:`Backend` (micrograd Values, plain floats, HIPS autograd,
PyTorch), so one random graph is computed by all of them and their gradients can be
compared.  :func:`programs` draws a program together with the point where it is
evaluated, built so that every operation is smooth there: logs and non-integer powers
of positive quantities (``x*x + 1``), divisions by numbers bounded away from zero,
exponentials of bounded arguments, relu and abs away from their kinks.  Operands are
drawn from all earlier nodes, so nodes are shared (``x*x``, diamonds).

Instructions (operands are node indices, constants are wrapped in :class:`C`):

* ``(op, a, b)`` with ``op`` in ``+ - * / **``; ``a`` and ``b`` are node indices or
  constants (at least one a node), so ``2 ** x`` and ``1 / x`` are covered;
* ``(name, i)`` with ``name`` one of ``neg abs exp log tanh sigmoid relu``;
* ``("linear", xs, ws, bias)``: ``micrograd.linear``; entries are nodes or constants.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import micrograd


@dataclass(frozen=True)
class C:
    """A constant operand of an instruction (an ``int`` operand is a node index)."""

    value: float

    def __repr__(self) -> str:
        return f"C({self.value!r})"


Operand = int | C
Instruction = tuple[Any, ...]

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
UNARY = ("neg", "abs", "exp", "log", "tanh", "sigmoid", "relu")


@dataclass(frozen=True)
class Program:
    """A random expression: ``instructions`` over ``len(point)`` leaves, smooth at ``point``."""

    point: tuple[float, ...]
    instructions: tuple[Instruction, ...]

    @property
    def n_leaves(self) -> int:
        return len(self.point)

    def __repr__(self) -> str:
        lines = [f"Program(point={self.point!r}, instructions=["]
        for k, instruction in enumerate(self.instructions, start=self.n_leaves):
            lines.append(f"    {instruction!r},  # node {k}")
        lines.append("])")
        return "\n".join(lines)


@dataclass(frozen=True)
class Backend:
    """The functions a backend supplies; the arithmetic operators are Python's own."""

    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]
    relu: Callable[[Any], Any]
    linear: Callable[[Sequence[Any], Sequence[Any], Any], Any]


def _expanded_linear(xs: Sequence[Any], ws: Sequence[Any], bias: Any) -> Any:
    """``sum(w * x) + bias`` written out, for the reference backends (a new node even for no terms)."""
    total = bias + 0.0
    for x, w in zip(xs, ws, strict=True):
        total = total + x * w
    return total


def _float_sigmoid(x: float) -> float:
    """A sigmoid on floats that never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


MICROGRAD = Backend(
    exp=lambda x: x.exp(),
    log=lambda x: x.log(),
    tanh=lambda x: x.tanh(),
    sigmoid=lambda x: x.sigmoid(),
    relu=lambda x: x.relu(),
    linear=micrograd.linear,
)

# micrograd's operations called as functions (micrograd.exp(x), ...) instead of methods
MICROGRAD_FUNCTIONS = Backend(
    exp=micrograd.exp,
    log=micrograd.log,
    tanh=micrograd.tanh,
    sigmoid=micrograd.sigmoid,
    relu=micrograd.relu,
    linear=micrograd.linear,
)

FLOATS = Backend(
    exp=math.exp,
    log=math.log,
    tanh=math.tanh,
    sigmoid=_float_sigmoid,
    relu=lambda x: max(x, 0.0),
    linear=_expanded_linear,
)


def autograd_backend() -> Backend:
    """HIPS autograd's numpy as a backend."""
    import autograd.numpy as anp

    return Backend(
        exp=anp.exp,
        log=anp.log,
        tanh=anp.tanh,
        sigmoid=lambda x: 1.0 / (1.0 + anp.exp(-x)),
        relu=lambda x: anp.maximum(x, 0.0),
        linear=_expanded_linear,
    )


def torch_backend() -> Backend:
    """PyTorch as a backend (call only after ``pytest.importorskip("torch")``)."""
    import torch

    return Backend(
        exp=torch.exp,
        log=torch.log,
        tanh=torch.tanh,
        sigmoid=torch.sigmoid,
        relu=torch.relu,
        linear=_expanded_linear,
    )


def _operand(nodes: Sequence[Any], operand: Operand) -> Any:
    return operand.value if isinstance(operand, C) else nodes[operand]


def apply(instruction: Instruction, nodes: Sequence[Any], backend: Backend) -> Any:
    """The result of one instruction on the nodes computed so far."""
    op = instruction[0]
    if op in BINARY:
        return BINARY[op](_operand(nodes, instruction[1]), _operand(nodes, instruction[2]))
    if op == "neg":
        return -nodes[instruction[1]]
    if op == "abs":
        return abs(nodes[instruction[1]])
    if op == "linear":
        _, xs, ws, bias = instruction
        return backend.linear([_operand(nodes, x) for x in xs], [_operand(nodes, w) for w in ws], _operand(nodes, bias))
    return getattr(backend, op)(nodes[instruction[1]])


def run(program: Program, leaves: Sequence[Any], backend: Backend) -> list[Any]:
    """Every node of ``program`` (the leaves first, the output last) computed with ``backend``."""
    nodes = list(leaves)
    for instruction in program.instructions:
        nodes.append(apply(instruction, nodes, backend))
    return nodes


def output_function(program: Program, backend: Backend) -> Callable[..., Any]:
    """The program as a function of its leaves, returning its output."""
    return lambda *leaves: run(program, leaves, backend)[-1]


def operands_of(instruction: Instruction) -> list[int]:
    """The node indices an instruction reads."""
    if instruction[0] == "linear":
        _, xs, ws, bias = instruction
        candidates = [*xs, *ws, bias]
    else:
        candidates = list(instruction[1:])
    return [c for c in candidates if isinstance(c, int)]


# -- drawing a program that is smooth at its point ----------------------------------------

LIMIT = 100.0  # larger intermediate results are scaled down, to keep finite differences accurate
KINK_MARGIN = 0.05  # relu and abs operands stay this far from 0
DENOMINATOR_MARGIN = 0.2  # divisors and bases of negative powers stay this far from 0
EXP_LIMIT = 4.0  # exp, and powers with a Value exponent, of arguments at most this large


class _Builder:
    """Emits instructions while tracking each node's float value at the program's point."""

    def __init__(self, point: Sequence[float]) -> None:
        self.point = tuple(point)
        self.values = list(point)
        self.instructions: list[Instruction] = []

    def emit(self, instruction: Instruction) -> int:
        self.values.append(apply(instruction, self.values, FLOATS))
        self.instructions.append(instruction)
        index = len(self.values) - 1
        magnitude = abs(self.values[index])
        if magnitude > LIMIT:
            index = self.emit(("/", index, C(10.0 ** math.ceil(math.log10(magnitude)))))
        return index

    def positive(self, i: int) -> int:
        """Node ``i`` if it is comfortably positive, else ``i*i + 1``."""
        if self.values[i] >= DENOMINATOR_MARGIN:
            return i
        return self.emit(("+", self.emit(("*", i, i)), C(1.0)))

    def nonzero(self, i: int) -> int:
        """Node ``i`` if it is bounded away from zero, else ``i*i + 1``."""
        if abs(self.values[i]) >= DENOMINATOR_MARGIN:
            return i
        return self.emit(("+", self.emit(("*", i, i)), C(1.0)))

    def off_kink(self, i: int) -> int:
        """Node ``i`` if it is away from 0, else ``i + 0.5``."""
        if abs(self.values[i]) >= KINK_MARGIN:
            return i
        return self.emit(("+", i, C(0.5)))

    def bounded(self, i: int) -> int:
        """Node ``i`` if it is at most EXP_LIMIT in size, else ``tanh(i)``."""
        if abs(self.values[i]) <= EXP_LIMIT:
            return i
        return self.emit(("tanh", i))


constants = st.sampled_from([-2.5, -1.0, -0.5, 0.5, 1.5, 2.0, 3.0])
int_exponents = st.sampled_from([0, 1, 2, 3, -1, -2])
float_exponents = st.sampled_from([0.5, 1.5, -0.5, 2.0, 3.0, -1.0])
OPS = ("+", "-", "*", "/", "x**int", "x**float", "x**y", "c**x", "const", "linear", *UNARY)


@st.composite
def programs(draw: st.DrawFn, min_leaves: int = 1, max_leaves: int = 3, max_ops: int = 8) -> Program:
    """A random program over 1-3 leaves in [-2, 2], smooth at its point (see the module doc)."""
    n_leaves = draw(st.integers(min_leaves, max_leaves))
    point = draw(st.lists(st.floats(-2.0, 2.0), min_size=n_leaves, max_size=n_leaves))
    b = _Builder(point)

    def pick() -> int:
        """Any earlier node, so nodes get shared."""
        return draw(st.integers(0, len(b.values) - 1))

    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(OPS))
        if op in ("+", "-", "*"):
            b.emit((op, pick(), pick()))
        elif op == "/":
            b.emit(("/", pick(), b.nonzero(pick())))
        elif op == "x**int":
            k = draw(int_exponents)
            base = b.nonzero(pick()) if k < 0 else pick()
            b.emit(("**", base, C(k)))  # an int exponent, as in karpathy's x**2
        elif op == "x**float":
            b.emit(("**", b.positive(pick()), C(draw(float_exponents))))
        elif op == "x**y":
            base = b.bounded(b.positive(pick()))
            b.emit(("**", base, b.bounded(pick())))
        elif op == "c**x":
            b.emit(("**", C(draw(st.sampled_from([0.5, 2.0, 3.0]))), b.bounded(pick())))
        elif op == "const":  # a number on either side of a Value
            symbol = draw(st.sampled_from(["+", "-", "*", "/"]))
            c = C(draw(constants))
            if draw(st.booleans()):
                b.emit((symbol, pick(), c))
            else:
                right = b.nonzero(pick()) if symbol == "/" else pick()
                b.emit((symbol, c, right))
        elif op == "linear":
            n = draw(st.integers(0, 3))
            xs = tuple(pick() for _ in range(n))
            ws = tuple(pick() if draw(st.booleans()) else C(draw(constants)) for _ in range(n))
            bias = pick() if n == 0 or draw(st.booleans()) else C(draw(constants))
            b.emit(("linear", xs, ws, bias))
        elif op in ("neg", "tanh"):
            b.emit((op, pick()))
        elif op in ("exp", "sigmoid"):
            b.emit((op, b.bounded(pick())))
        elif op == "log":
            b.emit(("log", b.positive(pick())))
        else:  # relu, abs
            b.emit((op, b.off_kink(pick())))
    # The output is the sum of every computed node that nothing else uses, so each one counts.
    used = {i for instruction in b.instructions for i in operands_of(instruction)}
    sinks = [i for i in range(n_leaves, len(b.values)) if i not in used]
    total = sinks[0]
    for sink in sinks[1:]:
        total = b.emit(("+", total, sink))
    return Program(b.point, tuple(b.instructions))
