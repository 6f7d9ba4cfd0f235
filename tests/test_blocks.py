"""micrograd.autograd.blocks: a layer on one input recorded as one block while compile traces.

The block path must give the eager numbers: the block nodes themselves (backward, grad, second
order), compiled training steps on random network shapes, and layers used in ways a block cannot
stand for, which fall back to the scalar nodes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import MLP, Value, grad, optim
from micrograd.autograd import DENSE, LINEAR, recording_blocks
from micrograd.compiler.tracing import trace
from micrograd.nn import Layer, Neuron

BACKENDS = ("numpy", "python")


def close(a: float, b: float, tolerance: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def outputs_and_gradients(
    fns: Sequence[Callable[[list[Value]], Value]], parameters: list[Value], point: Sequence[float]
) -> list[list[float]]:
    """For each function (the eager one and its compiled twin) at ``point``: its output's number, then
    the gradients of ``parameters`` and of the point's own Values, after one ``backward()``."""
    results = []
    for fn in fns:
        x = [Value(v) for v in point]
        for p in parameters:
            p.grad = 0.0
        out = fn(x)
        out.backward()
        results.append([out.data, *(p.grad for p in [*parameters, *x])])
    return results


def rules_of(fn: Callable[..., Any], numbers: Sequence[float], shape: Callable[[Sequence[Value]], Any]) -> set[Any]:
    """The rules of the steps of ``fn``'s plan, traced on ``numbers`` (``shape`` nests the argument leaves)."""
    plan = trace(fn, list(numbers), lambda leaves: fn(*shape(leaves)))
    return {step.rule for step in plan.steps}


def test_a_block_gives_the_eager_outputs_and_gradients() -> None:
    model = MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", rng=random.Random(2))
    x = [Value(0.3), Value(-1.2), Value(0.7)]
    eager = model(x)
    with recording_blocks():
        blocked = model(x)
    assert [v.data for v in blocked] == [v.data for v in eager]  # the engine's arithmetic: the same bits
    assert blocked[0].op == "[0]" and blocked[0].operands[0].operation is DENSE
    parameters = model.parameters()
    for outputs in (eager, blocked):
        model.zero_grad()
        for v in x:
            v.grad = 0.0
        (outputs[0] * 2.0 + outputs[1]).backward()
        if outputs is eager:
            expected = [p.grad for p in [*parameters, *x]]
    assert all(close(p.grad, e) for p, e in zip([*parameters, *x], expected, strict=True))
    first = grad(eager[1], [x[0], parameters[0]], create_graph=True)
    second = grad(blocked[1], [x[0], parameters[0]], create_graph=True)
    assert all(close(a.data, b.data) for a, b in zip(first, second, strict=True))
    assert close(grad(first[0], x[1]).data, grad(second[0], x[1]).data)  # second order through the blocks


@st.composite
def networks(draw: st.DrawFn) -> tuple[int, list[int], str, str, int, int]:
    """(inputs, layer sizes, activation, output activation, batch size, seed)."""
    nin = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    activations = st.sampled_from(["relu", "tanh", "sigmoid", "linear"])
    return nin, sizes, draw(activations), draw(activations), draw(st.integers(1, 6)), draw(st.integers(0, 99))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=networks(), adam=st.booleans())
def test_compiled_steps_on_random_network_shapes_give_the_eager_weights(
    backend: str, case: tuple[int, list[int], str, str, int, int], adam: bool
) -> None:
    nin, sizes, activation, output, points, seed = case
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(points)]
    y = [rng.uniform(-1, 1) for _ in range(points)]

    def make() -> tuple[MLP, Any]:
        net = MLP(nin, sizes, activation=activation, output_activation=output, rng=random.Random(seed))
        opt = optim.Adam(net.parameters(), lr=0.05) if adam else optim.SGD(net.parameters(), lr=0.1)
        return net, opt

    def loss_of(net: MLP) -> Callable[..., Value]:
        def loss_fn(X: list[list[float]], y: list[float]) -> Value:
            outputs = [net(x) for x in X]
            firsts = [o[0] if isinstance(o, list) else o for o in outputs]
            return sum(((f - t) ** 2 for f, t in zip(firsts, y, strict=True)), Value(0.0)) * (1.0 / len(X))

        return loss_fn

    eager, eager_optimizer = make()
    compiled, compiled_optimizer = make()
    step = micrograd.compile_step(loss_of(compiled), compiled_optimizer, backend=backend)
    for _ in range(3):
        eager_optimizer.zero_grad()
        loss = loss_of(eager)(X, y)
        loss.backward()
        eager_optimizer.step()
        assert close(step(X, y), loss.data, 1e-10)
    assert step.traces == 1
    for a, b in zip(eager.parameters(), compiled.parameters(), strict=True):
        assert close(a.data, b.data, 1e-10), (a.data, b.data)
    assert DENSE in rules_of(loss_of(compiled), [v for row in X for v in row] + y, lambda leaves: _split(leaves, X))


