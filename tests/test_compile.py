"""micrograd.compile: a traced and replayed function gives the eager engine's values and gradients."""

from __future__ import annotations

import copy
import math
import random
import re
import subprocess
import sys
import textwrap
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import MLP, Value, grad, no_grad, optim
from micrograd.compiler import MAX_TRACES, TracingError
from micrograd.losses import hinge_loss, l2_penalty, logsumexp, mse_loss, softplus
from strategies import MICROGRAD, Program, output_function, programs, run

BACKENDS = ("numpy", "python")


def close(a: float, b: float, scale: float = 1.0) -> bool:
    """Equal to 1e-12, relative to the larger of the two and ``scale`` (the size of the terms)."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12 * scale)


def assert_all_close(actual: Sequence[float], expected: Sequence[float]) -> None:
    scale = max([1.0, *map(abs, expected)])
    assert len(actual) == len(expected)
    for k, (a, e) in enumerate(zip(actual, expected, strict=True)):
        assert close(a, e, scale), f"entry {k}: {a!r} != {e!r}"


# -- random graphs over every operation ------------------------------------------------------


def _build(program: Program, leaves: Sequence[Value]) -> Value:
    """The program, then two operations defined outside the rule table (unary and n-ary)."""
    out = output_function(program, MICROGRAD)(*leaves)
    return softplus(out) + logsumexp([out, leaves[0], 0.5])


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(max_ops=10), passed=st.integers(0, 3))
def test_random_graphs_match_eager(backend: str, program: Program, passed: int) -> None:
    # the first `passed` leaves are arguments, the others are captured by the function
    captured = [Value(x) for x in program.point[passed:]]

    @micrograd.compile(backend=backend)
    def f(*arguments: Value) -> Value:
        return _build(program, [*arguments, *captured])

    for _ in range(2):  # the first call traces, the second replays with new argument Values
        arguments = [Value(x) for x in program.point[:passed]]
        leaves = [*arguments, *captured]
        compiled = f(*arguments)
        for leaf in leaves:
            leaf.grad = 0.0
        compiled.backward()
        compiled_grads = [leaf.grad for leaf in leaves]
        compiled_grad_fn = [d.data for d in grad(compiled, leaves)]

        eager = _build(program, leaves)
        for leaf in leaves:
            leaf.grad = 0.0
        eager.backward()
        assert close(compiled.data, eager.data, abs(eager.data) + 1)
        assert_all_close(compiled_grads, [leaf.grad for leaf in leaves])
        assert_all_close(compiled_grad_fn, [d.data for d in grad(eager, leaves)])
    assert f.traces == 1


@st.composite
def layers(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, str, str]], list[float]]:
    """A batch through a stack of layers: (rows, [(inputs, units, activation, bias sharing)], numbers)."""
    rows = draw(st.integers(1, 4))
    shapes = []
    width = draw(st.integers(1, 6))
    for _ in range(draw(st.integers(1, 3))):
        units = draw(st.integers(1, 4))
        shapes.append(
            (width, units, draw(st.sampled_from(["relu", "tanh", "none"])), draw(st.sampled_from(["unit", "cell"])))
        )
        width = units
    count = rows * shapes[0][0] + sum(n * u + u * rows for n, u, _, _ in shapes)
    numbers = draw(
        st.lists(st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 1)), min_size=count, max_size=count)
    )
    return rows, shapes, numbers


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=layers(), repeat_input=st.booleans(), as_arguments=st.booleans())
def test_layers_on_a_batch_match_eager(
    backend: str, case: tuple[int, list[tuple[int, int, str, str]], list[float]], repeat_input: bool, as_arguments: bool
) -> None:
    # whole layers are replayed row by row or column by column: every shape of them, with
    # biases per unit or per step, an input used twice in a row, inputs that are data or Values
    rows, shapes, numbers = case
    numbers_left = iter(numbers)
    batch = [[next(numbers_left) for _ in range(shapes[0][0])] for _ in range(rows)]
    weights = [[[Value(next(numbers_left)) for _ in range(n)] for _ in range(u)] for n, u, _, _ in shapes]
    biases = [[[Value(next(numbers_left)) for _ in range(u)] for _ in range(rows)] for _, u, _, _ in shapes]
    parameters = [p for layer in weights for row in layer for p in row] + [
        b for layer in biases for row in layer for b in row
    ]

    kinks: list[bool] = []  # whether a relu's operand was (nearly) 0, where its derivative depends on rounding

    def network(batch: Sequence[Sequence[Value | float]]) -> Value:
        total: Value | float = 0.0
        for r, x in enumerate(batch):
            h = list(x)
            if repeat_input and len(h) > 1:
                h[-1] = h[0]  # the same input twice in a row
            for (_, _, activation, sharing), w, b in zip(shapes, weights, biases, strict=True):
                bias = [b[0 if sharing == "unit" else r][u] for u in range(len(w))]
                z = [micrograd.linear(h, w[u], bias[u]) for u in range(len(w))]
                if activation == "relu":
                    kinks.extend(abs(zu.data) < 1e-9 for zu in z)
                h = [zu.relu() if activation == "relu" else zu.tanh() if activation == "tanh" else zu for zu in z]
            total = total + sum(v * v for v in h)
        assert isinstance(total, Value)
        return total

    f = micrograd.compile(network, backend=backend)
    for _ in range(2):
        inputs = [[Value(x) for x in row] for row in batch] if as_arguments else batch
        leaves = parameters + [v for row in inputs for v in row if isinstance(v, Value)]
        compiled = f(inputs)
        for leaf in leaves:
            leaf.grad = 0.0
        compiled.backward()
        compiled_grads = [leaf.grad for leaf in leaves]
        kinks.clear()
        eager = network(inputs)
        # numbers of one decimal cancel exactly (0.6 * 1.8 - 1.2 * 0.9): a matrix product may round such
        # a sum to a tiny number of either sign, and a relu there passes its gradient or not
        assume(not any(kinks))
        for leaf in leaves:
            leaf.grad = 0.0
        eager.backward()
        assert close(compiled.data, eager.data, abs(eager.data) + 1)
        assert_all_close(compiled_grads, [leaf.grad for leaf in leaves])
        for p in parameters:
            p.data += 0.25
    assert f.traces == 1


@settings(max_examples=100, deadline=None)
@given(program=programs(max_ops=10), extra=st.integers(0, 2))
def test_tracing_walks_the_graph_in_graph_orders_order(program: Program, extra: int) -> None:
    from micrograd.compiler.tracing import graph_and_operands
    from micrograd.engine import graph_order

    leaves = [Value(x) for x in program.point]
    out = _build(program, leaves)
    roots = [out, *leaves[:extra], out.operands[0]]  # several roots, some inside the others' graphs
    nodes, operands = graph_and_operands(roots)
    assert nodes == graph_order(*roots).nodes
    assert all(operands[node] == node.operands for node in nodes if not node.is_leaf)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_partial_sum_used_elsewhere_is_not_folded_away(backend: str) -> None:
    a, b, c, d = (Value(x) for x in (0.5, -1.25, 2.0, 3.5))

    def f(a: Value, b: Value, c: Value, d: Value) -> list[Value]:
        s1 = a + b
        s2 = s1 - c
        s3 = s2 + d
        return [s3 * s1, s2]  # s1 used twice, s2 an output: the chain must keep both

    compiled = micrograd.compile(f, backend=backend)(a, b, c, d)
    eager = f(a, b, c, d)
    assert [v.data for v in compiled] == [v.data for v in eager]
    (compiled[0] + compiled[1] * 3.0).backward()
    got = [v.grad for v in (a, b, c, d)]
    for v in (a, b, c, d):
        v.grad = 0.0
    (eager[0] + eager[1] * 3.0).backward()
    assert_all_close(got, [v.grad for v in (a, b, c, d)])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("first", [3.0, math.inf])
def test_rows_without_gradient_are_skipped_only_where_that_changes_nothing(backend: str, first: float) -> None:
    # the first row's margin is met, so its gradient is 0; with an infinite input, 0 * inf is nan in the engine
    w, b = [Value(1.0), Value(-2.0)], Value(0.5)

    def hinge(batch: list[list[Value]]) -> Value:
        return sum(((1.0 - micrograd.linear(x, w, b)).relu() for x in batch), Value(0.0))

    batch = [[first, 0.0], [0.1, 0.2], [-1.0, 0.5]]
    results = []
    for fn in (micrograd.compile(hinge, backend=backend), hinge):
        inputs = [[Value(x) for x in row] for row in batch]
        for p in (*w, b):
            p.grad = 0.0
        fn(inputs).backward()
        results.append([p.grad for p in (*w, b)] + [x.grad for row in inputs for x in row])
    compiled, eager = results
    assert [math.isnan(x) for x in compiled] == [math.isnan(x) for x in eager]
    assert any(map(math.isnan, eager)) == math.isinf(first)
    assert_all_close([x for x in compiled if not math.isnan(x)], [x for x in eager if not math.isnan(x)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_second_order_gradient_through_a_compiled_call(backend: str) -> None:
    x = Value(0.7)

    @micrograd.compile(backend=backend)
    def f(x: Value) -> Value:
        return (x * x * x).tanh() + x.exp()

    y = f(x)
    dy = grad(y, x, create_graph=True)
    d2y = grad(dy, x)
    eager = (x * x * x).tanh() + x.exp()
    e_dy = grad(eager, x, create_graph=True)
    assert close(dy.data, e_dy.data)
    assert close(d2y.data, grad(e_dy, x).data)


# -- training: the same parameters after 100 steps --------------------------------------------


def _moons(n: int) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(3)
    X = [[rng.uniform(-1.5, 2.5), rng.uniform(-1, 1.5)] for _ in range(n)]
    return X, [1 if x[1] > 0.5 * math.sin(2 * x[0]) else -1 for x in X]


def _train(compiled: str | None, steps: int) -> list[float]:
    model = MLP(2, [8, 8, 1], rng=random.Random(7))
    X, y = _moons(30)

    def loss_fn(X: list[list[float]], y: list[int]) -> Value:
        scores = [model(x) for x in X]
        return hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)

    step_fn = loss_fn if compiled is None else micrograd.compile(loss_fn, backend=compiled)
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for _ in range(steps):
        loss = step_fn(X, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if compiled is not None:
        assert step_fn.traces == 1  # type: ignore[attr-defined]  # the inputs are data, not part of the key
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_100_steps_gives_the_eager_parameters(backend: str) -> None:
    eager = _train(None, 100)
    compiled = _train(backend, 100)
    assert_all_close(compiled, eager)
    assert compiled != _train(backend, 1)  # training moved the parameters


@pytest.mark.parametrize("backend", BACKENDS)
def test_parameters_are_read_at_every_call(backend: str) -> None:
    model = MLP(2, [3, 1], rng=random.Random(1))
    f = micrograd.compile(lambda x: model(x), backend=backend)
    before = f([0.5, -1.0]).data
    model.load_state_dict({name: 0.25 for name, _ in model.named_parameters()})
    after = f([0.5, -1.0])
    assert after.data == model([0.5, -1.0]).data != before
    assert f.traces == 1


# -- the argument structure ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_batch_size_traces_again(backend: str) -> None:
    w = Value(2.0)
    f = micrograd.compile(lambda xs: sum((w * x).tanh() for x in xs), backend=backend)
    assert close(f([0.1, 0.2]).data, math.tanh(0.2) + math.tanh(0.4))
    f([0.3, -0.4])
    assert f.traces == 1
    three = f([0.1, 0.2, 0.3])
    assert f.traces == 2
    assert close(three.data, sum(math.tanh(2 * x) for x in (0.1, 0.2, 0.3)))
    f([1.0, 2.0])
    assert f.traces == 2  # both structures stay cached


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "read",
    [
        lambda x: x.item(),
        lambda x: float(f"{x:.3f}"),
        lambda x: x.detach().data,
        lambda x: float(str(x).split("=")[1].split(",")[0]),
        lambda x: float(repr(x).split("=")[1].split(",")[0]),
        lambda x: float(f"{x}".split("=")[1].split(",")[0]),
    ],
    ids=["item", "format", "detach", "str", "repr", "f-string"],
)
def test_an_argument_read_through_the_engines_methods_is_part_of_the_key(
    backend: str, read: Callable[[Value], float]
) -> None:
    w = Value(1.5)
    f = micrograd.compile(lambda x: w * x if read(x) > 0 else w * x * -2.0, backend=backend)
    g = micrograd.compile(lambda x: w * x * x.detach(), backend=backend)
    for x in (2.0, -3.0, 0.5, 2.0):
        assert f(x).data == (1.5 * x if x > 0 else 1.5 * x * -2.0)
        assert g(x).data == 1.5 * x * x
    assert f.traces == g.traces == 3  # the number read is part of the key: 2.0 again replays


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_length_of_an_arguments_text_is_read_again_for_each_number(backend: str) -> None:
    f = micrograd.compile(lambda x: x * len(str(x)), backend=backend)
    g = micrograd.compile(lambda x: x * len(repr(x)), backend=backend)
    for x in (0.5, 3.25, 10.125, 3.25):
        assert f(Value(x)).data == x * len(str(Value(x)))  # 3.25 gives 84.5, as the plain call
        assert g(Value(x)).data == x * len(repr(Value(x)))


class Unhashable:
    """An argument the trace cache can name only by its id (it defines == without a hash)."""

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]


def test_unhashable_arguments_are_kept_only_while_their_trace_is() -> None:
    w = Value(2.0)
    f = micrograd.compile(lambda x, options: w * x, backend="python")
    alive = []
    for k in range(3 * MAX_TRACES):
        options = Unhashable()
        alive.append(weakref.ref(options))
        assert f(float(k), options).data == 2.0 * k
        del options
    assert f.traces == 3 * MAX_TRACES  # each new object is a new structure
    assert sum(ref() is not None for ref in alive) == MAX_TRACES  # the evicted traces let theirs go


@pytest.mark.parametrize("backend", BACKENDS)
def test_targets_of_a_loss_are_data_of_the_trace(backend: str) -> None:
    # while tracing, mse_loss computes with a target Value instead of reading its number: one trace serves all
    p = Value(1.5)
    f = micrograd.compile(lambda t: mse_loss([p * 2.0], [t]), backend=backend)
    assert f(1.0).data == 4.0
    assert f(2.0).data == 1.0
    assert f(1.0).data == 4.0
    assert f.traces == 1
    g = micrograd.compile(lambda t: hinge_loss([p * 2.0], [t]), backend=backend)
    assert [g(t).data for t in (1.0, -1.0, 1.0)] == [0.0, 4.0, 0.0] and g.traces == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_outputs_backpropagate_together(backend: str) -> None:
    a, b = Value(0.3), Value(-1.2)

    def fn(x: float) -> list[Value]:
        return [(a * x).relu(), a * b + x, (b * x).exp()]

    outs = micrograd.compile(fn, backend=backend)(2.0)
    total = outs[0] * 3.0 + outs[1] * outs[2]
    total.backward()
    compiled_grads = (a.grad, b.grad)
    a.grad = b.grad = 0.0
    e = fn(2.0)
    (e[0] * 3.0 + e[1] * e[2]).backward()
    assert_all_close(compiled_grads, (a.grad, b.grad))
    assert isinstance(outs, list) and [o.data for o in outs] == [o.data for o in e]


@pytest.mark.parametrize("backend", BACKENDS)
def test_relu_subgradient_at_zero_and_no_grad(backend: str) -> None:
    x = Value(0.0)
    y = micrograd.compile(lambda v: v.relu() * 3.0, backend=backend)(x)
    y.backward()
    assert (y.data, x.grad) == (0.0, 0.0)
    with no_grad():
        z = micrograd.compile(lambda v: v * 2.0, backend=backend)
        assert z(Value(1.5)).data == 3.0 and z(Value(1.5)).is_leaf


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_domain_error_on_replay_is_the_engines_error(backend: str) -> None:
    f = micrograd.compile(lambda x: (x * 2.0).log(), backend=backend)
    assert close(f(1.0).data, math.log(2.0))
    with pytest.raises(ValueError) as eager:
        (Value(-1.0) * 2.0).log()
    with pytest.raises(ValueError) as compiled:
        f(-1.0)
    assert str(compiled.value) == str(eager.value)
    assert "log" in str(compiled.value)
    g = micrograd.compile(lambda x: 1.0 / x, backend=backend)
    g(2.0)
    with pytest.raises(ZeroDivisionError, match="division"):
        g(0.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_control_flow_on_a_value_is_refused_with_the_line(backend: str) -> None:
    def clipped(x: Value) -> Value:
        if x > 1.0:  # data-dependent: the replay could not follow it
            return x * 0.0
        return x

    f = micrograd.compile(clipped, backend=backend)
    with pytest.raises(TracingError) as error:
        f(Value(2.0))
    message = str(error.value)
    line = clipped.__code__.co_firstlineno + 1
    assert f"line {line}" in message and "outside the compiled function" in message and "(>)" in message
    with pytest.raises(TracingError, match="truth test"):
        micrograd.compile(lambda x: x or x, backend=backend)(Value(1.0))
    # outside a trace, comparisons and truth tests behave as before
    assert Value(2.0) > 1.0 and bool(Value(0.0)) and max(Value(1.0), Value(3.0)).data == 3.0


@pytest.mark.parametrize(
    ("look", "named"),
    [
        (lambda x: x < 1.0, "(<)"),
        (lambda x: x <= 1.0, "(<=)"),
        (lambda x: 1.0 > x, "(<)"),  # noqa: SIM300 - reflected: float's > defers to Value.__lt__
        (lambda x: x >= x * 2.0, "(>=)"),
        (lambda x: not x, "truth test"),
        (lambda x: max(x, x * 2.0), "a comparison"),
        (lambda x: sorted([x, x * 2.0]), "a comparison"),
    ],
)
def test_every_look_at_the_data_is_refused_while_tracing(look: Callable[[Value], object], named: str) -> None:
    def f(x: Value) -> Value:
        look(x)
        return x * 2.0

    with pytest.raises(TracingError) as error:
        micrograd.compile(f, backend="python")(Value(0.5))
    assert named in str(error.value) and f"line {look.__code__.co_firstlineno}" in str(error.value)  # the look's line
    assert not micrograd.autograd.grad_mode.anyone_guards  # the guard is off again after the error
    assert look(Value(0.5)) is not None  # and outside a trace the same code runs


def test_a_thread_that_is_not_tracing_compares_while_another_traces() -> None:
    import threading

    tracing, compared = threading.Event(), threading.Event()
    seen: list[object] = []

    def traced(x: Value) -> Value:
        tracing.set()
        assert compared.wait(10)  # the other thread compares while this one is inside its trace
        return x * 3.0

    def other() -> None:
        assert tracing.wait(10)
        seen.append(micrograd.autograd.grad_mode.anyone_guards)
        a, b = Value(1.0), Value(2.0)
        seen.extend([a < b, a >= b, bool(a), max(a, b) is b, sorted([b, a]) == [a, b]])
        compared.set()

    thread = threading.Thread(target=other)
    thread.start()
    y = micrograd.compile(traced, backend="python")(Value(1.5))
    thread.join(10)
    assert seen == [True, True, False, True, True, True]
    assert y.data == 4.5 and not micrograd.autograd.grad_mode.anyone_guards


def test_data_guards_nest_and_belong_to_their_thread() -> None:
    from micrograd.autograd.grad_mode import check_data, data_guard

    refused: list[str] = []
    with data_guard(lambda what: refused.append(f"outer {what}")):
        check_data("a")
        with data_guard(lambda what: refused.append(f"inner {what}")):
            check_data("b")
        check_data("c")
        assert micrograd.autograd.grad_mode.anyone_guards
    check_data("d")  # no guard: nothing asked
    assert refused == ["outer a", "inner b", "outer c"] and not micrograd.autograd.grad_mode.anyone_guards
    with pytest.raises(ValueError, match="no flag"):
        micrograd.autograd.grad_mode.share_flag({}, "everyone_guards")
    # one guard entered by two threads at once: each thread restores its own
    import threading

    guard, inside, leave = data_guard(refused.append), threading.Event(), threading.Event()

    def other() -> None:
        with guard:
            inside.set()
            assert leave.wait(10)
            check_data("e")

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(10)
    with guard:
        check_data("f")
    assert micrograd.autograd.grad_mode.anyone_guards  # the other thread still guards
    check_data("g")  # but not this one any more
    leave.set()
    thread.join(10)
    assert refused[3:] == ["f", "e"] and not micrograd.autograd.grad_mode.anyone_guards


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_cpythons_frames_and_reference_counts_compile_is_slower_but_right(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = Value(0.75)

    def f(x: Value, y: Value) -> Value:
        return (w * x + 1.0).tanh() * y.item()  # y's number is read: part of the key

    expected = []
    for x, y in ((0.5, 2.0), (1.5, 2.0), (1.5, 3.0)):
        out = (w * x + 1.0).tanh() * y
        expected.append((out.data, grad(out, w).data))
    monkeypatch.delattr(sys, "_getframe")
    monkeypatch.delattr(sys, "getrefcount")
    compiled = micrograd.compile(f, backend=backend)
    for (x, y), (data, dw) in zip(((0.5, 2.0), (1.5, 2.0), (1.5, 3.0)), expected, strict=True):
        out = compiled(Value(x), Value(y))
        assert close(out.data, data) and close(grad(out, w).data, dw)
    assert compiled.traces == 3  # every read of x's data by the engine now counts as the function's too
    with pytest.raises(TracingError, match="line unknown"):
        micrograd.compile(lambda x: x if x > 0 else -x, backend=backend)(Value(1.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_leaves_the_function_made_for_itself_are_constants(backend: str) -> None:
    w, kept = Value(0.75), []

    def f(x: Value) -> list[Value]:
        c = Value(2.0)
        kept.append(c)  # reachable from outside the trace: captured, and given its gradient
        return [(w * x + 1.0) * c, x * 3.0]

    compiled = micrograd.compile(f, backend=backend)
    out, _ = compiled(Value(1.0))
    plan = next(p.plan for _, prepared in compiled._cache.values() for p in prepared.values())
    assert sorted(plan.constants) == [1.0, 3.0] and {id(v) for v in plan.captured} == {id(w), id(kept[0])}
    out.backward()
    assert (kept[0].grad, w.grad) == (1.75, 2.0)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="backend"):
        micrograd.compile(lambda x: x, backend="cuda")
    with pytest.raises(TypeError, match="function"):
        micrograd.compile(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must return a Value"):
        micrograd.compile(lambda x: "no")(1.0)


# -- backends ------------------------------------------------------------------------------------


def test_forcing_the_python_backend_uses_no_numpy() -> None:
    from micrograd.compiler.replay_python import PythonReplay

    f = micrograd.compile(lambda x: x * 2.0, backend="python")
    f(1.0)
    assert f.backend == "python"
    assert all(isinstance(p.replay, PythonReplay) for _, prepared in f._cache.values() for p in prepared.values())


def test_without_numpy_the_default_backend_is_python() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["numpy"] = None  # numpy cannot be imported
        import micrograd
        w = micrograd.Value(3.0)
        f = micrograd.compile(lambda x: (w * x).tanh())
        y = f(0.5)
        y.backward()
        loaded = "numpy" in sys.modules and sys.modules["numpy"] is not None
        print(f.backend, round(y.data, 12), round(w.grad, 12), loaded)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    backend, value, gradient, numpy_loaded = done.stdout.split()
    assert backend == "python" and numpy_loaded == "False"
    assert float(value) == round(math.tanh(1.5), 12)
    assert float(gradient) == round(0.5 * (1 - math.tanh(1.5) ** 2), 12)


def test_an_operation_made_micrograd_style_is_refused_when_tracing() -> None:
    def fn(x: Value) -> Value:
        out = Value(x.data * 2, (x,), "double")  # micrograd style: no rule to compute it again
        return out + x

    with pytest.raises(TracingError, match="'double' cannot be computed again"):
        micrograd.compile(fn)(Value(1.0))


# -- the demo ------------------------------------------------------------------------------------


def test_demo_trains_the_same_with_compile_and_says_how_much_faster() -> None:
    from micrograd.demo import DemoConfig, speedup_report, train

    for config in (DemoConfig(steps=6, samples=30), DemoConfig(steps=6, samples=30, batch_size=8, optimizer="adam")):
        eager = train(config)
        compiled = train(replace(config, compile=True))
        assert_all_close(compiled.loss_history, eager.loss_history)
        assert compiled.accuracy_history == eager.accuracy_history
        assert_all_close([p.data for p in compiled.model.parameters()], [p.data for p in eager.model.parameters()])
        assert re.fullmatch(
            r"compiled: .* took [\d.]+ ms against [\d.]+ ms for forward and backward without compile: \d+x faster",
            speedup_report(compiled),
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_keyword_arguments_and_nested_compiled_functions(backend: str) -> None:
    w = Value(0.5)
    inner = micrograd.compile(lambda x: (w * x).tanh(), backend=backend)
    inner(1.0)  # traced and cached on its own

    @micrograd.compile(backend=backend)
    def outer(a: float, *, scale: float, shift: float) -> Value:
        return inner(a) * scale + shift  # inside a trace, inner runs as part of it

    for a, scale, shift in ((1.0, 2.0, 0.5), (-0.3, 4.0, 1.5)):
        y = outer(a, shift=shift, scale=scale)  # keywords in another order than declared
        assert close(y.data, math.tanh(0.5 * a) * scale + shift)
        w.grad = 0.0
        y.backward()
        assert close(w.grad, scale * a * (1 - math.tanh(0.5 * a) ** 2))
    assert outer.traces == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_numpy_arrays_and_dicts_are_data_and_int_arrays_structure(backend: str) -> None:
    import numpy as np

    w = Value(-0.5)

    @micrograd.compile(backend=backend)
    def f(batch: dict[str, object]) -> Value:
        xs, ks = batch["x"], batch["k"]
        return sum((w * x + k).tanh() for row, k in zip(xs, ks, strict=True) for x in row)  # type: ignore[attr-defined]

    def eager(xs: list[list[float]], ks: list[int]) -> float:
        return sum(math.tanh(-0.5 * x + k) for row, k in zip(xs, ks, strict=True) for x in row)

    first = np.array([[0.1, 0.2], [0.3, 0.4]])
    assert close(f({"x": first, "k": np.array([1, 2])}).data, eager(first.tolist(), [1, 2]))
    second = np.array([[1.5, -0.2], [0.0, 2.0]])
    assert close(f({"x": second, "k": np.array([1, 2])}).data, eager(second.tolist(), [1, 2]))
    assert f.traces == 1
    f({"x": second, "k": np.array([2, 2])})  # ints are structure: another trace
    assert f.traces == 2


ERROR_CASES = [  # a function, a point where it is fine (traced there), a point where the engine raises
    (lambda x: (x * 1.0).exp(), 1.0, 800.0),
    (lambda x: (x * 1.0) ** 0.5, 4.0, -4.0),
    (lambda x: (x * 1.0) ** -1, 4.0, 0.0),
    (lambda x: (x * 1.0) ** (x * 0.5), 4.0, -3.0),
    (lambda x: 1.0 / (x - 1.0), 4.0, 1.0),
    (lambda x: (x * 1.0).log(), 4.0, 0.0),
]


def _outcome(thunk: Callable[[], object]) -> str:
    try:
        thunk()
    except (ArithmeticError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return "no error"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("fn", "good", "bad"), ERROR_CASES)
def test_forward_errors_are_the_engines_errors(
    backend: str, fn: Callable[[Value], Value], good: float, bad: float
) -> None:
    f = micrograd.compile(fn, backend=backend)
    f(good)
    eager = _outcome(lambda: fn(Value(bad)))
    assert eager != "no error"
    assert _outcome(lambda: f(bad)) == eager


@pytest.mark.parametrize("backend", BACKENDS)
def test_derivatives_at_singular_points_are_the_engines(backend: str) -> None:
    # d/dx x**0.5 at 0 is inf; d/dk x**k for a negative x is nan (as the engine, as PyTorch)
    def fn(x: Value, k: Value) -> Value:
        return (x * 1.0) ** 0.5 + (x - 2.0) ** k

    f = micrograd.compile(fn, backend=backend)
    f(Value(4.0), Value(2.0))
    grads = []
    for function in (f, fn):
        x, k = Value(0.0), Value(2.0)
        function(x, k).backward()
        grads.append((x.grad, k.grad))
    (compiled_x, compiled_k), (eager_x, eager_k) = grads
    assert compiled_x == eager_x == math.inf
    assert math.isnan(compiled_k) and math.isnan(eager_k)


# -- every row's backward is the engine's arithmetic, infinite and nan gradients included -----------

ROWS: list[tuple[str, Callable[[Sequence[Value]], Value]]] = [
    ("abs", lambda v: abs(v[0])),
    ("relu", lambda v: v[0].relu()),
    ("neg", lambda v: -v[0]),
    ("exp", lambda v: v[0].exp()),
    ("log", lambda v: v[0].log()),
    ("tanh", lambda v: v[0].tanh()),
    ("sigmoid", lambda v: v[0].sigmoid()),
    ("**2", lambda v: v[0] ** 2),
    ("**0", lambda v: v[0] ** 0),
    ("**0.5", lambda v: v[0] ** 0.5),
    ("**-1", lambda v: v[0] ** -1),
    ("**-inf", lambda v: v[0] ** -math.inf),
    ("+", lambda v: v[0] + v[1]),
    ("-", lambda v: v[0] - v[1]),
    ("*", lambda v: v[0] * v[1]),
    ("/", lambda v: v[0] / v[1]),
    ("** Value", lambda v: v[0] ** v[1]),
    ("sum", lambda v: v[0] + v[1] - v[0] + v[1]),
    ("linear", lambda v: micrograd.linear(v[:2], v[1:], 0.5)),
    ("layer", lambda v: sum(micrograd.linear(v[:2], [w, v[2]], w) for w in v) * 1.0),
    ("softplus", lambda v: softplus(v[0])),
]
POINTS = [0.0, -0.0, 2.0, -0.5, math.nan, math.inf, -math.inf]
GRADIENTS = [math.inf, -math.inf, math.nan, 1.0, -1.0]


def _values_and_gradients(fn: Callable[..., Value], xs: Sequence[float], g: float) -> list[float] | str:
    """``fn``'s value and its gradients with ``g`` arriving from above, or its error."""
    leaves, gv = [Value(x) for x in xs], Value(g)
    try:
        out = fn(leaves, gv)
    except (ArithmeticError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    out.backward()
    return [out.data, *(v.grad for v in leaves)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "row"), ROWS, ids=[name for name, _ in ROWS])
