"""Pictures and explanations of a graph of Values: DOT, SVG/PNG, Mermaid, text, and the chain rule.

Read in this order: ``graph_text`` (node names and number formats), ``box`` (one
box of a picture), ``naming`` (what each box is called), ``graphview`` (which boxes
a picture draws), ``rendering`` (finding Graphviz), ``visualize`` (the
pictures), then ``formula``, ``derivative_formulas`` and ``explainer`` (the
chain-rule explainer).  Built on :mod:`micrograd.autograd` alone.
"""

from __future__ import annotations

from micrograd.pictures.explainer import explain
from micrograd.pictures.graphview import view_graph
from micrograd.pictures.visualize import (
    RendererNotFound,
    draw_dot,
    draw_steps,
    find_renderer,
    save_picture,
    save_steps,
    to_mermaid,
    to_text,
)

__all__ = [
    "RendererNotFound",
    "draw_dot",
    "draw_steps",
    "explain",
    "find_renderer",
    "save_picture",
    "save_steps",
    "to_mermaid",
    "to_text",
    "view_graph",
]
