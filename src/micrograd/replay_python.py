"""Replaying a traced plan with plain Python floats: no Values, no graph, no numpy.

The plan's steps become a list of instructions, each a forward function, its
backward function and the table entries it reads.  The forward pass appends one
float per step to the table; the backward pass walks the steps in reverse and
adds each step's contributions to its operands' gradients, which is what
``Value.backward()`` does, without making or visiting a single Value.

Each row below is one operation: its forward and its backward, side by side,
written with the same arithmetic as the engine's rule table so a replay gives
the engine's numbers.  An operation without a row (``**``, or one you defined)
is computed by the engine itself, through ``Operation.evaluate`` and
``Operation.derivatives``.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from operator import mul
from typing import Any

from micrograd.engine import ABS, ADD, DIV, EXP, LINEAR, LOG, MUL, NEG, RELU, SIGMOID, SUB, TANH, Operation
from micrograd.tracing import SUM, Plan

__all__ = ["PythonReplay"]

Table = list[float]
Forward = Callable[[Table, tuple[int, ...], Any], float]
Backward = Callable[[Table, Table, tuple[int, ...], int, Any], None]


# -- forward functions that need the engine's error messages -----------------------------


def _divide(v: Table, i: tuple[int, ...], k: Any) -> float:
    a, b = v[i[0]], v[i[1]]
    return a / b if b != 0 else DIV.evaluate((a, b))


def _exp(v: Table, i: tuple[int, ...], k: Any) -> float:
    x = v[i[0]]
    try:
        return math.exp(x)
    except OverflowError:
        return EXP.evaluate((x,))  # raises the engine's error, naming exp


def _log(v: Table, i: tuple[int, ...], k: Any) -> float:
    x = v[i[0]]
    return math.log(x) if x > 0 else LOG.evaluate((x,))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _linear(v: Table, i: tuple[int, ...], n: int) -> float:
    get = v.__getitem__
    return sum(map(mul, map(get, i[:n]), map(get, i[n : 2 * n]))) + v[i[-1]]


def _signed_sum(v: Table, i: tuple[int, ...], signs: tuple[float, ...]) -> float:
    total = 0.0
    for j, s in zip(i, signs):  # noqa: B905 - built together
        total += v[j] if s > 0 else -v[j]
    return total


# -- backward functions: add g * d(out)/d(operand) to each operand's gradient ---------------


def _add_back(v: Table, gr: Table, i: tuple[int, ...], o: int, k: Any) -> None:
    g = gr[o]
    gr[i[0]] += g
    gr[i[1]] += g


def _sub_back(v: Table, gr: Table, i: tuple[int, ...], o: int, k: Any) -> None:
    g = gr[o]
    gr[i[0]] += g
    gr[i[1]] += -g


def _mul_back(v: Table, gr: Table, i: tuple[int, ...], o: int, k: Any) -> None:
    g = gr[o]
    a, b = i
    ga, gb = g * v[b], g * v[a]
    gr[a] += ga
    gr[b] += gb


def _div_back(v: Table, gr: Table, i: tuple[int, ...], o: int, k: Any) -> None:
    g = gr[o]
    a, b = i
    ga, gb = g / v[b], -g * v[o] / v[b]
    gr[a] += ga
    gr[b] += gb


def _unary_back(local: Callable[[float, float, float], float]) -> Backward:
    def back(v: Table, gr: Table, i: tuple[int, ...], o: int, k: Any) -> None:
        gr[i[0]] += local(gr[o], v[i[0]], v[o])

    return back


def _linear_back(v: Table, gr: Table, i: tuple[int, ...], o: int, n: int) -> None:
    g = gr[o]
    xs, ws = i[:n], i[n : 2 * n]
    for j, c in zip(xs + ws, [g * v[w] for w in ws] + [g * v[x] for x in xs]):  # noqa: B905 - same length
        gr[j] += c
    gr[i[-1]] += g


def _signed_sum_back(v: Table, gr: Table, i: tuple[int, ...], o: int, signs: tuple[float, ...]) -> None:
    g = gr[o]
    for j, s in zip(i, signs):  # noqa: B905 - built together
        gr[j] += g if s > 0 else -g


def _abs_local(g: float, x: float, out: float) -> float:
    return g if x > 0 else (-g if x < 0 else 0.0)


# one row per operation: forward, backward
RULES: dict[Any, tuple[Forward, Backward]] = {
    ADD: (lambda v, i, k: v[i[0]] + v[i[1]], _add_back),
    SUB: (lambda v, i, k: v[i[0]] - v[i[1]], _sub_back),
    MUL: (lambda v, i, k: v[i[0]] * v[i[1]], _mul_back),
    DIV: (_divide, _div_back),
    NEG: (lambda v, i, k: -v[i[0]], _unary_back(lambda g, x, out: -g)),
    ABS: (lambda v, i, k: abs(v[i[0]]), _unary_back(_abs_local)),
    EXP: (_exp, _unary_back(lambda g, x, out: g * out)),
    LOG: (_log, _unary_back(lambda g, x, out: g / x)),
    TANH: (lambda v, i, k: math.tanh(v[i[0]]), _unary_back(lambda g, x, out: g * (1 - out * out))),
    SIGMOID: (lambda v, i, k: _sigmoid(v[i[0]]), _unary_back(lambda g, x, out: g * out * (1 - out))),
    RELU: (lambda v, i, k: v[i[0]] if v[i[0]] > 0 else 0.0, _unary_back(lambda g, x, out: g if x > 0 else 0.0)),
    LINEAR: (_linear, _linear_back),
    SUM: (_signed_sum, _signed_sum_back),
}


_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend  # runs an iterator for its effects


def _engine_forward(rule: Operation) -> Forward:
    def forward(v: Table, i: tuple[int, ...], constants: Any) -> float:
        return float(rule.evaluate([v[j] for j in i], constants))

    return forward


def _engine_backward(rule: Operation) -> Backward:
    def backward(v: Table, gr: Table, i: tuple[int, ...], o: int, constants: Any) -> None:
        g = gr[o]
        local = rule.derivatives([v[j] for j in i], v[o], constants)
        for j, d in zip(i, local, strict=True):
            gr[j] += g * d

    return backward


class _Steps:
    """Steps computed one at a time, each writing its own table entry."""

    def __init__(
        self, plan: Plan, positions: list[int], engine_rules: dict[Operation, tuple[Forward, Backward]]
    ) -> None:
        self.forward_steps: list[tuple[Forward, tuple[int, ...], int, Any]] = []
        self.backward_steps: list[tuple[Backward, tuple[int, ...], int, Any]] = []
        for position in positions:
            step = plan.steps[position]
            rule = RULES.get(step.rule)
            if rule is None:
                assert isinstance(step.rule, Operation)
                rule = engine_rules.get(step.rule)
                if rule is None:
                    rule = engine_rules[step.rule] = (_engine_forward(step.rule), _engine_backward(step.rule))
            constants = len(step.operands) // 2 if step.rule is LINEAR else step.constants
            self.forward_steps.append((rule[0], step.operands, plan.leaves + position, constants))
            self.backward_steps.append((rule[1], step.operands, plan.leaves + position, constants))
        self.backward_steps.reverse()

    def forward(self, v: Table) -> None:
        for forward, operands, out, constants in self.forward_steps:
            v[out] = forward(v, operands, constants)

    def backward(self, v: Table, gr: Table) -> None:
        for backward, operands, out, constants in self.backward_steps:
            backward(v, gr, operands, out, constants)


class _Layer:
    """``linear`` steps that are every pair of some input rows and some weight rows.

    Forward computes each step as the engine does; backward sums each gradient in
    one ``sum(map(mul, ...))`` over the rows (or the units) instead of adding the
    contributions one at a time.
    """

    def __init__(
        self, x_rows: list[tuple[int, ...]], w_rows: list[tuple[int, ...]], cells: list[list[tuple[int, int]]]
    ) -> None:
        self.x_rows, self.w_rows = x_rows, w_rows
        self.outs = [[out for out, _ in row] for row in cells]
        self.biases = [[bias for _, bias in row] for row in cells]

    def forward(self, v: Table) -> None:
        value = v.__getitem__
        weights = [list(map(value, w)) for w in self.w_rows]
        for x, outs, biases in zip(self.x_rows, self.outs, self.biases):  # noqa: B905 - built together
            inputs = list(map(value, x))
            for w, out, b in zip(weights, outs, biases):  # noqa: B905 - built together
                v[out] = sum(map(mul, inputs, w)) + v[b]

    def backward(self, v: Table, gr: Table) -> None:
        value, gradient = v.__getitem__, gr.__getitem__
        g_rows = [list(map(gradient, outs)) for outs in self.outs]
        w_columns = list(zip(*[map(value, w) for w in self.w_rows], strict=True))
        x_columns = list(zip(*[map(value, x) for x in self.x_rows], strict=True))
        for inputs, g_row in zip(self.x_rows, g_rows):  # noqa: B905 - built together
            for j, w_column in zip(inputs, w_columns):  # noqa: B905 - one column per input
                gr[j] += sum(map(mul, g_row, w_column))
        for weights, g_column in zip(self.w_rows, zip(*g_rows)):  # noqa: B905 - one column per unit
            for j, x_column in zip(weights, x_columns):  # noqa: B905 - one column per input
                gr[j] += sum(map(mul, g_column, x_column))
        for biases, g_row in zip(self.biases, g_rows):  # noqa: B905 - built together
            for b, gb in zip(biases, g_row):  # noqa: B905 - built together
                gr[b] += gb


def _as_layer(plan: Plan, positions: list[int]) -> _Layer | None:
    """These ``linear`` steps (of one width) as a layer, or None if they are not a full grid."""
    rows: dict[tuple[int, ...], int] = {}
    units: dict[tuple[int, ...], int] = {}
    cells: dict[tuple[int, int], tuple[int, int]] = {}
    for position in positions:
        operands = plan.steps[position].operands
        n = len(operands) // 2
        r = rows.setdefault(operands[:n], len(rows))
        u = units.setdefault(operands[n : 2 * n], len(units))
        cells[(r, u)] = (plan.leaves + position, operands[-1])
    if len(cells) != len(positions) or len(rows) * len(units) != len(positions) or len(positions) < 2:
        return None
    grid = [[cells[(r, u)] for u in range(len(units))] for r in range(len(rows))]
    return _Layer(list(rows), list(units), grid)


class PythonReplay:
    """A plan made ready to replay with floats, level by level (see replay_numpy for levels)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        level = [0] * plan.size
        linear: dict[tuple[int, int], list[int]] = defaultdict(list)  # (level, width) -> positions
        by_level: dict[int, list[int]] = defaultdict(list)
        for position, step in enumerate(plan.steps):
            depth = 1 + max(map(level.__getitem__, step.operands), default=0)
            level[plan.leaves + position] = depth
            if step.rule is LINEAR and len(step.operands) > 1:
                linear[(depth, len(step.operands))].append(position)
            else:
                by_level[depth].append(position)
        layers: dict[int, list[_Layer]] = defaultdict(list)
        for (depth, _), positions in linear.items():
            layer = _as_layer(plan, positions)
            if layer is None:
                by_level[depth].extend(positions)
            else:
                layers[depth].append(layer)
        engine_rules: dict[Operation, tuple[Forward, Backward]] = {}
        self.template = [0.0] * plan.size  # the table before a call: the constants in place
        for k, c in zip(plan.constants_at, plan.constants, strict=True):
            self.template[k] = c
        self.segments: list[_Steps | _Layer] = []
        for depth in sorted(set(by_level) | set(layers)):
            self.segments.extend(layers[depth])
            if by_level[depth]:
                self.segments.append(_Steps(plan, sorted(by_level[depth]), engine_rules))

    def forward(self, arguments: Sequence[float], captured: Sequence[float]) -> Table:
        """The whole table: the leaves (the arguments, then the captured leaves' data), then every step's value."""
        v = self.template.copy()
        v[: len(arguments)] = arguments
        _consume(map(v.__setitem__, self.plan.captured_at, captured))
        for segment in self.segments:
            segment.forward(v)
        return v

    def outputs(self, table: Table) -> list[float]:
        return [table[k] for k in self.plan.outputs]

    def backward(self, table: Table, seeds: Sequence[float]) -> Table:
        """The gradient of ``sum(seed * output)`` with respect to every table entry."""
        gr = [0.0] * len(table)
        for k, seed in zip(self.plan.outputs, seeds, strict=True):
            gr[k] += seed
        for segment in reversed(self.segments):
            segment.backward(table, gr)
        return gr