def test_every_row_backpropagates_infinite_and_nan_gradients_as_the_engine(
    backend: str, name: str, row: Callable[[Sequence[Value]], Value]
) -> None:
    def fn(v: Sequence[Value], g: Value) -> Value:
        return row(v) * g  # the row's node gets g from above

    compiled = micrograd.compile(fn, backend=backend)
    compiled([Value(1.5), Value(0.75), Value(1.25)], Value(1.0))  # traced at a smooth point
    for a in POINTS:
        for b in POINTS:
            for g in GRADIENTS:
                xs = (a, b, 1.25)
                eager = _values_and_gradients(fn, xs, g)
                got = _values_and_gradients(compiled, xs, g)
                if isinstance(eager, str) or isinstance(got, str):
                    assert got == eager, (xs, g)
                    continue
                where = f"{name} at {xs} with g = {g}: {got} != {eager}"
                assert [math.isnan(x) for x in got] == [math.isnan(x) for x in eager], where
                assert_all_close(
                    [0.0 if math.isnan(x) else x for x in got], [0.0 if math.isnan(x) else x for x in eager]
                )
    assert compiled.traces == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_folded_sum_keeps_the_engines_signs_of_zero(backend: str) -> None:
    # a chain of + and - is one step; it starts from its first term, as the engine does, not from +0.0
    def chains(x: Value, y: Value, z: Value) -> list[Value]:
        # the last one is long enough for numpy to add it pairwise: a zero's sign must not depend on that
        return [x + x + x, x - y + z, x + y - z - x, (x * 1.0 + y) + z, sum([y, z, x, y] * 9, x)]

    compiled = micrograd.compile(chains, backend=backend)
    compiled(Value(1.0), Value(2.0), Value(3.0))
    for point in [(a, b, c) for a in (0.0, -0.0) for b in (0.0, -0.0) for c in (0.0, -0.0)]:
        got = [v.data for v in compiled(*map(Value, point))]
        expected = [v.data for v in chains(*map(Value, point))]
        assert [math.copysign(1.0, v) for v in got] == [math.copysign(1.0, v) for v in expected], point
        assert got == expected
    assert compiled.traces == 1


