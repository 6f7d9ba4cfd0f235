"""micrograd.compiler.layer_source: a layer's generated Python gives the plain loops' numbers."""

from __future__ import annotations

import math
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd.compiler import layer_source
from micrograd.compiler.layer_source import KINDS, Shape, function

FINITE = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -0.0, 1.0])
ANY = FINITE | st.sampled_from([math.inf, -math.inf, math.nan])


@st.composite
def layers(draw: Any, numbers: Any) -> tuple[Shape, int, dict[str, list[float]]]:
    """A shape, a number of rows and the lists a layer's functions take, drawn from ``numbers``."""
    units, width, rows = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(0, 4))
    flags = draw(st.tuples(*[st.booleans()] * 4))
    shape = Shape(units, width, *flags)

    def floats(count: int, source: Any = numbers) -> list[float]:
        return draw(st.lists(source, min_size=count, max_size=count))

    xs = floats(rows * width)
    if shape.relu_inputs:  # relu results: 0.0 where it is off
        xs = [0.0 if x <= 0.0 else x for x in xs]
    z = floats(rows * units)
    lists = {"xs": xs, "ws": floats(units * width), "bs": floats(units), "gs": floats(rows * units)}
    lists.update(ys=[0.0 if t <= 0.0 else t for t in z], rs=floats(rows * width, FINITE))
    return shape, rows, lists


def plain_backward(shape: Shape, rows: int, v: dict[str, list[float]]) -> tuple[list[float], ...]:
    """Backward as loops over every row, unit and input, nothing skipped."""
    units, width = shape.units, shape.width
    gw, gb, gx = [0.0] * (units * width), [0.0] * units, list(v["rs"])
    for r in range(rows):
        for u in range(units):
            h = v["gs"][r * units + u]
            g = (h if v["ys"][r * units + u] else 0.0) if shape.relu_outputs else h
            gb[u] += g
            for j in range(width):
                x = v["xs"][r * width + j]
                gw[u * width + j] += g * x
                if not (shape.relu_inputs and not x):  # an idle relu's input gets nothing (its backward zeroes it)
                    gx[r * width + j] += g * v["ws"][u * width + j]
    return gw, gb, gx


def run_backward(backward: Any, shape: Shape, v: dict[str, list[float]]) -> tuple[list[float], ...]:
    ys = v["ys"] if shape.relu_outputs else None
    gw, gb, gx = backward(v["gs"], ys, v["xs"], v["ws"], v["rs"] if shape.inputs else None)
    return gw, gb, gx


def same(actual: list[float], expected: list[float], scale: float) -> bool:
    return len(actual) == len(expected) and all(
        (math.isnan(a) and math.isnan(e)) or math.isclose(a, e, rel_tol=1e-12, abs_tol=1e-12 * scale)
        for a, e in zip(actual, expected, strict=True)
    )


@settings(max_examples=150, deadline=None)
@given(layers(ANY))
def test_forward_adds_left_to_right_as_sum_does_before_python_3_12(drawn: Any) -> None:
    shape, rows, v = drawn
    expected = []
    for r in range(rows):
        for u in range(shape.units):
            total = 0.0  # sum() starts from int 0: 0 + -0.0 is 0.0, as 0.0 + -0.0
            for j in range(shape.width):
                total += v["xs"][r * shape.width + j] * v["ws"][u * shape.width + j]
            expected.append(total + v["bs"][u])
    finite = all(map(math.isfinite, v["ws"]))  # forward_finite skips zero inputs: only for finite weights
    for kind in ("forward", "forward_finite") if finite else ("forward",):
        forward = function(shape, kind)
        got = forward(v["xs"], v["ws"], v["bs"])
        assert [math.isnan(x) for x in got] == [math.isnan(x) for x in expected]
        numbers = [(x, y) for x, y in zip(got, expected, strict=True) if not math.isnan(x)]
        assert all(x == y and math.copysign(1.0, x) == math.copysign(1.0, y) for x, y in numbers)  # zeros' signs


@settings(max_examples=200, deadline=None)
@given(layers(ANY))
def test_backward_gives_the_plain_loops_gradients_infinite_and_nan_included(drawn: Any) -> None:
    shape, rows, v = drawn
    expected = plain_backward(shape, rows, v)
    got = run_backward(function(shape, "backward"), shape, v)
    scale = max([1.0, *(abs(x) for x in (*v["xs"], *v["ws"], *v["gs"]) if math.isfinite(x))]) ** 2 * 10
    if shape.weights:
        assert same(got[0], expected[0], scale) and same(got[1], expected[1], scale)
    if shape.inputs:
        assert same(got[2], expected[2], scale)


@settings(max_examples=200, deadline=None)
@given(layers(FINITE))
def test_with_finite_numbers_skipping_zero_rows_and_inputs_changes_nothing(drawn: Any) -> None:
    shape, _, v = drawn
    assert run_backward(function(shape, "backward_finite"), shape, v) == run_backward(
        function(shape, "backward"), shape, v
    )
    same_bits = [function(shape, kind)(v["xs"], v["ws"], v["bs"]) for kind in ("forward_finite", "forward")]
    assert [(x, math.copysign(1.0, x)) for x in same_bits[0]] == [(x, math.copysign(1.0, x)) for x in same_bits[1]]


def test_a_row_without_gradient_is_skipped_only_by_the_finite_backward() -> None:
    shape = Shape(2, 2, inputs=True, weights=True, relu_inputs=False, relu_outputs=False)
    backward, backward_finite = function(shape, "backward"), function(shape, "backward_finite")
    v = {"gs": [0.0, 0.0], "ys": [], "xs": [math.inf, 1.0], "ws": [1.0, 2.0, 3.0, 4.0], "rs": [0.5, 0.5]}
    gw, gb, gx = run_backward(backward, shape, v)
    assert math.isnan(gw[0]) and math.isnan(gw[2]) and gb == [0.0, 0.0]  # 0 * inf, as the engine
    assert gw[1] == gw[3] == 0.0 and gx == [0.5, 0.5]
    assert run_backward(backward_finite, shape, v) == ([0.0] * 4, [0.0, 0.0], [0.5, 0.5])


def test_the_source_is_made_once_per_shape() -> None:
    shape = Shape(3, 4, inputs=True, weights=True, relu_inputs=True, relu_outputs=True)
    assert all(function(shape, kind) is function(Shape(*shape), kind) for kind in KINDS)


def test_the_demos_hidden_layer_is_replayed_by_generated_source(monkeypatch: Any) -> None:
    """karpathy's demo network (16 x 16 hidden layer) is small enough (LIMIT) for generated source."""
    asked: list[Shape] = []

    def spy(shape: Shape, kind: str) -> Any:
        asked.append(shape)
        return function(shape, kind)

    monkeypatch.setattr(layer_source, "function", spy)
    model = micrograd.MLP(2, [16, 16, 1], rng=random.Random(1))
    compiled = micrograd.compile(lambda X: sum((model(x) for x in X), micrograd.Value(0.0)), backend="python")
    compiled([[0.5, -1.0], [1.5, 0.25]]).backward()
    assert any((shape.units, shape.width) == (16, 16) for shape in asked)
