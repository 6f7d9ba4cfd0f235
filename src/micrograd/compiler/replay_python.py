"""Replaying a traced plan with plain Python floats: no Values, no graph, no numpy.

The table is a list of floats.  Steps are computed level by level (a step's level
is one more than its operands' highest; see ``Plan.levels``), and inside a level:

* a layer on a batch (``linear`` steps that are every input row with every
  weight row, or a block, see ``micrograd.compiler.replay_layer``): each step
  computed as the engine does (``sum(map(mul, inputs, weights)) + bias``, or
  for a small layer generated straight-line Python with the same bits, see
  ``micrograd.compiler.layer_source``), and backward one pass; a block's relu
  is done in its layer's backward;
* the steps of one elementwise operation (``relu`` of a whole layer, say): one
  pass over the whole column, forward and backward (the rows of ``COLUMNS``: each
  operation's forward and its local vjp on lists, side by side, with the engine's
  arithmetic);
* everything else one step at a time (``micrograd.compiler.replay_steps``):
  folded sums and other ``linear`` steps (``RULES``), and operations without a
  row (``**``, or one you defined), which the engine computes.

The replay lays the table out for this: each group's results get consecutive
entries, a layer's row by row and an elementwise group's in the order of its
operands, so the next group reads and writes whole slices (``v[a:b]``) in C
instead of one entry at a time.  The leaves keep their entries.

Backward walks the same pieces in reverse, adding each step's contributions to
its operands' gradients: what ``Value.backward()`` does, without a single Value.
It skips the gradients nobody asked for (of the data points, of constants).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from operator import add, mul, neg, sub, truediv
from typing import Any

from micrograd.autograd import (
    ABS,
    ADD,
    DENSE,
    DIV,
    EXP,
    LINEAR,
    LOG,
    MUL,
    NEG,
    PART,
    POW,
    POW_CONST,
    RELU,
    SIGMOID,
    SUB,
    TANH,
    WEIGHTS,
)
from micrograd.compiler.plan import Checks, Plan, block_entries
from micrograd.compiler.replay_layer import CHUNK, At, Layer, Table, add_to, at, layer_grid, read
from micrograd.compiler.replay_steps import RULES, Steps

__all__ = ["COLUMNS", "ENGINE_FALLBACK", "GROUPS", "RULES", "PythonReplay"]

# -- steps of one operation at one level, a whole column at a time ------------------------------


L = list[float]


def _each(function: Callable[..., float]) -> Callable[..., list[float]]:
    """``function`` on every row of its columns."""
    return lambda *columns: list(map(function, *columns))


# operation: (forward on columns, local vjp: (g, *operands, out) -> contributions (a list or a lazy map, added
# chunk by chunk: no list of them all), a pair for two operands)
COLUMNS: dict[Any, tuple[Callable[..., L], Callable[..., Any]]] = {
    ADD: (_each(add), lambda g, a, b, out: (g, g)),
    SUB: (_each(sub), lambda g, a, b, out: (g, map(neg, g))),
    MUL: (_each(mul), lambda g, a, b, out: (map(mul, g, b), map(mul, g, a))),
    DIV: (
        _each(DIV.forward),  # the engine's checked forwards: their errors are the engine's
        lambda g, a, b, out: (map(truediv, g, b), [-x * o / y for x, o, y in zip(g, out, b, strict=True)]),
    ),
    NEG: (_each(neg), lambda g, x, out: map(neg, g)),
    ABS: (
        _each(abs),  # h * 0.0 at 0 (and at nan): nan for an infinite h, as the engine's
        lambda g, x, out: [h * (1.0 if y > 0.0 else (-1.0 if y < 0.0 else 0.0)) for h, y in zip(g, x, strict=True)],
    ),
    EXP: (_each(EXP.forward), lambda g, x, out: map(mul, g, out)),
    LOG: (_each(LOG.forward), lambda g, x, out: map(truediv, g, x)),
    # comparisons and arithmetic with float constants (0.0, 1.0): the same results, and faster than with ints
    TANH: (_each(TANH.forward), lambda g, x, out: [h * (1.0 - o * o) for h, o in zip(g, out, strict=True)]),
    SIGMOID: (_each(SIGMOID.forward), lambda g, x, out: [h * o * (1.0 - o) for h, o in zip(g, out, strict=True)]),
    RELU: (
        lambda x: [0.0 if y <= 0.0 else y for y in x],
        lambda g, x, out: [0.0 if y <= 0.0 else h for h, y in zip(g, x, strict=True)],
    ),
}


# How each built-in operation (autograd.OPERATIONS) is replayed besides the rows above: linear
# steps one at a time (RULES) or as a layer (replay_layer); ** is computed by the engine, step by
# step (Operation.evaluate and its vjp), as every operation you define is.
ENGINE_FALLBACK = frozenset({POW, POW_CONST})
# blocks (a layer on one input), their parts and their layer's weights: a Layer and a _Map (PythonReplay._blocks)
GROUPS = frozenset({DENSE, PART, WEIGHTS})


class _Map:
    """Steps of one operation (one or two operands) at one level, results in consecutive entries."""

    def __init__(self, rule: Any, columns: list[At], outs: slice, wanted: list[bool]) -> None:
        self.rule = rule
        self.forward_rule, self.local = COLUMNS[rule]
        self.columns = columns  # where each operand's entries are, one column per operand
        self.outs = outs
        self.wanted = wanted  # per column: whether its gradient is needed
        self.fused = False  # a relu whose backward its layer does (replay_layer.Layer.relu_outputs)
        first = columns[0]  # x * x (an L2 term's p * p) on one slice: its two contributions in one pass
        self.square = rule is MUL and columns[1] == first and type(first) is slice and wanted[0]
        self.square = self.square and first.stop - first.start <= CHUNK  # type: ignore[union-attr]  # a longer: add_to's chunks

    def forward(self, v: Table) -> None:
        v[self.outs] = self.forward_rule(*[read(v, column) for column in self.columns])

    def backward(self, v: Table, gr: Table) -> None:
        if self.fused:
            return
        if self.square:  # g * x added twice, one after the other, as the engine (and add_to twice) does
            x = self.columns[0]
            gr[x] = [r + h * a + h * a for r, h, a in zip(gr[x], gr[self.outs], v[x])]  # type: ignore[index]  # noqa: B905
            return
        contributions = self.local(gr[self.outs], *[read(v, column) for column in self.columns], v[self.outs])
        per_column = [contributions] if len(self.columns) == 1 else contributions
        for column, wanted, added in zip(self.columns, self.wanted, per_column, strict=True):
            if wanted:
                add_to(gr, column, added)


def _block_wanted(step: Any, wanted: list[bool]) -> bool:
    """Whether a block's entries need gradients: an input, a weight or a bias does."""
    layer = step.constants[0]
    return any(map(wanted.__getitem__, (*step.operands, *layer.weights, *layer.biases)))


