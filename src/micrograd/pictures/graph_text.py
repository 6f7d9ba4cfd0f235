"""How a graph of Values is written for people: its nodes in order, their names, their numbers.

Shared by the pictures (``visualize``), the chain-rule explainer (``explain``), the
``micrograd graph`` command and the playground, so that all of them call a node by
the same name and print a number the same way.
"""

from __future__ import annotations

import math

from micrograd.autograd import Value, graph_order
from micrograd.autograd.display import format_cell

__all__ = ["format_cell", "format_number", "node_names", "topological_order"]


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on (itself included), each after all its operands.

    The engine's :func:`~micrograd.engine.graph_order` (the lecture's ``build_topo``).
    """
    return graph_order(root).nodes


def node_names(root: Value) -> dict[Value, str]:
    """A name for every value in the graph: its label, or ``n1``, ``n2``, ... if it has none.

    Unlabeled values are numbered in topological order (operands first), skipping
    numbers that a label already uses; an unlabeled root is called ``out``.
    """
    order = topological_order(root)
    used = {node.label for node in order if node.label}
    names: dict[Value, str] = {}
    counter = 0
    for node in order:
        if node.label:
            names[node] = node.label
        elif node is root and "out" not in used:
            names[node] = "out"
        else:
            counter += 1
            while f"n{counter}" in used:
                counter += 1
            names[node] = f"n{counter}"
    return names


def format_number(x: float) -> str:
    """``x`` for people: ``6`` for an integer, else at most 4 decimals (``0.4199``)."""
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if abs(x) >= 1e15:
        return f"{x:.4g}"  # not all 300 digits of 1e300
    if x == int(x):
        return str(int(x))
    if abs(x) < 1e-4:
        return f"{x:.4g}"
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
