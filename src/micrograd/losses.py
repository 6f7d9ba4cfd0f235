"""Loss functions: how wrong a batch of predictions is, as one ``Value`` to backpropagate.

Every loss takes the model's outputs (Values) and the targets (plain numbers), one
per example, and averages over the batch (``reduction='mean'``) or adds up
(``reduction='sum'``).  The names follow ``torch.nn.functional``.

* :func:`hinge_loss` — karpathy's "max-margin" loss, targets -1 or +1;
* :func:`mse_loss` — mean squared error, for regression;
* :func:`binary_cross_entropy_with_logits` — two classes, targets 0 or 1;
* :func:`cross_entropy` — softmax cross-entropy for k classes, targets 0..k-1;
* :func:`l2_penalty` — ``alpha * sum(p*p)``, to add to a loss (weight decay).

The cross-entropies are numerically stable: they never compute ``exp`` of a large
number, thanks to :data:`softplus` and :data:`logsumexp`, two operations with a
stable forward and an exact derivative.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from micrograd.autograd import Operation, Value, exp, grad_mode, linear, sigmoid

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "l2_penalty",
    "logsumexp",
    "max_margin_loss",
    "mse_loss",
    "softplus",
]

Target = float | int


def _softplus_forward(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): the exponent is never positive
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _logsumexp_forward(xs: Sequence[float]) -> float:
    # log(sum(e^x)) = m + log(sum(e^(x - m))) with m = max(x): every exponent is <= 0
    if not xs:
        raise ValueError("logsumexp: needs at least one operand")
    m = max(xs)
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


softplus = Operation("softplus", _softplus_forward, lambda g, x, out: g * sigmoid(x))
"""``log(1 + exp(x))``, stable for any ``x``; its derivative is ``sigmoid(x)``."""

logsumexp = Operation(
    "logsumexp",
    _logsumexp_forward,
    lambda g, xs, out: [g * exp(x - out) for x in xs],  # d/dx_i = softmax_i = exp(x_i - out)
    arity=None,
)
"""``log(sum(exp(x) for x in xs))`` as one node, with the maximum subtracted first."""


def _reduce(losses: list[Value], reduction: str, where: str) -> Value:
    if reduction == "mean":
        return sum(losses[1:], losses[0]) * (1.0 / len(losses))
    if reduction == "sum":
        return sum(losses[1:], losses[0])
    raise ValueError(f"{where}: reduction must be 'mean' or 'sum', got {reduction!r}")


def _pairs(outputs: Any, targets: Any, where: str) -> list[tuple[Any, Any]]:
    """One (output, target) pair per example; a single output and target make a batch of one."""
    if isinstance(outputs, (Value, int, float)):
        outputs, targets = [outputs], [targets]
    outputs, targets = list(outputs), list(targets)
    if len(outputs) != len(targets):
        raise ValueError(f"{where}: {len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError(f"{where}: empty batch")
    return list(zip(outputs, targets, strict=True))


def _operand(target: Any, where: str) -> tuple[Any, float | None]:
    """A target as an operand of the loss (its number) and that number to check.

    While a compiled function traces (a data guard is on), a Value target is data that changes
    from call to call (``micrograd.compile_step``'s labels): it is not read, so not checked.
    """
    if isinstance(target, Value) and grad_mode.thread_mode.guard is not None:
        return target, None
    number = _number(target, where)
    return number, number


def _number(target: Any, where: str) -> float:
    if isinstance(target, Value):
        return target.data
    if isinstance(target, bool) or not isinstance(target, (int, float)):
        raise TypeError(f"{where}: targets must be numbers, got {type(target).__name__}")
    return float(target)


def hinge_loss(scores: Value | Sequence[Value], targets: Target | Sequence[Target], reduction: str = "mean") -> Value:
    """The max-margin loss ``relu(1 - y * score)``, targets ``y`` in {-1, +1}.

    Zero once an example is on the right side with a margin of 1.  With labels 0/1
    (as from :func:`micrograd.data.moons`) pass ``[2 * label - 1 for label in y]``.

    >>> hinge_loss([Value(2.0), Value(0.5)], [1, 1]).data
    0.25
    """
    losses = []
    for score, target in _pairs(scores, targets, "hinge_loss"):
        y, number = _operand(target, "hinge_loss")
        if number is not None and number not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: targets must be -1 or +1, got {target!r} (for 0/1 labels use 2*y - 1)")
        losses.append((1 + -y * score).relu())
    return _reduce(losses, reduction, "hinge_loss")


max_margin_loss = hinge_loss


def mse_loss(
    predictions: Value | Sequence[Value], targets: Target | Sequence[Target], reduction: str = "mean"
) -> Value:
    """Mean squared error ``(prediction - target) ** 2``.

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    losses = [(p - _operand(t, "mse_loss")[0]) ** 2 for p, t in _pairs(predictions, targets, "mse_loss")]
    return _reduce(losses, reduction, "mse_loss")


def binary_cross_entropy_with_logits(
    logits: Value | Sequence[Value], targets: Target | Sequence[Target], reduction: str = "mean"
) -> Value:
    """Cross-entropy of ``sigmoid(logit)`` against targets in [0, 1], stable for any logit.

    Computed as ``softplus(z) - y * z``, which equals
    ``-(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z)))`` without ever taking the log
    of a number that rounded to zero.

    >>> round(binary_cross_entropy_with_logits([Value(0.0)], [1]).data, 6)   # log 2
    0.693147
    """
    losses = []
    for z, target in _pairs(logits, targets, "binary_cross_entropy_with_logits"):
        y, number = _operand(target, "binary_cross_entropy_with_logits")
        if number is not None and not 0.0 <= number <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: targets must be in [0, 1], got {target!r}")
        losses.append(softplus(z) - y * z)
    return _reduce(losses, reduction, "binary_cross_entropy_with_logits")


def cross_entropy(logits: Sequence[Sequence[Value]], targets: int | Sequence[int], reduction: str = "mean") -> Value:
    """Softmax cross-entropy: ``logsumexp(logits) - logits[target]`` per example.

    ``logits`` has one row of k scores per example (a single row is a batch of one);
    ``targets`` are class indices 0..k-1.

    >>> round(cross_entropy([[Value(0.0), Value(0.0)]], [1]).data, 6)   # log 2
    0.693147
    """
    rows: list[Any] = list(logits)
    if rows and isinstance(rows[0], (Value, int, float)):  # a single example
        rows = [rows]
    if isinstance(targets, int):
        targets = [targets]
    losses = []
    for row, target in _pairs(rows, targets, "cross_entropy"):
        scores = [row] if isinstance(row, Value) else list(row)
        if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(scores):
            raise ValueError(f"cross_entropy: target must be a class index in 0..{len(scores) - 1}, got {target!r}")
        losses.append(logsumexp(scores) - scores[target])
    return _reduce(losses, reduction, "cross_entropy")


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """``alpha * sum(p * p for p in parameters)``, as one node (a dot product of p with itself).

    Added to a loss it pulls the weights towards zero, as in micrograd's demo.
    """
    ps = list(parameters)
    return alpha * linear(ps, ps, 0.0)
