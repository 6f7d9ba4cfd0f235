"""The steps a traced function made and dropped, which a replay must still check (``Plan.checks``).

``def f(x): x.log(); return x * 2`` raises for a negative x when called plainly, though
its result never reaches the output: tracing notes every node the function makes
(``autograd.recording_nodes``), keeps the dropped ones whose forward can raise (and the
dropped ones they read) as checks, computed after the replay's forward, and records the
order the function made its steps in, so a replay that raises can raise the plain call's
first error (``Plan.raise_first_error``).
"""

from __future__ import annotations

import functools
from itertools import count, repeat

from micrograd.autograd import (
    ABS,
    ADD,
    DENSE,
    LINEAR,
    MUL,
    NEG,
    PART,
    POW_CONST,
    RELU,
    SIGMOID,
    SUB,
    TANH,
    WEIGHTS,
    Recorded,
    Value,
)
from micrograd.compiler.plan import Step

__all__ = ["check_steps", "dropped_steps", "made_order"]

_step = functools.partial(tuple.__new__, Step)

# operations whose forward on floats never raises: a dropped step of one needs no check
_NEVER_RAISE = frozenset({ABS, ADD, DENSE, LINEAR, MUL, NEG, PART, RELU, SIGMOID, SUB, TANH, WEIGHTS})


def dropped_steps(made: list[Value], operands_of: dict[Value, tuple[Value, ...]]) -> list[Value]:
    """The steps the function made and dropped whose forward can raise, and the dropped steps they read,
    in the order they were made (operands first).

    A plain call computes them, and raises if one fails (``x.log()`` of a negative x, its result
    unused), so the replay must compute them too, forward only (see ``Plan.checks``).
    """
    dropped = {
        n for n in made if n.operation is not None and n not in operands_of and not isinstance(n.operation, Recorded)
    }
    if not dropped:
        return []
    wanted: set[Value] = set()
    for node in reversed(made):  # results come after their operands: a wanted node's operands are wanted
        if node in dropped and (node in wanted or node.operation not in _NEVER_RAISE):
            wanted.add(node)
            wanted.update(node.operands)
    return [node for node in made if node in wanted and node in dropped]


def check_steps(dropped: list[Value], index: dict[Value, int], folded: set[Value]) -> tuple[list[Step], list[Value]]:
    """``dropped`` as steps reading the table (``index``) or earlier checks (``~k``), and their nodes.

    A partial sum folded into a longer one (``folded``) has no place in the table: a check
    that reads it computes it first, as a check of its own.  A check reading a node made
    before the call that the plan does not number is left out, and so are the checks reading it.
    """
    checks: list[Step] = []
    at: dict[Value, int] = {}
    nodes: list[Value] = []
    for wanted in dropped:
        stack = [wanted]  # a node, then the folded sums it reads: no recursion on the depth of a chain of sums
        while stack:
            node = stack[-1]
            missing = [x for x in node.operands if x not in index and x not in at]
            if not missing:
                stack.pop()
                if node not in at:
                    at[node] = ~len(checks)
                    checks.append(_check(node, [index[x] if x in index else at[x] for x in node.operands]))
                    nodes.append(node)
            elif all(x in folded for x in missing):
                stack.extend(missing)
            else:
                break  # reads a value from before the call: this check, and the sums it asked for, are left out
    return checks, nodes


def _check(node: Value, refs: list[int]) -> Step:
    rule = node.operation
    assert rule is not None
    constants = (float(node.constants[0]),) if rule is POW_CONST else tuple(node.constants)
    return _step((rule, tuple(refs), constants))


def made_order(made: list[Value], step_nodes: tuple[list[int], list[Value]], check_nodes: list[Value]) -> list[int]:
    """The steps (their positions and nodes: a block's fillers have none) and checks (``~k``) in the order
    the function made their nodes (a node made before the call first, in the steps' order).

    Sorted by rank in C (a dict from ``made``, a key sort of indices): no tuple per step."""
    positions, nodes = step_nodes
    rank = dict(zip(made, count()))
    ranks = list(map(rank.get, nodes, repeat(-1, len(nodes))))
    ranks += map(rank.__getitem__, check_nodes)
    where = positions + [~k for k in range(len(check_nodes))]
    return list(map(where.__getitem__, sorted(range(len(where)), key=ranks.__getitem__)))
