"""The plan of a traced function (:func:`micrograd.compile`): its graph as steps on a table of numbers.

The table starts with the leaves, in three groups:

* argument slots: the numbers and Values passed to the function, by position;
* captured leaves: every other leaf Value the function read (parameters captured
  by closure, for example), read again by identity at every call;
* constants: leaves the function made for itself (the ``1`` of ``1 + x``), which
  nobody else can reach, so their values can never change.

Each :class:`Step` then computes one more entry of the table from earlier ones,
in an order where every operand comes first.  Chains of ``+`` and ``-`` (the
``sum(losses)`` of a loss function) are folded into one step that starts from
its first term (always added, never subtracted) and adds the others in the same
order, so a replay's sum has the engine's bits, signs of zero included.  (The
rest of a pure-Python forward has them too; numpy's matrix products and its
``exp``, ``log`` and ``tanh`` agree to rounding, and so does every backward: the
engine adds ``g * x`` to a gradient node by node, a replay in another order.)
``micrograd.compiler.tracing`` makes plans; the replays (``replay_numpy``,
``replay_python``) run them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from operator import mul
from typing import Any, NamedTuple

from micrograd.autograd import DENSE, LINEAR, Operation, Value, no_grad
from micrograd.autograd.operation import real_grad, wrong_count

__all__ = [
    "FILL",
    "FILLED",
    "SUM",
    "Checks",
    "LayerPlan",
    "Plan",
    "Step",
    "block_entries",
    "block_forward",
    "contributions",
    "separate_constants",
]


class _SignedSum:
    """The rule of a folded chain of ``+`` and ``-``: ``sum(sign * term)``, left to right."""

    name = "sum"

    def __repr__(self) -> str:
        return "SUM"


SUM = _SignedSum()


class _Filled:
    """The rule of the steps that only hold a block's place in the table (see ``LayerPlan``)."""

    name = "filled"

    def __repr__(self) -> str:
        return "FILLED"


FILLED = _Filled()


class Step(NamedTuple):
    """One computed value: ``rule`` applied to table entries ``operands``.

    ``constants`` are the node's own numbers (``(k,)`` for ``x ** k``); for
    :data:`SUM` they are the signs (``1.0`` or ``-1.0``) of the terms.
    """

    rule: Operation | _SignedSum | _Filled
    operands: tuple[int, ...]
    constants: tuple[Any, ...]


FILL = Step(FILLED, (), ())  # one shared object: a block of 128 outputs is one DENSE step and 255 of these


class LayerPlan:
    """A layer's weights and biases as table entries, shared by every ``DENSE`` step (block) of it.

    A block is a layer applied to one input (``micrograd.autograd.blocks``): the step
    ``Step(DENSE, inputs, (layer, activation))``, with the table entries of its inputs.
    It fills ``units`` entries with each unit's ``w . x + b`` and, unless the activation
    is None (linear), ``units`` more with their activations, the outputs (``block_entries``):
    the step, then that many fillers (``FILL``) minus one, so that step k still fills entry
    ``leaves + k``.  The replays compute the blocks of one layer and level as one matrix product.
    """

    __slots__ = ("biases", "units", "weights", "width")

    def __init__(self, weights: tuple[int, ...], biases: tuple[int, ...], units: int, width: int) -> None:
        self.weights = weights  # row by row: unit u's weights are weights[u * width : (u + 1) * width]
        self.biases = biases
        self.units = units
        self.width = width

    def __repr__(self) -> str:
        return f"LayerPlan({self.width} -> {self.units})"


def block_entries(step: Step) -> int:
    """How many table entries a ``DENSE`` step fills: its sums, then (unless linear) its outputs."""
    layer, activation = step.constants
    return layer.units if activation is None else 2 * layer.units  # type: ignore[no-any-return]


def block_forward(step: Step, table: Sequence[float]) -> list[float]:
    """A ``DENSE`` step's entries (sums, then outputs) from the table, with the engine's forwards."""
    layer, activation = step.constants
    xs = [table[j] for j in step.operands]
    n = layer.width
    sums = [
        sum(map(mul, xs, [table[j] for j in layer.weights[u * n : (u + 1) * n]])) + table[layer.biases[u]]
        for u in range(layer.units)
    ]
    return sums if activation is None else sums + [activation.evaluate([z]) for z in sums]


def contributions(rule: Operation, g: float, data: list[float], out: float, constants: tuple[Any, ...]) -> list[float]:
    """A step's contributions to its operands' gradients: the engine's own vjp with ``g`` (not ``g``
    times ``rule.derivatives``, which rounds differently and turns ``inf * 0`` into nan where the
    vjp gives 0), what the replays do for a step they have no row of their own for."""
    with no_grad():
        grads = rule.vjp_at(g, data, out, constants)
    if len(grads) != len(data):
        raise wrong_count(rule, grads, data)
    return [real_grad(d, rule) for d in grads]


