"""The rule table: every built-in operation in one row, its forward and its local derivative.

Each row is an operation of one shape (``micrograd.autograd.operation``): a name, a checked
forward on floats, and its vjp, the local derivative times the gradient ``g``
arriving from above, written so that it works on floats (``backward()``) and on
Values (``grad(..., create_graph=True)``).  The ``attach`` after a row gives Value
the methods that the operation provides.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from itertools import chain
from typing import Any

from micrograd.autograd import blocks
from micrograd.autograd.blocks import Dense, Part, Weights
from micrograd.autograd.nodes import Binary, ConstantPower, Linear, Unary
from micrograd.autograd.operation import Operation, values
from micrograd.autograd.value import Scalar, Value, data_of

__all__ = [
    "ABS",
    "ADD",
    "DENSE",
    "DIV",
    "EXP",
    "LINEAR",
    "LOG",
    "MUL",
    "NEG",
    "OPERATIONS",
    "PART",
    "POW",
    "POW_CONST",
    "RELU",
    "SIGMOID",
    "SUB",
    "TANH",
    "WEIGHTS",
    "block_parts",
    "exp",
    "layer_block",
    "linear",
    "linear_layer",
    "log",
    "relu",
    "sigmoid",
    "tanh",
]

# -- forward functions: checked, so bad input raises instead of returning nonsense -------


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"division: cannot divide {a!r} by zero")
    return a / b


def _power(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {exponent!r}")
    if base < 0 and not float(exponent).is_integer():
        raise ValueError(f"pow: negative base {base!r} with non-integer exponent {exponent!r} has no real result")
    try:
        return float(base**exponent)
    except OverflowError:
        raise OverflowError(f"pow: {base!r} ** {exponent!r} is too large for a float") from None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({x!r}) is too large for a float (the limit is x < 709.78)") from None


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log: operand must be positive, got {x!r}")
    return math.log(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # x < 0: never overflows
    return z / (1.0 + z)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan stays nan, as in PyTorch


# -- local derivatives that need more than one line ------------------------------------


def _pow_vjp(g: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    """d(a**b)/da = b * a**(b-1);  d(a**b)/db = a**b * log(a), as PyTorch at the edges:
    g * 0 where a == 0 and b >= 0 (0**b does not change with b), nan for a negative base."""
    base = data_of(a, "**")
    if base < 0:
        gb = g * math.nan  # a**b is real only at integer b: no derivative in b, as in PyTorch
    elif base == 0:
        # 0**b does not change with b >= 0: times 0, so that a nan or inf from above stays nan, as in PyTorch
        gb = g * 0.0 if data_of(b, "**") >= 0 else g * math.nan
    else:
        gb = g * out * log(a)
    return _base_derivative(g, a, b), gb


def _base_derivative(g: Any, base: Any, exponent: Any) -> Any:
    """g * d(base**exponent)/d(base) = g * exponent * base**(exponent - 1).

    On floats, as PyTorch: inf where that power is infinite (x**0.5 at 0), never an
    overflow error.  A graph of the derivative (``create_graph``) cannot hold an
    infinite step, so there it is an error.
    """
    k = data_of(exponent, "**")
    if k == 0 and not isinstance(exponent, Value):
        return 0.0  # base**0 is constant (a Value exponent still varies, so its derivatives don't vanish)
    if not isinstance(base, Value) and not isinstance(exponent, Value) and not isinstance(g, Value):
        return g * exponent * _float_power(base, exponent - 1)
    if k < 1 and data_of(base, "**") == 0:
        kind = "infinite" if k > 0 else "undefined"
        raise ZeroDivisionError(
            f"pow: the derivative of x**{k!r} with respect to x at x = 0 is {kind}: it cannot be part of a graph"
        )
    return g * exponent * base ** (exponent - 1)


def _float_power(x: float, y: float) -> float:
    """``x ** y`` as IEEE floats (and PyTorch) give it: inf where it overflows or divides
    by zero, nan where it is not real; never an exception."""
    try:
        return math.pow(x, y)
    except OverflowError:
        pass
    except ValueError:
        if x != 0:
            return math.nan  # a negative base to a fractional power
    odd = y % 2 == 1
    return math.copysign(math.inf, x) if odd else math.inf


def _linear_forward(xs: Sequence[float]) -> float:
    n = len(xs) // 2
    return sum(map(operator.mul, xs[:n], xs[n : 2 * n])) + xs[-1]


def _linear_vjp(g: Any, xs: Sequence[Any], out: Any) -> list[Any]:
    n = len(xs) // 2
    return [g * w for w in xs[n : 2 * n]] + [g * x for x in xs[:n]] + [g]


def _dense_vjp(g: Any, xs: Sequence[Any], n: int, activation: Any, sums: Any, outputs: Any) -> list[Any]:
    """A block's vjp (``xs``: inputs, weights row by row, biases; ``g``: a Cotangent, by output):
    for each output used, the activation's vjp, then ``linear``'s.  ``sums`` and ``outputs`` None:
    ``xs`` are Values (``create_graph``), and each unit's sum and output are made again from them."""
    units = (len(xs) - n) // (n + 1)
    out: list[Any] = [0.0] * len(xs)
    inputs = list(xs[:n])
    for u, gu in sorted(g.items()):
        row, bias = list(xs[n + u * n : n + (u + 1) * n]), xs[n + units * n + u]
        if sums is None:
            z = LINEAR.apply((*inputs, *row, bias))
            y = z if activation is None else activation(z)
        else:
            z, y = sums[u], outputs[u]
        gz = gu if activation is None else activation.vjp(gu, z, y)
        local = _linear_vjp(gz, [*inputs, *row, bias], z)
        for j in range(n):
            out[j] = out[j] + local[j]
        out[n + u * n : n + (u + 1) * n] = local[n : 2 * n]
        out[n + units * n + u] = local[-1]
    return out


