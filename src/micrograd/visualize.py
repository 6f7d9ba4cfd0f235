"""Pictures of a graph of Values: Graphviz, Mermaid and plain text.

``draw_dot`` builds the Graphviz picture that micrograd's notebooks draw: one record
``{ label | data | grad }`` per Value and one small node per operation, between its
operands and its result.  It needs the ``viz`` extra (``pip install
"micrograd-lab[viz]"``), which brings the ``graphviz`` Python package and
``graphviz-pure``, a dot-compatible renderer, so pictures render even where no
system Graphviz is installed.  ``to_mermaid`` and ``to_text`` need nothing at all.

Large graphs (a whole MLP) are unreadable as one picture: every function here takes
``max_nodes=`` (keep the values nearest to the root) and ``depth=`` (keep values at
most that many operations away from the root); what is cut off is shown as a
"more" marker.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd._graph import format_cell, node_names, topological_order
from micrograd.engine import Value

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "INSTALL_HINT",
    "RendererNotFound",
    "draw_dot",
    "draw_steps",
    "find_renderer",
    "save_picture",
    "to_mermaid",
    "to_text",
]

INSTALL_HINT = 'pip install "micrograd-lab[viz]"'
RENDERER_VARIABLE = "MICROGRAD_DOT"  # an explicit renderer executable, if set


class RendererNotFound(RuntimeError):
    """Neither a system Graphviz ``dot`` nor ``graphviz-pure`` could be found."""


# -- which values to draw ----------------------------------------------------------------


@dataclass
class _Selection:
    """The values to draw, in a stable order, with stable ids, and what was left out."""

    nodes: list[Value]  # operands before results
    ids: dict[Value, str]
    hidden_operands: dict[Value, int]  # drawn value -> how many of its operands are not drawn
    total: int  # values in the whole graph


def _select(root: Value, max_nodes: int | None, depth: int | None) -> _Selection:
    """The values nearest to ``root``: at most ``max_nodes``, at most ``depth`` operations away."""
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    if depth is not None and depth < 0:
        raise ValueError(f"depth must be 0 or more, got {depth}")
    order = topological_order(root)
    kept: set[Value] = {root}
    if max_nodes is not None or depth is not None:
        # breadth first from the root: the nearest values are kept first
        queue: deque[tuple[Value, int]] = deque([(root, 0)])
        while queue:
            node, distance = queue.popleft()
            if depth is not None and distance >= depth:
                continue
            for operand in node.operands:
                if operand in kept:
                    continue
                if max_nodes is not None and len(kept) >= max_nodes:
                    break
                kept.add(operand)
                queue.append((operand, distance + 1))
    else:
        kept = set(order)
    nodes = [node for node in order if node in kept]
    ids = {node: f"v{number}" for number, node in enumerate(nodes, start=1)}
    hidden = {}
    for node in nodes:
        missing = len({id(operand) for operand in node.operands if operand not in kept})
        if missing:
            hidden[node] = missing
    return _Selection(nodes, ids, hidden, len(order))


def _more_label(count: int) -> str:
    return f"… {count} more operand{'s' if count > 1 else ''}"


# -- Graphviz ------------------------------------------------------------------------------


def find_renderer() -> str | None:
    """The program that turns DOT into pictures, or None.

    In order: the executable named by the ``MICROGRAD_DOT`` environment variable,
    the system Graphviz ``dot`` on ``PATH``, the ``graphviz-pure`` command on
    ``PATH``, and ``graphviz-pure`` next to the running Python (a virtual
    environment's ``bin`` folder is not always on ``PATH``).
    """
    explicit = os.environ.get(RENDERER_VARIABLE)
    if explicit:
        return shutil.which(explicit) or explicit
    for program in ("dot", "graphviz-pure"):
        found = shutil.which(program)
        if found:
            return found
    scripts = Path(sys.executable).parent
    for candidate in (scripts / "graphviz-pure", scripts / "graphviz-pure.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _require_renderer() -> str:
    renderer = find_renderer()
    if renderer is None:
        raise RendererNotFound(
            "no Graphviz renderer found: neither `dot` nor `graphviz-pure` is installed; "
            f"install one with: {INSTALL_HINT}"
        )
    return renderer


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            f"draw_dot needs the graphviz package; install it with: {INSTALL_HINT}", name="graphviz"
        ) from None
    return graphviz


@functools.lru_cache(maxsize=1)
def _value_graph_class() -> Any:
    """``graphviz.Digraph`` whose ``pipe`` and ``render`` run the renderer that is available.

    The graphviz package always runs the system ``dot``; this subclass runs
    :func:`find_renderer` instead, so rendering (and Jupyter's inline display, which
    goes through ``pipe``) works with ``graphviz-pure`` too.  Made on first use,
    because graphviz is an optional dependency.
    """
    digraph: Any = _import_graphviz().Digraph

    class ValueGraph(digraph):  # type: ignore[misc]
        """A ``graphviz.Digraph`` of Values that renders without a system Graphviz."""

        def pipe(
            self,
            format: str | None = None,
            renderer: str | None = None,
            formatter: str | None = None,
            neato_no_op: bool | int | None = None,
            quiet: bool = False,
            *,
            engine: str | None = None,
            encoding: str | None = None,
        ) -> bytes | str:
            """The picture as bytes (or text, given ``encoding``), e.g. ``pipe(format='png')``."""
            output = _run_renderer(
                self.source.encode(self.encoding),
                engine or self.engine,
                ":".join(part for part in (format or self.format, renderer, formatter) if part),
                neato_no_op,
                quiet,
            )
            return output.decode(encoding) if encoding is not None else output

        def render(
            self,
            filename: str | os.PathLike[str] | None = None,
            directory: str | os.PathLike[str] | None = None,
            view: bool = False,
            cleanup: bool = False,
            format: str | None = None,
            renderer: str | None = None,
            formatter: str | None = None,
            neato_no_op: bool | int | None = None,
            quiet: bool = False,
            quiet_view: bool = False,
            *,
            outfile: str | os.PathLike[str] | None = None,
            engine: str | None = None,
            raise_if_result_exists: bool = False,
            overwrite_source: bool = False,
        ) -> str:
            """Save the DOT source and render it; return the picture's path.

            As in graphviz: ``render('seed', format='png')`` writes ``seed`` (DOT) and
            ``seed.png``; ``render(outfile='seed.svg')`` takes the format from the suffix.
            """
            target = Path(outfile) if outfile is not None else None
            if target is not None:
                if format is None:
                    format = target.suffix.lstrip(".") or self.format
                if directory is None:
                    target = Path(self.directory, target)
                if filename is None:
                    filename = Path(outfile).with_suffix(".gv")  # type: ignore[arg-type]
            format = format or self.format
            source_path = self.save(filename, directory=directory)
            if target is None:
                target = Path(f"{source_path}.{format}")
            if raise_if_result_exists and target.exists():
                raise FileExistsError(f"output file exists: {os.fspath(target)!r}")
            output = _run_renderer(
                Path(source_path).read_bytes(),
                engine or self.engine,
                ":".join(part for part in (format, renderer, formatter) if part),
                neato_no_op,
                quiet,
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(output)
            if cleanup:
                os.remove(source_path)
            if view or quiet_view:
                self._view(os.fspath(target), format=format, quiet=quiet_view)
            return os.fspath(target)

        def _repr_svg_(self) -> str:
            """The picture as SVG, for notebooks that do not ask for a mimebundle."""
            return str(self.pipe(format="svg", encoding="utf-8"))

    return ValueGraph


def _run_renderer(source: bytes, engine: str, output_format: str, neato_no_op: bool | int | None, quiet: bool) -> bytes:
    """Run the renderer on DOT ``source``; its output, or graphviz's CalledProcessError."""
    command = [_require_renderer(), f"-K{engine}", f"-T{output_format}"]
    if neato_no_op:
        command.append(f"-n{int(neato_no_op)}")
    try:
        result = subprocess.run(command, input=source, capture_output=True, check=False)
    except OSError as error:  # e.g. MICROGRAD_DOT names a program that does not exist
        raise RendererNotFound(f"cannot run the renderer {command[0]}: {error.strerror or error}") from None
    if result.returncode != 0:
        raise _import_graphviz().CalledProcessError(
            result.returncode, command, output=result.stdout, stderr=result.stderr
        )
    if result.stderr and not quiet:
        sys.stderr.write(result.stderr.decode(errors="replace"))
    return result.stdout


def _record_text(text: str) -> str:
    """``text`` escaped for a cell of a Graphviz record label."""
    text = text.replace("\\", "\\\\")
    for special in '{}|<>"':
        text = text.replace(special, "\\" + special)
    return text


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    max_nodes: int | None = None,
    depth: int | None = None,
) -> graphviz.Digraph:
    """The graph that computed ``root`` as a ``graphviz.Digraph``.

    Each Value is a record ``{ label | data | grad }`` and each operation a small node
    between its operands (in order) and its result.  The result has ``.source``
    (DOT text), ``.pipe(format=...)``, ``.render(...)`` and shows inline in Jupyter;
    rendering uses the system ``dot`` or, without one, ``graphviz-pure``.
    ``max_nodes`` and ``depth`` limit what is drawn (see the module docstring).
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    selection = _select(root, max_nodes, depth)
    graph = _value_graph_class()(format=format, graph_attr={"rankdir": rankdir})
    for node in selection.nodes:
        uid = selection.ids[node]
        cells = (_record_text(node.label), f"data {format_cell(node.data)}", f"grad {format_cell(node.grad)}")
        graph.node(uid, label="{ " + " | ".join(cells) + " }", shape="record")
        if node.operands:
            operation = f"{uid}_op"
            # ordering=in: the layout keeps the operands in order (a - b: a above b)
            graph.node(operation, label=_record_text(node.op), fontsize="11", margin="0.02", ordering="in")
            graph.edge(operation, uid)
            for operand in node.operands:
                if operand in selection.ids:
                    graph.edge(selection.ids[operand], operation)
            if node in selection.hidden_operands:
                more = f"{uid}_more"
                graph.node(more, label=_more_label(selection.hidden_operands[node]), shape="plaintext")
                graph.edge(more, operation, style="dashed")
    if len(selection.nodes) < selection.total:
        graph.attr(label=f"showing {len(selection.nodes)} of {selection.total} values", fontsize="11")
    return graph


def draw_steps(root: Value, **options: Any) -> Iterator[graphviz.Digraph]:
    """Backpropagate from ``root`` one node at a time, with a picture before and after each step.

    The first picture is the graph as it is (before backward); then one picture
    after each node has passed its gradient on to its operands, as
    ``Value.backward_steps()`` runs.  ``options`` are those of :func:`draw_dot`.
    """
    yield draw_dot(root, **options)
    for _node in root.backward_steps():
        yield draw_dot(root, **options)


def save_picture(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    max_nodes: int | None = None,
    depth: int | None = None,
) -> Path:
    """Write a picture of ``root``'s graph to ``path``; the format comes from its extension.

    ``.svg``, ``.png`` (any format the renderer knows) are rendered; ``.dot``/``.gv``
    is the DOT source, ``.mmd`` the Mermaid flowchart and ``.txt`` the text tree
    (these two need no dependency).  Returns the path written.
    """
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if not suffix:
        raise ValueError(f"{os.fspath(target)!r} has no extension to tell the format (.svg, .png, .dot, .mmd, .txt)")
    if suffix == "mmd":
        target.write_text(to_mermaid(root, rankdir, max_nodes=max_nodes, depth=depth), encoding="utf-8")
    elif suffix == "txt":
        target.write_text(to_text(root, max_nodes=max_nodes, depth=depth), encoding="utf-8")
    else:
        graph = draw_dot(root, format="svg", rankdir=rankdir, max_nodes=max_nodes, depth=depth)
        if suffix in ("dot", "gv"):
            target.write_text(graph.source, encoding="utf-8")
        else:
            target.write_bytes(graph.pipe(format=suffix, quiet=True))
    return target


# -- Mermaid and plain text -----------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    """``text`` made safe inside a quoted Mermaid label."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(root: Value, rankdir: str = "LR", *, max_nodes: int | None = None, depth: int | None = None) -> str:
    """The graph as a Mermaid flowchart (Markdown on GitHub draws it), no dependency needed.

    Values are boxes ``label | data | grad``, operations are circles, and operands
    enter their operation in order.  ``max_nodes`` and ``depth`` as for :func:`draw_dot`.
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    selection = _select(root, max_nodes, depth)
    lines = [f"flowchart {rankdir}"]
    for node in selection.nodes:
        uid = selection.ids[node]
        text = f"{node.label} | data {format_cell(node.data)} | grad {format_cell(node.grad)}"
        lines.append(f'    {uid}["{_mermaid_text(text)}"]')
        if node.operands:
            lines.append(f'    {uid}_op(("{_mermaid_text(node.op)}"))')
            for operand in node.operands:
                if operand in selection.ids:
                    lines.append(f"    {selection.ids[operand]} --> {uid}_op")
            if node in selection.hidden_operands:
                lines.append(f'    {uid}_more["{_more_label(selection.hidden_operands[node])}"]')
                lines.append(f"    {uid}_more -.-> {uid}_op")
            lines.append(f"    {uid}_op --> {uid}")
    return "\n".join(lines) + "\n"


def to_text(root: Value, *, max_nodes: int | None = None, depth: int | None = None) -> str:
    """The graph as an indented tree for a terminal: name, operation, data and grad.

    The root comes first and each value's operands are indented under it.  A value
    used in several places is written out once; later it reads ``(see above)``.
    Unlabeled values get the names ``explain`` uses (``n1``, ``n2``, ...).
    """
    selection = _select(root, max_nodes, depth)
    names = node_names(root)
    lines: list[str] = []
    shown: set[Value] = set()
    # stack of (value or a "more" count, prefix for its line, prefix for its children)
    stack: list[tuple[Value | int, str, str]] = [(root, "", "")]
    while stack:
        item, prefix, child_prefix = stack.pop()
        if isinstance(item, int):
            lines.append(f"{prefix}{_more_label(item)}")
            continue
        node = item
        operation = f" [{node.op}]" if node.op else ""
        line = f"{prefix}{names[node]}{operation}  data {format_cell(node.data)}  grad {format_cell(node.grad)}"
        if node in shown and node.operands:
            lines.append(f"{line}  (see above)")
            continue
        shown.add(node)
        lines.append(line)
        children: list[Value | int] = [operand for operand in node.operands if operand in selection.ids]
        if node in selection.hidden_operands:
            children.append(selection.hidden_operands[node])
        entries = []
        for index, child in enumerate(children):
            last = index == len(children) - 1
            entries.append(
                (child, child_prefix + ("└── " if last else "├── "), child_prefix + ("    " if last else "│   "))
            )
        stack.extend(reversed(entries))
    return "\n".join(lines) + "\n"
