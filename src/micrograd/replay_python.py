"""Replaying a traced plan with plain Python floats: no Values, no graph, no numpy.

The table is a list of floats.  Steps are computed level by level (a step's level
is one more than its operands' highest; see replay_numpy), and inside a level:

* a layer on a batch (``linear`` steps that are every input row with every weight
  row): one list comprehension per input row, each step computed as the engine
  does (``sum(map(mul, inputs, weights)) + bias``), and backward one
  ``sum(map(mul, ...))`` per gradient entry;
* the steps of one elementwise operation (``relu`` of a whole layer, say): one
  pass over the whole column, forward and backward (the rows of ``COLUMNS``: each
  operation's forward and its local vjp on lists, side by side, with the engine's
  arithmetic);
* everything else one step at a time: folded sums and other ``linear`` steps
  (``RULES``), and operations without a row (``**``, or one you defined), which
  the engine computes through ``Operation.evaluate`` and ``Operation.derivatives``.

The replay lays the table out for this: each group's results get consecutive
entries, a layer's row by row and an elementwise group's in the order of its
operands, so the next group reads and writes whole slices (``v[a:b]``) in C
instead of one entry at a time.  The leaves keep their entries.

Backward walks the same pieces in reverse, adding each step's contributions to
its operands' gradients: what ``Value.backward()`` does, without a single Value.
It skips the gradients nobody asked for (of the data points, of constants).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import chain
from operator import add, mul, neg, sub, truediv
from typing import Any

from micrograd.engine import ABS, ADD, DIV, EXP, LINEAR, LOG, MUL, NEG, RELU, SIGMOID, SUB, TANH, Operation
from micrograd.tracing import SUM, Plan

__all__ = ["PythonReplay"]

Table = list[float]
At = slice | tuple[int, ...]  # where some entries are: a slice when they are consecutive
Forward = Callable[[Table, tuple[int, ...], Any], float]
Backward = Callable[[Table, Table, tuple[int, ...], int, Any], None]


def _at(entries: Sequence[int]) -> At:
    """A slice for consecutive entries (read and written in C), else the entries."""
    entries = tuple(entries)
    if entries and entries == tuple(range(entries[0], entries[0] + len(entries))):
        return slice(entries[0], entries[0] + len(entries))
    return entries


def _read(v: Table, at: At) -> list[float]:
    return v[at] if type(at) is slice else list(map(v.__getitem__, at))  # type: ignore[index]


def _add_to(gr: Table, at: At, added: Sequence[float]) -> None:
    """``gr[j] += c`` for each entry j and contribution c (an entry may come twice)."""
    if type(at) is slice:
        gr[at] = list(map(add, gr[at], added))
    else:
        for j, c in zip(at, added):  # type: ignore[arg-type]  # noqa: B905 - built together
            gr[j] += c


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
    total = 0.0
    for j, s in zip(i, signs):  # noqa: B905 - built together
        total += v[j] if s > 0 else -v[j]
    return total


def _signed_sum_back(v: Table, gr: Table, i: tuple[int, ...], o: int, signs: tuple[float, ...]) -> None:
    g = gr[o]
    for j, s in zip(i, signs):  # noqa: B905 - built together
        gr[j] += g if s > 0 else -g


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
        g = gr[o]
        local = rule.derivatives([v[j] for j in i], v[o], constants)
        for j, d in zip(i, local, strict=True):
            gr[j] += g * d

    return backward


class _Steps:
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


# -- a layer on a batch ------------------------------------------------------------------------


class _Layer:
    """``linear`` steps that are every pair of some input rows and some weight rows.

    The results are the consecutive entries ``outs``, row by row, one per weight row
    (unit) in a row.  The biases are one per unit (``unit_biases``) or, in general,
    one per step.  When the input rows are consecutive too (``x_block``), an input's
    column is one strided slice, and a layer with few inputs is computed column by
    column: a list comprehension per unit and input instead of a ``sum`` per step,
    adding in the same order as the engine (``0 + x0*w0 + x1*w1 + ... + b``).
    Backward skips the rows whose gradients are all zero (a hinge loss's satisfied
    margins): their contributions are zeros, unless a weight or input is infinite.
    """

    def __init__(
        self,
        x_rows: list[At],
        w_rows: list[At],
        bias_rows: list[At],
        outs: slice,
        wanted: tuple[bool, bool],
    ) -> None:
        self.x_rows, self.w_rows, self.bias_rows, self.outs = x_rows, w_rows, bias_rows, outs
        self.units = len(w_rows)
        self.unit_biases = bias_rows[0] if all(b == bias_rows[0] for b in bias_rows) else None
        self.inputs_wanted, self.weights_wanted = wanted
        self.width = n = len(_entries(x_rows[0]))
        first = x_rows[0]
        block = slice(first.start, first.start + n * len(x_rows)) if type(first) is slice else None
        self.x_block = block if block is not None and x_rows == _rows(block, n) else None
        self.by_columns = self.x_block is not None and self.unit_biases is not None and n <= 4

    def _inputs(self, v: Table) -> list[list[float]]:
        if self.x_block is not None:
            block, n = v[self.x_block], self.width
            return [block[k : k + n] for k in range(0, len(block), n)]
        return [_read(v, x) for x in self.x_rows]

    def forward(self, v: Table) -> None:
        weights = [_read(v, w) for w in self.w_rows]
        if self.by_columns:
            block, n = v[self.x_block], self.width  # type: ignore[index]
            columns = [block[j::n] for j in range(n)]
            results = []
            for w, b in zip(weights, _read(v, self.unit_biases), strict=True):  # type: ignore[arg-type]
                total = [0.0 + x * w[0] for x in columns[0]]
                for column, wj in zip(columns[1:], w[1:]):  # noqa: B905 - one weight per input
                    total = [t + x * wj for t, x in zip(total, column)]  # noqa: B905 - one per row
                results.append([t + b for t in total])
            v[self.outs] = list(chain.from_iterable(zip(*results, strict=True)))
            return
        if self.unit_biases is not None:
            units = list(zip(weights, _read(v, self.unit_biases), strict=True))
            rows = [[sum(map(mul, inputs, w)) + b for w, b in units] for inputs in self._inputs(v)]
        else:
            rows = [
                [sum(map(mul, inputs, w)) + b for w, b in zip(weights, _read(v, biases))]  # noqa: B905
                for inputs, biases in zip(self._inputs(v), self.bias_rows)  # noqa: B905
            ]
        v[self.outs] = list(chain.from_iterable(rows))

    def backward(self, v: Table, gr: Table) -> None:
        g, units = gr[self.outs], self.units
        g_rows = _split(g, units)
        live = [r for r, g_row in enumerate(g_rows) if any(g_row)]  # rows with a gradient (a hinge's are often 0)
        if len(live) < len(g_rows) and not self._finite(v):
            live = list(range(len(g_rows)))  # 0 * inf is nan: skip no row then, as the engine skips none
        if not live:
            return
        g_live = [g_rows[r] for r in live]
        if self.weights_wanted:
            if len(live) == len(g_rows) and self.x_block is not None:  # every row: columns are strided slices
                block, n = v[self.x_block], self.width
                g_columns: list[Sequence[float]] = [g[u::units] for u in range(units)]
                x_columns: list[Sequence[float]] = [block[j::n] for j in range(n)]
            else:
                x_rows = self._inputs(v)
                g_columns = list(zip(*g_live, strict=True))  # one per unit: its gradient on every live row
                x_columns = list(zip(*[x_rows[r] for r in live], strict=True))  # one per input
            for w, g_column in zip(self.w_rows, g_columns):  # noqa: B905 - one per unit
                _add_to(gr, w, [sum(map(mul, g_column, x_column)) for x_column in x_columns])
            if self.unit_biases is not None:
                _add_to(gr, self.unit_biases, [sum(g_column) for g_column in g_columns])
            else:
                for r, g_row in zip(live, g_live):  # noqa: B905 - built together
                    _add_to(gr, self.bias_rows[r], g_row)
        if not self.inputs_wanted:
            return
        weights = [_read(v, w) for w in self.w_rows]
        if units == 1:  # one unit: each input's gradient is one product
            rows = [[h * w for w in weights[0]] for (h,) in g_live]
        else:
            w_columns = list(zip(*weights, strict=True))  # one per input: its weight in every unit
            rows = [[sum(map(mul, g_row, w_column)) for w_column in w_columns] for g_row in g_live]
        if self.x_block is not None and len(live) == len(g_rows):
            _add_to(gr, self.x_block, list(chain.from_iterable(rows)))
        else:
            for r, row in zip(live, rows):  # noqa: B905 - one per live row
                _add_to(gr, self.x_rows[r], row)

    def _finite(self, v: Table) -> bool:
        """Whether every weight and input is finite (a sum that overflows only says no: safe)."""
        total = sum(map(sum, [_read(v, w) for w in self.w_rows])) + sum(map(sum, self._inputs(v)))
        return math.isfinite(total)


def _entries(at: At) -> Sequence[int]:
    return range(at.start, at.stop) if type(at) is slice else at  # type: ignore[union-attr, return-value]


def _rows(block: slice, n: int) -> list[At]:
    return [slice(k, k + n) for k in range(block.start, block.stop, n)]


def _split(items: list[float], n: int) -> list[list[float]]:
    return [items[k : k + n] for k in range(0, len(items), n)]


def _grid(plan: Plan, positions: list[int]) -> list[list[int]] | None:
    """These ``linear`` steps (of one width) as rows of a layer, or None if they are not a full grid."""
    rows: dict[tuple[int, ...], int] = {}
    units: dict[tuple[int, ...], int] = {}
    cells: dict[tuple[int, int], int] = {}
    for position in positions:
        operands = plan.steps[position].operands
        n = len(operands) // 2
        r = rows.setdefault(operands[:n], len(rows))
        u = units.setdefault(operands[n : 2 * n], len(units))
        cells[(r, u)] = position
    if len(cells) != len(positions) or len(rows) * len(units) != len(positions) or len(positions) < 2:
        return None
    return [[cells[(r, u)] for u in range(len(units))] for r in range(len(rows))]


# -- steps of one operation at one level, a whole column at a time ------------------------------


L = list[float]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


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


def _div_right(g: float, out: float, b: float) -> float:
    return -g * out / b


def _relu(x: L) -> L:
    return [0.0 if y <= 0 else y for y in x]  # nan stays nan, as the engine's


def _each(function: Callable[..., float]) -> Callable[..., list[float]]:
    """``function`` on every row of its columns."""
    return lambda *columns: list(map(function, *columns))


_exp, _div = _checked(EXP, math.exp), _checked(DIV, truediv)

# operation: (forward on columns, local vjp: (g, *operands, out) -> contributions, a pair for two operands)
COLUMNS: dict[Any, tuple[Callable[..., L], Callable[..., Any]]] = {
    ADD: (_each(add), lambda g, a, b, out: (g, g)),
    SUB: (_each(sub), lambda g, a, b, out: (g, list(map(neg, g)))),
    MUL: (_each(mul), lambda g, a, b, out: (list(map(mul, g, b)), list(map(mul, g, a)))),
    DIV: (
        _each(_div),
        lambda g, a, b, out: (list(map(truediv, g, b)), [-x * o / y for x, o, y in zip(g, out, b, strict=True)]),
    ),
    NEG: (_each(neg), lambda g, x, out: list(map(neg, g))),
    ABS: (_each(abs), lambda g, x, out: [h if y > 0 else (-h if y < 0 else 0.0) for h, y in zip(g, x, strict=True)]),
    EXP: (_each(_exp), lambda g, x, out: list(map(mul, g, out))),
    LOG: (_each(_log_float), lambda g, x, out: list(map(truediv, g, x))),
    TANH: (_each(math.tanh), lambda g, x, out: [h * (1 - o * o) for h, o in zip(g, out, strict=True)]),
    SIGMOID: (_each(_sigmoid), lambda g, x, out: [h * o * (1 - o) for h, o in zip(g, out, strict=True)]),
    RELU: (
        lambda x: [0.0 if y <= 0 else y for y in x],
        lambda g, x, out: [0.0 if y <= 0 else h for h, y in zip(g, x, strict=True)],
    ),
}


class _Map:
    """Steps of one operation (one or two operands) at one level, results in consecutive entries."""

    def __init__(self, rule: Any, columns: list[At], outs: slice, wanted: list[bool]) -> None:
        self.forward_rule, self.local = COLUMNS[rule]
        self.columns = columns  # where each operand's entries are, one column per operand
        self.outs = outs
        self.wanted = wanted  # per column: whether its gradient is needed

    def forward(self, v: Table) -> None:
        v[self.outs] = self.forward_rule(*[_read(v, column) for column in self.columns])

    def backward(self, v: Table, gr: Table) -> None:
        contributions = self.local(gr[self.outs], *[_read(v, column) for column in self.columns], v[self.outs])
        per_column = [contributions] if len(self.columns) == 1 else contributions
        for column, wanted, added in zip(self.columns, self.wanted, per_column, strict=True):
            if wanted:
                _add_to(gr, column, added)


# -- the replay ---------------------------------------------------------------------------------


class PythonReplay:
    """A plan laid out to replay with floats, level by level (see replay_numpy for levels).

    ``differentiable`` are the leaf entries whose gradients ``backward`` must give.
    """

    def __init__(self, plan: Plan, differentiable: set[int]) -> None:
        self.plan = plan
        leaves, steps = plan.leaves, plan.steps
        level = [0] * plan.size
        wanted = [False] * plan.size  # whether an entry's gradient is needed: a differentiable leaf is below it
        for k in differentiable:
            wanted[k] = True
        linear: dict[tuple[int, int], list[int]] = defaultdict(list)  # (level, width) -> positions
        by_level: dict[int, list[int]] = defaultdict(list)
        for position, step in enumerate(steps):
            depth = 1 + max(map(level.__getitem__, step.operands), default=0)
            level[leaves + position] = depth
            wanted[leaves + position] = any(map(wanted.__getitem__, step.operands))
            if step.rule is LINEAR and len(step.operands) > 1:
                linear[(depth, len(step.operands))].append(position)
            else:
                by_level[depth].append(position)
        grids: dict[int, list[list[list[int]]]] = defaultdict(list)
        for (depth, _), positions in linear.items():
            grid = _grid(plan, positions)
            if grid is None:
                by_level[depth].extend(positions)
            else:
                grids[depth].append(grid)
        # lay the steps out group by group: new[k] is the entry of old entry k
        new = list(range(plan.size))
        free = leaves
        self.segments: list[_Steps | _Layer | _Map] = []
        for depth in sorted(set(by_level) | set(grids)):
            for grid in grids[depth]:
                begin = free
                for row in grid:
                    for position in row:
                        new[leaves + position] = free
                        free += 1
                self.segments.append(self._layer(grid, slice(begin, free), new, wanted))
            one_by_one: list[int] = []
            mapped: dict[Any, list[int]] = defaultdict(list)
            for position in sorted(by_level[depth]):
                rule = steps[position].rule
                (mapped[rule] if rule in COLUMNS else one_by_one).append(position)
            for rule, positions in mapped.items():
                positions.sort(key=lambda p: [new[j] for j in steps[p].operands])
                for position in positions:
                    new[leaves + position] = free
                    free += 1
                columns = list(zip(*[[new[j] for j in steps[p].operands] for p in positions], strict=True))
                needs = [any(wanted[steps[p].operands[c]] for p in positions) for c in range(len(columns))]
                self.segments.append(_Map(rule, list(map(_at, columns)), slice(free - len(positions), free), needs))
            for position in one_by_one:
                new[leaves + position] = free
                free += 1
            if one_by_one:
                self.segments.append(self._steps(one_by_one, new, wanted))
        self.outputs_at = [new[k] for k in plan.outputs]
        self.captured_at = _at(plan.captured_at)
        self.template = [0.0] * plan.size  # the table before a call: the constants in place
        for k, c in zip(plan.constants_at, plan.constants, strict=True):
            self.template[k] = c

    def _layer(self, grid: list[list[int]], outs: slice, new: list[int], wanted: list[bool]) -> _Layer:
        steps = self.plan.steps
        n = len(steps[grid[0][0]].operands) // 2
        x_rows = [_at([new[j] for j in steps[row[0]].operands[:n]]) for row in grid]
        w_rows = [_at([new[j] for j in steps[p].operands[n : 2 * n]]) for p in grid[0]]
        bias_rows = [_at([new[steps[p].operands[-1]] for p in row]) for row in grid]
        inputs = any(wanted[j] for row in grid for j in steps[row[0]].operands[:n])
        weights = any(wanted[j] for p in grid[0] for j in steps[p].operands[n : 2 * n])
        biases = any(wanted[steps[p].operands[-1]] for row in grid for p in row)
        return _Layer(x_rows, w_rows, bias_rows, outs, (inputs, weights or biases))

    def _steps(self, positions: list[int], new: list[int], wanted: list[bool]) -> _Steps:
        leaves = self.plan.leaves
        steps = []
        for position in positions:
            step = self.plan.steps[position]
            operands = tuple(new[j] for j in step.operands)
            steps.append((step.rule, operands, new[leaves + position], step.constants, wanted[leaves + position]))
        return _Steps(steps)

    def forward(self, arguments: Sequence[float], captured: Sequence[float]) -> Table:
        """The whole table: the leaves (the arguments, then the captured leaves' data), then every step's value."""
        v = self.template.copy()
        v[: len(arguments)] = arguments
        at = self.captured_at
        if type(at) is slice:
            v[at] = captured
        else:
            for k, x in zip(at, captured):  # type: ignore[arg-type]  # noqa: B905 - built together
                v[k] = x
        for segment in self.segments:
            segment.forward(v)
        return v

    def outputs(self, table: Table) -> list[float]:
        return [table[k] for k in self.outputs_at]

    def backward(self, table: Table, seeds: Sequence[float]) -> Table:
        """The gradient of ``sum(seed * output)`` with respect to every leaf entry the replay was asked for."""
        gr = [0.0] * len(table)
        for k, seed in zip(self.outputs_at, seeds, strict=True):
            gr[k] += seed
        for segment in reversed(self.segments):
            segment.backward(table, gr)
        return gr
