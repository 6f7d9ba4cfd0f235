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

from micrograd.autograd import ABS, ADD, LINEAR, MUL, NEG, POW_CONST, RELU, SIGMOID, SUB, TANH, Recorded, Value
from micrograd.compiler.plan import Step

__all__ = ["check_steps", "dropped_steps", "made_order"]

_step = functools.partial(tuple.__new__, Step)

# operations whose forward on floats never raises: a dropped step of one needs no check
_NEVER_RAISE = frozenset({ABS, ADD, LINEAR, MUL, NEG, RELU, SIGMOID, SUB, TANH})


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


def check_steps(dropped: list[Value], index: dict[Value, int]) -> tuple[list[Step], list[Value]]:
    """``dropped`` as steps reading the table (``index``) or earlier checks (``~k``), and their nodes.

    A check reading a node the plan does not number (one made before the call, or a folded
    partial sum) is left out, and so are the checks reading it.
    """
    checks: list[Step] = []
    at: dict[Value, int] = {}
    nodes: list[Value] = []
    for node in dropped:
        rule = node.operation
        assert rule is not None
        operands = node.operands
        if all(x in index or x in at for x in operands):
            at[node] = ~len(checks)
            refs = tuple(index[x] if x in index else at[x] for x in operands)
            constants = (float(node.constants[0]),) if rule is POW_CONST else tuple(node.constants)
            checks.append(_step((rule, refs, constants)))
            nodes.append(node)
    return checks, nodes


def made_order(made: list[Value], step_nodes: list[Value], check_nodes: list[Value]) -> list[int]:
    """The steps (positions) and checks (``~k``) in the order the function made their nodes
    (a node made before the call first)."""
    rank = {node: k for k, node in enumerate(made)}
    keyed = [(rank.get(node, -1), p) for p, node in enumerate(step_nodes)]
    keyed += [(rank[node], ~k) for k, node in enumerate(check_nodes)]
    keyed.sort()
    return [p for _, p in keyed]