def test_a_narrow_layer_replayed_in_python_gives_the_engines_bits() -> None:
    # the engine's linear is sum(map(mul, ...)) + b, and from CPython 3.12 sum() compensates its
    # rounding errors: 1e16 + 1.0 - 1e16 is 1.0 there, 0.0 left to right.  A layer of few inputs
    # replayed column by column (left to right) would differ there; the replay keeps sum()'s bits.
    w = [[Value(1.0), Value(1.0), Value(1.0)], [Value(-1.0), Value(1.0), Value(1.0)]]
    b = [Value(0.0), Value(0.5)]

    def layer(batch: list[list[float]]) -> list[Value]:
        return [micrograd.linear(x, w[u], b[u]) for x in batch for u in range(2)]

    compiled = micrograd.compile(layer, backend="python")
    batch = [[1e16, 1.0, -1e16], [1.0, 1e-16, 1.0], [-1e16, 3.0, 1e16]]
    for _ in range(2):
        assert [v.data for v in compiled(batch)] == [v.data for v in layer(batch)]
    assert compiled.traces == 1


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("op", "operation", "what"), [(lambda x: x.relu(), "ReLU", "(<=)"), (lambda x: abs(x), "abs", "(>)")]
)
def test_a_derivative_that_branches_on_the_data_is_refused_with_what_happened(
    backend: str, op: Callable[[Value], Value], operation: str, what: str
) -> None:
    # grad(..., create_graph=True) inside a compiled function records relu's derivative, which
    # compares its operand: the replay could not follow that branch, and the message says so
    def f(x: Value) -> Value:
        (d,) = grad(op(x * 2.0), [x], create_graph=True)
        return d * x

    assert f(Value(1.5)).data == 3.0  # eagerly, the same code runs
    with pytest.raises(TracingError) as error:
        micrograd.compile(f, backend=backend)(Value(1.5))
    message = str(error.value)
    assert f"the derivative of {operation} makes a comparison {what} of its operand's data" in message
    assert f"grad(..., create_graph=True) inside {f.__qualname__}()" in message
    assert f"{__file__}, line {f.__code__.co_firstlineno + 1}" in message  # the line that called grad()
    assert "take this derivative outside the compiled function" in message.lower()
    assert "rules.py" not in message


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
def test_a_copy_of_a_compiled_function_traces_again_and_gives_the_same_results(
    backend: str, how: Callable[[object], object]
) -> None:
    w = Value(0.5)
    f = micrograd.compile(lambda x: (w * x).tanh(), backend=backend)
    y = f(Value(2.0))
    g = how(f)
    assert isinstance(g, type(f)) and g.backend == backend and g.traces == 0 and g.fn is f.fn
    z = g(Value(2.0))
    assert z.data == y.data and g.traces == 1
    z.backward()
    assert close(w.grad, 2.0 * (1 - y.data**2))  # the copy captured the same w: a function copies as itself


