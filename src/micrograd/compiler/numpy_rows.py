"""The rows of the numpy replay (``micrograd.compiler.replay_numpy``): each built-in operation's
forward and backward on whole arrays, with the engine's arithmetic and its edges.

The rows are keyed by the operation objects of the rule table (``autograd.OPERATIONS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.autograd import (
    ABS,
    ADD,
    DENSE,
    DIV,
    EXP,
    LINEAR,
    LOG,
    MUL,
    NEG,
    PART,
    POW,
    POW_CONST,
    RELU,
    SIGMOID,
    SUB,
    TANH,
    WEIGHTS,
    Operation,
)
from micrograd.autograd.blocks import LayerWeights

__all__ = ["CHECKED_BACKWARD", "CHECKED_FORWARD", "ENGINE_FALLBACK", "GROUPS", "RULES", "layer_sums"]

Array = np.ndarray[Any, np.dtype[np.float64]]


def _sigmoid(x: Array) -> Array:
    positive = 1.0 / (1.0 + np.exp(-x))
    z = np.exp(x)
    return np.where(x >= 0, positive, z / (1.0 + z))  # the engine's two branches, never overflowing


def _pow_base(g: Array, a: Array, k: Array) -> Array:
    return np.where(k == 0, 0.0, g * k * a ** (k - 1))


def _pow_exponent(g: Array, a: Array, b: Array, out: Array) -> Array:
    return np.where(a > 0, g * out * np.log(np.where(a > 0, a, 1.0)), g * np.where((a == 0) & (b >= 0), 0.0, np.nan))


def _sign(x: Array) -> Array:
    return np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0))  # not np.sign: 0 at nan, as the engine's abs


# one row per operation: forward(operands, constants) and backward(g, operands, out, constants)
Forward = Callable[[list[Array], Array], Array]
Backward = Callable[[Array, list[Array], Array, Array], list[Array]]
RULES: dict[Any, tuple[Forward, Backward]] = {
    ADD: (lambda x, k: x[0] + x[1], lambda g, x, out, k: [g, g]),
    SUB: (lambda x, k: x[0] - x[1], lambda g, x, out, k: [g, -g]),
    MUL: (lambda x, k: x[0] * x[1], lambda g, x, out, k: [g * x[1], g * x[0]]),
    DIV: (lambda x, k: x[0] / x[1], lambda g, x, out, k: [g / x[1], -g * out / x[1]]),
    NEG: (lambda x, k: -x[0], lambda g, x, out, k: [-g]),
    ABS: (lambda x, k: np.abs(x[0]), lambda g, x, out, k: [g * _sign(x[0])]),
    EXP: (lambda x, k: np.exp(x[0]), lambda g, x, out, k: [g * out]),
    LOG: (lambda x, k: np.log(x[0]), lambda g, x, out, k: [g / x[0]]),
    TANH: (lambda x, k: np.tanh(x[0]), lambda g, x, out, k: [g * (1 - out * out)]),
    SIGMOID: (lambda x, k: _sigmoid(x[0]), lambda g, x, out, k: [g * out * (1 - out)]),
    RELU: (  # as the engine's: a nan operand passes (its value and g), else a mask
        lambda x, k: np.where(x[0] <= 0, 0.0, x[0]),
        lambda g, x, out, k: [np.where(x[0] <= 0, 0.0, g)],
    ),
    POW_CONST: (lambda x, k: x[0] ** k, lambda g, x, out, k: [_pow_base(g, x[0], k)]),
    POW: (
        lambda x, k: x[0] ** x[1],
        lambda g, x, out, k: [_pow_base(g, x[0], x[1]), _pow_exponent(g, x[0], x[1], out)],
    ),
}
# How each built-in operation (autograd.OPERATIONS) is replayed: a row above, a group of its own
# (linear: row-wise dot products or a matrix product), or computed by the engine step by step,
# as every operation you define is.  None falls back to the engine here.
GROUPS = frozenset({LINEAR, DENSE, PART, WEIGHTS})  # a block and its parts: a matrix product (replay_numpy._Blocks)
ENGINE_FALLBACK: frozenset[Operation] = frozenset()
CHECKED_FORWARD = {DIV, EXP, LOG, POW, POW_CONST}  # operations whose result can be an error
CHECKED_BACKWARD = {POW, POW_CONST}  # operations whose derivative can be an error


def layer_sums(xs: Any, layer: LayerWeights, activation: Operation | None) -> tuple[Array, Array] | None:
    """A block's sums and outputs while tracing (``autograd.recording_blocks``): one matrix-vector product
    and the activation's row, kept as arrays; a small layer (few units, few weights) is left to Python."""
    if layer.units * (layer.width + 4) < 512:
        return None
    if layer.matrix is None:
        matrix = np.array(layer.rows, dtype=float).reshape(layer.units, layer.width)
        layer.matrix = (matrix, np.array(layer.bias_data, dtype=float))
    matrix, biases = layer.matrix
    sums = matrix @ np.asarray(xs, dtype=float)
    sums += biases
    if activation is RELU:  # the engine's relu: +0.0 where z <= 0 (-0.0 too), nan kept; fewer calls than np.where
        outputs = np.maximum(sums, 0.0)
        outputs += 0.0
        return sums, outputs
    if activation is None:
        return sums, sums
    with np.errstate(all="ignore"):  # an infinite sum: numpy would warn where the engine computes quietly
        return sums, RULES[activation][0]([sums], _NO_CONSTANTS)


_NO_CONSTANTS = np.zeros(0)
