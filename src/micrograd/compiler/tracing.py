"""Tracing for :func:`micrograd.compile`: run a function once and keep its graph as a plan.

The plan (:mod:`micrograd.compiler.plan`) is the graph written down as a list of steps on a
table of numbers, its leaves first: the arguments, the leaves the function captured,
and its constants.

While tracing, the data of the arguments is real, but what the function does with
it must not depend on it, and tracing watches for that three ways (the first two
in :mod:`micrograd.compiler.guard`):

* comparing a Value or testing its truth is an error (:class:`TracingError`)
  naming the user's line: the trace switches on its thread's *data guard*
  (``grad_mode.data_guard``), which Value's comparisons and ``__bool__`` consult,
  at the cost of one global read while no thread traces;
* reading ``.data`` of an argument makes that argument's value part of the cache
  key, so a different value traces again.  The engine reads ``.data`` too, inside
  every operation: a read counts as the user's when the calling frame's module is
  not one of the engine's (``sys._getframe``).  Where Python has no frames (not
  CPython), every read counts: a trace per value, slower but right;
* a leaf the function made for itself is told from one it captured after the
  trace, by its reference count (``sys.getrefcount``): only the plan holds it.
  Without reference counts every leaf stays captured: read at every call and
  given a gradient nobody reads, slower but right.
"""

from __future__ import annotations

import contextlib
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import chain, filterfalse
from typing import Any

from micrograd.autograd import (
    ADD,
    DENSE,
    OPERATIONS,
    PART,
    POW_CONST,
    SUB,
    WEIGHTS,
    Operation,
    Value,
    enable_grad,
    recording_blocks,
    recording_nodes,
)
from micrograd.compiler.dropped import check_steps, dropped_steps, made_order
from micrograd.compiler.guard import Argument, TracingError, argument, tracing_now, watching
from micrograd.compiler.plan import FILL, SUM, LayerPlan, Plan, Step, separate_constants

__all__ = ["TracingError", "graph_and_operands", "trace", "tracing_now"]


# -- tracing ------------------------------------------------------------------------


def trace(fn: Callable[..., Any], flat: Sequence[float], call: Callable[[Sequence[Value]], Any]) -> Plan:
    """Run ``call(arguments)`` once, recording, and return its plan.

    ``flat`` holds the number of each argument slot; ``call`` receives one leaf per
    slot and calls ``fn`` with them in place of the arguments.
    """
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    plan = _trace(name, flat, call, blocks=True)
    if plan is None:  # a dropped step that can raise reads a dropped block: once more, scalar nodes only
        plan = _trace(name, flat, call, blocks=False)
    assert plan is not None
    return separate_constants(plan)


def _trace(name: str, flat: Sequence[float], call: Callable[[Sequence[Value]], Any], blocks: bool) -> Plan | None:
    arguments = [argument(x, i) for i, x in enumerate(flat)]
    # a trace records, even under no_grad; a layer on one input is one block node (autograd.blocks)
    layers = recording_blocks(_block_sums()) if blocks else contextlib.nullcontext()
    with watching(name), enable_grad(), recording_nodes() as made, layers:
        result = call(arguments)
    template, outputs = _flatten_outputs(result, name)
    del result
    static = frozenset(a.slot for a in arguments if a.read)
    return _plan(outputs, arguments, template, static, made)  # the traced graph goes with this frame


def _block_sums() -> Any:
    """numpy's matrix-vector product for the blocks' sums while tracing, if numpy is installed."""
    try:
        from micrograd.compiler.numpy_rows import layer_sums
    except ImportError:
        return None
    return layer_sums


def _flatten_outputs(result: Any, name: str) -> tuple[Any, list[Value]]:
    """The outputs as a flat list, and a template to nest them again."""
    outputs: list[Value] = []
    return _walk(result, outputs, name), outputs


def _walk(item: Any, outputs: list[Value], name: str) -> Any:
    """The template of ``item``, its Values appended to ``outputs``.

    A module function, not a closure over ``outputs``: a recursive closure is a
    reference cycle, which would keep the traced graph alive until the garbage
    collector runs, and with it every constant the plan must tell from a captured leaf.
    Recursion here follows the user's nesting of the results, not the graph.
    """
    if isinstance(item, Value):
        outputs.append(item)
        return len(outputs) - 1
    if isinstance(item, (list, tuple)):
        return (type(item), [_walk(x, outputs, name) for x in item])
    raise TypeError(f"compile: {name}() must return a Value or a list or tuple of Values, got {type(item).__name__}")


