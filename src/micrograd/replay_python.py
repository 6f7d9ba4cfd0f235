"""Replaying a traced plan with plain Python floats: no Values, no graph, no numpy.

The table is a list of floats.  Steps are computed level by level (a step's level
is one more than its operands' highest; see replay_numpy), and inside a level:

* the steps of one elementwise operation (``relu`` of a whole layer, say) with one
  ``map`` over them, forward and backward (the rows of ``MAPPED``: each operation's
  forward on floats and its local vjp, side by side, with the engine's arithmetic);
* a layer on a batch (``linear`` steps that are every input row with every weight
  row) computes each step as the engine does, and each weight's gradient in one
  ``sum(map(mul, ...))`` over the batch;
* everything else one step at a time: folded sums and other ``linear`` steps
  (``RULES``), and operations without a row (``**``, or one you defined), which
  the engine computes through ``Operation.evaluate`` and ``Operation.derivatives``.

Backward walks the same pieces in reverse, adding each step's contributions to
its operands' gradients: what ``Value.backward()`` does, without a single Value.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from operator import add, mul, neg, sub, truediv
from typing import Any

from micrograd.engine import ABS, ADD, DIV, EXP, LINEAR, LOG, MUL, NEG, RELU, SIGMOID, SUB, TANH, Operation
from micrograd.tracing import SUM, Plan

__all__ = ["PythonReplay"]

Table = list[float]
Forward = Callable[[Table, tuple[int, ...], Any], float]
Backward = Callable[[Table, Table, tuple[int, ...], int, Any], None]


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


# steps computed one at a time (the other operations are in MAPPED below): forward, backward
RULES: dict[Any, tuple[Forward, Backward]] = {
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


# -- steps of one operation at one level, computed by map in C instead of one call per step ---

Local = Callable[..., Any]


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _checked(rule: Operation, function: Callable[..., float]) -> Callable[..., float]:
    """``function``, except that its errors are the engine's (computed again by ``rule.evaluate``)."""

    def checked(*xs: float) -> float:
        try:
            return function(*xs)
        except (ArithmeticError, ValueError):
            return rule.evaluate(xs)

    return checked


def _log_float(x: float) -> float:
    return math.log(x) if x > 0 else LOG.evaluate((x,))


# operation: (forward on floats, local vjp: (g, *operands, out) -> a contribution, or a pair for two operands)
MAPPED: dict[Any, tuple[Callable[..., float], Local]] = {
    ADD: (add, lambda g, a, b, out: (g, g)),
    SUB: (sub, lambda g, a, b, out: (g, -g)),
    MUL: (mul, lambda g, a, b, out: (g * b, g * a)),
    DIV: (_checked(DIV, truediv), lambda g, a, b, out: (g / b, -g * out / b)),
    NEG: (neg, lambda g, x, out: -g),
    ABS: (abs, _abs_local),
    EXP: (_checked(EXP, math.exp), lambda g, x, out: g * out),
    LOG: (_log_float, lambda g, x, out: g / x),
    TANH: (math.tanh, lambda g, x, out: g * (1 - out * out)),
    SIGMOID: (_sigmoid, lambda g, x, out: g * out * (1 - out)),
    RELU: (_relu, lambda g, x, out: g if x > 0 else 0.0),
}


class _Map:
    """Steps of one operation (one or two operands) at one level: one ``map`` per pass."""

    def __init__(self, rule: Any, operands: list[tuple[int, ...]], outs: list[int]) -> None:
        self.forward_rule, self.local = MAPPED[rule]
        self.columns = list(zip(*operands, strict=True))  # one tuple of table entries per operand
        self.distinct = [len(set(column)) == len(column) for column in self.columns]
        self.outs = outs

    def forward(self, v: Table) -> None:
        value = v.__getitem__
        results = list(map(self.forward_rule, *[map(value, column) for column in self.columns]))
        _consume(map(v.__setitem__, self.outs, results))

    def backward(self, v: Table, gr: Table) -> None:
        value = v.__getitem__
        inputs = [map(value, column) for column in self.columns]
        contributions = list(map(self.local, map(gr.__getitem__, self.outs), *inputs, map(value, self.outs)))
        per_column = [contributions] if len(self.columns) == 1 else list(zip(*contributions, strict=True))
        for column, distinct, added in zip(self.columns, self.distinct, per_column, strict=True):
            if distinct:
                _consume(map(gr.__setitem__, column, list(map(add, map(gr.__getitem__, column), added))))
            else:
                for j, c in zip(column, added, strict=True):
                    gr[j] += c


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
        self.segments: list[_Steps | _Layer | _Map] = []
        for depth in sorted(set(by_level) | set(layers)):
            self.segments.extend(layers[depth])
            one_by_one: list[int] = []
            mapped: dict[Any, list[int]] = defaultdict(list)
            for position in sorted(by_level[depth]):
                rule = plan.steps[position].rule
                (mapped[rule] if rule in MAPPED else one_by_one).append(position)
            for rule, positions in mapped.items():
                operands = [plan.steps[p].operands for p in positions]
                self.segments.append(_Map(rule, operands, [plan.leaves + p for p in positions]))
            if one_by_one:
                self.segments.append(_Steps(plan, one_by_one, engine_rules))

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
