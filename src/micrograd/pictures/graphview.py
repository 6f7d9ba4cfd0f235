"""A graph of Values seen at a level of detail: what every picture and ``explain`` show.

``view_graph(root, detail)`` turns the recorded graph into boxes, each a value with
a name, ``data``, ``grad``, the operation that made it and its operands.  Pictures
(``draw_dot``, ``draw_steps``, ``to_text``, ``to_mermaid``), ``explain`` and the
command line all draw from it, so they call a value by the same name.

The details:

* ``"operations"``: the graph as recorded; a neuron's ``w·x + b`` is one ``linear`` box.
* ``"expanded"``: as the lecture draws a neuron: every ``linear`` is spelled out into
  its products ``x1*w1``, ``x2*w2``, ... and the sums that add them and the bias.
  The numbers are exact: each product and partial sum has the linear's gradient.
* ``"neurons"``: one box per neuron (its output's data and grad), fed by the
  neuron's inputs; its weights and bias are inside the box.  A neuron is
  ``activation(linear(...))`` (tanh, ReLU or sigmoid, used by nothing else), or a
  ``linear`` alone.  Its name comes from its bias's label (``L1.N2.b`` names neuron
  ``L1.N2``, as :class:`~micrograd.nn.MLP` labels them); the first layer's inputs
  are ``x1``, ``x2``, ...  A chain of ``+`` whose partial sums nothing else uses, as
  ``sum()`` over the examples makes, is one box adding all the terms (``sum()``'s
  start, 0, inside it).
* ``"auto"`` (the default): expanded for a single neuron, neurons for a graph too big
  to read (more than :data:`AUTO_LIMIT` values), the operations otherwise.

Unlabelled values are called ``n1``, ``n2``, ... in order, operands first (numbers
a label already uses are skipped); an unlabelled root is ``out``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from micrograd.autograd import ADD, RELU, SIGMOID, TANH, Value
from micrograd.pictures.box import Box, is_linear
from micrograd.pictures.graph_text import topological_order
from micrograd.pictures.naming import name_boxes, name_examples

__all__ = ["AUTO_LIMIT", "DETAILS", "Box", "GraphView", "Selection", "more_label", "view_graph"]

DETAILS = ("auto", "operations", "expanded", "neurons")
AUTO_LIMIT = 60  # "auto" shows neurons for graphs of more values than this
ACTIVATIONS = (TANH, RELU, SIGMOID)  # the operations a neuron may end in


class GraphView:
    """The boxes of one view of a graph, operands before results, with the root last."""

    def __init__(self, root: Box, boxes: list[Box], detail: str, values: int) -> None:
        self.root = root
        self.boxes = boxes
        self.detail = detail  # the detail actually used ("auto" resolved)
        self.values = values  # how many Values the recorded graph has

    def __repr__(self) -> str:
        return f"<GraphView of {self.root.name}: {len(self.boxes)} boxes, detail {self.detail!r}>"

    @property
    def drawn(self) -> list[Box]:
        """The boxes a picture draws (not the weights and constants inside neurons)."""
        return [box for box in self.boxes if not box.hidden]

    def names(self) -> dict[Value, str]:
        """Each Value shown in this view and its name."""
        return {box.value: box.name for box in self.boxes if box.value is not None}

    @property
    def gradients_computed(self) -> bool:
        """False while every gradient in the graph is still 0 (before ``backward()``)."""
        return any(box.grad != 0 for box in self.boxes if box.value is not None)

    def select(self, max_nodes: int | None = None, depth: int | None = None) -> Selection:
        """The boxes nearest to the root: at most ``max_nodes``, at most ``depth`` operations away."""
        if max_nodes is not None and max_nodes < 1:
            raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
        if depth is not None and depth < 0:
            raise ValueError(f"depth must be 0 or more, got {depth}")
        drawn = self.drawn
        if max_nodes is None and depth is None:
            return Selection(drawn, None, {}, len(drawn))
        kept: set[Box] = {self.root}
        # breadth first from the root: the nearest values are kept first
        queue: deque[tuple[Box, int]] = deque([(self.root, 0)])
        while queue:
            node, distance = queue.popleft()
            if depth is not None and distance >= depth:
                continue
            for operand in node.drawn_operands:
                if operand in kept:
                    continue
                if max_nodes is not None and len(kept) >= max_nodes:
                    break
                kept.add(operand)
                queue.append((operand, distance + 1))
        nodes = [node for node in drawn if node in kept]
        hidden = {}
        for node in nodes:
            missing = len({id(operand) for operand in node.drawn_operands if operand not in kept})
            if missing:
                hidden[node] = missing
        return Selection(nodes, kept, hidden, len(drawn))


@dataclass
class Selection:
    """The boxes a picture draws, in a stable order, and what was left out (``GraphView.select``)."""

    nodes: list[Box]  # operands before results
    kept: set[Box] | None  # the boxes drawn; None: all of them
    hidden_operands: dict[Box, int]  # drawn box -> how many of its operands are not drawn
    total: int  # boxes in the whole view

    def __contains__(self, box: Box) -> bool:
        return self.kept is None or box in self.kept

    def ids(self) -> dict[Box, str]:
        """Stable DOT and Mermaid ids: ``v1``, ``v2``, ... in drawing order."""
        return {node: f"v{number}" for number, node in enumerate(self.nodes, start=1)}


def more_label(count: int) -> str:
    """The marker for operands a picture leaves out."""
    return f"… {count} more operand{'s' if count > 1 else ''}"


def check_detail(detail: str) -> None:
    """Raise ValueError unless ``detail`` is one of :data:`DETAILS`."""
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(map(repr, DETAILS))}; got {detail!r}")


def view_graph(root: Value, detail: str = "auto", *, grads: Mapping[Value, float] | None = None) -> GraphView:
    """The graph of ``root`` at ``detail`` (see the module docstring).

    ``grads``, if given, replaces every ``grad`` shown (a Value missing from it
    shows 0): ``draw_steps`` uses it to show only the gradients already final.
    """
    check_detail(detail)
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value to draw, got {type(root).__name__}")
    order = topological_order(root)
    linears = [node for node in order if is_linear(node) and node.operands]
    users: dict[Value, list[Value]] = {}
    for node in order if linears or detail == "neurons" else ():  # only "neurons" needs who uses a value
        for operand in node.operands:
            users.setdefault(operand, []).append(node)
    if detail == "auto":
        if len(linears) == 1 and len(order) + len(linears[0].operands) <= AUTO_LIMIT:
            detail = "expanded"
        elif linears and len(order) > AUTO_LIMIT:
            detail = "neurons"
        else:
            detail = "operations"
    builder = _Builder(grads)
    if detail == "neurons":
        builder.neurons(order, users, root)
    else:
        for node in order:
            if detail == "expanded" and is_linear(node) and len(node.operands) >= 3:
                builder.expand(node)
            else:
                builder.plain(node)
    boxes = builder.order
    view_root = builder.boxes[root]
    if detail == "neurons":
        name_examples(boxes)
    name_boxes(boxes, view_root)
    return GraphView(view_root, boxes, detail, len(order))


class _Builder:
    """Makes the boxes of a view, each after its operands."""

    def __init__(self, grads: Mapping[Value, float] | None) -> None:
        self.grads = grads
        self.boxes: dict[Value, Box] = {}  # Value -> the box that shows it
        self.order: list[Box] = []

    def _grad(self, value: Value) -> float:
        return value.grad if self.grads is None else self.grads.get(value, 0.0)

    def _add(self, box: Box, value: Value | None = None) -> Box:
        if value is not None:
            self.boxes[value] = box
        self.order.append(box)
        return box

    def plain(self, node: Value) -> Box:
        """A box for ``node`` as recorded."""
        operands = tuple(self.boxes[operand] for operand in node.operands)
        box = Box(node.label, node.data, self._grad(node), node.op, operands, node, "value", False, "")
        return self._add(box, node)

    def expand(self, node: Value) -> None:
        """``linear(x, w, b)`` as the lecture draws it: ``x1*w1``, ``x2*w2``, their sums, then ``+ b``."""
        operands = node.operands
        n = len(operands) // 2
        grad = self._grad(node)
        total: Box | None = None
        for x, w in zip(operands[:n], operands[n : 2 * n], strict=True):
            xb, wb = self.boxes[x], self.boxes[w]
            product = self._add(Box("", x.data * w.data, grad, "*", (xb, wb), None, "product", False, ""))
            if total is None:
                total = product
            else:
                total = self._add(
                    Box("", total.data + product.data, grad, "+", (total, product), None, "sum", False, "")
                )
        assert total is not None
        bias = self.boxes[operands[-1]]
        self._add(Box(node.label, node.data, grad, "+", (total, bias), node, "value", False, ""), node)

    def neurons(self, order: list[Value], users: dict[Value, list[Value]], root: Value) -> None:
        """Mark each neuron: the boxes of its linear and activation become one box."""
        found: dict[Value, tuple[Value, Value | None]] = {}
        for node in order:
            if not is_linear(node) or not node.operands:
                continue
            consumers = users.get(node, [])
            top: Value | None = None
            if node is not root and len(consumers) == 1 and consumers[0].operation in ACTIVATIONS:
                top = consumers[0]
            found[top if top is not None else node] = (node, top)
        inside: dict[Value, bool] = {}  # value -> True while every use is inside a neuron's box
        for linear_value, _ in found.values():
            operands = linear_value.operands
            n = len(operands) // 2
            for position, operand in enumerate(operands):
                folds = operand.operands == () and position >= n  # weights and bias; inputs are drawn
                inside[operand] = inside.get(operand, True) and folds
        linear_values = {linear_value for linear_value, _ in found.values()}
        absorbed = _partial_sums(order, users, root)
        for node in order:
            if (node in linear_values and node not in found) or node in absorbed:
                continue  # shown by its neuron's box, or by the sum it is part of
            if node.operands and node.operands[0] in absorbed:
                terms = tuple(self.boxes[term] for term in _sum_terms(node, absorbed))
                self._add(Box(node.label, node.data, self._grad(node), "+", terms, node, "total", False, ""), node)
                start = terms[0].value  # sum()'s start, a 0 nobody wrote, is inside the box
                if start is not None and not start.operands and not start.label and start.data == 0.0:
                    terms[0].hidden = len(users.get(start, ())) == 1
            elif node in found:
                linear_value, top = found[node]
                parts = tuple(self.boxes[operand] for operand in linear_value.operands)
                activation = top.op if top is not None else ""
                op = f"{activation}(w*x+b)" if activation else "w*x+b"
                name = _neuron_name(node, linear_value)
                self._add(Box(name, node.data, self._grad(node), op, parts, node, "neuron", False, activation), node)
            else:
                box = self.plain(node)
                box.hidden = inside.get(node, False) and all(user in linear_values for user in users.get(node, ()))


def _partial_sums(order: list[Value], users: dict[Value, list[Value]], root: Value) -> set[Value]:
    """The unlabelled sums ``a + b`` used only as the left operand of another ``+``: ``sum()``'s partial sums."""
    found = set()
    for node in order:
        consumers = users.get(node, ())
        if (
            node.operation is ADD
            and node is not root
            and not node.label
            and len(consumers) == 1
            and consumers[0].operation is ADD
            and consumers[0].operands[0] is node
            and consumers[0].operands[1] is not node
        ):
            found.add(node)
    return found


def _sum_terms(node: Value, absorbed: set[Value]) -> tuple[Value, ...]:
    """The terms of ``((a + b) + c) + d`` whose partial sums are ``absorbed``: ``a, b, c, d``."""
    later = []
    head = node
    while head.operands[0] in absorbed:
        later.append(head.operands[1])
        head = head.operands[0]
    return (*head.operands, *reversed(later))


def _neuron_name(out: Value, linear_value: Value) -> str:
    """A neuron's name: its output's label, else its bias's label without ``.b`` (``L1.N2``)."""
    if out.label:
        return out.label
    bias = linear_value.operands[-1].label
    if bias.endswith(".b") and len(bias) > 2:
        return bias[:-2]
    return ""