def graph_and_operands(outputs: list[Value]) -> tuple[list[Value], dict[Value, tuple[Value, ...]]]:
    """The values the outputs depend on, each after its operands, and each computed value's operands.

    The order of ``engine.graph_order`` (a depth-first search visiting operands in
    order), found without a step of Python per operand: a node's operands are
    walked through a filter that drops, in C, those already visited.  Most operands
    of a layer's ``linear`` nodes (the weights, and the inputs every neuron shares)
    are seen once and then skipped at C speed.
    """
    nodes: list[Value] = []
    operands_of: dict[Value, tuple[Value, ...]] = {}
    visited: set[Value] = set()
    unvisited = visited.__contains__
    for root in outputs:
        if root in visited:
            continue
        visited.add(root)
        operands_of[root] = root.operands
        # the path from the root, and for each node on it the operands still to visit (two lists: no tuple
        # per node); a node's operands read as its operation's layout says (OPERAND_LAYOUT), as backward does
        path = [root]
        pending = [filterfalse(unvisited, operands_of[root])]
        while pending:
            for operand in pending[-1]:  # only operands not visited yet reach this loop
                visited.add(operand)
                operation = operand.operation
                if operation is None:
                    nodes.append(operand)  # a leaf
                    continue
                operands_of[operand] = operands = operation.operands_of(operand)
                path.append(operand)
                pending.append(filterfalse(unvisited, operands))
                break
            else:
                pending.pop()
                nodes.append(path.pop())
    return nodes, operands_of


def _uses(candidates: set[Value], operands_of: dict[Value, tuple[Value, ...]]) -> Counter[Value]:
    """How many times each candidate is an operand, counted in C over every operand tuple."""
    if not candidates:
        return Counter()
    return Counter(filter(candidates.__contains__, chain.from_iterable(operands_of.values())))


def _folded_sums(computed: list[Value], operands_of: dict[Value, Any], is_output: set[Value]) -> set[Value]:
    """The sums (+ and -) folded into the next one: each is the first operand of a sum, and nothing else
    uses it (not even that sum's second operand) nor returns it.  A chain of them and the sum after them
    is one step (``_chain``)."""
    sums = [node for node in computed if node.operation is ADD or node.operation is SUB]
    chained = {operands_of[node][0] for node in sums}.intersection(sums)
    return {node for node, uses in _uses(chained - is_output, operands_of).items() if uses == 1}


def _chain(node: Value, operands_of: dict[Value, Any], folded: set[Value]) -> tuple[list[Value], list[float]]:
    """The terms and signs of the sum ending at ``node``: down the folded sums' first operands, in order."""
    values: list[Value] = []
    signs: list[float] = []
    while True:
        left, right = operands_of[node]
        values.append(right)
        signs.append(1.0 if node.operation is ADD else -1.0)
        if left not in folded:
            values.append(left)
            signs.append(1.0)
            values.reverse()
            signs.reverse()
            return values, signs
        node = left


def _plan(
    outputs: list[Value], arguments: Sequence[Argument], template: Any, static: frozenset[int], made: list[Value]
) -> Plan | None:
    """The plan of the traced graph, or None if it cannot check a dropped step (see ``trace``)."""
    nodes, operands_of = graph_and_operands(outputs)
    is_output = set(outputs)
    index: dict[Value, int] = {a: a.slot for a in arguments}
    captured: list[Value] = []
    computed: list[Value] = []
    for node in nodes:
        if node.operation is None:
            if node not in index:
                index[node] = len(arguments) + len(captured)
                captured.append(node)
        else:
            computed.append(node)
    dropped = dropped_steps(made, operands_of)
    if any(x.operation is PART and x._a not in operands_of for node in dropped for x in node.operands):
        return None  # a check would need the outputs of a block the plan does not compute
    for operand in chain.from_iterable(node.operands for node in dropped):  # leaves only they read
        if operand.operation is None and operand not in index:
            index[operand] = len(arguments) + len(captured)
            captured.append(operand)
    folded = _folded_sums(computed, operands_of, is_output)
    first = len(arguments) + len(captured)
    blocks = _Blocks(index.__getitem__)
    steps, made_by = _steps(computed, operands_of, index, folded, first, blocks)
    for operand in chain.from_iterable(node.operands for node in dropped):  # the parts a check reads
        if operand.operation is PART and operand._a in blocks.outputs_at:
            index[operand] = blocks.outputs_at[operand._a] + operand._b
    checks, checked = check_steps(dropped, index, folded)
    return Plan(
        slots=len(arguments),
        captured=captured,
        captured_at=list(range(len(arguments), first)),
        constants=[],
        constants_at=[],
        steps=steps,
        outputs=[index[v] for v in outputs],
        template=template,
        static_slots=static,
        checks=checks,
        order=made_order(made, made_by, checked),
    )


