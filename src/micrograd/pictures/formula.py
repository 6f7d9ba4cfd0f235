"""A formula written twice, in names and in numbers, as plain text or LaTeX.

The explainer prints every operation and local derivative this way:
``1 − o² = 1 − 0.7071²``.  A :class:`Formula` is a list of parts (text, or a
reference to an input); :func:`render` writes it in a :class:`Notation`
(:data:`PLAIN` for terminals, :data:`LATEX` for Markdown), printing each number
with as many decimals as the result needs, so that every line multiplies out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from micrograd.pictures.graph_text import format_number

__all__ = ["LATEX", "PLAIN", "Formula", "Notation", "Part", "Ref", "latex_name", "render"]

# A formula is a list of parts: text, or a reference to an input, written as its name
# in the symbolic form and as its number in the numeric form.  Style of a number:
# "paren" always in parentheses, "neg" in parentheses when negative, "bare" never.
Ref = tuple[int, str]
Part = str | Ref


@dataclass
class Formula:
    """An expression over some inputs, with their names and values, and the result it should print as."""

    parts: list[Part]
    names: list[str]
    values: list[float]
    evaluate: Callable[[Sequence[float]], float] | None  # the formula on other inputs, to check rounding
    result: float


class Notation(NamedTuple):
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


PLAIN = Notation(
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


def latex_name(name: str) -> str:
    return _latex_text(name) if len(name) == 1 else rf"\mathit{{{_latex_text(name)}}}"


LATEX = Notation(
    latex_name,
    lambda top, bottom: rf"\frac{{d{latex_name(top)}}}{{d{latex_name(bottom)}}}",
    lambda out, x: rf"\frac{{\partial {latex_name(out)}}}{{\partial {latex_name(x)}}}",
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


def render(formula: Formula, notation: Notation) -> tuple[str, str]:
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