def _mark_relu_inputs(segments: list[Steps | Layer | _Map]) -> None:
    """Tell each layer whose input rows are one block of relu results where the relu's operands are."""
    relus = {(m.outs.start, m.outs.stop): m.columns[0] for m in segments if isinstance(m, _Map) and m.rule is RELU}
    for layer in segments:
        if isinstance(layer, Layer) and layer.x_block is not None:
            z = relus.get((layer.x_block.start, layer.x_block.stop))
            if type(z) is slice:
                layer.relu_inputs = z


# -- the replay ---------------------------------------------------------------------------------


class PythonReplay:
    """A plan laid out to replay with floats, level by level (``Plan.levels``).

    ``differentiable`` are the leaf entries whose gradients ``backward`` must give.
    """

    def __init__(self, plan: Plan, differentiable: set[int]) -> None:
        self.plan = plan
        leaves, steps = plan.leaves, plan.steps
        level = plan.levels()
        wanted = [False] * plan.size  # whether an entry's gradient is needed: a differentiable leaf is below it
        for k in differentiable:
            wanted[k] = True
        linear: dict[tuple[int, int], list[int]] = defaultdict(list)  # (level, width) -> positions
        by_level: dict[int, list[int]] = defaultdict(list)
        dense: dict[int, dict[Any, list[int]]] = defaultdict(lambda: defaultdict(list))  # level -> layer -> blocks
        for position in plan.positions():
            step = steps[position]
            depth = level[leaves + position]
            if step.rule is DENSE:
                layer, activation = step.constants
                entries = block_entries(step)
                wanted[leaves + position : leaves + position + entries] = [_block_wanted(step, wanted)] * entries
                dense[depth][(id(layer), activation)].append(position)
                continue
            wanted[leaves + position] = any(map(wanted.__getitem__, step.operands))
            if step.rule is LINEAR and len(step.operands) > 1:
                linear[(depth, len(step.operands))].append(position)
            else:
                by_level[depth].append(position)
        grids: dict[int, list[list[list[int]]]] = defaultdict(list)
        for (depth, _), positions in linear.items():
            rows = layer_grid(plan, positions)
            if rows is None:
                by_level[depth].extend(positions)
            else:
                grids[depth].append(rows)
        # lay the steps out group by group: new[k] is the entry of old entry k
        new = list(range(plan.size))
        free = leaves
        self.segments: list[Steps | Layer | _Map] = []
        for depth in sorted(set(by_level) | set(grids) | set(dense)):
            for positions in dense[depth].values():
                self.segments += self._blocks(positions, free, new, wanted)
                free = self.segments[-1].outs.stop  # type: ignore[union-attr]
            for grid in grids[depth]:
                begin = free
                for row in grid:
                    for position in row:
                        new[leaves + position] = free
                        free += 1
                self.segments.append(self._layer(grid, slice(begin, free), new, wanted))
            free = self._level(by_level[depth], free, new, wanted)
        _mark_relu_inputs(self.segments)
        self.checks = Checks(plan.checks, new) if plan.checks else None
        self.outputs_at = [new[k] for k in plan.outputs]
        self.captured_at = at(plan.captured_at)
        self.template = [0.0] * plan.size  # the table before a call: the constants in place
        for k, c in zip(plan.constants_at, plan.constants, strict=True):
            self.template[k] = c

    def _level(self, positions: list[int], free: int, new: list[int], wanted: list[bool]) -> int:
        """Lay out one level's steps other than layers from entry ``free``: a ``_Map`` per operation with a
        row in ``COLUMNS``, the others one by one; the next free entry."""
        leaves, steps = self.plan.leaves, self.plan.steps
        one_by_one: list[int] = []
        mapped: dict[Any, list[int]] = defaultdict(list)
        for position in sorted(positions):
            rule = steps[position].rule
            (mapped[rule] if rule in COLUMNS else one_by_one).append(position)
        for rule, group in mapped.items():
            group.sort(key=lambda p: [new[j] for j in steps[p].operands])
            for position in group:
                new[leaves + position] = free
                free += 1
            columns = list(zip(*[[new[j] for j in steps[p].operands] for p in group], strict=True))
            needs = [any(wanted[steps[p].operands[c]] for p in group) for c in range(len(columns))]
            self.segments.append(_Map(rule, list(map(at, columns)), slice(free - len(group), free), needs))
        for position in one_by_one:
            new[leaves + position] = free
            free += 1
        if one_by_one:
            self.segments.append(self._steps(one_by_one, new, wanted))
        return free

    def _layer(self, grid: list[list[int]], outs: slice, new: list[int], wanted: list[bool]) -> Layer:
        steps = self.plan.steps
        n = len(steps[grid[0][0]].operands) // 2
        x_rows = [at([new[j] for j in steps[row[0]].operands[:n]]) for row in grid]
        w_rows = [at([new[j] for j in steps[p].operands[n : 2 * n]]) for p in grid[0]]
        bias_rows = [at([new[steps[p].operands[-1]] for p in row]) for row in grid]
        inputs = any(wanted[j] for row in grid for j in steps[row[0]].operands[:n])
        weights = any(wanted[j] for p in grid[0] for j in steps[p].operands[n : 2 * n])
        biases = any(wanted[steps[p].operands[-1]] for row in grid for p in row)
        return Layer(x_rows, w_rows, bias_rows, outs, (inputs, weights or biases))

    def _blocks(self, positions: list[int], free: int, new: list[int], wanted: list[bool]) -> list[Layer | _Map]:
        """The ``DENSE`` steps of one layer and level (``plan.LayerPlan``) from entry ``free``: their
        sums row by row, then their outputs, as a ``Layer`` and a ``_Map`` of the activation."""
        leaves = self.plan.leaves
        steps = [self.plan.steps[p] for p in positions]
        layer, activation = steps[0].constants
        units, n, rows = layer.units, layer.width, len(steps)
        z = slice(free, free + rows * units)
        outs = z if activation is None else slice(z.stop, z.stop + rows * units)
        for r, p in enumerate(positions):
            new[leaves + p : leaves + p + units] = range(z.start + r * units, z.start + (r + 1) * units)
            if activation is not None:
                new[leaves + p + units : leaves + p + 2 * units] = range(
                    outs.start + r * units, outs.start + (r + 1) * units
                )
        x_rows = [at([new[j] for j in step.operands]) for step in steps]
        w_rows = [at([new[j] for j in layer.weights[u * n : (u + 1) * n]]) for u in range(units)]
        biases = at([new[j] for j in layer.biases])
        inputs_wanted = any(wanted[j] for step in steps for j in step.operands)
        weights_wanted = any(map(wanted.__getitem__, layer.weights)) or any(map(wanted.__getitem__, layer.biases))
        segments: list[Layer | _Map] = [Layer(x_rows, w_rows, [biases] * rows, z, (inputs_wanted, weights_wanted))]
        if activation is not None:
            segments.append(_Map(activation, [z], outs, [inputs_wanted or weights_wanted]))
            if activation is RELU:  # the layer does the relu's backward
                segments[0].relu_outputs = outs  # type: ignore[union-attr]
                segments[1].fused = True  # type: ignore[union-attr]
        return segments

    def _steps(self, positions: list[int], new: list[int], wanted: list[bool]) -> Steps:
        leaves = self.plan.leaves
        steps = []
        for position in positions:
            step = self.plan.steps[position]
            operands = tuple(new[j] for j in step.operands)
            steps.append((step.rule, operands, new[leaves + position], step.constants, wanted[leaves + position]))
        return Steps(steps)

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
        self.forward_table(v)
        return v

    def forward_table(self, v: Table) -> None:
        """Every step's value into the table ``v``, whose leaves are in place."""
        for segment in self.segments:
            segment.forward(v)
        if self.checks is not None:
            self.checks.run([v[j] for j in self.checks.read_at])

    def outputs(self, table: Table) -> list[float]:
        return [table[k] for k in self.outputs_at]

    def backward(self, table: Table, seeds: Sequence[float]) -> Table:
        """The gradient of ``sum(seed * output)`` with respect to every leaf entry the replay was asked for."""
        gr = [0.0] * len(table)
        for k, seed in zip(self.outputs_at, seeds, strict=True):
            gr[k] += seed
        self.backward_table(table, gr)
        return gr

    def backward_table(self, table: Table, gr: Table) -> None:
        """Add each step's contributions to the gradients ``gr``, whose outputs' entries hold the seeds."""
        for segment in reversed(self.segments):
            segment.backward(table, gr)