def _steps(
    computed: list[Value],
    operands_of: dict[Value, Any],
    index: dict[Value, int],
    folded: set[Value],
    first: int,
    blocks: _Blocks,
) -> tuple[list[Step], tuple[list[int], list[Value]]]:
    """The plan's steps for the computed nodes, each numbered in ``index`` (from ``first``), and the
    positions and nodes of the steps (a block's fillers have none)."""
    steps: list[Step] = []
    made_at: list[int] = []
    made_by: list[Value] = []
    position = index.__getitem__
    for node in computed:
        rule = node.operation
        assert rule is not None
        if rule is ADD or rule is SUB:
            if node in folded:
                continue
            chain_terms = _chain(node, operands_of, folded)
            if len(chain_terms[0]) > 2:
                made_at.append(len(steps))
                made_by.append(node)
                index[node] = first + len(steps)
                steps.append(_step((SUM, tuple(map(position, chain_terms[0])), tuple(chain_terms[1]))))
                continue
        elif rule is PART:  # an output of a block: one of the block's entries
            index[node] = blocks.outputs_at[node._a] + node._b
            continue
        elif rule is WEIGHTS:  # a layer's parameters, which its blocks read through their LayerPlan
            continue
        elif rule is DENSE:
            index[node] = first + len(steps)
            made_at.append(len(steps))
            made_by.append(node)
            steps.append(blocks.step(node, first + len(steps)))
            steps += blocks.fillers
            continue
        made_at.append(len(steps))
        made_by.append(node)
        index[node] = first + len(steps)
        constants: tuple[Any, ...] = ()
        if rule is POW_CONST or rule not in RULE_TABLE:
            constants = tuple(node.constants)
            if rule is POW_CONST:
                constants = (float(constants[0]),)
            else:
                _check_replayable(rule, node, constants)
        steps.append(_step((rule, tuple(map(position, operands_of[node])), constants)))
    return steps, (made_at, made_by)


class _Blocks:
    """The steps of the block nodes: one ``DENSE`` step, then fillers, per block (see ``LayerPlan``)."""

    def __init__(self, position: Callable[[Value], int]) -> None:
        self.position = position
        self.layers: dict[int, LayerPlan] = {}  # id of a LayerWeights -> its plan
        self.outputs_at: dict[Value, int] = {}  # block -> the table entry of its first output
        self.fillers: tuple[Step, ...] = ()  # the fillers after the last block's step
        self._fillers: dict[int, tuple[Step, ...]] = {}  # by a block's number of entries

    def step(self, node: Value, at: int) -> Step:
        """The block's ``DENSE`` step; ``fillers`` then holds the fillers that follow it."""
        info = node._b
        layer = info.layer
        plan = self.layers.get(id(layer))
        if plan is None:
            weights = layer.suffix[: layer.units * layer.width]
            entries = tuple(map(self.position, weights))
            biases = tuple(map(self.position, layer.suffix[len(weights) :]))
            plan = self.layers[id(layer)] = LayerPlan(entries, biases, layer.units, layer.width)
        if info.source is not None:
            start = self.outputs_at[info.source]
            inputs = tuple(range(start, start + layer.width))
        else:
            inputs = tuple(map(self.position, node._a[:-1]))
        activation = info.activation
        self.outputs_at[node] = at + (plan.units if activation is not None else 0)
        width = plan.units * (1 if activation is None else 2)
        fillers = self._fillers.get(width)
        if fillers is None:
            fillers = self._fillers[width] = (FILL,) * (width - 1)  # one tuple for every block of this width
        self.fillers = fillers
        return _step((DENSE, inputs, (plan, activation)))


_step = functools.partial(tuple.__new__, Step)  # a Step from a tuple, made in C (a NamedTuple's own __new__ is Python)


RULE_TABLE = frozenset(OPERATIONS)  # the built-in operations; any other is replayed by its evaluate


def _check_replayable(rule: Operation, node: Value, constants: tuple[Any, ...]) -> None:
    """An operation outside the rule table is replayed by its ``evaluate``: it must have one."""
    try:
        rule.evaluate([v.data for v in node.operands], constants)
    except Exception as error:
        raise TracingError(
            f"compile: the operation {rule.name!r} cannot be computed again ({error}); "
            "define it with micrograd.Operation(name, forward, vjp) to use it in a compiled function"
        ) from None
