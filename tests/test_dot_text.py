"""DOT text without the graphviz package (what the static playground's worker renders)."""

from __future__ import annotations

import subprocess

import pytest

from micrograd import Value
from micrograd.pictures.dot_text import DotText, quote
from micrograd.pictures.visualize import dot_source, draw_dot, find_renderer


def test_quote_escapes_only_unescaped_quotes() -> None:
    assert quote("a b") == '"a b"'
    assert quote('say "hi"') == '"say \\"hi\\""'
    assert quote('already \\"escaped\\"') == '"already \\"escaped\\""'
    assert quote('\\\\"') == '"\\\\\\""'  # an escaped backslash, then a quote to escape


def test_the_text_lists_nodes_edges_and_attributes_in_order() -> None:
    graph = DotText(graph_attr={"rankdir": "LR"}, node_attr={"fontname": "Courier"})
    graph.node("v1", label="{ a | data 1 }", shape="record")
    graph.node("v2")
    graph.edge("v1", "v2", style="dashed")
    graph.attr(label="caption")
    assert graph.source.splitlines() == [
        "digraph {",
        '\tgraph [rankdir="LR"]',
        '\tnode [fontname="Courier"]',
        '\t"v1" [label="{ a | data 1 }" shape="record"]',
        '\t"v2"',
        '\t"v1" -> "v2" [style="dashed"]',
        '\tgraph [label="caption"]',
        "}",
    ]


def lecture_example() -> Value:
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = 'e "quoted" {x}'
    L = (e + c) * f
    L.label = "L"
    return L


@pytest.mark.parametrize("backward", [False, True])
def test_dot_source_lays_out_as_draw_dot(backward: bool) -> None:
    root = lecture_example()
    if backward:
        root.backward()
    renderer = find_renderer()
    assert renderer is not None, "the test extra brings graphviz-pure"
    ours = subprocess.run([renderer, "-Tplain"], input=dot_source(root).encode(), capture_output=True, check=True)
    theirs = draw_dot(root).pipe(format="plain")
    assert ours.stdout == theirs
    assert ("gradients not computed yet" in dot_source(root)) is not backward


def test_dot_source_takes_draw_dots_options() -> None:
    root = lecture_example()
    root.backward()
    assert dot_source(root, max_nodes=2).count("record") == 2
    with pytest.raises(ValueError, match="rankdir must be"):
        dot_source(root, rankdir="XY")
