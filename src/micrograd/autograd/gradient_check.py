"""Numerical gradients: the derivative as a limit, and a check of backward against it.

``numerical_grad`` is the central difference ``(f(x + h) - f(x - h)) / 2h``, the
definition of the derivative with a small, finite ``h``.  ``gradcheck`` compares it
with what backpropagation computes and, when they disagree, says which input and by
how much, and which operation in the graph has a wrong local derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from micrograd.autograd.grad_mode import enable_grad, no_grad
from micrograd.autograd.gradients import grad, local_gradients
from micrograd.autograd.value import Value, as_real

__all__ = ["GradcheckError", "gradcheck", "numerical_grad"]


class GradcheckError(RuntimeError):
    """Backpropagation and finite differences disagree."""


def _as_floats(inputs: Sequence[Any], where: str) -> list[float]:
    values = []
    for x in inputs:
        number = x.data if isinstance(x, Value) else as_real(x)  # the engine's idea of a number
        if number is None:
            raise TypeError(f"{where}: inputs must be numbers or Values, got {type(x).__name__}")
        values.append(number)
    return values


def _evaluate(f: Callable[..., Any], point: Sequence[float]) -> float:
    with no_grad():
        out = f(*(Value(x) for x in point))
    if isinstance(out, Value):
        return out.data
    if isinstance(out, (int, float)):
        return float(out)
    raise TypeError(f"the function must return a Value or a number, got {type(out).__name__}")


def numerical_grad(f: Callable[..., Any], inputs: Sequence[Any], h: float = 1e-6) -> list[float]:
    """The partial derivatives of ``f`` at ``inputs`` by central differences.

    ``f`` is called with Values (under ``no_grad``) and returns a Value or a number.

    >>> [round(d, 6) for d in numerical_grad(lambda x, y: x * y, [2.0, -3.0])]
    [-3.0, 2.0]
    """
    if not h > 0:
        raise ValueError(f"numerical_grad: h must be positive, got {h!r}")
    point = _as_floats(inputs, "numerical_grad")
    derivatives = []
    for i, x in enumerate(point):
        above = [*point[:i], x + h, *point[i + 1 :]]
        below = [*point[:i], x - h, *point[i + 1 :]]
        derivatives.append((_evaluate(f, above) - _evaluate(f, below)) / (2 * h))
    return derivatives


def _close(actual: float, expected: float, atol: float, rtol: float) -> bool:
    return abs(actual - expected) <= atol + rtol * abs(expected)


def _wrong_local_derivative(root: Value, h: float, atol: float, rtol: float) -> str | None:
    """Find an operation in the graph whose vjp disagrees with finite differences of its forward."""
    seen: set[Value] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        rule = node.operation
        if node in seen or rule is None:
            continue
        seen.add(node)
        operands = node.operands
        stack.extend(operands)
        point = [v.data for v in operands]
        try:
            analytic = local_gradients(node)
        except (ArithmeticError, ValueError):
            continue  # derivative undefined at this point; not a wrong rule
        for i, x in enumerate(point):
            above = [*point[:i], x + h, *point[i + 1 :]]
            below = [*point[:i], x - h, *point[i + 1 :]]
            try:
                numeric = (rule.evaluate(above, node.constants) - rule.evaluate(below, node.constants)) / (2 * h)
            except (ArithmeticError, ValueError, TypeError):
                continue  # the forward is not defined around this point
            if not _close(analytic[i], numeric, atol, rtol):
                at = ", ".join(f"{v:.6g}" for v in point)
                return (
                    f"the operation {rule.name!r} has a wrong local derivative: with respect to its "
                    f"operand {i} at ({at}) its vjp gives {analytic[i]:.6g}, but finite differences "
                    f"of its forward give {numeric:.6g}"
                )
    return None


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    h: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    order: int = 1,
) -> bool:
    """Check the derivatives of ``f`` at ``inputs`` against finite differences.

    ``order=1`` checks the gradient computed by backpropagation; ``order=2`` also
    checks second derivatives (``grad`` with ``create_graph=True``).  Returns True,
    or raises :class:`GradcheckError` naming the input, the expected and computed
    values, and the operation whose local derivative is wrong.

    >>> gradcheck(lambda x: x.tanh() * x, [0.3], order=2)
    True
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    point = _as_floats(inputs, "gradcheck")
    leaves = [Value(x) for x in point]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: the function must return a Value, got {type(out).__name__}")
    analytic = [d.data for d in grad(out, leaves)]
    numeric = numerical_grad(f, point, h)
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        if not _close(a, n, atol, rtol):
            message = (
                f"gradcheck: d(output)/d(input {i}) at input {i} = {point[i]!r}: backpropagation gave "
                f"{a!r}, finite differences expect {n!r} (difference {abs(a - n):.3g}, tolerance "
                f"{atol + rtol * abs(n):.3g})"
            )
            culprit = _wrong_local_derivative(out, h, atol, rtol)
            raise GradcheckError(message + (f"; {culprit}" if culprit else ""))
    if order == 2:
        for i in range(len(point)):

            def partial(*xs: Value, i: int = i) -> Value:
                with enable_grad():  # numerical_grad evaluates under no_grad
                    with_graph = [Value(x.data) for x in xs]
                    return grad(f(*with_graph), with_graph[i])

            first = grad(f(*leaves), leaves[i], create_graph=True)
            second = [d.data for d in grad(first, leaves)]
            numeric2 = numerical_grad(partial, point, h)
            for j, (a, n) in enumerate(zip(second, numeric2, strict=True)):
                if not _close(a, n, 100 * atol, 100 * rtol):
                    # the first derivative is a graph too: look for the culprit in it
                    culprit = _wrong_local_derivative(first, h, atol, rtol)
                    raise GradcheckError(
                        f"gradcheck: second derivative d2(output)/d(input {i})d(input {j}): grad of grad "
                        f"gave {a!r}, finite differences of the first derivative expect {n!r}"
                        + (f"; {culprit}" if culprit else "")
                    )
    return True
