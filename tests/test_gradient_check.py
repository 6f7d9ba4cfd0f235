"""User-defined operations, ``gradcheck``, ``numerical_grad`` and ``local_gradients``.

Expected derivatives come from closed forms and HIPS autograd.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import GradcheckError, Operation, Value, exp, grad, gradcheck, local_gradients, numerical_grad, sigmoid

# sin and cos, each the other's derivative: their vjps work on floats and on Values
sin = Operation("sin", math.sin, lambda g, x, out: g * cos(x))
cos = Operation("cos", math.cos, lambda g, x, out: -g * sin(x))
hypot = Operation("hypot", math.hypot, lambda g, a, b, out: (g * a / out, g * b / out), arity=2)
mean = Operation("mean", lambda xs: sum(xs) / len(xs), lambda g, xs, out: [g / len(xs)] * len(xs), arity=None)


def _logsumexp(xs: Sequence[float]) -> float:
    top = max(xs)
    return top + math.log(sum(math.exp(x - top) for x in xs))


# d logsumexp / dx_i = softmax_i = exp(x_i - out)
logsumexp = Operation("logsumexp", _logsumexp, lambda g, xs, out: [g * exp(x - out) for x in xs], arity=None)
softplus = Operation("softplus", lambda x: math.log1p(math.exp(x)), lambda g, x, out: g * sigmoid(x))

SETTINGS = settings(max_examples=100, deadline=None)
points = st.floats(-3.0, 3.0)


def autograd_nested(f: Callable[..., Any], argnums: Sequence[int], point: Sequence[float]) -> float:
    """autograd's nested grad of ``f`` at ``point``, one argument index per order."""
    from autograd import grad as agrad

    for i in argnums:
        f = agrad(f, i)
    return float(f(*point))


# -- user-defined operations ----------------------------------------------------------------


@SETTINGS
@given(points)
def test_unary_operation_first_second_and_third_derivatives(x0: float) -> None:
    import autograd.numpy as anp

    x = Value(x0)
    y = sin(x) * cos(x)
    assert y.data == pytest.approx(math.sin(x0) * math.cos(x0), rel=1e-15, abs=1e-15)
    y.backward()
    assert x.grad == pytest.approx(math.cos(2 * x0), abs=1e-14)  # d(sin cos) = cos 2x
    f = lambda v: anp.sin(v) * anp.cos(v)
    d1 = grad(sin(x) * cos(x), x, create_graph=True)
    d2 = grad(d1, x, create_graph=True)
    d3 = grad(d2, x)
    assert d2.data == pytest.approx(autograd_nested(f, [0, 0], [x0]), abs=1e-13)
    assert d3.data == pytest.approx(autograd_nested(f, [0, 0, 0], [x0]), abs=1e-12)
    assert d3.data == pytest.approx(-4 * math.cos(2 * x0), abs=1e-12)


@SETTINGS
@given(points, points)
def test_binary_operation_matches_autograd(a0: float, b0: float) -> None:
    import autograd.numpy as anp

    if math.hypot(a0, b0) < 0.1:
        a0 += 1.0  # hypot is not differentiable at the origin
    a, b = Value(a0), Value(b0)
    h = hypot(a, b)
    assert h._op == "hypot" and h._prev == (a, b)
    h.backward()
    r = math.hypot(a0, b0)
    assert (a.grad, b.grad) == pytest.approx((a0 / r, b0 / r), rel=1e-14, abs=1e-15)
    f = lambda p, q: anp.sqrt(p * p + q * q)
    first = grad(hypot(a, b), [a, b], create_graph=True)
    for i in range(2):
        row = [d.data for d in grad(first[i], [a, b])]
        expected = [autograd_nested(f, [i, j], [a0, b0]) for j in range(2)]
        assert row == pytest.approx(expected, rel=1e-9, abs=1e-12)


@SETTINGS
@given(st.lists(points, min_size=1, max_size=5))
def test_nary_operations_match_closed_forms_and_autograd(xs0: list[float]) -> None:
    import autograd.numpy as anp

    xs = [Value(x) for x in xs0]
    m = mean(xs)
    assert m._op == "mean" and m._prev == tuple(xs)
    m.backward()
    assert [x.grad for x in xs] == pytest.approx([1 / len(xs)] * len(xs), rel=1e-15)

    xs = [Value(x) for x in xs0]
    out = logsumexp(xs)
    out.backward()
    total = sum(math.exp(x) for x in xs0)
    assert out.data == pytest.approx(math.log(total), rel=1e-14, abs=1e-14)
    assert [x.grad for x in xs] == pytest.approx([math.exp(x) / total for x in xs0], rel=1e-12)
    f = lambda *v: anp.log(sum(anp.exp(x) for x in v))
    first = grad(logsumexp(xs), xs, create_graph=True)
    for i in range(len(xs)):
        row = [d.data for d in grad(first[i], xs)]
        expected = [autograd_nested(f, [i, j], xs0) for j in range(len(xs))]
        assert row == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_operations_on_numbers_just_compute() -> None:
    assert sin(0.5) == math.sin(0.5)
    assert hypot(3, 4.0) == 5.0
    assert mean([1, 2.0, 6]) == 3.0
    assert isinstance(sin(Value(0.5)), Value)
    mixed = hypot(3.0, Value(4.0))  # a number beside a Value becomes a constant leaf
    mixed.backward()
    assert mixed.data == 5.0 and mixed._prev[0].data == 3.0 and mixed._prev[1].grad == 0.8
    assert repr(hypot) == "Operation('hypot', arity=2)"


