"""Running the Graphviz renderer: the system ``dot`` or, without one, ``graphviz-pure``.

``draw_dot`` returns a ``graphviz.Digraph`` made by :func:`value_graph_class`, whose
``pipe`` and ``render`` (and so Jupyter's inline display) run :func:`find_renderer`'s
program instead of insisting on a system Graphviz.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "INSTALL_HINT",
    "RENDERER_VARIABLE",
    "RendererNotFound",
    "find_renderer",
    "import_graphviz",
    "value_graph_class",
]

INSTALL_HINT = "pip install graphviz graphviz-pure"  # the viz extra's packages, from the package index
RENDERER_VARIABLE = "MICROGRAD_DOT"  # an explicit renderer executable, if set


class RendererNotFound(RuntimeError):
    """Neither a system Graphviz ``dot`` nor ``graphviz-pure`` could be found."""


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


def import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            f"draw_dot needs the graphviz package; install it with: {INSTALL_HINT}", name="graphviz"
        ) from None
    return graphviz


@functools.lru_cache(maxsize=1)
def value_graph_class() -> Any:
    """``graphviz.Digraph`` whose ``pipe`` and ``render`` run the renderer that is available.

    The graphviz package always runs the system ``dot``; this subclass runs
    :func:`find_renderer` instead, so rendering (and Jupyter's inline display, which
    goes through ``pipe``) works with ``graphviz-pure`` too.  Made on first use,
    because graphviz is an optional dependency.
    """
    digraph: Any = import_graphviz().Digraph

    class ValueGraph(digraph):  # type: ignore[misc]
        """A ``graphviz.Digraph`` of Values that renders without a system Graphviz."""

        summary = "<draw_dot picture>"  # what it shows, set by draw_dot
        pipe = _pipe
        render = _render

        def __repr__(self) -> str:
            return self.summary

        def _repr_svg_(self) -> str:
            """The picture as SVG, for notebooks that do not ask for a mimebundle."""
            return str(self.pipe(format="svg", encoding="utf-8"))

    return ValueGraph


def _pipe(
    self: Any,
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


def _render(
    self: Any,
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

    As in graphviz: ``render('example', format='png')`` writes ``example`` (DOT) and
    ``example.png``; ``render(outfile='example.svg')`` takes the format from the suffix
    and writes only the picture (graphviz would leave an ``example.gv`` beside it).
    """
    target = Path(outfile) if outfile is not None else None
    if target is not None:
        if format is None:
            format = target.suffix.lstrip(".") or self.format
        if directory is None:
            target = Path(self.directory, target)
    format = format or self.format
    source_path = None if target is not None and filename is None else self.save(filename, directory=directory)
    if target is None:
        target = Path(f"{source_path}.{format}")
    if raise_if_result_exists and target.exists():
        raise FileExistsError(f"output file exists: {os.fspath(target)!r}")
    output = _run_renderer(
        self.source.encode(self.encoding),
        engine or self.engine,
        ":".join(part for part in (format, renderer, formatter) if part),
        neato_no_op,
        quiet,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(output)
    if cleanup and source_path is not None:
        os.remove(source_path)
    if view or quiet_view:
        self._view(os.fspath(target), format=format, quiet=quiet_view)
    return os.fspath(target)


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
        raise import_graphviz().CalledProcessError(
            result.returncode, command, output=result.stdout, stderr=result.stderr
        )
    if result.stderr and not quiet:
        sys.stderr.write(result.stderr.decode(errors="replace"))
    return result.stdout
