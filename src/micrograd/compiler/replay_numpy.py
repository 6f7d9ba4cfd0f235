"""Replaying a traced plan with numpy: one array operation per kind of step and level.

A step's *level* is one more than the highest level of its operands (leaves are at
level 0), so all steps of a level can be computed at once.  The steps of one level
and one operation form a *group*, laid out next to each other in one float64 array
(the table), so a group writes its results into a slice and reads its operands
with one gather (often a slice too).  Backward walks the groups in reverse and adds
each group's contributions to its operands' gradients with one scatter-add
(``np.bincount`` when an operand is used more than once).

A group of neurons (``linear`` steps) that is every combination of some input rows
and some weight rows, as a layer applied to a batch is, becomes a matrix product.

Forward errors are the engine's: when a result is not finite, the step is computed
again by ``Operation.evaluate``, which raises the engine's error (log of a negative
number) or gives the engine's value.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np

from micrograd.autograd import (
    DENSE,
    LINEAR,
    POW,
    POW_CONST,
    Operation,
)
from micrograd.compiler.numpy_layers import Array, Blocks, Group, Layer, Scatter, gather
from micrograd.compiler.numpy_rows import CHECKED_BACKWARD, CHECKED_FORWARD, ENGINE_FALLBACK, RULES
from micrograd.compiler.numpy_sums import OneSum, Sums
from micrograd.compiler.plan import SUM, Checks, Plan, Step, contributions

__all__ = ["NumpyReplay"]

_step = functools.partial(tuple.__new__, Step)  # a Step made in C (a NamedTuple's own __new__ is Python)


class _Elementwise(Group):
    """Steps of one operation with a row in ``RULES``: ``operands`` holds each step's table entries
    (one row per step, in the order of ``steps``, which the group keeps for their constants)."""

    def __init__(
        self, rule: Operation, steps: list[Step], out: slice, needs: np.ndarray[Any, Any], operands: Any
    ) -> None:
        self.rule, self.steps, self.out = rule, steps, out
        self.forward_rule, self.backward_rule = RULES[rule]
        columns = [operands[:, i] for i in range(operands.shape[1])]
        self.gathers = [gather(column) for column in columns]
        self.scatters_of = [Scatter(column) for column in columns]
        self.constants = np.array([s.constants[0] if s.constants else 0.0 for s in steps], dtype=float)
        self.checked = rule in CHECKED_FORWARD
        self.wanted = [bool(needs[column].any()) for column in columns]

    def forward(self, v: Array) -> None:
        operands = [v[g] for g in self.gathers]
        out = self.forward_rule(operands, self.constants)
        v[self.out] = out
        if not self.checked:
            return
        doubtful = ~np.isfinite(out)  # maybe a domain error: the engine decides
        if self.rule is POW or self.rule is POW_CONST:  # and infinite operands: numpy's (-0.5) ** inf is 0.0
            for x in (*operands, self.constants):
                doubtful |= ~np.isfinite(x)
        if doubtful.any():
            for j in np.flatnonzero(doubtful).tolist():
                step = self.steps[j]
                v[self.out.start + j] = self.rule.evaluate([float(x[j]) for x in operands], step.constants)

    def backward(self, v: Array, gr: Array) -> None:
        operands = [v[g] for g in self.gathers]
        out = v[self.out]
        g = gr[self.out]
        added = self.backward_rule(g, operands, out, self.constants)
        if self.rule in CHECKED_BACKWARD:  # where a contribution is not finite, the engine's vjp decides
            for j in np.flatnonzero(~np.isfinite(np.add(*added) if len(added) > 1 else added[0])):
                local = contributions(
                    self.rule, float(g[j]), [float(x[j]) for x in operands], float(out[j]), self.steps[j].constants
                )
                for c, d in zip(added, local, strict=True):
                    c[j] = d
        for scatter, c, wanted in zip(self.scatters_of, added, self.wanted, strict=True):
            if wanted:
                scatter.add(gr, c)

    def scatters(self) -> list[Scatter]:
        return [scatter for scatter, wanted in zip(self.scatters_of, self.wanted, strict=True) if wanted]


class _Linear(Group):
    """``linear`` steps with n inputs each: row-wise dot products."""

    def __init__(self, operands: np.ndarray[Any, Any], out: slice, n: int) -> None:
        self.out = out
        self.shape = (len(operands), n)
        self.x, self.w, self.b = (
            gather(operands[:, part]) for part in (slice(0, n), slice(n, 2 * n), slice(2 * n, None))
        )
        self.scatter_x = Scatter(operands[:, :n])
        self.scatter_w = Scatter(operands[:, n : 2 * n])
        self.scatter_b = Scatter(operands[:, 2 * n])

    def forward(self, v: Array) -> None:
        x, w = v[self.x].reshape(self.shape), v[self.w].reshape(self.shape)
        v[self.out] = np.einsum("ij,ij->i", x, w) + v[self.b]

    def backward(self, v: Array, gr: Array) -> None:
        g = gr[self.out]
        x, w = v[self.x].reshape(self.shape), v[self.w].reshape(self.shape)
        self.scatter_x.add(gr, g[:, None] * w)
        self.scatter_w.add(gr, g[:, None] * x)
        self.scatter_b.add(gr, g)

    def scatters(self) -> list[Scatter]:
        return [self.scatter_x, self.scatter_w, self.scatter_b]


class _Engine(Group):
    """Operations without a row here (ones you defined): the engine computes each step."""

    def __init__(self, rule: Operation, steps: list[Step], out: slice) -> None:
        self.rule, self.steps, self.out = rule, steps, out

    def forward(self, v: Array) -> None:
        start = self.out.start
        for j, step in enumerate(self.steps):
            v[start + j] = self.rule.evaluate(v[list(step.operands)].tolist(), step.constants)

    def backward(self, v: Array, gr: Array) -> None:
        start = self.out.start
        for j, step in enumerate(self.steps):
            g = float(gr[start + j])
            local = contributions(self.rule, g, v[list(step.operands)].tolist(), float(v[start + j]), step.constants)
            for i, d in zip(step.operands, local, strict=True):
                gr[i] += d

    def scatters(self) -> list[Scatter]:
        return [Scatter(np.array([i for step in self.steps for i in step.operands], dtype=np.intp))]


class NumpyReplay:
    """A plan laid out in groups, ready to replay with numpy."""

    def __init__(self, plan: Plan, differentiable: set[int]) -> None:
        self.plan = plan
        first = plan.leaves
        # which table entries need a gradient: leaf Values, and what is computed from them (new indices)
        needs = np.zeros(plan.size, dtype=bool)
        needs[sorted(differentiable)] = True
        renumber = np.arange(plan.size, dtype=np.intp)  # old table index -> new, for whole operand arrays at once
        self.groups: list[Group] = []
        start = first
        for (_, rule, width), positions in _buckets(plan):
            if rule is DENSE:
                blocks = Blocks(plan, positions, start, renumber, needs)
                self.groups += blocks.groups
                start = blocks.end
                continue
            out = slice(start, start + len(positions))
            group, order = _group(rule, [plan.steps[p] for p in positions], width, out, (renumber, needs))
            renumber[first + np.asarray(positions, dtype=np.intp)[order]] = np.arange(out.start, out.stop)
            self.groups.append(group)
            start += len(positions)
        self.checks = Checks(plan.checks, renumber.tolist()) if plan.checks else None
        self.outputs_index = renumber[np.asarray(plan.outputs, dtype=np.intp)]
        self.zeroed = _zeroed(self.groups, self.outputs_index, plan.size)
        self.size = plan.size
        self.template = np.zeros(plan.size)  # the table before a call: the constants in place
        self.template[plan.constants_at] = plan.constants
        self.captured_at = gather(plan.captured_at) if plan.captured_at else slice(0, 0)

    def forward(self, arguments: Sequence[float], captured: Sequence[float]) -> Array:
        """The whole table: the leaves (the arguments, then the captured leaves' data), then every step's value."""
        v = self.template.copy()
        v[: len(arguments)] = arguments
        v[self.captured_at] = captured
        self.forward_table(v)
        return v

    def forward_table(self, v: Array) -> None:
        """Compute every step into the table ``v``, whose leaves are in place (``template`` for the constants)."""
        with np.errstate(all="ignore"):
            for group in self.groups:
                group.forward(v)
        if self.checks is not None:
            self.checks.run(v[self.checks.read_at].tolist())

    def backward_table(self, v: Array, gr: Array) -> None:
        """Add to ``gr`` the gradients of the table's entries, from the seeds already in ``gr``."""
        with np.errstate(all="ignore"):
            for group in reversed(self.groups):
                group.backward(v, gr)

    def outputs(self, table: Array) -> list[float]:
        return table[self.outputs_index].tolist()  # type: ignore[no-any-return]

    def backward(self, table: Array, seeds: Sequence[float]) -> list[float]:
        """The gradient of ``sum(seed * output)`` with respect to every leaf."""
        gr = np.zeros(self.size)  # every entry zero: the groups may still assign some (Group.unwritten)
        Scatter(self.outputs_index).add(gr, np.asarray(seeds, dtype=float))  # an output may come twice
        self.backward_table(table, gr)
        return gr[: self.plan.leaves].tolist()  # type: ignore[no-any-return]


def _buckets(plan: Plan) -> list[tuple[tuple[int, Any, Any], list[int]]]:
    """The steps' positions by level and kind, lowest level first: the blocks of one layer and activation
    (one matrix product), linear steps by width, every other step by its operation.  Buckets of one level
    come in the order of their first step.  Grouped by (level, operation) in one light loop, the blocks
    and linear steps then split by layer or width."""
    level, positions = plan.levels_and_positions()
    steps = plan.steps
    rules = list(map(_RULE, map(steps.__getitem__, positions)))
    depths = list(map(level.__getitem__, map(plan.leaves.__add__, positions)))
    by_rule: dict[tuple[int, Any], list[int]] = defaultdict(list)
    for key, position in zip(zip(depths, rules, strict=True), positions, strict=True):
        by_rule[key].append(position)
    buckets: dict[tuple[int, Any, Any], list[int]] = {}
    for (depth, rule), group in by_rule.items():
        if rule is DENSE or rule is LINEAR:
            for position in group:
                step = steps[position]
                kind = (id(step.constants[0]), step.constants[1]) if rule is DENSE else len(step.operands) // 2
                buckets.setdefault((depth, rule, kind), []).append(position)
        else:
            buckets[(depth, rule, 0)] = group
    return sorted(buckets.items(), key=lambda item: (item[0][0], item[1][0]))


_OPERANDS = attrgetter("operands")
_RULE = attrgetter("rule")


def _group(
    rule: Any, steps: list[Step], width: int, out: slice, numbering: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]
) -> tuple[Group, Any]:
    """The group for ``steps`` (of one level and kind) and the order its steps are laid out in (positions
    in ``steps``).  The operands are renamed with ``renumber`` all at once, and ``needs`` is set for ``out``."""
    renumber, needs = numbering
    operands = list(map(_OPERANDS, steps))
    lengths = np.fromiter(map(len, operands), dtype=np.intp, count=len(steps))
    flat = np.fromiter(chain.from_iterable(operands), dtype=np.intp, count=int(lengths.sum()))
    if rule is LINEAR and width:  # the big groups: their operands as one matrix
        matrix = renumber[flat.reshape(len(steps), 2 * width + 1)]
        layer, rows = _linear_group(operands, matrix, width, out, needs)
        needs[out] = needs[matrix[rows]].any(axis=1)
        return layer, rows
    flat = renumber[flat]
    if rule is SUM:
        sums = OneSum(steps[0], out, flat) if len(steps) == 1 else Sums(steps, out, flat, lengths)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
        needs[out] = np.logical_or.reduceat(needs[flat], starts)
        return sums, np.arange(len(steps))
    arity = int(lengths[0])
    if arity and rule is not LINEAR and rule in RULES and rule not in ENGINE_FALLBACK and (lengths == arity).all():
        matrix = flat.reshape(len(steps), arity)
        order = np.lexsort(matrix.T[::-1])  # by operands, as sorted() orders their tuples (stable too)
        matrix = matrix[order]
        needs[out] = needs[matrix].any(axis=1)
        return _Elementwise(rule, [steps[j] for j in order.tolist()], out, needs, matrix), order
    renamed = [_step((s.rule, tuple(renumber[list(s.operands)].tolist()), s.constants)) for s in steps]
    group, order_list = _other_group(rule, renamed, out)
    needs[out] = _any_operand(needs, [renamed[p].operands for p in order_list])
    return group, np.asarray(order_list, dtype=np.intp)


