"""A user-defined ``Operation`` works everywhere with no other registration.

The rule table is the one list of what operations compute: backward, ``grad``
(of any order), compile with both backends, ``explain`` and the pictures all read
an operation's own ``forward`` and ``vjp``, so an operation written outside the
library (as docs/operations.md shows) needs nothing else.  Gradients are checked
against PyTorch float64 (the optional ``torch`` extra, which CI installs: without
it the comparisons skip).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from micrograd import Operation, Value, compile, draw_dot, explain, grad, to_mermaid, to_text

if TYPE_CHECKING:
    import torch

# three shapes: one operand, two, and any number
sin = Operation("sin", math.sin, lambda g, x, out: g * cos(x))
cos = Operation("cos", math.cos, lambda g, x, out: -g * sin(x))
hypot = Operation("hypot", math.hypot, lambda g, a, b, out: (g * a / out, g * b / out), arity=2)
mean = Operation("mean", lambda xs: sum(xs) / len(xs), lambda g, xs, out: [g / len(xs) for _ in xs], arity=None)


def f(x: Value, y: Value) -> Value:
    return mean([sin(x) * y, hypot(x, y), cos(y) + x])


def torch_f(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    torch = pytest.importorskip("torch")
    return (torch.sin(x) * y + torch.hypot(x, y) + torch.cos(y) + x) / 3


POINTS = [(0.7, -1.3), (0.2, 0.5), (-2.0, 3.5)]


def _torch_grads(x: float, y: float, order: int = 1) -> tuple[float, ...]:
    torch = pytest.importorskip("torch")
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
    out = torch_f(tx, ty)
    gx, gy = torch.autograd.grad(out, (tx, ty), create_graph=True)
    if order == 1:
        return out.item(), gx.item(), gy.item()
    (gxx,) = torch.autograd.grad(gx, (tx,))
    return (gxx.item(),)


@pytest.mark.parametrize(("x", "y"), POINTS)
def test_backward_and_grad_of_any_order_match_pytorch(x: float, y: float) -> None:
    expected, ex, ey = _torch_grads(x, y)
    a, b = Value(x), Value(y)
    out = f(a, b)
    out.backward()
    assert math.isclose(out.data, expected, rel_tol=1e-12)
    assert math.isclose(a.grad, ex, rel_tol=1e-12, abs_tol=1e-14)
    assert math.isclose(b.grad, ey, rel_tol=1e-12, abs_tol=1e-14)
    a, b = Value(x), Value(y)
    gx, gy = grad(f(a, b), [a, b], create_graph=True)
    assert math.isclose(gx.data, ex, rel_tol=1e-12, abs_tol=1e-14)
    assert math.isclose(gy.data, ey, rel_tol=1e-12, abs_tol=1e-14)
    (gxx,) = grad(gx, [a])
    assert math.isclose(gxx.data, _torch_grads(x, y, order=2)[0], rel_tol=1e-10, abs_tol=1e-14)


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_compile_replays_a_user_operation_with_both_backends(backend: str) -> None:
    compiled = compile(f, backend=backend)
    for x, y in POINTS:  # the first call traces, the others replay the plan
        expected, ex, ey = _torch_grads(x, y)
        a, b = Value(x), Value(y)
        out = compiled(a, b)
        out.backward()
        assert math.isclose(out.data, expected, rel_tol=1e-12)
        assert math.isclose(a.grad, ex, rel_tol=1e-12, abs_tol=1e-14)
        assert math.isclose(b.grad, ey, rel_tol=1e-12, abs_tol=1e-14)


def test_explain_computes_with_the_operations_own_forward() -> None:
    cube = Operation("cube", lambda x: x**3, lambda g, x, out: g * 3 * x**2)
    x = Value(1.23456, label="x")
    y = cube(x)
    y.label = "y"
    y.backward()
    text = explain(y)
    # printed to 4 decimals, cube(1.2346) would not give the 1.8817 shown: the explainer recomputes the
    # line with the operation's forward and prints the operand with as many decimals as that takes
    assert f"y = cube(x) = cube(1.23456) = {1.23456**3:.4f}" in text
    assert f"∂y/∂x = {3 * 1.23456**2:.4f}" in text


def test_the_pictures_name_a_user_operation() -> None:
    x, y = Value(0.7, label="x"), Value(-1.3, label="y")
    out = f(x, y)
    out.label = "out"
    out.backward()
    tree = to_text(out)
    assert tree.startswith(f"out [mean]  data {out.data:.4f}  grad 1.0000")
    for name, data in (("hypot", math.hypot(0.7, -1.3)), ("sin", math.sin(0.7)), ("cos", math.cos(-1.3))):
        assert f"[{name}]  data {data:.4f}" in tree
    mermaid = to_mermaid(out)
    source = draw_dot(out).source
    for name in ("sin", "cos", "hypot", "mean"):
        assert f'(("{name}"))' in mermaid
        assert f"label={name} " in source
