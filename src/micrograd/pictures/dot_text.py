"""DOT text without the ``graphviz`` package: what a browser's Graphviz (WebAssembly) renders.

:class:`DotText` has the few methods of ``graphviz.Digraph`` that ``draw_dot`` calls
(``node``, ``edge``, ``attr`` and ``source``), so the same drawing code writes the
same graph where the ``graphviz`` package cannot be installed, as in Pyodide: the
static playground's worker sends this text to a WebAssembly Graphviz.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["DotText", "quote"]

_UNESCAPED_QUOTE = re.compile(r'(?<!\\)((?:\\\\)*)"')  # a " after an even number of backslashes


def quote(text: str) -> str:
    """``text`` as a double-quoted DOT string; quotes not already escaped are escaped.

    The record labels ``draw_dot`` writes escape their own quotes and backslashes,
    so they pass through unchanged.
    """
    return '"' + _UNESCAPED_QUOTE.sub(r'\1\\"', text) + '"'


def _attributes(attributes: Mapping[str, str]) -> str:
    return " ".join(f"{name}={quote(str(value))}" for name, value in attributes.items())


class DotText:
    """A directed graph written as DOT text, line by line, in the order it is built."""

    summary = "<DOT text>"

    def __init__(
        self,
        format: str = "svg",
        graph_attr: Mapping[str, str] | None = None,
        node_attr: Mapping[str, str] | None = None,
    ) -> None:
        self.format = format  # kept for the same constructor as graphviz.Digraph; DOT text has no format
        self._lines = ["digraph {"]
        if graph_attr:
            self._lines.append(f"\tgraph [{_attributes(graph_attr)}]")
        if node_attr:
            self._lines.append(f"\tnode [{_attributes(node_attr)}]")

    def node(self, name: str, label: str | None = None, **attributes: str) -> None:
        """A node ``name``, with its label and attributes."""
        given = {"label": label, **attributes} if label is not None else attributes
        self._lines.append(f"\t{quote(name)} [{_attributes(given)}]" if given else f"\t{quote(name)}")

    def edge(self, tail: str, head: str, **attributes: str) -> None:
        """An edge from ``tail`` to ``head``."""
        extra = f" [{_attributes(attributes)}]" if attributes else ""
        self._lines.append(f"\t{quote(tail)} -> {quote(head)}{extra}")

    def attr(self, **attributes: str) -> None:
        """Attributes of the whole graph (its label, for instance)."""
        self._lines.append(f"\tgraph [{_attributes(attributes)}]")

    @property
    def source(self) -> str:
        """The DOT text."""
        return "\n".join([*self._lines, "}"]) + "\n"
