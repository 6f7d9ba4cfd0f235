"""The chain rule, spelled out: how backpropagation arrives at every gradient.

``explain(root)`` walks the graph from the output back to the inputs, one operation
(a step) at a time.  Each step writes the operation with its numbers, then each
local derivative with its formula (``∂o/∂n = 1 − o² = 1 − 0.7071² = 0.5``), then the
gradient of every value that is final by then, such as ``dL/da = dL/de · ∂e/∂a =
(-2) · (-3) = 6``: the gradient of the value it feeds times the local derivative.
A value used in several places gets the sum of one such product per use.

Every line multiplies out as printed: a factor is printed with as many decimals as
the result needs (``(-3) · (0.41997) = -1.2599``, not ``(-3) · (0.42)``).  The
numbers are computed here, from the graph; ``.grad`` is neither read nor changed.
``detail`` is that of the pictures (:mod:`micrograd.pictures.graphview`), so a neuron can be
explained product by product, as in the lecture.

How a formula is printed is :mod:`micrograd.pictures.formula`; the formula of each
operation and of its local derivatives is :mod:`micrograd.pictures.derivative_formulas`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from micrograd.autograd import Value
from micrograd.autograd.reverse import backward_order
from micrograd.pictures.derivative_formulas import forward_formula, local_formula
from micrograd.pictures.formula import LATEX, PLAIN, Formula, Notation, Part, latex_name, render
from micrograd.pictures.graph_text import format_number
from micrograd.pictures.graphview import Box, view_graph

__all__ = ["explain"]

# -- backpropagation, step by step -----------------------------------------------------------


@dataclass
class _Use:
    """One path from a value to the root: it is an operand of ``result``."""

    result: Box
    local: float  # d result / d value along this use
    result_grad: float  # dL/d result, final when this use is written


def explain(root: Value, format: str = "text", *, detail: str = "auto") -> str:
    """Every gradient of ``root``'s graph, derived with the chain rule, output first.

    ``format='text'`` gives plain lines for a terminal; ``format='markdown'`` gives
    Markdown with LaTeX math (GitHub's ```` ```math ```` blocks).  Values are named
    as the pictures name them (``n1``, ``n2``, ..., an unlabelled root ``out``), and
    ``detail`` is the pictures' (a single neuron is explained expanded).

    >>> from micrograd import Value
    >>> x = Value(3.0, label='x')
    >>> y = x * x; y.label = 'y'
    >>> print(explain(y), end='')
    Backpropagation from y = 9, from the output back to the inputs.
    dy/dy = 1
    Step 1: y = x * x = (3) * (3) = 9
      ∂y/∂x = x = 3
      dy/dx = ∂y/∂x + ∂y/∂x = (3) + (3) = 6
    """
    if format not in ("text", "markdown"):
        raise ValueError(f"format must be 'text' or 'markdown', got {format!r}")
    view = view_graph(root, detail)
    notation = LATEX if format == "markdown" else PLAIN
    top = view.root
    steps = _steps(view.boxes, top, notation)
    value = format_number(top.data)
    if format == "text":
        lines = [
            f"Backpropagation from {top.name} = {value}, from the output back to the inputs.",
            f"{notation.derivative(top.name, top.name)} = 1",
        ]
        for number, (heading, body) in enumerate(steps, start=1):
            lines.append(f"Step {number}: {heading}")
            lines.extend(f"  {line}" for line in body)
        return "\n".join(lines) + "\n"
    parts = [
        f"Backpropagation from ${latex_name(top.name)} = {value}$, from the output back to the inputs.",
        "",
        "```math",
        f"{notation.derivative(top.name, top.name)} = 1",
        "```",
    ]
    for number, (heading, body) in enumerate(steps, start=1):
        parts += ["", f"**Step {number}**: ${heading}$", ""]
        for line in body:
            parts += ["```math", line, "```"]
    return "\n".join(parts) + "\n"


def _steps(boxes: list[Box], root: Box, notation: Notation) -> list[tuple[str, list[str]]]:
    """Each step's heading (the operation in numbers) and lines (local derivatives, then final gradients)."""
    grads: dict[Box, float] = {root: 1.0}
    uses: dict[Box, list[_Use]] = {}
    remaining: dict[Box, int] = {}  # uses of a box not yet backpropagated through
    for box in boxes:
        for operand in box.operands:
            remaining[operand] = remaining.get(operand, 0) + 1
    steps = []
    # backward()'s order: with detail "operations" (a box per value), Step k is its k-th step
    for box in backward_order(root, _operands):
        if not box.operands or box not in grads:
            continue
        symbols, numbers = render(forward_formula(box), notation)
        heading = f"{notation.name(box.name)} = {symbols} = {numbers} = {format_number(box.data)}"
        locals_ = box.local_derivatives()
        body: list[str] = []
        finished: list[Box] = []
        for index, (operand, local) in enumerate(zip(box.operands, locals_, strict=True)):
            line = f"{notation.partial(box.name, operand.name)} = "
            formula = local_formula(box, index, local)
            if formula is not None:
                symbolic, numeric = render(formula, notation)
                line += symbolic + " = "
                if numeric not in (symbolic, format_number(local)):
                    line += numeric + " = "
            line += format_number(local)
            if _shown(operand) and line not in body:
                body.append(line)
            uses.setdefault(operand, []).append(_Use(box, local, grads[box]))
            grads[operand] = grads.get(operand, 0.0) + grads[box] * local
            remaining[operand] -= 1
            if remaining[operand] == 0:  # every use is counted: the gradient is final
                finished.append(operand)
        body += [_derivation(x, uses[x], grads[x], root, notation) for x in finished if _shown(x)]
        steps.append((heading, body))
    return steps


def _shown(box: Box) -> bool:
    """False for the numbers typed into a neuron, which the neurons picture keeps inside its box."""
    return not box.hidden or bool(box.value is not None and box.value.label)


def _derivation(box: Box, uses: list[_Use], grad: float, root: Box, notation: Notation) -> str:
    """``dL/dx = dL/dout · ∂out/∂x (+ ...) = (g) · (local) (+ ...) = value``, one term per use of x."""
    terms: list[str] = []
    parts: list[Part] = []
    values: list[float] = []
    for use in uses:
        partial = notation.partial(use.result.name, box.name)
        if parts:
            parts.append(" + ")
        if use.result is root:
            terms.append(partial)
            parts.append((len(values), "paren"))
            values.append(use.local)
        else:
            terms.append(notation.derivative(root.name, use.result.name) + notation.times + partial)
            parts += [(len(values), "paren"), "·", (len(values) + 1, "paren")]
            values += [use.result_grad, use.local]
    kinds = [use.result is root for use in uses]

    def evaluate(v: Sequence[float]) -> float:
        total, position = 0.0, 0
        for direct in kinds:
            if direct:
                total += v[position]
                position += 1
            else:
                total += v[position] * v[position + 1]
                position += 2
        return total

    pieces = [notation.derivative(root.name, box.name), " + ".join(terms)]
    if len(uses) > 1 or uses[0].result is not root:
        parts = [part if part != "·" else notation.times for part in parts]
        pieces.append(render(Formula(parts, [""] * len(values), values, evaluate, grad), notation)[1])
    pieces.append(format_number(grad))
    return " = ".join(pieces)


def _operands(box: Box) -> Sequence[Box]:
    return box.operands
