"""The chain rule, spelled out: how backpropagation arrives at every gradient.

``explain(root)`` walks the graph in the order ``backward()`` runs and writes one
line per value, such as ``dL/da = dL/de · de/da = (-2) · (-3) = 6``: the gradient
of the value it feeds (final by then) times the local derivative of that operation
(from ``local_gradients``).  A value used in several places gets the sum of one
such product per use.  The numbers are computed here, from the graph; ``.grad`` is
neither read nor changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from micrograd._graph import format_number, node_names
from micrograd.engine import Value, graph_order, local_gradients

__all__ = ["explain"]

_INFIX = {"+": "+", "-": "-", "*": "*", "/": "/", "**": "**"}
_INFIX_LATEX = {"+": "+", "-": "-", "*": r"\cdot", "/": "/"}


@dataclass
class _Use:
    """One path from a value to the root: it is operand ``index`` of ``result``."""

    result: Value
    local: float  # d result / d value along this use
    result_grad: float  # dL/d result, final when this use is written


@dataclass
class _Line:
    """The derivation of one value's gradient."""

    node: Value
    uses: list[_Use]
    grad: float


@dataclass
class _Step:
    """One backpropagation step: a result passes its gradient on to its operands."""

    result: Value
    lines: list[_Line]


def _derive(root: Value) -> list[_Step]:
    """The steps of backpropagation from ``root``, each with the gradients it completes."""
    graph = graph_order(root)
    order = [node for node in reversed(graph.nodes) if not node.is_leaf]  # as backward() runs
    grads: dict[Value, float] = {root: 1.0}
    uses: dict[Value, list[_Use]] = {}
    remaining = dict(graph.consumers)  # uses of a value not yet backpropagated through
    steps = []
    for node in order:
        lines = []
        for operand, local in zip(node.operands, local_gradients(node), strict=True):
            uses.setdefault(operand, []).append(_Use(node, local, grads[node]))
            grads[operand] = grads.get(operand, 0.0) + grads[node] * local
            remaining[operand] -= 1
            if remaining[operand] == 0:  # every use is counted: the gradient is final
                lines.append(_Line(operand, uses[operand], grads[operand]))
        steps.append(_Step(node, lines))
    return steps


def _expression(node: Value, names: dict[Value, str], latex: bool = False) -> tuple[str, str]:
    """How ``node`` was computed, in names and in numbers: ``("d * f", "(4) * (-2)")``."""
    operands = node.operands
    op = node.op
    symbols = [_latex_name(names[x]) if latex else names[x] for x in operands]
    numbers = [f"({format_number(x.data)})" for x in operands]
    if len(operands) == 2 and op in _INFIX:
        if latex and op == "**":
            return f"{symbols[0]}^{{{symbols[1]}}}", f"{numbers[0]}^{{{numbers[1]}}}"
        symbol = _INFIX_LATEX[op] if latex else _INFIX[op]
        return f"{symbols[0]} {symbol} {symbols[1]}", f"{numbers[0]} {symbol} {numbers[1]}"
    if len(operands) == 1 and op.startswith("**"):
        exponent = op[2:]
        if latex:
            return f"{symbols[0]}^{{{exponent}}}", f"{numbers[0]}^{{{exponent}}}"
        return f"{symbols[0]}{op}", f"{numbers[0]}{op}"
    if len(operands) == 1 and op == "neg":
        return f"-{symbols[0]}", f"-{numbers[0]}"
    function = rf"\operatorname{{{_latex_text(op)}}}" if latex else op
    plain_numbers = ", ".join(format_number(x.data) for x in operands)
    return f"{function}({', '.join(symbols)})", f"{function}({plain_numbers})"


