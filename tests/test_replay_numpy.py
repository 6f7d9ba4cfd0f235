"""micrograd.compiler.replay_numpy's set-up: the buckets and groups a plan is laid out in.

The set-up groups the steps in one light loop and renames and orders their operands with numpy
(``np.fromiter``, ``np.lexsort``).  These tests hold it to the plain Python it stands for: buckets by
level and kind, in the order of their first step, and the steps of an elementwise group sorted by
their operands' tuples, on random graphs, on MLP traces (blocks, a long L2 sum) and on linear steps.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import micrograd
from micrograd import MLP, Value
from micrograd.autograd import DENSE, LINEAR
from micrograd.compiler import replay_numpy
from micrograd.compiler.plan import Plan
from micrograd.compiler.tracing import trace
from strategies import MICROGRAD, Program, output_function, programs

pytest.importorskip("numpy")


def _buckets_one_by_one(plan: Plan) -> list[tuple[tuple[int, Any, Any], list[int]]]:
    """The buckets as a loop over the steps makes them, one dictionary key per step."""
    level = plan.levels()
    buckets: dict[tuple[int, Any, Any], list[int]] = defaultdict(list)
    for position in plan.positions():
        step = plan.steps[position]
        depth = level[plan.leaves + position]
        if step.rule is DENSE:
            buckets[(depth, DENSE, (id(step.constants[0]), step.constants[1]))].append(position)
        else:
            buckets[(depth, step.rule, len(step.operands) // 2 if step.rule is LINEAR else 0)].append(position)
    return sorted(buckets.items(), key=lambda item: item[0][0])


def _entries(index: Any) -> list[int]:
    return list(range(index.start, index.stop)) if isinstance(index, slice) else index.tolist()  # type: ignore[no-any-return]


def _check_layout(plan: Plan) -> None:
    assert replay_numpy._buckets(plan) == _buckets_one_by_one(plan)
    replay = replay_numpy.NumpyReplay(plan, set(range(plan.slots, plan.leaves)))
    for group in replay.groups:
        if isinstance(group, replay_numpy._Elementwise):
            rows = list(zip(*map(_entries, group.gathers), strict=True))
            assert rows == sorted(rows)  # by operands, as sorting their tuples orders them
            assert len(rows) == group.out.stop - group.out.start


def _traced(fn: Callable[..., Value], numbers: Sequence[float], shape: Callable[[Sequence[Value]], Any]) -> Plan:
    return trace(fn, list(numbers), lambda leaves: fn(*shape(leaves)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(max_ops=12))
def test_random_graphs_are_laid_out_as_one_step_at_a_time_would(program: Program) -> None:
    f = output_function(program, MICROGRAD)
    _check_layout(_traced(f, program.point, tuple))


@pytest.mark.parametrize("width", [3, 16, 40])
def test_mlp_traces_with_blocks_and_a_long_sum_are_laid_out_as_one_step_at_a_time_would(width: int) -> None:
    model = MLP(2, [width, width, 1], rng=random.Random(width))
    parameters = model.parameters()

    def loss(X: Sequence[Sequence[Value]], y: Sequence[Value]) -> Value:
        scores = [model(x) for x in X]
        hinge = sum(((1 + -t * s).relu() for t, s in zip(y, scores, strict=True)), Value(0.0))
        return hinge * (1.0 / len(X)) + 1e-4 * sum((p * p for p in parameters), Value(0.0))

    points = [0.1 * k - 0.7 for k in range(3 * 12)]
    _check_layout(_traced(loss, points, lambda v: ([v[2 * i : 2 * i + 2] for i in range(12)], v[24:])))


def test_linear_steps_are_laid_out_as_one_step_at_a_time_would() -> None:
    rng = random.Random(5)
    weights = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]
    biases = [Value(0.1 * u) for u in range(4)]

    def f(*xs: Value) -> Value:
        rows = [xs[3 * r : 3 * r + 3] for r in range(len(xs) // 3)]
        hidden = [
            [micrograd.linear(x, w, b * (r + 1)).tanh() for w, b in zip(weights, biases, strict=True)]
            for r, x in enumerate(rows)
        ]
        return sum((h[0] * h[1] - h[2].exp() / 7 + micrograd.linear(h, [0.5] * 4, 0.25) for h in hidden), Value(0.0))

    _check_layout(_traced(f, [0.1 * k for k in range(15)], tuple))