def _other_group(rule: Any, steps: list[Step], out: slice) -> tuple[Group, list[int]]:
    """Linear steps without inputs (just their bias), and operations the engine computes step by step
    (those without a row in ``RULES``: the ones you define)."""
    if rule is LINEAR:
        matrix = np.array([s.operands for s in steps], dtype=np.intp).reshape(len(steps), 1)
        return _Linear(matrix, out, 0), list(range(len(steps)))
    order = sorted(range(len(steps)), key=lambda j: steps[j].operands)
    return _Engine(rule, [steps[j] for j in order], out), order


def _zeroed(groups: list[Group], outputs: np.ndarray[Any, Any], size: int) -> list[slice]:
    """The gradient entries to zero before each backward: all but those the groups say need not be
    (``Group.unwritten``), as slices."""
    counts = np.zeros(size, dtype=np.intp)
    for group in groups:
        for scatter in group.scatters():
            scatter.tally(counts)
    np.add.at(counts, outputs, 1)  # an output's seed is a contribution too
    skipped = np.zeros(size, dtype=bool)
    for group in groups:
        for part in group.unwritten(counts):
            skipped[part] = True
    edges = np.flatnonzero(np.diff(np.concatenate(([True], skipped, [True])).astype(np.int8)))
    return [slice(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _any_operand(needs: np.ndarray[Any, Any], operands: list[tuple[int, ...]]) -> np.ndarray[Any, Any]:
    """For each step (its operands given), whether any operand needs a gradient."""
    lengths = np.fromiter(map(len, operands), dtype=np.intp, count=len(operands))
    if not lengths.all():
        return np.array([bool(needs[list(o)].any()) for o in operands], dtype=bool)
    flat = np.fromiter(chain.from_iterable(operands), dtype=np.intp, count=int(lengths.sum()))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.logical_or.reduceat(needs[flat], starts)


def _linear_group(
    old: list[tuple[int, ...]], matrix: np.ndarray[Any, Any], n: int, out: slice, needs: np.ndarray[Any, Any]
) -> tuple[Group, list[int]]:
    """``linear`` steps of width n as a layer when they are every input row with every weight row
    exactly once (found from the steps' ``old`` operands), else as row-wise dot products."""
    rows: dict[tuple[int, ...], int] = {}
    units: dict[tuple[int, ...], int] = {}
    row_of = np.array([rows.setdefault(ops[:n], len(rows)) for ops in old], dtype=np.intp)
    unit_of = np.array([units.setdefault(ops[n : 2 * n], len(units)) for ops in old], dtype=np.intp)
    cell = row_of * len(units) + unit_of
    if len(old) == 1 or len(rows) * len(units) != len(old) or len(np.unique(cell)) != len(old):
        return _Linear(matrix, out, n), list(range(len(old)))
    order = np.argsort(cell)
    ordered = matrix[order]
    x_rows = ordered[:: len(units), :n]  # cell (r, 0) of each row r
    w_rows = ordered[: len(units), n : 2 * n]  # cell (0, u) of each unit u
    bias = ordered[:, 2 * n].reshape(len(rows), len(units))
    return Layer(x_rows, w_rows, bias, out, needs), order.tolist()