def _latex_text(text: str) -> str:
    for special, escaped in (("\\", r"\backslash "), ("_", r"\_"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(special, escaped)
    for special in "#$%&^~":
        text = text.replace(special, "\\" + special)
    return text


def _latex_name(name: str) -> str:
    return _latex_text(name) if len(name) == 1 else rf"\mathit{{{_latex_text(name)}}}"


class _Notation(NamedTuple):
    """How a derivation line is written: plain text for terminals, or LaTeX for Markdown."""

    name: Callable[[str], str]
    derivative: Callable[[str, str], str]  # d top / d bottom
    partial: Callable[[str, str], str]  # the local derivative of an operation's result
    times: str


_PLAIN = _Notation(str, lambda top, bottom: f"d{top}/d{bottom}", lambda out, x: f"∂{out}/∂{x}", " · ")
_LATEX = _Notation(
    _latex_name,
    lambda top, bottom: rf"\frac{{d{top}}}{{d{bottom}}}",
    lambda out, x: rf"\frac{{\partial {out}}}{{\partial {x}}}",
    r" \cdot ",
)


def _derivation(line: _Line, root: Value, names: dict[Value, str], notation: _Notation) -> str:
    """``dL/dx = dL/dout · dout/dx (+ ...) = (g) · (local) (+ ...) = value``, one term per use of x."""
    root_name, x = notation.name(names[root]), notation.name(names[line.node])
    terms, numbers = [], []
    for use in line.uses:
        out = notation.name(names[use.result])
        if use.result is root:
            terms.append(notation.partial(out, x))
            numbers.append(f"({format_number(use.local)})")
        else:
            terms.append(notation.derivative(root_name, out) + notation.times + notation.derivative(out, x))
            numbers.append(f"({format_number(use.result_grad)}){notation.times}({format_number(use.local)})")
    parts = [notation.derivative(root_name, x), " + ".join(terms)]
    if len(line.uses) > 1 or line.uses[0].result is not root:
        parts.append(" + ".join(numbers))
    parts.append(format_number(line.grad))
    return " = ".join(parts)


def explain(root: Value, format: str = "text") -> str:
    """Every gradient of ``root``'s graph, derived with the chain rule in backprop order.

    ``format='text'`` gives plain lines for a terminal; ``format='markdown'`` gives
    Markdown with LaTeX math (GitHub's ```` ```math ```` blocks).  Unlabeled values
    are called ``n1``, ``n2``, ... (an unlabeled root ``out``), as in ``to_text``.

    >>> from micrograd import Value
    >>> x = Value(3.0, label='x')
    >>> y = x * x; y.label = 'y'
    >>> print(explain(y), end='')
    Backpropagation from y = 9, in the order backward() runs.
    dy/dy = 1
    Step 1: y = x * x = (3) * (3) = 9
      dy/dx = ∂y/∂x + ∂y/∂x = (3) + (3) = 6
    """
    if format not in ("text", "markdown"):
        raise ValueError(f"format must be 'text' or 'markdown', got {format!r}")
    names = node_names(root)
    steps = _derive(root)
    root_name = names[root]
    if format == "markdown":
        return _markdown(root, steps, names)
    lines = [
        f"Backpropagation from {root_name} = {format_number(root.data)}, in the order backward() runs.",
        f"d{root_name}/d{root_name} = 1",
    ]
    for number, step in enumerate(steps, start=1):
        symbols, numbers = _expression(step.result, names)
        out = names[step.result]
        lines.append(f"Step {number}: {out} = {symbols} = {numbers} = {format_number(step.result.data)}")
        lines.extend(f"  {_derivation(line, root, names, _PLAIN)}" for line in step.lines)
    return "\n".join(lines) + "\n"


def _markdown(root: Value, steps: list[_Step], names: dict[Value, str]) -> str:
    root_name = _latex_name(names[root])
    parts = [
        f"Backpropagation from ${root_name} = {format_number(root.data)}$, in the order `backward()` runs.",
        "",
        "```math",
        rf"\frac{{d{root_name}}}{{d{root_name}}} = 1",
        "```",
    ]
    for number, step in enumerate(steps, start=1):
        symbols, numbers = _expression(step.result, names, latex=True)
        out = _latex_name(names[step.result])
        parts += ["", f"**Step {number}**: ${out} = {symbols} = {numbers} = {format_number(step.result.data)}$", ""]
        for line in step.lines:
            parts += ["```math", _derivation(line, root, names, _LATEX), "```"]
    return "\n".join(parts) + "\n"