def _result_of(function: Callable[..., Value], leaves: Sequence[float]) -> tuple[str, object]:
    try:
        return "value", function(*[Value(x) for x in leaves]).data
    except Exception as error:  # the type and the message are what must agree
        return type(error).__name__, str(error)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    program=programs(max_ops=10),
    kept=st.integers(0, 20),
    points=st.lists(st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=3), min_size=3, max_size=3),
)
def test_a_compiled_call_raises_where_the_plain_call_raises_even_in_steps_it_drops(
    backend: str, program: Program, kept: int, points: list[list[float]]
) -> None:
    def f(*leaves: Value) -> Value:
        nodes = run(program, leaves, MICROGRAD)
        return nodes[min(kept, len(nodes) - 1)] * 1.0  # the others are computed and dropped

    compiled = micrograd.compile(f, backend=backend)
    for leaves in [list(program.point)] + [point[: program.n_leaves] for point in points]:
        expected = _result_of(f, leaves)
        actual = _result_of(compiled, leaves)
        if expected[0] == "value" and actual[0] == "value":  # numpy's functions agree to rounding
            assert close(actual[1], expected[1], 1.0) or (math.isnan(actual[1]) and math.isnan(expected[1]))  # type: ignore[arg-type]
        else:
            assert actual == expected


