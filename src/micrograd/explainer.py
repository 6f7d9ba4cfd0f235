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
``detail`` is that of the pictures (:mod:`micrograd.graphview`), so a neuron can be
explained product by product, as in the lecture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from micrograd._graph import format_number
from micrograd.engine import Value
from micrograd.graphview import Box, view_graph

__all__ = ["explain"]

# A formula is a list of parts: text, or a reference to an input, written as its name
# in the symbolic form and as its number in the numeric form.  Style of a number:
# "paren" always in parentheses, "neg" in parentheses when negative, "bare" never.
_Ref = tuple[int, str]
_Part = str | _Ref


@dataclass
class _Formula:
    parts: list[_Part]
    names: list[str]
    values: list[float]
    evaluate: Callable[[Sequence[float]], float] | None  # the formula on other inputs, to check rounding
    result: float


class _Notation(NamedTuple):
    """How a line is written: plain text for terminals, or LaTeX for Markdown."""

    name: Callable[[str], str]
    derivative: Callable[[str, str], str]  # d top / d bottom
    partial: Callable[[str, str], str]  # the local derivative of an operation's result
    times: str
    text: Callable[[str], str]  # the text between names and numbers


def _plain_name(name: str) -> str:
    return name if _simple(name) else f"({name})"


def _simple(name: str) -> bool:
    return all(c.isalnum() or c in "_.'" for c in name)


_PLAIN = _Notation(
    str,
    lambda top, bottom: f"d{_plain_name(top)}/d{_plain_name(bottom)}",
    lambda out, x: f"∂{_plain_name(out)}/∂{_plain_name(x)}",
    " · ",
    str,
)