def _split(leaves: Sequence[Value], X: list[list[float]]) -> tuple[list[list[Value]], list[Value]]:
    width, rows = len(X[0]), len(X)
    return [list(leaves[r * width : (r + 1) * width]) for r in range(rows)], list(leaves[rows * width :])


class Doubled(Neuron):
    """A neuron of its own kind: twice the usual output."""

    def __call__(self, x: Any) -> Value:
        return super().__call__(x) * 2.0


def _mixed_activations() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    layer = Layer(2, 3, activation="tanh", rng=random.Random(1))
    layer.neurons[1].activation = "relu"  # one layer, two activations: not one block
    return lambda x: sum(layer(x), Value(0.0)), layer.parameters()


def _own_neuron() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    layer = Layer(2, 3, activation="tanh", rng=random.Random(1))
    layer.neurons[2] = Doubled(2, activation="tanh", rng=random.Random(5))
    return lambda x: sum(layer(x), Value(0.0)), layer.parameters()


def _tied_weight() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    layer = Layer(2, 2, activation="tanh", rng=random.Random(1))
    parameters = layer.parameters()
    layer.neurons[1].w[0] = layer.neurons[0].w[0] * -1.0  # a computed weight: not a leaf
    return lambda x: sum(layer(x), Value(0.0)), parameters


def _skip_connection() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    first, second = Layer(2, 3, activation="tanh", rng=random.Random(1)), Layer(3, 2, rng=random.Random(2))
    return lambda x: (h := first(x))[0] * sum(second(h), Value(0.0)), first.parameters() + second.parameters()


def _numbers_among_inputs() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    layer = Layer(3, 2, activation="sigmoid", rng=random.Random(1))
    return lambda x: sum(layer([x[0], 0.5, x[1]]), Value(0.0)), layer.parameters()


def _gradient_inside() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    model = MLP(2, [3, 1], activation="tanh", output_activation="tanh", rng=random.Random(1))

    def f(x: Sequence[Value]) -> Value:
        out = model(x)
        (slope,) = grad(out, [x[0]], create_graph=True)  # through the blocks, as Values
        return out + slope * slope

    return f, model.parameters()


def _weight_swapped_between_calls() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    layer = Layer(2, 3, activation="tanh", rng=random.Random(1))
    spare = Value(0.25)

    def f(x: Sequence[Value]) -> Value:
        first = sum(layer(x), Value(0.0))
        kept, layer.neurons[1].w[0] = layer.neurons[1].w[0], spare  # the same row list, another weight in it
        try:
            return first * sum(layer(x), Value(0.0))
        finally:
            layer.neurons[1].w[0] = kept

    return f, [*layer.parameters(), spare]


def _layers_sharing_a_first_row() -> tuple[Callable[[Sequence[Value]], Value], list[Value]]:
    first, second = Layer(2, 3, activation="tanh", rng=random.Random(1)), Layer(2, 3, rng=random.Random(2))
    second.neurons[0].w, second.neurons[0].b = first.neurons[0].w, first.neurons[0].b  # shared, the rest not
    parameters = list(dict.fromkeys([*first.parameters(), *second.parameters()]))
    return lambda x: sum(first(x), Value(0.0)) * sum(second(x), Value(0.0)), parameters


