"""micrograd.compiler.plan: the plan of a traced function, and the levels its replays group steps by."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd
from micrograd import Value
from micrograd.compiler.plan import SUM, Plan
from micrograd.compiler.tracing import trace


def _plan(rows: int, width: int, units: int, shared: bool) -> Plan:
    # layers wide enough for the shortcut of Plan.levels (inputs shared by a row, weights that are leaves),
    # a second layer whose "weights" are computed values, and inputs shared by every row or not
    w = [[Value(0.1 * (u + j)) for j in range(width)] for u in range(units)]

    def f(batch: Sequence[Sequence[Value]]) -> Value:
        first = [[micrograd.linear(x, w[u], 0.5).tanh() for u in range(units)] for x in batch]
        tops = [micrograd.linear(h * width, [v * 2.0 for v in batch[0]] * units, 0.0) for h in first]
        return sum(tops, Value(0.0))

    flat = [0.1 * (r + j) for r in range(rows) for j in range(width)]

    def call(arguments: Sequence[Value]) -> Value:
        batch = [arguments[:width]] * rows if shared else [arguments[r * width : (r + 1) * width] for r in range(rows)]
        return f(batch)

    return trace(f, flat, call)


@settings(max_examples=50, deadline=None)
@given(rows=st.integers(1, 3), width=st.integers(1, 12), units=st.integers(1, 3), shared=st.booleans())
def test_plan_levels_are_one_more_than_the_operands_highest(rows: int, width: int, units: int, shared: bool) -> None:
    plan = _plan(rows, width, units, shared)
    levels = plan.levels()
    assert len(levels) == plan.size == plan.leaves + len(plan.steps)
    assert levels[: plan.leaves] == [0] * plan.leaves
    for k, step in enumerate(plan.steps):
        assert levels[plan.leaves + k] == 1 + max((levels[j] for j in step.operands), default=0)
        assert all(j < plan.leaves + k for j in step.operands)  # every operand comes first


def test_a_chain_of_sums_is_one_step_with_its_signs() -> None:
    def f(xs: Sequence[Value]) -> Value:
        return xs[0] + xs[1] - xs[2] + xs[3]

    plan = trace(f, [1.0, 2.0, 3.0, 4.0], f)
    assert [step.rule for step in plan.steps] == [SUM]
    (step,) = plan.steps
    assert step.operands == (0, 1, 2, 3) and step.constants == (1.0, 1.0, -1.0, 1.0)
    assert plan.outputs == [plan.leaves] and plan.slots == 4