def _latex_text(text: str) -> str:
    for special, escaped in (("\\", r"\backslash "), ("_", r"\_"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(special, escaped)
    for special in "#$%&^~":
        text = text.replace(special, "\\" + special)
    return text.replace("…", r"\ldots ").replace("*", r"\cdot ")


def _latex_operators(text: str) -> str:
    """Plain operators in LaTeX: ``x**2`` is ``x^{2}``, ``·`` and ``*`` are ``\\cdot``, ``−`` is ``-``."""
    if text.startswith("**"):
        return f"^{{{text[2:]}}}"
    text = text.replace(" ** ", "^").replace(" * ", r" \cdot ").replace("*", r"\cdot ").replace("·", r"\cdot")
    text = text.replace("−", "-")
    text = text.replace("²", "^2").replace(" if ", r"\text{ if }").replace(" else ", r"\text{ else }")
    return text


def _latex_name(name: str) -> str:
    return _latex_text(name) if len(name) == 1 else rf"\mathit{{{_latex_text(name)}}}"


_LATEX = _Notation(
    _latex_name,
    lambda top, bottom: rf"\frac{{d{_latex_name(top)}}}{{d{_latex_name(bottom)}}}",
    lambda out, x: rf"\frac{{\partial {_latex_name(out)}}}{{\partial {_latex_name(x)}}}",
    r" \cdot ",
    lambda text: _latex_operators(text),
)


# -- numbers printed so that they multiply out ---------------------------------------------


def _fixed(x: float, decimals: int) -> str:
    """``x`` with at most ``decimals`` decimals; tiny and huge numbers in e-notation."""
    if decimals == 4:
        return format_number(x)
    if math.isnan(x) or math.isinf(x) or (x == int(x) and abs(x) < 1e15):
        return format_number(x)
    if abs(x) >= 1e15 or abs(x) < 10.0**-decimals:
        return f"{x:.{decimals}g}"
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _precision(values: Sequence[float], evaluate: Callable[[Sequence[float]], float] | None, result: float) -> int:
    """The fewest decimals (4 or more) at which ``evaluate`` of the printed values prints as ``result``."""
    if evaluate is None:
        return 4
    target = format_number(result)
    for decimals in range(4, 13):
        printed = [float(_fixed(v, decimals)) for v in values]
        try:
            if format_number(evaluate(printed)) == target:
                return decimals
        except (ArithmeticError, ValueError):
            continue
    return 17


def _number(x: float, decimals: int, style: str) -> str:
    text = _fixed(x, decimals) if decimals < 17 else repr(x)
    if style == "paren" or (style == "neg" and text.startswith("-")):
        return f"({text})"
    return text


def _render(formula: _Formula, notation: _Notation) -> tuple[str, str]:
    """The formula in names and in numbers: ``("1 − o²", "1 − 0.7071²")``."""
    decimals = _precision(formula.values, formula.evaluate, formula.result)
    symbolic, numeric = [], []
    for part in formula.parts:
        if isinstance(part, str):
            text = notation.text(part)
            symbolic.append(text)
            numeric.append(text)
        else:
            index, style = part
            name = formula.names[index]
            symbolic.append(notation.name(name) if style == "bare" or _simple(name) else f"({notation.name(name)})")
            numeric.append(_number(formula.values[index], decimals, style))
    return "".join(symbolic), "".join(numeric)


# -- what each operation computes, and its local derivatives --------------------------------

_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "ReLU": lambda x: max(x, 0.0),
    "abs": abs,
    "neg": lambda x: -x,
}
_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def _forward(box: Box) -> _Formula:
    """``box`` as computed from its operands: ``d * f`` and ``(4) * (-2)``."""
    names = [x.name for x in box.operands]
    values = [x.data for x in box.operands]
    op = box.op
    if box.kind == "neuron" or op == "linear":
        n = len(values) // 2
        parts: list[_Part] = []
        for i in range(n):
            parts += [" + " if i else "", (n + i, "paren"), " · ", (i, "paren")]
        parts += [" + ", (2 * n, "paren")]
        activation: Callable[[float], float] = _FUNCTIONS.get(box.activation, float)
        if box.activation:
            parts = [f"{box.activation}(", *parts, ")"]

        def neuron(v: Sequence[float]) -> float:
            return activation(sum(v[n + i] * v[i] for i in range(n)) + v[2 * n])

        return _Formula(parts, names, values, neuron, box.data)
    if len(values) == 2 and op in _BINARY:
        function = _BINARY[op]
        return _Formula([(0, "paren"), f" {op} ", (1, "paren")], names, values, lambda v: function(*v), box.data)
    if len(values) == 1 and op.startswith("**"):
        k = float(op[2:])
        return _Formula([(0, "neg"), op], names, values, lambda v: v[0] ** k, box.data)
    if len(values) == 1 and op == "neg":
        return _Formula(["-", (0, "paren")], names, values, lambda v: -v[0], box.data)
    if len(values) == 1 and op in _FUNCTIONS:
        function1 = _FUNCTIONS[op]
        return _Formula([f"{op}(", (0, "bare"), ")"], names, values, lambda v: function1(v[0]), box.data)
    parts = [f"{op}("]
    for i in range(len(values)):
        parts += [", " if i else "", (i, "bare")]
    return _Formula([*parts, ")"], names, values, None, box.data)


def _activation_derivative(activation: str, out: Box, x: Box) -> tuple[list[_Part], list[Box], Callable[..., float]]:
    """d activation / d its input, in terms of the result ``out`` (or the input ``x`` for ReLU)."""
    if activation == "tanh":
        return ["1 − ", (0, "neg"), "²"], [out], lambda o: 1 - o * o
    if activation == "sigmoid":
        return [(0, "neg"), " · (1 − ", (0, "neg"), ")"], [out], lambda o: o * (1 - o)
    if activation == "exp":
        return [(0, "bare")], [out], lambda o: o
    return ["1 if ", (0, "neg"), " > 0 else 0"], [x], lambda v: 1.0 if v > 0 else 0.0


def _local(box: Box, index: int, local: float) -> _Formula | None:
    """The local derivative d box / d operand ``index`` as a formula, or None if it has none to show."""
    op = box.op
    operands = box.operands
    if box.kind == "neuron":
        n = len(operands) // 2
        factor = operands[n + index] if index < n else operands[index - n] if index < 2 * n else None
        if not box.activation:
            return _Formula([(0, "bare")], [factor.name], [factor.data], lambda v: v[0], local) if factor else None
        parts, inputs, derivative = _activation_derivative(box.activation, box, box)
        if box.activation == "ReLU":  # its derivative depends on the neuron's sum, which is inside the box
            return None
        count = len(inputs)
        names = [x.name for x in inputs]
        values = [x.data for x in inputs]
        if factor is None:
            return _Formula(parts, names, values, lambda v: derivative(*v[:count]), local)
        parts = ["(", *parts, ") · ", (count, "neg")]
        return _Formula(
            parts, [*names, factor.name], [*values, factor.data], lambda v: derivative(*v[:count]) * v[count], local
        )
    names = [x.name for x in operands]
    values = [x.data for x in operands]
    if op == "linear":
        n = len(operands) // 2
        if index == 2 * n:
            return None
        other = index + n if index < n else index - n
        return _Formula([(0, "bare")], [names[other]], [values[other]], lambda v: v[0], local)
    if op in ("+", "-", "neg") or box.kind == "sum":
        return None  # 1 or -1: nothing to work out
    if op == "*":
        return _Formula([(0, "bare")], [names[1 - index]], [values[1 - index]], lambda v: v[0], local)
    if op == "/":
        if index == 0:
            return _Formula(["1/", (1, "neg")], names, values, lambda v: 1 / v[1], local)
        return _Formula(["−", (0, "neg"), "/", (1, "neg"), "²"], names, values, lambda v: -v[0] / v[1] ** 2, local)
    if op == "**" and len(operands) == 2:
        if index == 0:
            power: list[_Part] = [(1, "neg"), " · ", (0, "neg"), "^(", (1, "bare"), " − 1)"]
            return _Formula(power, names, values, lambda v: v[1] * v[0] ** (v[1] - 1), local)
        return _Formula(
            [(2, "neg"), " · log(", (0, "bare"), ")"],
            [*names, box.name],
            [*values, box.data],
            lambda v: v[2] * math.log(v[0]),
            local,
        )
    if op.startswith("**") and len(operands) == 1:
        k = float(op[2:])
        if k == 0:
            return None  # x**0 is constant: nothing to work out
        exponent = "" if k == 2 else f"^{format_number(k - 1)}"
        return _Formula(
            [format_number(k), " · ", (0, "neg"), exponent], names, values, lambda v: k * v[0] ** (k - 1), local
        )
    if op == "log":
        return _Formula(["1/", (0, "neg")], names, values, lambda v: 1 / v[0], local)
    if op == "abs":
        return _Formula(
            ["sign(", (0, "bare"), ")"], names, values, lambda v: math.copysign(1.0, v[0]) if v[0] else 0.0, local
        )
    if op in ("tanh", "sigmoid", "exp", "ReLU"):
        parts, inputs, derivative = _activation_derivative(op, box, operands[0])
        return _Formula(parts, [x.name for x in inputs], [x.data for x in inputs], lambda v: derivative(v[0]), local)
    return None


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
    notation = _LATEX if format == "markdown" else _PLAIN
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
        f"Backpropagation from ${_latex_name(top.name)} = {value}$, from the output back to the inputs.",
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


def _steps(boxes: list[Box], root: Box, notation: _Notation) -> list[tuple[str, list[str]]]:
    """Each step's heading (the operation in numbers) and lines (local derivatives, then final gradients)."""
    grads: dict[Box, float] = {root: 1.0}
    uses: dict[Box, list[_Use]] = {}
    remaining: dict[Box, int] = {}  # uses of a box not yet backpropagated through
    for box in boxes:
        for operand in box.operands:
            remaining[operand] = remaining.get(operand, 0) + 1
    steps = []
    for box in reversed(boxes):
        if not box.operands or box not in grads:
            continue
        symbols, numbers = _render(_forward(box), notation)
        heading = f"{notation.name(box.name)} = {symbols} = {numbers} = {format_number(box.data)}"
        locals_ = box.local_derivatives()
        body: list[str] = []
        finished: list[Box] = []
        for index, (operand, local) in enumerate(zip(box.operands, locals_, strict=True)):
            line = f"{notation.partial(box.name, operand.name)} = "
            formula = _local(box, index, local)
            if formula is not None:
                symbolic, numeric = _render(formula, notation)
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


def _derivation(box: Box, uses: list[_Use], grad: float, root: Box, notation: _Notation) -> str:
    """``dL/dx = dL/dout · ∂out/∂x (+ ...) = (g) · (local) (+ ...) = value``, one term per use of x."""
    terms: list[str] = []
    parts: list[_Part] = []
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
        pieces.append(_render(_Formula(parts, [""] * len(values), values, evaluate, grad), notation)[1])
    pieces.append(format_number(grad))
    return " = ".join(pieces)