UNUSUAL = {
    "mixed activations": (_mixed_activations, False),
    "a neuron of its own kind": (_own_neuron, False),
    "a tied (computed) weight": (_tied_weight, False),
    "a part used beside the next layer": (_skip_connection, True),
    "numbers among the inputs": (_numbers_among_inputs, False),
    "grad inside the function": (_gradient_inside, True),
    "a weight swapped between two calls": (_weight_swapped_between_calls, True),
    "two layers sharing their first row": (_layers_sharing_a_first_row, True),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(UNUSUAL))
def test_layers_used_in_unusual_ways_give_the_eager_numbers(backend: str, name: str) -> None:
    make, blocked = UNUSUAL[name]
    f, parameters = make()
    assert (
        DENSE in rules_of(f, [0.4, -0.9], lambda leaves: (list(leaves),))
    ) is blocked  # a block only where one can stand for it
    if not blocked:
        assert LINEAR in rules_of(f, [0.4, -0.9], lambda leaves: (list(leaves),))  # the scalar nodes, as before blocks
    compiled = micrograd.compile(f, backend=backend)
    for point in ([0.4, -0.9], [-1.5, 0.2]):
        eager, got = outputs_and_gradients((f, compiled), parameters, point)
        assert all(close(a, b, 1e-10) for a, b in zip(got, eager, strict=True))
    assert compiled.traces == 1


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_zeros_and_non_finite_numbers_go_through_a_block_as_through_the_scalar_nodes(
    backend: str, activation: str
) -> None:
    model = MLP(2, [3, 2], activation=activation, rng=random.Random(4))
    model.layers[0].neurons[0].w[0].data = 0.0  # a sum that is exactly zero at x = (1, 0) ...
    model.layers[0].neurons[0].b.data = 0.0
    model.layers[0].neurons[1].w[1].data = math.inf  # ... and one that is infinite or nan

    def f(x: Sequence[Value]) -> Value:
        return sum(model(x), Value(0.0))

    compiled = micrograd.compile(f, backend=backend)
    parameters = model.parameters()
    for point in ([1.0, 0.0], [0.5, 2.0], [math.nan, 1.0], [-0.0, -1.0]):
        eager, got = outputs_and_gradients((f, compiled), parameters, point)
        assert [math.isnan(v) for v in got] == [math.isnan(v) for v in eager], point
        assert all(close(a, b, 1e-10) for a, b in zip(got, eager, strict=True) if not math.isnan(a)), point


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", [math.nan, math.inf, -math.inf, 2.5])
def test_a_dead_relu_unit_stops_even_a_nan_or_infinite_gradient(backend: str, seed: float) -> None:
    """The relu's derivative is a mask, as the engine's and PyTorch's: a unit whose sum is <= 0 passes
    no gradient, even a nan or infinite one, and a unit whose sum is nan passes its gradient."""
    layer = Layer(2, 24, activation="relu", rng=random.Random(5))
    layer.neurons[3].w[0].data = math.nan  # a nan sum: the gradient passes
    for neuron in layer.neurons[10:]:  # dead units: b <= 0 and w = 0
        neuron.b.data = -abs(neuron.b.data)
        neuron.w[0].data = neuron.w[1].data = 0.0
    scale = Value(seed)

    def f(X: Sequence[Sequence[Value]]) -> Value:
        return sum((h * scale for x in X for h in layer(x)), Value(0.0))

    compiled = micrograd.compile(f, backend=backend)
    X = [[0.5, -1.0], [2.0, 0.25], [-0.0, 1.5]]
    parameters = layer.parameters()
    results = []
    for fn in (f, compiled):
        for p in parameters:
            p.grad = 0.0
        fn([[Value(a) for a in x] for x in X]).backward()
        results.append([p.grad for p in parameters])
    eager, got = results
    assert [math.isnan(v) for v in got] == [math.isnan(v) for v in eager]
    assert all(a == b or close(a, b) for a, b in zip(got, eager, strict=True) if not math.isnan(a))
    assert all(p.grad == 0.0 for neuron in layer.neurons[10:] for p in neuron.w)  # stopped, not nan


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_infinite_weight_after_a_relu_that_is_off_gives_nan_as_in_the_engine(backend: str) -> None:
    """inf * 0.0 is nan: a layer reading a relu that is off must not skip that input when a weight is
    infinite (the pure-Python replay skips the zeros only when every weight is finite)."""
    net = MLP(2, [4, 3], rng=random.Random(2))
    net.layers[1].neurons[0].w[0].data = math.inf
    net.layers[0].neurons[0].b.data = -100.0  # hidden unit 0 off: its relu result is 0.0

    def f(X: Sequence[Sequence[Value]]) -> list[Value]:
        return [o for x in X for o in net(x)]

    compiled = micrograd.compile(f, backend=backend)
    X = [[0.5, -0.5], [1.0, 0.25]]
    for _ in range(2):
        eager = [v.data for v in f([[Value(a) for a in x] for x in X])]
        got = [v.data for v in compiled(X)]
        assert [math.isnan(v) for v in got] == [math.isnan(v) for v in eager] == [True, False, False] * 2
        assert all(close(a, b) for a, b in zip(got, eager, strict=True) if not math.isnan(a))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_zero_gradient_has_the_engines_sign_of_zero(backend: str) -> None:
    """A gradient that no contribution makes nonzero (a relu that is off) is 0.0 + (-0.0) = +0.0 in the
    engine: so it is after a compiled step, where a one-unit layer writes its inputs' gradients g * w
    at once (here the inputs are trained too, as an embedding is)."""
    gradients = []
    for compiled in (False, True):
        layer = Layer(3, 1, activation="linear", rng=random.Random(1))
        layer.neurons[0].w[0].data, layer.neurons[0].w[1].data = -0.5, 0.75
        z = [Value(0.5), Value(-1.0), Value(2.0)]
        optimizer = optim.SGD([*layer.parameters(), *z], lr=0.1)

        def loss_fn(scale: Value | float, layer: Layer = layer, z: list[Value] = z) -> Value:
            return (layer(z) * scale - 50.0).relu()  # off: its gradient is 0

        if compiled:
            step = micrograd.compile_step(loss_fn, optimizer, backend=backend)
            step(1.0)
            step.sync()
        else:
            optimizer.zero_grad()
            loss_fn(1.0).backward()
        gradients.append([math.copysign(1.0, v.grad) for v in z])
    assert gradients[1] == gradients[0] == [1.0] * 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_dropped_step_that_reads_a_dropped_block_still_raises(backend: str) -> None:
    """``layer(x)[0].log()`` with its result unused raises in a plain call for x <= 0: the replay must too
    (its block is in no plan, so the function is traced with the scalar nodes)."""
    layer = Layer(1, 2, activation="linear", rng=random.Random(1))
    layer.neurons[0].w[0].data, layer.neurons[0].b.data = 1.0, 0.0

    def f(x: Value) -> Value:
        layer([x])[0].log()
        return x * 2.0

    compiled = micrograd.compile(f, backend=backend)
    assert compiled(Value(1.0)).data == 2.0
    for fn in (f, compiled):
        with pytest.raises(ValueError, match="log: operand must be positive"):
            fn(Value(-1.0))
    assert compiled.traces == 1


def _same_number(a: float, b: float) -> bool:
    """The same float, the sign of a zero included (any nan is a nan)."""
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_a_wide_block_while_tracing_has_the_engines_numbers_at_zeros_and_non_finite_sums(activation: str) -> None:
    from micrograd.compiler.numpy_rows import layer_sums

    layer = Layer(3, 128, activation=activation, rng=random.Random(3))  # wide: its sums are numpy's
    for u, neuron in enumerate(layer.neurons):  # sums that are exact: small integers, many of them zero
        for j, w in enumerate(neuron.w):
            w.data = float((u + j) % 5 - 2)
        neuron.b.data = float(u % 3 - 1)
    layer.neurons[0].w[1].data, layer.neurons[1].w[1].data, layer.neurons[2].w[2].data = math.inf, -math.inf, math.nan
    x = [0.0, -1.0, 2.0]
    eager = [v.data for v in layer([Value(v) for v in x])]  # type: ignore[union-attr]
    with recording_blocks(layer_sums):
        parts = layer([Value(v) for v in x])
    assert isinstance(parts, list) and all(p.operation is not LINEAR for p in parts)  # a block's parts
    assert all(_same_number(a, b) for a, b in zip([p.data for p in parts], eager, strict=True))
