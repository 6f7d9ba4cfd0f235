"""How a single Value shows itself: the cell format of data and grad, and Jupyter's one-line HTML.

The pictures (:mod:`micrograd.pictures`) format numbers with :func:`format_cell`
too, so a notebook's one-line display and a drawn graph print a number alike.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from micrograd.autograd.value import Value

__all__ = ["format_cell", "value_html"]


def format_cell(x: float) -> str:
    """``x`` as a picture shows data and grad: 4 decimals (``%.4f``), in e-notation when huge."""
    return f"{x:.4f}" if abs(x) < 1e12 or math.isinf(x) else f"{x:.4e}"


def value_html(value: Value) -> str:
    """A Value in one line of HTML, as Jupyter shows it: name, data, grad and operation."""
    name = html.escape(value.label) if value.label else "Value"
    parts = [f"<b>{name}</b>", f"data {format_cell(value.data)}", f"grad {format_cell(value.grad)}"]
    if value.operands:
        names = [operand.label for operand in value.operands]
        made = f" of {', '.join(map(html.escape, names))}" if all(names) else f" of {len(names)} values"
        parts.append(f"made by {html.escape(value.op)}{made}")
    else:
        parts.append("a leaf")
    return '<code class="micrograd-value">' + " · ".join(parts) + "</code>"
