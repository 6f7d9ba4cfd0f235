"""Derivatives as Values: ``grad``, ``derivative`` and ``local_gradients``.

``backward()`` fills in ``.grad`` with floats; ``grad`` instead returns the
derivatives, and with ``create_graph=True`` they are graphs themselves (each
operation's vjp runs on Values), so they can be differentiated again, to any order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from micrograd.autograd.grad_mode import enable_grad, no_grad
from micrograd.autograd.reverse import reverse_topological
from micrograd.autograd.value import Value, leaf

__all__ = ["derivative", "grad", "local_gradients"]

_data = attrgetter("data")


def local_gradients(node: Value) -> tuple[float, ...]:
    """The partial derivatives of ``node`` with respect to each operand (``node.operands``).

    >>> a, b = Value(2.0), Value(-3.0)
    >>> local_gradients(a * b)
    (-3.0, 2.0)
    """
    operation = node.operation
    if operation is None:
        return ()
    return operation.derivatives([v.data for v in node.operands], node.data, node.constants)


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
) -> Any:
    """The derivatives of ``output`` with respect to ``inputs``, as Values.

    Unlike ``backward()`` this leaves every ``.grad`` untouched.  A single Value in
    gives a single Value out; a sequence gives a tuple.  An input that ``output``
    does not depend on gets a derivative of zero.  With ``create_graph=True`` the
    derivatives are graphs themselves, so they can be differentiated again:

    >>> x = Value(2.0)
    >>> y = x ** 3
    >>> dy = grad(y, x, create_graph=True)
    >>> d2y = grad(dy, x, create_graph=True)
    >>> d3y = grad(d2y, x)
    >>> dy.data, d2y.data, d3y.data
    (12.0, 12.0, 6.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    single = isinstance(inputs, Value)
    targets: tuple[Value, ...] = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for t in targets:
        if not isinstance(t, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(t).__name__}")
    adjoint: dict[Value, Any] = {output: 1.0}
    order = reverse_topological(output) if output.operation is not None else []
    value: Callable[[Value], Any] = _identity if create_graph else _data
    with enable_grad() if create_graph else no_grad():
        for node in order:
            g = adjoint[node]
            operation = node.operation
            assert operation is not None
            for operand, contribution in zip(node.operands, operation.contributions(node, g, value), strict=True):
                previous = adjoint.get(operand)
                adjoint[operand] = contribution if previous is None else previous + contribution
    results = []
    for t in targets:
        d = adjoint.get(t, 0.0)
        results.append(d if isinstance(d, Value) else leaf(float(d)))
    return results[0] if single else tuple(results)


def _identity(v: Value) -> Value:
    return v


def derivative(f: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """The derivative of ``f`` as a function, in the style of HIPS autograd's ``grad``.

    ``f`` takes numbers or Values and returns a Value.  The result takes the same
    arguments and returns the derivative with respect to argument ``argnum``: a float
    when called with numbers, a Value (a graph) when called with Values, so
    ``derivative`` nests to any order.

    >>> f = lambda x: x ** 3
    >>> derivative(f)(2.0), derivative(derivative(f))(2.0), derivative(derivative(derivative(f)))(2.0)
    (12.0, 12.0, 6.0)
    """

    def df(*args: Any) -> Any:
        values = [a if isinstance(a, Value) else Value(a) for a in args]
        out = f(*values)
        if not isinstance(out, Value):
            out = Value(out)
        d = grad(out, values[argnum], create_graph=True)
        return d if isinstance(args[argnum], Value) else d.data

    df.__name__ = f"d_{getattr(f, '__name__', 'f')}"
    return df