def test_a_dropped_log_of_a_negative_number_raises_as_in_the_plain_call() -> None:
    def f(x: Value) -> Value:
        x.log()
        return x * 2

    for backend in BACKENDS:
        compiled = micrograd.compile(f, backend=backend)
        assert compiled(Value(2.0)).data == 4.0
        with pytest.raises(ValueError, match=r"^log: operand must be positive, got -1\.0$"):
            compiled(Value(-1.0))


def test_a_dropped_step_reading_a_partial_sum_folded_into_the_output_raises_as_in_the_plain_call() -> None:
    # s = x*x + 1 is folded into the output's sum (x*x + 1 - 2), so the table has no place for it;
    # the dropped division reads it, and must still raise at x = 1 where its divisor is 0
    def f(x: Value) -> Value:
        s = x * x + 1.0
        out = s - 2.0
        (x + s) / out  # dropped
        return out * 1.0

    for backend in BACKENDS:
        compiled = micrograd.compile(f, backend=backend)
        assert compiled(Value(0.0)).data == -1.0
        with pytest.raises(ZeroDivisionError, match=r"^division: cannot divide 3\.0 by zero$"):
            f(Value(1.0))
        with pytest.raises(ZeroDivisionError, match=r"^division: cannot divide 3\.0 by zero$"):
            compiled(Value(1.0))
        assert compiled(Value(2.0)).data == 3.0


