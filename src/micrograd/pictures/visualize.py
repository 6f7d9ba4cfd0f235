"""Pictures of a graph of Values: Graphviz, Mermaid and plain text.

``draw_dot`` builds the Graphviz picture that micrograd's notebooks draw: one record
``{ label | data | grad }`` per Value and one small node per operation, between its
operands and its result.  It needs the ``viz`` extra (``pip install
".[viz]"`` in a checkout), which brings the ``graphviz`` Python package and
``graphviz-pure``, a dot-compatible renderer, so pictures render even where no
system Graphviz is installed.  ``to_mermaid`` and ``to_text`` need nothing at all.

Every function here takes ``detail=`` (see :mod:`micrograd.pictures.graphview`): a neuron's
``linear`` as one box (``"operations"``), spelled out into products and sums as in
the lecture (``"expanded"``), or a whole network with one box per neuron
(``"neurons"``); ``"auto"`` picks.  ``max_nodes=`` (keep the values nearest to the
root) and ``depth=`` (keep values at most that many operations away from the root)
cut big graphs further; what is cut off is shown as a "more" marker.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd.autograd import Value
from micrograd.autograd.display import value_html
from micrograd.pictures.dot_text import DotText
from micrograd.pictures.graph_text import format_cell, topological_order
from micrograd.pictures.graphview import Box, GraphView, more_label, view_graph
from micrograd.pictures.rendering import INSTALL_HINT, RendererNotFound, find_renderer, value_graph_class

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "INSTALL_HINT",
    "RendererNotFound",
    "dot_source",
    "draw_dot",
    "draw_steps",
    "find_renderer",
    "save_picture",
    "save_steps",
    "to_mermaid",
    "to_text",
    "value_html",
]

# Courier: the renderer lays text out with Courier's metrics (0.6 em a character) and
# the SVG asks for "Courier,monospace"; every monospace font a browser falls back to
# (DejaVu Sans Mono, Liberation Mono, Courier New) has the same advance, so the text
# fits its boxes whatever fonts are installed.
FONT = "Courier"


NOT_COMPUTED = "gradients not computed yet: call backward()"


# -- Graphviz ------------------------------------------------------------------------------


def _record_text(text: str) -> str:
    """``text`` escaped for a cell of a Graphviz record label."""
    text = text.replace("\\", "\\\\")
    for special in '{}|<>"':
        text = text.replace(special, "\\" + special)
    return text


def _check_rankdir(rankdir: str) -> None:
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    detail: str = "auto",
    max_nodes: int | None = None,
    depth: int | None = None,
) -> graphviz.Digraph:
    """The graph that computed ``root`` as a ``graphviz.Digraph``.

    Each Value is a record ``{ name | data | grad }`` (unlabelled values are called
    ``n1``, ``n2``, ..., an unlabelled root ``out``) and each operation a small node
    between its operands (in order) and its result; a neuron (``detail="neurons"``)
    is a rounded record.  The result has ``.source`` (DOT text), ``.pipe(format=...)``,
    ``.render(...)`` and shows inline in Jupyter; rendering uses the system ``dot``
    or, without one, ``graphviz-pure``.  ``detail``, ``max_nodes`` and ``depth``
    choose what is drawn (see the module docstring).  A graph whose gradients were
    never computed says so in its caption.
    """
    _check_rankdir(rankdir)
    view = view_graph(root, detail)
    return _dot(view, format, rankdir, max_nodes, depth, "" if view.gradients_computed else NOT_COMPUTED)


def dot_source(
    root: Value, rankdir: str = "LR", *, detail: str = "auto", max_nodes: int | None = None, depth: int | None = None
) -> str:
    """The DOT text of :func:`draw_dot`'s picture, written without the ``graphviz`` package.

    For places where that package and a renderer cannot be installed (Pyodide, in
    the static playground): the text is rendered elsewhere, by a WebAssembly Graphviz.
    """
    _check_rankdir(rankdir)
    view = view_graph(root, detail)
    caption = "" if view.gradients_computed else NOT_COMPUTED
    return str(_dot(view, "svg", rankdir, max_nodes, depth, caption, graph_class=DotText).source)


def _dot(
    view: GraphView,
    format: str,
    rankdir: str,
    max_nodes: int | None,
    depth: int | None,
    caption: str,
    graph_class: Any = None,
) -> graphviz.Digraph:
    selection = view.select(max_nodes, depth)
    ids = selection.ids()
    # a network's picture stacks each box's cells (name over data over grad) and writes
    # a neuron's operation inside its box: narrow columns, so it fits a page's width;
    # ordering=out keeps a layer's neurons in order (N0 above N1)
    stacked = view.detail == "neurons"
    graph = (graph_class or value_graph_class())(
        format=format,
        graph_attr={"rankdir": rankdir, "fontname": FONT, **({"ordering": "out"} if stacked else {})},
        node_attr={"fontname": FONT},
    )
    braces = ("{ ", " }") if stacked == (rankdir in ("TB", "BT")) else ("", "")
    for node in selection.nodes:
        uid = ids[node]
        cells = [_record_text(node.name), f"data {format_cell(node.data)}", f"grad {format_cell(node.grad)}"]
        style = {"style": "rounded"} if node.kind == "neuron" else {}
        if node.kind == "neuron":
            cells.insert(1, _record_text(node.op))
        graph.node(uid, label=braces[0] + " | ".join(cells) + braces[1], shape="record", **style)
        if node.kind == "neuron":
            operation = uid  # the operands point at the box itself
        elif node.operands:
            operation = f"{uid}_op"
            # ordering=in: the layout keeps the operands in order (a - b: a above b)
            size = "14" if stacked else "11"  # a network's picture is shown small: its text stays full size
            graph.node(operation, label=_record_text(node.op), fontsize=size, margin="0.02", ordering="in")
            graph.edge(operation, uid)
        if node.operands:
            for operand in node.drawn_operands:
                if operand in selection:
                    graph.edge(ids[operand], operation)
            if node in selection.hidden_operands:
                more = f"{uid}_more"
                graph.node(more, label=more_label(selection.hidden_operands[node]), shape="plaintext")
                graph.edge(more, operation, style="dashed")
    lines = [caption] if caption else []
    if len(selection.nodes) < selection.total:
        lines.append(f"showing {len(selection.nodes)} of {selection.total} values")
    if lines:
        graph.attr(label="\n".join(lines), fontsize="11")
    graph.summary = (
        f"<draw_dot picture of {view.root.name}: {len(selection.nodes)} of {selection.total} values drawn, "
        f"detail {view.detail!r}; .source is its DOT text, .render(outfile='graph.svg') writes it>"
    )
    return graph


def draw_steps(root: Value, **options: Any) -> Iterator[graphviz.Digraph]:
    """Backpropagate from ``root`` one node at a time, with a picture before and after each step.

    Picture 0 shows no gradient yet; then one picture after each node has passed its
    gradient on to its operands, as ``Value.backward_steps()`` runs.  A picture shows
    a gradient only once it is final (every use of the value has passed its share
    back); the others read 0 until then, so the gradients only ever fill in.
    ``options`` are those of :func:`draw_dot` (``format``, ``rankdir``, ``detail``,
    ``max_nodes``, ``depth``).
    """
    format = options.pop("format", "svg")
    rankdir = options.pop("rankdir", "LR")
    detail = options.pop("detail", "auto")
    max_nodes = options.pop("max_nodes", None)
    depth = options.pop("depth", None)
    if options:
        raise TypeError(f"draw_steps: unexpected option {next(iter(options))!r}")
    _check_rankdir(rankdir)
    for view, caption in _step_views(root, detail):
        yield _dot(view, format, rankdir, max_nodes, depth, caption)


def _step_views(root: Value, detail: str) -> Iterator[tuple[GraphView, str]]:
    """The view before backward, then after each step, showing only final gradients; with captions."""
    view = view_graph(root, detail, grads={})
    remaining: dict[Value, int] = {}  # uses of a value whose step has not run yet
    for node in topological_order(root):
        for operand in node.operands:
            remaining[operand] = remaining.get(operand, 0) + 1
    steps = root.backward_steps()
    yield view, "before backward: no gradient yet"
    final: dict[Value, float] = {}
    names = view.names()
    for number, node in enumerate(steps, start=1):
        final[root] = root.grad
        for operand in node.operands:
            remaining[operand] -= 1
        for operand in node.operands:
            if remaining[operand] == 0:
                final[operand] = operand.grad
        caption = f"step {number}: {names.get(node, 'a neuron')} passed its gradient to its operands"
        yield view_graph(root, detail, grads=final), caption


def save_picture(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    detail: str = "auto",
    max_nodes: int | None = None,
    depth: int | None = None,
) -> Path:
    """Write a picture of ``root``'s graph to ``path``; the format comes from its extension.

    ``.svg``, ``.png`` (any format the renderer knows) are rendered; ``.dot``/``.gv``
    is the DOT source, ``.mmd`` the Mermaid flowchart and ``.txt`` the text tree
    (these two need no dependency).  Returns the path written.
    """
    _check_rankdir(rankdir)
    view = view_graph(root, detail)
    target = Path(path)
    _write(view, target, rankdir, max_nodes, depth, "" if view.gradients_computed else NOT_COMPUTED)
    return target


def save_steps(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    detail: str = "auto",
    max_nodes: int | None = None,
    depth: int | None = None,
) -> list[Path]:
    """Backpropagate step by step as :func:`draw_steps` does, writing ``PATH_step0``, ``PATH_step1``, ...

    The format comes from the extension, as for :func:`save_picture`.  Returns the paths written.
    """
    _check_rankdir(rankdir)
    target = Path(path)
    _suffix(target)
    written = []
    for number, (view, caption) in enumerate(_step_views(root, detail)):
        step = target.with_name(f"{target.stem}_step{number}{target.suffix}")
        _write(view, step, rankdir, max_nodes, depth, caption)
        written.append(step)
    return written


def _suffix(target: Path) -> str:
    suffix = target.suffix.lower().lstrip(".")
    if not suffix:
        raise ValueError(f"{os.fspath(target)!r} has no extension to tell the format (.svg, .png, .dot, .mmd, .txt)")
    return suffix


def _write(view: GraphView, target: Path, rankdir: str, max_nodes: int | None, depth: int | None, caption: str) -> None:
    suffix = _suffix(target)
    if suffix == "mmd":
        target.write_text(_mermaid(view, rankdir, max_nodes, depth), encoding="utf-8")
    elif suffix == "txt":
        target.write_text(_text(view, max_nodes, depth), encoding="utf-8")
    else:
        graph = _dot(view, "svg", rankdir, max_nodes, depth, caption)
        if suffix in ("dot", "gv"):
            target.write_text(graph.source, encoding="utf-8")
        else:
            target.write_bytes(graph.pipe(format=suffix, quiet=True))


# -- Mermaid, plain text and HTML -----------------------------------------------------------


def _mermaid_text(text: str) -> str:
    """``text`` made safe inside a quoted Mermaid label."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(
    root: Value,
    rankdir: str = "LR",
    *,
    detail: str = "auto",
    max_nodes: int | None = None,
    depth: int | None = None,
) -> str:
    """The graph as a Mermaid flowchart (Markdown on GitHub draws it), no dependency needed.

    Values are boxes ``name | data | grad``, operations are circles, and operands
    enter their operation in order.  ``detail``, ``max_nodes`` and ``depth`` as for
    :func:`draw_dot`.
    """
    _check_rankdir(rankdir)
    return _mermaid(view_graph(root, detail), rankdir, max_nodes, depth)


