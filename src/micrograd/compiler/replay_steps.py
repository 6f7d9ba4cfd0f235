"""Steps a pure-Python replay computes one at a time (a part of ``micrograd.compiler.replay_python``).

``linear`` steps that are not a layer and folded sums (``RULES``) have their own
forward and backward on the table; every other operation without a column row
(``**``, or one you defined) is computed by the engine, through
``Operation.evaluate`` and its vjp (``plan.contributions``), so its errors and its
numbers are the engine's.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import mul
from typing import Any

from micrograd.autograd import LINEAR, Operation
from micrograd.compiler.plan import SUM, contributions
from micrograd.compiler.replay_layer import Table

__all__ = ["RULES", "Steps"]

Forward = Callable[[Table, tuple[int, ...], Any], float]
Backward = Callable[[Table, Table, tuple[int, ...], int, Any], None]


# -- steps computed one at a time -----------------------------------------------------------


def _linear(v: Table, i: tuple[int, ...], n: int) -> float:
    get = v.__getitem__
    return sum(map(mul, map(get, i[:n]), map(get, i[n : 2 * n]))) + v[i[-1]]


def _linear_back(v: Table, gr: Table, i: tuple[int, ...], o: int, n: int) -> None:
    g = gr[o]
    xs, ws = i[:n], i[n : 2 * n]
    for j, c in zip(xs + ws, [g * v[w] for w in ws] + [g * v[x] for x in xs]):  # noqa: B905 - same length
        gr[j] += c
    gr[i[-1]] += g


def _signed_sum(v: Table, i: tuple[int, ...], signs: tuple[float, ...]) -> float:
    total = v[i[0]]  # the first term's sign is +: starting from it keeps -0.0 + -0.0 == -0.0, as the engine's
    for j, s in zip(i[1:], signs[1:]):  # noqa: B905 - built together
        total += v[j] if s > 0 else -v[j]
    return total


def _signed_sum_back(v: Table, gr: Table, i: tuple[int, ...], o: int, signs: tuple[float, ...]) -> None:
    g = gr[o]
    for j, s in zip(i, signs):  # noqa: B905 - built together
        gr[j] += g if s > 0.0 else -g


def _plus_run(operands: tuple[int, ...], signs: tuple[float, ...]) -> bool:
    """Whether a signed sum adds (after its first term) consecutive entries, every one with sign +."""
    rest = operands[1:]
    return len(rest) > 2 and min(signs) > 0.0 and rest == tuple(range(rest[0], rest[0] + len(rest)))


def _plus_sum(v: Table, i: tuple[int, ...], rest: slice) -> float:
    total = v[i[0]]  # as _signed_sum, left to right, the terms after the first read as one slice
    for x in v[rest]:
        total += x
    return total


def _plus_sum_back(v: Table, gr: Table, i: tuple[int, ...], o: int, rest: slice) -> None:
    g = gr[o]
    gr[i[0]] += g
    gr[rest] = [r + g for r in gr[rest]]


# operation: (forward, backward) of one step
RULES: dict[Any, tuple[Forward, Backward]] = {
    LINEAR: (_linear, _linear_back),
    SUM: (_signed_sum, _signed_sum_back),
}


def _engine_forward(rule: Operation) -> Forward:
    def forward(v: Table, i: tuple[int, ...], constants: Any) -> float:
        return float(rule.evaluate([v[j] for j in i], constants))

    return forward


def _engine_backward(rule: Operation) -> Backward:
    def backward(v: Table, gr: Table, i: tuple[int, ...], o: int, constants: Any) -> None:
        for j, c in zip(i, contributions(rule, gr[o], [v[j] for j in i], v[o], constants), strict=True):
            gr[j] += c

    return backward


class Steps:
    """Steps computed one at a time, each writing its own table entry."""

    def __init__(self, steps: list[tuple[Any, tuple[int, ...], int, Any, bool]]) -> None:
        engine_rules: dict[Operation, tuple[Forward, Backward]] = {}
        self.forward_steps: list[tuple[Forward, tuple[int, ...], int, Any]] = []
        self.backward_steps: list[tuple[Backward, tuple[int, ...], int, Any]] = []
        for rule, operands, out, constants, wanted in steps:
            pair = RULES.get(rule)
            if pair is None:
                pair = engine_rules.get(rule)
                if pair is None:
                    pair = engine_rules[rule] = (_engine_forward(rule), _engine_backward(rule))
            if rule is LINEAR:
                constants = len(operands) // 2
            elif rule is SUM and _plus_run(operands, constants):  # sum(terms): its terms consecutive, all added
                pair, constants = (_plus_sum, _plus_sum_back), slice(operands[1], operands[-1] + 1)
            self.forward_steps.append((pair[0], operands, out, constants))
            if wanted:
                self.backward_steps.append((pair[1], operands, out, constants))
        self.backward_steps.reverse()

    def forward(self, v: Table) -> None:
        for forward, operands, out, constants in self.forward_steps:
            v[out] = forward(v, operands, constants)

    def backward(self, v: Table, gr: Table) -> None:
        for backward, operands, out, constants in self.backward_steps:
            backward(v, gr, operands, out, constants)