def test_every_built_in_operation_has_a_row_in_every_replay_or_an_explicit_engine_fallback() -> None:
    from micrograd.autograd import OPERATIONS
    from micrograd.compiler import numpy_rows, replay_python
    from micrograd.compiler.plan import SUM

    built_in = set(OPERATIONS)
    assert all(isinstance(rule, micrograd.Operation) for rule in built_in)  # keyed by the object, not a symbol
    backends = {
        "numpy": (set(numpy_rows.RULES) | numpy_rows.GROUPS, numpy_rows.ENGINE_FALLBACK),
        "python": (
            set(replay_python.COLUMNS) | (set(replay_python.RULES) - {SUM}) | replay_python.GROUPS,
            replay_python.ENGINE_FALLBACK,
        ),
    }
    for name, (rows, fallback) in backends.items():
        assert rows | fallback == built_in, name
        assert not rows & fallback, name


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_operation_you_define_compiles_with_no_other_registration(backend: str) -> None:
    cube = micrograd.Operation("cube", lambda x: x**3, lambda g, x, out: g * 3 * x * x)
    mix = micrograd.Operation("mix", lambda a, b: a * math.exp(b), lambda g, a, b, out: (g * out / a, g * out), arity=2)
    w = Value(0.5)

    def f(x: Value) -> Value:
        return mix(cube(x * w), x)

    compiled = micrograd.compile(f, backend=backend)
    for x in (1.5, -0.25, 2.0):
        plain, replayed = f(Value(x)), compiled(Value(x))
        assert close(replayed.data, plain.data)
        assert close(grad(replayed, w).data, grad(plain, w).data)
    assert compiled.traces == 1