def _mermaid(view: GraphView, rankdir: str, max_nodes: int | None, depth: int | None) -> str:
    selection = view.select(max_nodes, depth)
    ids = selection.ids()
    lines = [f"flowchart {rankdir}"]
    for node in selection.nodes:
        uid = ids[node]
        text = f"{node.name} | data {format_cell(node.data)} | grad {format_cell(node.grad)}"
        lines.append(f'    {uid}["{_mermaid_text(text)}"]')
        if node.operands:
            lines.append(f'    {uid}_op(("{_mermaid_text(node.op)}"))')
            for operand in node.drawn_operands:
                if operand in selection:
                    lines.append(f"    {ids[operand]} --> {uid}_op")
            if node in selection.hidden_operands:
                lines.append(f'    {uid}_more["{more_label(selection.hidden_operands[node])}"]')
                lines.append(f"    {uid}_more -.-> {uid}_op")
            lines.append(f"    {uid}_op --> {uid}")
    return "\n".join(lines) + "\n"


TEXT_DEPTH = 16  # to_text indents at most this many levels; deeper subtrees continue below


def to_text(root: Value, *, detail: str = "auto", max_nodes: int | None = None, depth: int | None = None) -> str:
    """The graph as an indented tree for a terminal: name, operation, data and grad.

    The root comes first and each value's operands are indented under it.  A value
    used in several places is written out once; later it reads ``(see above)``.
    Indentation stops at :data:`TEXT_DEPTH` levels: a deeper value reads
    ``(continued below)`` and its subtree starts again at the left margin, so the
    text grows in proportion to the graph, however deep.  ``detail``, ``max_nodes``
    and ``depth`` as for :func:`draw_dot`.
    """
    return _text(view_graph(root, detail), max_nodes, depth)