@dataclass
class Plan:
    """A traced function: its leaves, its steps and where its outputs are."""

    slots: int  # table entries 0 .. slots-1: the arguments, in flattened order
    captured: list[Value]  # leaves read by identity at every call ...
    captured_at: list[int]  # ... at these table entries (after the slots, mixed with the constants)
    constants: list[float]  # leaves only the traced graph could reach ...
    constants_at: list[int]  # ... at these entries
    steps: list[Step]  # then one entry per step, in topological order
    outputs: list[int]  # the table entry of each output
    template: Any  # the nesting of the outputs: an int (an output's position) or (type, [templates])
    static_slots: frozenset[int]  # argument slots whose .data the function read
    # steps the function made and dropped whose forward can raise (and the dropped steps they read):
    # computed after the others, for their errors only; an operand ~k is the k-th of them
    checks: list[Step] = field(default_factory=list)
    # the steps (a position in steps, or ~k for the k-th check) in the order the function made them
    order: list[int] = field(default_factory=list)

    @property
    def leaves(self) -> int:
        """How many table entries are leaves (the steps' entries follow)."""
        return self.slots + len(self.captured) + len(self.constants)

    @property
    def size(self) -> int:
        return self.leaves + len(self.steps)

    def raise_first_error(self, arguments: Sequence[float], captured: Sequence[float]) -> None:
        """Compute every step and check in the order the function made them, with the engine's forwards,
        so the error raised is the one a plain call raises first.  For a replay that raised: replays
        compute by level, and the checks last, so the first error they meet may be another."""
        table = [0.0] * self.size
        table[: self.slots] = arguments
        for k, x in zip(self.captured_at, captured, strict=True):
            table[k] = x
        for k, x in zip(self.constants_at, self.constants, strict=True):
            table[k] = x
        checked = [0.0] * len(self.checks)
        for position in self.order:
            step = self.steps[position] if position >= 0 else self.checks[~position]
            if step.rule is FILLED:
                continue
            if step.rule is DENSE:
                entries = block_forward(step, table)
                table[self.leaves + position : self.leaves + position + len(entries)] = entries
                continue
            data = [table[j] if j >= 0 else checked[~j] for j in step.operands]
            if step.rule is SUM:
                value = sum(x * sign for x, sign in zip(data, step.constants, strict=True))
            else:
                assert isinstance(step.rule, Operation)
                value = step.rule.evaluate(data, step.constants)
            if position >= 0:
                table[self.leaves + position] = value
            else:
                checked[~position] = value

    def positions(self) -> Iterator[int]:
        """The positions of the steps that compute, a block's fillers skipped (in one jump each)."""
        steps, position, count = self.steps, 0, len(self.steps)
        while position < count:
            yield position
            step = steps[position]
            position += block_entries(step) if step.rule is DENSE else 1

    def levels(self) -> list[int]:
        """Each table entry's level: 0 for a leaf, else one more than its operands' highest.

        The steps of one level can be computed together.  Written for layers: the
        neurons of one row are consecutive ``linear`` steps with the same inputs,
        whose highest level is looked up once, and weights that are all leaves
        (all below ``leaves``) are told by one ``max`` of their entries.
        """
        return self.levels_and_positions()[0]

    def levels_and_positions(self) -> tuple[list[int], list[int]]:
        """``levels()``, and the positions of the steps that compute (``positions()``), in one pass."""
        level = [0] * self.size
        get, first = level.__getitem__, self.leaves
        last_inputs: tuple[int, ...] = ()
        inputs_level = 0
        steps, position, count = self.steps, 0, len(self.steps)
        positions: list[int] = []
        while position < count:
            positions.append(position)
            step = steps[position]
            operands = step.operands
            if step.rule is DENSE:  # its weights are leaves; every entry at one level
                entries = block_entries(step)
                top = 1 + max(map(get, operands), default=0)
                level[first + position : first + position + entries] = [top] * entries
                position += entries
                continue
            if step.rule is LINEAR and len(operands) > 8:
                n = len(operands) // 2
                inputs, rest = operands[:n], operands[n:]
                if inputs != last_inputs:
                    last_inputs, inputs_level = inputs, max(map(get, inputs))
                top = inputs_level if max(rest) < first else max(inputs_level, *map(get, rest))
            else:
                top = max(map(get, operands), default=0)
            level[first + position] = 1 + top
            position += 1
        return level, positions


class Checks:
    """The forward of ``plan.checks``, for its errors only: a plain call raises there, so a replay must.

    ``new`` maps the plan's table entries to a replay's (which lays its table out its own
    way); ``read_at`` are the replay's entries the checks read, in the order ``run`` takes them.
    """

    def __init__(self, checks: list[Step], new: Sequence[int]) -> None:
        self.read_at = sorted({new[j] for step in checks for j in step.operands if j >= 0})
        where = {entry: k for k, entry in enumerate(self.read_at)}
        base = len(self.read_at)
        self.steps = [
            (step.rule, tuple(where[new[j]] if j >= 0 else base + ~j for j in step.operands), step.constants)
            for step in checks
        ]

    def run(self, values: list[float]) -> None:
        """Compute each check from ``values`` (the entries ``read_at``), raising the engine's error."""
        for rule, operands, constants in self.steps:
            assert isinstance(rule, Operation)
            values.append(rule.evaluate([values[j] for j in operands], constants))


def separate_constants(plan: Plan) -> Plan:
    """Move captured leaves that only the plan holds to the constants.

    Once the traced graph is gone, a leaf referenced from nowhere but the plan was
    made by the function for itself: nobody can change it or read its gradient.
    """
    if not hasattr(sys, "getrefcount"):
        return plan
    probe = [Value(0.0)]
    alone = sys.getrefcount(probe[0])  # a leaf held by one list, counted the same way
    keep: list[int] = []
    constant: list[int] = []
    for i in range(len(plan.captured)):
        (constant if sys.getrefcount(plan.captured[i]) <= alone else keep).append(i)
    if not constant:
        return plan
    return replace(
        plan,
        captured=[plan.captured[i] for i in keep],
        captured_at=[plan.captured_at[i] for i in keep],
        constants=[plan.captured[i].data for i in constant],
        constants_at=[plan.captured_at[i] for i in constant],
    )
