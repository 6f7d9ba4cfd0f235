"""Reverse mode: the order of a graph, and backpropagation through it.

A graph is walked through two things every node has: its operands and its
``operation`` (its shape, see ``micrograd.autograd.operation``), so this module needs no
import of ``Value``.  The walks are iterative (no recursion), so a graph of any
depth works, and deterministic, so every run gives the same order (and the same
rounding of gradients that add up).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from micrograd.autograd.value import Value

__all__ = ["GraphOrder", "backpropagate", "backward_order", "graph_order", "reverse_topological"]

Node = TypeVar("Node", bound=Hashable)


class GraphOrder(NamedTuple):
    """The values some roots depend on, in order, and how often each is used."""

    nodes: list[Value]  # every value (leaves included), each after all its operands
    consumers: dict[Value, int]  # how many times each value is an operand in the graph (a*a: twice)


def graph_order(*roots: Value) -> GraphOrder:
    """Every value the ``roots`` depend on (the roots included), each after all its operands.

    A depth-first search that visits operands in order: the lecture's ``build_topo``.
    Any order that puts every value after all its operands, reversed, is an order
    backpropagation can run in; ``backward()`` uses :func:`reverse_topological`'s.

    >>> from micrograd.autograd import Value
    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b
    >>> order = graph_order(c)
    >>> order.nodes == [a, b, c], order.consumers[a], order.consumers[c]
    (True, 1, 0)
    """
    nodes: list[Value] = []
    consumers: dict[Value, int] = {}
    for root in roots:
        if not hasattr(root, "operands"):
            raise TypeError(f"graph_order: roots must be Values, got {type(root).__name__}")
        if root in consumers:
            continue
        consumers[root] = 0
        stack: list[tuple[Value, tuple[Value, ...], int]] = [(root, root.operands, 0)]
        while stack:
            node, operands, next_operand = stack[-1]
            if next_operand < len(operands):
                stack[-1] = (node, operands, next_operand + 1)
                operand = operands[next_operand]
                if operand in consumers:
                    consumers[operand] += 1
                else:
                    consumers[operand] = 1
                    stack.append((operand, operand.operands, 0))
            else:
                stack.pop()
                nodes.append(node)
    return GraphOrder(nodes, consumers)


def backward_order(root: Node, operands: Callable[[Node], Sequence[Node]]) -> list[Node]:
    """``backward()``'s order for any graph: each node before every node it uses.

    Every node reachable from ``root`` through ``operands`` (leaves included), in
    the order of :func:`reverse_topological`: a depth-first search that visits a
    node's operands last to first, reversed, so that a node's operands come first to
    last.  For pictures and explanations of a graph of their own (boxes), so that
    they walk it in the order ``backward()`` does.

    >>> from micrograd.autograd import Value
    >>> a, b, c, d = Value(1.0), Value(2.0), Value(3.0), Value(4.0)
    >>> ab, cd = a * b, c * d
    >>> out = ab + cd
    >>> backward_order(out, lambda v: v.operands) == [out, ab, a, b, cd, c, d]
    True
    """
    post: list[Node] = []
    expanded: set[Node] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            post.append(stack.pop())
            continue
        if node in expanded:
            continue
        expanded.add(node)
        stack.append(node)
        stack.append(None)  # below it: the node, finished once its operands are
        stack.extend(operand for operand in operands(node) if operand not in expanded)
    post.reverse()
    return post


def reverse_topological(root: Value) -> list[Value]:
    """The computed values ``root`` depends on, each before every value it uses: ``backward()``'s order.

    A depth-first search from ``root``, reversed, without the leaves (they have
    nothing to pass on).  It visits operands last to first, so that, reversed, a
    node's operands come first to last (``+``, then ``a*b``, then ``c*d`` for
    ``(a*b) + (c*d)``): in a graph built left to right that walks memory forward,
    which is faster (bench/README.md).  A ``None`` on the stack marks that the node
    beneath it has all its operands ordered.

    Inline on purpose: this loop is the cost of every ``backward()``.  It reads the
    operands where every node keeps them (``OPERAND_LAYOUT``: ``_a``; ``_a`` and
    ``_b``; a tuple in ``_a``) rather than calling a function per node.
    """
    post: list[Value] = []
    finish = post.append
    expanded: set[Value] = set()
    expand = expanded.add
    stack: list[Any] = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        if node is None:
            finish(pop())
            continue
        if node in expanded:
            continue
        expand(node)
        arity = node.operation.arity
        if arity == 2:
            a = node._a
            b = node._b
            if a.operation is None and b.operation is None:
                finish(node)  # its operands are leaves: nothing to order first
                continue
            push(node)
            push(None)
            if a.operation is not None:
                push(a)
            if b.operation is not None:
                push(b)
        elif arity == 1:
            a = node._a
            if a.operation is None:
                finish(node)
                continue
            push(node)
            push(None)
            push(a)
        else:
            push(node)
            push(None)
            for a in node._a:
                # a leaf has nothing to pass on; a value already ordered (a layer's inputs,
                # shared by all its neurons) is not pushed again
                if a.operation is not None and a not in expanded:
                    push(a)
    post.reverse()
    return post


def backpropagate(order: Iterable[Value]) -> None:
    """Pass each node's ``grad`` on to its operands, in the given (reverse topological) order.

    Each node's operation does its own float step (``Operation.step``).
    """
    for node in order:
        node.operation.step(node)  # type: ignore[union-attr]