def _text(view: GraphView, max_nodes: int | None, depth: int | None) -> str:
    selection = view.select(max_nodes, depth)
    lines: list[str] = []  # joined into chunks as it goes: one string costs less than a thousand
    chunks: list[str] = []
    shown: set[Box] = set()
    continued: deque[Box] = deque([view.root])
    while continued:
        start = continued.popleft()
        if start in shown:
            continue
        # stack of (box or a "more" count, prefix for its line, prefix for its children, level)
        stack: list[tuple[Box | int, str, str, int]] = [(start, "", "", 0)]
        while stack:
            if len(lines) >= 1000:
                chunks.append("\n".join(lines))
                lines.clear()
            item, prefix, child_prefix, level = stack.pop()
            if isinstance(item, int):
                lines.append(f"{prefix}{more_label(item)}")
                continue
            node = item
            operation = f" [{node.op}]" if node.op else ""
            line = f"{prefix}{node.name}{operation}  data {format_cell(node.data)}  grad {format_cell(node.grad)}"
            operands = [operand for operand in node.drawn_operands if operand in selection]
            if node in shown and node.operands:
                lines.append(f"{line}  (see above)")
                continue
            if level >= TEXT_DEPTH and node.operands:
                lines.append(f"{line}  (continued below)")
                continued.append(node)
                continue
            shown.add(node)
            lines.append(line)
            children: list[Box | int] = list(operands)
            if node in selection.hidden_operands:
                children.append(selection.hidden_operands[node])
            entries = []
            for index, child in enumerate(children):
                last = index == len(children) - 1
                entries.append(
                    (
                        child,
                        child_prefix + ("└── " if last else "├── "),
                        child_prefix + ("    " if last else "│   "),
                        level + 1,
                    )
                )
            stack.extend(reversed(entries))
    chunks.append("\n".join(lines))
    chunks.append("")
    return "\n".join(chunks)