def test_an_operation_works_with_the_builtin_operations_in_one_graph() -> None:
    x = Value(0.4)
    y = softplus(x * 2).tanh() + sin(x) ** 2
    y.backward()
    s = 1 / (1 + math.exp(-0.8))
    t = math.tanh(math.log1p(math.exp(0.8)))
    expected = (1 - t * t) * s * 2 + 2 * math.sin(0.4) * math.cos(0.4)
    assert x.grad == pytest.approx(expected, rel=1e-14)


# -- gradcheck ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "point"),
    [
        (lambda x: sin(x) * cos(x), [0.3]),
        (lambda a, b: hypot(a, b) * a, [3.0, -4.0]),
        (lambda a, b, c: mean([a, b * b, c]).tanh(), [0.1, -0.7, 1.3]),
        (lambda a, b: logsumexp([a, b, a * b]), [0.5, -1.5]),
        (lambda x: softplus(x).log(), [-0.2]),
        (lambda a, b: (a * b + 10) * -2, [2.0, -3.0]),
        (lambda a, b: a**b + (2 ** (a - b)).sigmoid() / abs(b), [1.5, -0.7]),
    ],
)
@pytest.mark.parametrize("order", [1, 2])
def test_gradcheck_passes_for_correct_operations(f: Callable[..., Value], point: list[float], order: int) -> None:
    assert gradcheck(f, point, order=order) is True


def test_gradcheck_names_the_operation_with_a_wrong_vjp() -> None:
    wrong_sin = Operation("wrong_sin", math.sin, lambda g, x, out: g * x)  # should be cos(x)
    with pytest.raises(GradcheckError) as excinfo:
        gradcheck(lambda x: wrong_sin(x) * 2, [0.5])
    message = str(excinfo.value)
    assert "d(output)/d(input 0)" in message and "backpropagation gave 1.0" in message
    expected = re.search(r"finite differences expect ([-\d.e]+)", message)
    assert expected is not None and float(expected.group(1)) == pytest.approx(2 * math.cos(0.5), rel=1e-6)
    assert "the operation 'wrong_sin' has a wrong local derivative" in message
    assert "with respect to its operand 0 at (0.5)" in message


def test_gradcheck_names_a_wrong_binary_operand_and_input() -> None:
    # d(a/b)/db should be -a/b^2; this one forgets the minus sign
    wrong_div = Operation("wrong_div", lambda a, b: a / b, lambda g, a, b, out: (g / b, g * a / (b * b)), arity=2)
    with pytest.raises(GradcheckError) as excinfo:
        gradcheck(lambda a, b: wrong_div(a, b) + a, [1.0, 2.0])
    message = str(excinfo.value)
    assert "d(output)/d(input 1) at input 1 = 2.0" in message
    assert "'wrong_div'" in message and "operand 1" in message


def test_gradcheck_names_a_wrong_nary_operation() -> None:
    wrong_mean = Operation("wrong_mean", lambda xs: sum(xs) / len(xs), lambda g, xs, out: [g] * len(xs), arity=None)
    with pytest.raises(GradcheckError, match="'wrong_mean' has a wrong local derivative"):
        gradcheck(lambda a, b: wrong_mean([a, b]), [1.0, 2.0])


def test_gradcheck_order_two_catches_a_wrong_second_derivative() -> None:
    # the first derivative is right (cos on floats), the second is not (wrong_cos's own vjp)
    wrong_cos = Operation("wrong_cos", math.cos, lambda g, x, out: g * x)  # should be -sin(x)
    sin_with_wrong_cos = Operation("sin2", math.sin, lambda g, x, out: g * wrong_cos(x))
    assert gradcheck(lambda x: sin_with_wrong_cos(x), [0.5]) is True
    with pytest.raises(GradcheckError, match=r"second derivative d2\(output\)/d\(input 0\)d\(input 0\)"):
        gradcheck(lambda x: sin_with_wrong_cos(x), [0.5], order=2)


def test_gradcheck_order_two_names_the_operation_with_a_wrong_second_derivative() -> None:
    wrong_cos = Operation("wrong_cos", math.cos, lambda g, x, out: g * x)  # should be -sin(x)
    sin_with_wrong_cos = Operation("sin2", math.sin, lambda g, x, out: g * wrong_cos(x))
    with pytest.raises(GradcheckError, match="'wrong_cos' has a wrong local derivative"):
        gradcheck(lambda x: sin_with_wrong_cos(x), [0.5], order=2)


