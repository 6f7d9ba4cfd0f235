"""micrograd.compiler.replay_steps: steps replayed one at a time give the engine's numbers."""

from __future__ import annotations

import math

import micrograd
from micrograd import Value
from micrograd.compiler import replay_steps


def _sums(xs: list[Value]) -> list[Value]:
    # a sum of relu results (consecutive entries of the table, every one added) and one with a minus
    terms = [x.relu() for x in xs]
    return [sum(terms, xs[0]), sum(terms[:-1], xs[1]) - terms[-1]]


def test_a_sum_of_consecutive_terms_keeps_the_engines_bits_and_gradients() -> None:
    compiled = micrograd.compile(_sums, backend="python")
    compiled([Value(1.0), Value(2.0), Value(3.0), Value(4.0)])
    ((_, prepared),) = compiled._cache.values()
    (replay,) = [p.replay for p in prepared.values()]
    kinds = [
        f for segment in replay.segments if isinstance(segment, replay_steps.Steps) for f, *_ in segment.forward_steps
    ]
    assert replay_steps._plus_sum in kinds  # the first sum takes the slice path, the second does not
    points = [[-0.0, -0.0, -0.0, 0.0], [-0.0, 1e16, 1.0, -1e16], [0.5, -2.0, 3.25, 1e-300], [math.inf, 1.0, 2.0, -1.0]]
    for point in points:
        eager_leaves, compiled_leaves = [Value(x) for x in point], [Value(x) for x in point]
        eager, got = _sums(eager_leaves), compiled(compiled_leaves)
        for e, g in zip(eager, got, strict=True):
            assert g.data == e.data or (math.isnan(g.data) and math.isnan(e.data)), point
            assert math.copysign(1.0, g.data) == math.copysign(1.0, e.data), point
        (eager[0] + 2.0 * eager[1]).backward()
        (got[0] + 2.0 * got[1]).backward()
        assert [v.grad for v in compiled_leaves] == [v.grad for v in eager_leaves], point