# -- the rule table: one row per operation, forward and local derivative together -------

ADD = Binary("+", operator.add, lambda g, a, b, out: (g, g), check=False).attach("__add__", "__radd__")
SUB = Binary("-", operator.sub, lambda g, a, b, out: (g, -g), check=False).attach("__sub__", "__rsub__")
MUL = Binary("*", operator.mul, lambda g, a, b, out: (g * b, g * a), check=False).attach("__mul__", "__rmul__")
DIV = Binary("/", _divide, lambda g, a, b, out: (g / b, -g * out / b), check=False).attach(
    "__truediv__", "__rtruediv__"
)
POW = Binary("**", _power, _pow_vjp, check=False)
POW_CONST = ConstantPower("**", _power, lambda g, x, out, k: _base_derivative(g, x, k), check=False).attach(POW)
NEG = Unary("neg", operator.neg, lambda g, x, out: -g, check=False).attach("__neg__")
ABS = Unary("abs", abs, lambda g, x, out: g * (1.0 if x > 0 else (-1.0 if x < 0 else 0.0)), check=False).attach(
    "__abs__", "abs"
)
EXP = Unary("exp", _exp, lambda g, x, out: g * out, check=False).attach("exp")
LOG = Unary("log", _log, lambda g, x, out: g / x, check=False).attach("log")
TANH = Unary("tanh", math.tanh, lambda g, x, out: g * (1 - out * out), check=False).attach("tanh")
SIGMOID = Unary("sigmoid", _sigmoid, lambda g, x, out: g * out * (1 - out), check=False).attach("sigmoid")
RELU = Unary("ReLU", _relu, lambda g, x, out: 0.0 if x <= 0 else g, check=False).attach("relu")  # a mask, as PyTorch's
LINEAR = Linear("linear", _linear_forward, _linear_vjp, check=False)
# a layer on one input as one node, while a compile trace records blocks (micrograd.autograd.blocks)
DENSE = Dense("dense", blocks.no_result, _dense_vjp, check=False)
PART = Part("part", blocks.no_result, blocks.no_result, check=False)  # output k of a DENSE block
WEIGHTS = Weights("weights", blocks.no_result, blocks.no_result, check=False)  # a layer's, for its blocks

# Every built-in operation, once: what exists.  Each compile replay keys its fast rows by these
# objects and computes any other operation (one you define) through the engine; a test holds
# every replay to a row or an explicit engine fallback for each of them.
OPERATIONS: tuple[Operation, ...] = (
    ADD,
    SUB,
    MUL,
    DIV,
    POW,
    POW_CONST,
    NEG,
    ABS,
    EXP,
    LOG,
    TANH,
    SIGMOID,
    RELU,
    LINEAR,
    DENSE,
    PART,
    WEIGHTS,
)

# The operations as functions: on Values they record a node, on numbers they compute.
exp = EXP
log = LOG
tanh = TANH
sigmoid = SIGMOID
relu = RELU


def linear(inputs: Sequence[Scalar], weights: Sequence[Scalar], bias: Scalar = 0.0) -> Value:
    """``sum(w * x for w, x in zip(weights, inputs)) + bias`` as one node.

    One node instead of ``2n`` keeps a neuron's graph small and its backward fast;
    the gradients are the same as for the expanded sum.
    """
    n = len(inputs)
    if len(weights) != n:
        raise ValueError(f"linear: {n} inputs but {len(weights)} weights")
    operands: tuple[Any, ...] = (*inputs, *weights, bias)
    if set(map(type, operands)) != _JUST_VALUES:  # the usual case (all Values) checked in one pass in C
        operands = values(operands, "linear")
    return LINEAR.apply(operands)


def linear_layer(
    inputs: Sequence[Scalar], weights: Sequence[Sequence[Scalar]], biases: Sequence[Scalar]
) -> list[Value]:
    """``[linear(inputs, row, bias) for row, bias in zip(weights, biases)]``: a layer of neurons.

    The same nodes, made faster: the inputs are checked and read once for all rows.
    """
    inputs = tuple(inputs)
    n = len(inputs)
    if len(weights) != len(biases):
        raise ValueError(f"linear_layer: {len(weights)} rows of weights but {len(biases)} biases")
    wrong = set(map(len, weights)) - {n}
    if wrong:
        raise ValueError(f"linear: {n} inputs but {min(wrong)} weights")
    if set(map(type, chain(inputs, biases, *weights))) != _JUST_VALUES:  # the usual case, in one pass in C
        inputs = values(inputs, "linear")
        weights = [values(row, "linear") for row in weights]
        biases = values(biases, "linear")
    return LINEAR.apply_layer(inputs, weights, biases)  # type: ignore[arg-type]


_JUST_VALUES = {Value}


_ACTIVATIONS = (RELU, TANH, SIGMOID, None)  # the activations a block may have: each replay has a row for them


def layer_block(
    x: Value | Sequence[Value],
    weights: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    activation: Operation | None = None,
) -> Value | None:
    """``[activation(z) for z in linear_layer(x, weights, biases)]`` as one block node, while this thread
    records blocks (``micrograd.autograd.blocks``; ``block_parts`` makes its outputs); ``x`` is the inputs
    or a block whose outputs are the inputs.  None where the scalar nodes must be made instead: not
    recording, another activation, a computed weight."""
    if activation not in _ACTIVATIONS:
        return None
    if isinstance(x, Value) and x.operation is not DENSE:
        x = (x,)
    return blocks.record(x, weights, biases, activation, (DENSE, PART, WEIGHTS))


def block_parts(block: Value) -> list[Value]:
    """The outputs of a block node, one part node each."""
    return blocks.parts(block, PART)
