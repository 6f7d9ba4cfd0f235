"""The picture of a failure: this library's drawing of the failing graph, with the learner's gradients.

The graph is built again with this engine, each value named as in the code the
report shows; every box shows the learner's ``grad``, and a wrong one is drawn in
red with the expected gradient beside its name.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd.autograd import Value
from micrograd.checker.operations import EXTRAS
from micrograd.pictures.graph_text import format_number
from micrograd.pictures.graphview import view_graph
from micrograd.pictures.visualize import RendererNotFound, draw_dot, to_text

if TYPE_CHECKING:
    from micrograd.checker.report import Result

__all__ = ["CAPTION", "draw_failure"]

CAPTION = "grad: your class's gradients; red: wrong, with this engine's beside the name"


def draw_failure(result: Result, out: Path | None, inline: bool) -> None:
    """Draw ``result``'s failing program: write ``OUT/<check id>.svg`` and/or keep the SVG for a notebook."""
    from micrograd.checker.programs import close

    assert result.program is not None and result.learner is not None
    if out is None and not inline:
        return
    env = result.program.evaluate({op.key: op.formula for op in EXTRAS if op.formula is not None})
    wrong = set()
    for name, value in env.items():
        learned = result.learner.get(name, {}).get("grad")
        expected = value.grad
        value.grad = learned if isinstance(learned, float) else float("nan")
        if not close(expected, learned):
            wrong.add(value)
            value.label = f"{name}: expected grad {format_number(expected)}"
    _numbers(env, result.learner)
    root = env[result.program.output]
    try:
        graph = draw_dot(root, detail="operations")
        ids = view_graph(root, "operations").select().ids()
        for box, uid in ids.items():
            if box.value in wrong:
                graph.node(uid, color="red", fontcolor="red", penwidth="2")
        graph.attr(label=CAPTION, fontsize="11")
        svg = graph.pipe(format="svg", quiet=True).decode("utf-8")
    except (RendererNotFound, ImportError, OSError, subprocess.CalledProcessError):
        text = to_text(root, detail="operations")
        if out is not None:
            path = _path(out, result.id, ".txt")
            path.write_text(text, encoding="utf-8")
            result.picture = str(path)
        return
    if out is not None:
        path = _path(out, result.id, ".svg")
        path.write_text(svg, encoding="utf-8")
        result.picture = str(path)
    if inline:
        result.svg = svg[svg.find("<svg") :]


def _numbers(env: dict[str, Value], learner: dict[str, Any]) -> None:
    """Name the plain numbers of the program by their value, with the grad your class gave its Value for it."""
    named = set(env.values())
    for name, value in env.items():
        theirs = [c for c in learner.get(name, {}).get("prev", []) if isinstance(c, dict)]
        for operand in value.operands:
            if operand in named or not operand.is_leaf:
                continue
            match = next((c for c in theirs if c.get("data") == operand.data), None)
            grad = match.get("grad") if match is not None else None
            operand.grad = grad if isinstance(grad, float) else math.nan
            operand.label = format_number(operand.data)


def _path(out: Path, check_id: str, suffix: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{check_id}{suffix}"