def test_gradcheck_misuse() -> None:
    with pytest.raises(ValueError, match="gradcheck: order must be 1 or 2, got 3"):
        gradcheck(lambda x: x, [1.0], order=3)
    with pytest.raises(TypeError, match="gradcheck: the function must return a Value, got float"):
        gradcheck(lambda x: 1.0, [1.0])
    with pytest.raises(TypeError, match="gradcheck: inputs must be numbers or Values, got str"):
        gradcheck(lambda x: x, ["x"])


# -- numerical_grad -------------------------------------------------------------------------


@SETTINGS
@given(st.floats(-2.0, 2.0), st.floats(0.5, 3.0))
def test_numerical_grad_is_accurate_against_closed_forms(x: float, y: float) -> None:
    # central differences: error about h^2/6 f''' plus rounding eps |f| / h
    f = lambda a, b: (a * b).tanh() + b.log() * a**3
    dx, dy = numerical_grad(f, [x, y])
    t = math.tanh(x * y)
    assert dx == pytest.approx((1 - t * t) * y + math.log(y) * 3 * x * x, abs=1e-8)
    assert dy == pytest.approx((1 - t * t) * x + x**3 / y, abs=1e-8)


def test_numerical_grad_details() -> None:
    assert numerical_grad(lambda x: x.exp(), [Value(0.0)]) == pytest.approx([1.0], abs=1e-10)
    assert numerical_grad(lambda x: 3.0, [1.0]) == [0.0]  # a function may return a number
    assert numerical_grad(lambda x, y: x * y, [2, -3]) == pytest.approx([-3.0, 2.0], abs=1e-9)
    coarse = numerical_grad(lambda x: x**3, [1.0], h=0.1)[0]
    assert coarse == pytest.approx(3.0 + 0.1**2, rel=1e-12)  # exactly 3x^2 + h^2 for a cubic
    with pytest.raises(ValueError, match=r"numerical_grad: h must be positive, got 0\.0"):
        numerical_grad(lambda x: x, [1.0], h=0.0)
    with pytest.raises(TypeError, match="numerical_grad: inputs must be numbers or Values, got NoneType"):
        numerical_grad(lambda x: x, [None])


# -- local_gradients ------------------------------------------------------------------------


def test_local_gradients_match_closed_forms() -> None:
    a, b = Value(2.0), Value(-3.0)
    assert local_gradients(a) == ()
    assert local_gradients(a + b) == (1.0, 1.0)
    assert local_gradients(a - b) == (1.0, -1.0)
    assert local_gradients(a * b) == (-3.0, 2.0)
    assert local_gradients(a / b) == pytest.approx((1 / -3.0, -2.0 / 9.0), rel=1e-15)
    assert local_gradients(a * a) == (2.0, 2.0)  # one entry per operand, repeats included
    assert local_gradients(a**3) == (12.0,)
    p = Value(2.0) ** Value(3.0)
    assert local_gradients(p) == pytest.approx((12.0, 8.0 * math.log(2.0)), rel=1e-15)
    assert local_gradients(b.tanh()) == pytest.approx((1 - math.tanh(-3.0) ** 2,), rel=1e-12)
    s = 1 / (1 + math.exp(3.0))
    assert local_gradients(b.sigmoid()) == pytest.approx((s * (1 - s),), rel=1e-12)
    assert local_gradients(a.exp()) == pytest.approx((math.exp(2.0),), rel=1e-15)
    assert local_gradients(a.log()) == (0.5,)
    assert local_gradients(b.relu()) == (0.0,) and local_gradients(a.relu()) == (1.0,)
    assert local_gradients(abs(b)) == (-1.0,) and local_gradients(-a) == (-1.0,)
    assert local_gradients(hypot(Value(3.0), Value(4.0))) == pytest.approx((0.6, 0.8), rel=1e-15)
    assert local_gradients(mean([a, b, a])) == pytest.approx((1 / 3,) * 3, rel=1e-15)


def test_local_gradients_do_not_touch_grads_or_record() -> None:
    a, b = Value(2.0), Value(-3.0)
    product = a * b
    local_gradients(product)
    assert (a.grad, b.grad, product.grad) == (0.0, 0.0, 0.0)
    assert all(type(d) is float for d in local_gradients(sin(a)))


# -- gaps a mutation run found -----------------------------------------------------------------


def test_gradcheck_uses_its_relative_tolerance() -> None:
    # d/dx exp(x) at 15 is 3.3e6: finite differences are off by about 1e-4 in absolute terms,
    # far above atol=1e-5 but far within rtol=1e-4 of the value
    assert gradcheck(exp, [15.0])
    with pytest.raises(GradcheckError, match="finite differences expect"):
        gradcheck(exp, [15.0], rtol=0.0)
    # a derivative off by one part in a thousand: caught at the default rtol, accepted at a looser one
    off = Operation("off", math.exp, lambda g, x, out: g * out * 1.001)
    with pytest.raises(GradcheckError, match="tolerance"):
        gradcheck(off, [1.0])
    assert gradcheck(off, [1.0], rtol=1e-2)
