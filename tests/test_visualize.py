"""Pictures of the graph: DOT source, rendering without a system Graphviz, text, Mermaid, steps."""

from __future__ import annotations

import itertools
import math
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from lecture_example import lecture_loss, lecture_neuron
from micrograd import Value, draw_dot, draw_steps, to_mermaid, to_text
from micrograd.pictures.graph_text import format_cell
from micrograd.pictures.visualize import (
    INSTALL_HINT,
    NOT_COMPUTED,
    TEXT_DEPTH,
    RendererNotFound,
    find_renderer,
    save_picture,
    save_steps,
    value_html,
)
from the_example import example_values

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


def graphviz_pure() -> str:
    """The graphviz-pure executable installed by the viz extra (CI has no system Graphviz)."""
    found = shutil.which("graphviz-pure") or str(Path(sys.executable).parent / "graphviz-pure")
    if not Path(found).is_file():
        pytest.fail("graphviz-pure is not installed: pip install -e '.[test]'")
    return found


@pytest.fixture
def pure_renderer(monkeypatch: pytest.MonkeyPatch) -> str:
    """Render with graphviz-pure even where a system ``dot`` exists."""
    path = graphviz_pure()
    monkeypatch.setenv("MICROGRAD_DOT", path)
    return path


example = example_values


def records(source: str) -> dict[str, tuple[str, str, str]]:
    """DOT node id -> (label, data, grad) for every record node in ``source``."""
    found = re.findall(r'(\w+) \[label="\{ (.*?) \| data (\S+) \| grad (\S+) \}" shape=record\]', source)
    return {uid: (label, data, grad) for uid, label, data, grad in found}


def svg_cells(svg: bytes | str) -> dict[str, tuple[str, ...]]:
    """label -> the texts of its record ('label', 'data ...', 'grad ...') in a rendered SVG.

    A neuron's record has its operation second: ('L0.N0', 'tanh(w*x+b)', 'data ...', 'grad ...').
    """
    tree = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    cells = {}
    for group in tree.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        texts = tuple((t.text or "").strip() for t in group.iter(f"{SVG}text"))
        if len(texts) in (3, 4):
            cells[texts[0]] = texts
    return cells


# -- DOT source ------------------------------------------------------------------------


def test_dot_source_has_a_record_per_value_and_a_node_per_operation() -> None:
    v = example()
    v["L"].backward()
    source = draw_dot(v["L"]).source
    assert "rankdir=LR" in source
    cells = {label: (data, grad) for label, data, grad in records(source).values()}
    assert cells == {
        "a": ("2.0000", "6.0000"),
        "b": ("-3.0000", "-4.0000"),
        "c": ("10.0000", "-2.0000"),
        "e": ("-6.0000", "-2.0000"),
        "d": ("4.0000", "-2.0000"),
        "f": ("-2.0000", "4.0000"),
        "L": ("-8.0000", "1.0000"),
    }
    ids = {label: uid for uid, (label, _, _) in records(source).items()}
    # an operation node sits between the operands, in order, and the result
    for result, op, operands in (("e", "*", "ab"), ("d", "+", "ec"), ("L", "*", "df")):
        operation = f"{ids[result]}_op"
        assert f'{operation} [label="{op}" fontsize=11 margin=0.02 ordering=in]' in source
        assert f"{operation} -> {ids[result]}" in source
        first = source.index(f"{ids[operands[0]]} -> {operation}")
        second = source.index(f"{ids[operands[1]]} -> {operation}")
        assert first < second


def test_dot_ids_are_stable_and_options_are_applied() -> None:
    assert draw_dot(example()["L"]).source == draw_dot(example()["L"]).source  # no id() in the output
    graph = draw_dot(example()["L"], format="png", rankdir="TB")
    assert graph.format == "png"
    assert "rankdir=TB" in graph.source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(example()["L"], rankdir="sideways")


def test_unlabeled_values_are_named_as_explain_names_them_and_special_characters_are_escaped() -> None:
    x = Value(3.0)
    y = x * x  # the same operand twice: two edges
    y.label = "a|b{c}"
    source = draw_dot(y).source
    assert '[label="{ n1 | data 3.0000 | grad 0.0000 }" shape=record]' in source
    assert r"a\|b\{c\}" in source
    assert source.count("v1 -> v2_op") == 2


def test_max_nodes_and_depth_limit_the_picture_and_say_what_is_hidden() -> None:
    xs = [Value(float(i), label=f"x{i}") for i in range(30)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    total.label = "total"
    full = records(draw_dot(total).source)
    assert len(full) == 30 + 29
    limited = draw_dot(total, max_nodes=5).source
    assert len(records(limited)) == 5
    assert "more operand" in limited and "showing 5 of 59 values" in limited
    shallow = draw_dot(total, depth=1).source
    labels = {label for label, _, _ in records(shallow).values()}
    assert labels == {"total", "n28", "x29"}  # the root and its two operands
    assert "… 2 more operands" in shallow
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(total, max_nodes=0)


# -- rendering without a system Graphviz --------------------------------------------------


def test_svg_renders_with_graphviz_pure(pure_renderer: str) -> None:
    v = example()
    v["L"].backward()
    svg = draw_dot(v["L"]).pipe(format="svg", encoding="utf-8")
    assert "graphviz-pure" in svg  # the renderer we asked for did the work
    cells = svg_cells(svg)
    assert cells["a"] == ("a", "data 2.0000", "grad 6.0000")
    assert cells["b"] == ("b", "data -3.0000", "grad -4.0000")
    assert cells["L"] == ("L", "data -8.0000", "grad 1.0000")


def test_the_lecture_loss_picture_is_readable_at_a_pages_width(pure_renderer: str) -> None:
    loss, _ = lecture_loss()
    loss.label = "loss"
    loss.backward()
    svg = draw_dot(loss).pipe(format="svg", encoding="utf-8")
    root = ET.fromstring(svg)
    width_pt = float(root.attrib["width"].removesuffix("pt"))
    sizes = {float(text.attrib["font-size"]) for text in root.iter("{http://www.w3.org/2000/svg}text")}
    # shown 900 px wide, as a page's column shows it, every text is at least 9 px high
    assert min(sizes) * 900 / width_pt >= 9, (width_pt, sizes)
    texts = {text.text for text in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"loss", "ex1.x1", "ex4.x3", "ex1.target", "ex4.L2.N0", "tanh(w*x+b)"} <= texts


def test_png_renders_and_render_writes_files(pure_renderer: str, tmp_path: Path) -> None:
    graph = draw_dot(example()["L"])
    png = graph.pipe(format="png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    written = graph.render(outfile=tmp_path / "example.png")
    assert Path(written) == tmp_path / "example.png"
    assert (tmp_path / "example.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.png"]  # no stray example.gv beside it
    written = graph.render(tmp_path / "example", format="svg", cleanup=True)
    assert Path(written) == tmp_path / "example.svg"
    assert not (tmp_path / "example").exists()  # cleanup removed the DOT source
    graph.render(tmp_path / "kept", outfile=tmp_path / "kept.svg")  # a filename asked for is written
    assert (tmp_path / "kept").read_text(encoding="utf-8") == graph.source
    assert svg_cells((tmp_path / "example.svg").read_bytes())["L"][1] == "data -8.0000"


def test_jupyter_display_uses_the_renderer(pure_renderer: str) -> None:
    graph = draw_dot(example()["L"])
    bundle = graph._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert svg_cells(graph._repr_svg_())["L"][1] == "data -8.0000"


def test_a_renderer_failure_is_graphviz_error(pure_renderer: str) -> None:
    with pytest.raises(subprocess.CalledProcessError):
        draw_dot(example()["L"]).pipe(format="no-such-format")


def test_renderer_discovery_finds_graphviz_pure_next_to_python(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MICROGRAD_DOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # neither dot nor graphviz-pure on PATH
    scripts = tmp_path / "venv" / "bin"
    scripts.mkdir(parents=True)
    (scripts / "graphviz-pure").symlink_to(graphviz_pure())
    monkeypatch.setattr(sys, "executable", str(scripts / "python"))
    assert find_renderer() == str(scripts / "graphviz-pure")
    assert draw_dot(example()["L"]).pipe(format="svg").startswith(b"<?xml")


def test_no_renderer_gives_an_error_naming_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MICROGRAD_DOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert find_renderer() is None
    graph = draw_dot(example()["L"])
    assert "data -8.0000" in graph.source  # building the DOT source needs no renderer
    with pytest.raises(RendererNotFound, match=re.escape(INSTALL_HINT)):
        graph.pipe(format="svg")
    assert INSTALL_HINT == "pip install graphviz graphviz-pure"


def test_a_system_dot_on_path_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MICROGRAD_DOT", raising=False)
    fake_dot = tmp_path / "dot"
    fake_dot.write_text("#!/bin/sh\nexit 0\n")
    fake_dot.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + str(Path(graphviz_pure()).parent))
    assert find_renderer() == str(fake_dot)


# -- step by step -------------------------------------------------------------------------


def test_draw_steps_shows_the_gradients_filling_in() -> None:
    v = example()
    grads_per_picture = [
        {label: grad for label, _, grad in records(picture.source).values()} for picture in draw_steps(v["L"])
    ]
    zero = "0.0000"
    assert grads_per_picture == [
        dict.fromkeys("abcefdL", zero),
        {**dict.fromkeys("abce", zero), "d": "-2.0000", "f": "4.0000", "L": "1.0000"},
        {"a": zero, "b": zero, "c": "-2.0000", "e": "-2.0000", "d": "-2.0000", "f": "4.0000", "L": "1.0000"},
        {"a": "6.0000", "b": "-4.0000", "c": "-2.0000", "e": "-2.0000", "d": "-2.0000", "f": "4.0000", "L": "1.0000"},
    ]
    assert v["a"].grad == 6.0  # the generator ran backward to the end


def test_make_images_writes_the_example_pictures_and_the_lecture_loss(pure_renderer: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_images.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pictures = {path.stem: svg_cells(path.read_bytes()) for path in tmp_path.glob("*.svg")}
    assert set(pictures) == {
        "graphical_representation_operations",
        "nn_gradient_d_f",
        "nn_gradient_c_e",
        "nn_all_gradients",
        "lecture_loss",
    }
    # the loss as docs/lecture.md prints it after 20 steps, and the network's last neuron
    assert pictures["lecture_loss"]["loss"] == ("loss", "data 0.0351", "grad 1.0000")
    assert pictures["lecture_loss"]["ex1.L2.N0"][:3] == ("ex1.L2.N0", "tanh(w*x+b)", "data 0.9096")

    def grads(name: str) -> dict[str, str]:
        return {label: cells[2] for label, cells in pictures[name].items()}

    assert set(grads("graphical_representation_operations").values()) == {"grad 0.0000"}
    assert grads("nn_gradient_d_f")["d"] == "grad -2.0000"
    assert grads("nn_gradient_d_f")["f"] == "grad 4.0000"
    assert grads("nn_gradient_d_f")["e"] == "grad 0.0000"
    assert grads("nn_gradient_c_e")["c"] == grads("nn_gradient_c_e")["e"] == "grad -2.0000"
    assert grads("nn_gradient_c_e")["a"] == "grad 0.0000"
    assert grads("nn_all_gradients") == {
        "a": "grad 6.0000",
        "b": "grad -4.0000",
        "c": "grad -2.0000",
        "e": "grad -2.0000",
        "d": "grad -2.0000",
        "f": "grad 4.0000",
        "L": "grad 1.0000",
    }
    assert pictures["nn_all_gradients"]["L"][1] == "data -8.0000"


def test_committed_images_match_what_make_images_draws(pure_renderer: str, tmp_path: Path) -> None:
    # the pictures docs/backprop.md and docs/lecture.md show are the ones docs/make_images.py draws now
    subprocess.run([sys.executable, str(ROOT / "docs" / "make_images.py"), str(tmp_path)], check=True, timeout=60)
    drawn = sorted(tmp_path.glob("*.svg"))
    assert len(drawn) == 5
    for path in drawn:
        committed = ROOT / "docs" / "images" / path.name
        assert svg_cells(committed.read_bytes()) == svg_cells(path.read_bytes()), path.name


# -- text and Mermaid ------------------------------------------------------------------------


def test_text_rendering_is_a_tree_with_label_op_data_and_grad() -> None:
    v = example()
    v["L"].backward()
    assert to_text(v["L"]) == (
        "L [*]  data -8.0000  grad 1.0000\n"
        "├── d [+]  data 4.0000  grad -2.0000\n"
        "│   ├── e [*]  data -6.0000  grad -2.0000\n"
        "│   │   ├── a  data 2.0000  grad 6.0000\n"
        "│   │   └── b  data -3.0000  grad -4.0000\n"
        "│   └── c  data 10.0000  grad -2.0000\n"
        "└── f  data -2.0000  grad 4.0000\n"
    )


def test_text_rendering_writes_a_shared_value_once_and_names_unlabeled_ones() -> None:
    x = Value(2.0, label="x")
    h = x.tanh()
    y = h * h + h
    lines = to_text(y).splitlines()
    assert lines[0].startswith("out [+]")
    assert sum("[tanh]" in line for line in lines) == 3
    assert sum("(see above)" in line for line in lines) == 2
    assert sum(line.endswith("x  data 2.0000  grad 0.0000") for line in lines) == 1
    # depth 1: h*h and h; h's operand x is two operations away, so it is hidden
    assert to_text(y, depth=1).splitlines()[1:] == [
        "├── n2 [*]  data 0.9293  grad 0.0000",
        "│   ├── n1 [tanh]  data 0.9640  grad 0.0000",
        "│   │   └── … 1 more operand",
        "│   └── n1 [tanh]  data 0.9640  grad 0.0000  (see above)",
        "└── n1 [tanh]  data 0.9640  grad 0.0000  (see above)",
    ]


def test_mermaid_flowchart() -> None:
    v = example()
    v["L"].backward()
    chart = to_mermaid(v["L"])
    lines = chart.splitlines()
    assert lines[0] == "flowchart LR"
    assert '    v1["a | data 2.0000 | grad 6.0000"]' in lines
    assert '    v7["L | data -8.0000 | grad 1.0000"]' in lines
    assert '    v7_op(("*"))' in lines
    assert lines.index("    v5 --> v7_op") < lines.index("    v6 --> v7_op") < lines.index("    v7_op --> v7")
    quoted = Value(1.0, label='say "hi"')
    assert "say #quot;hi#quot;" in to_mermaid(quoted)


def test_save_picture_picks_the_format_from_the_extension(pure_renderer: str, tmp_path: Path) -> None:
    L = example()["L"]
    assert save_picture(L, tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    assert save_picture(L, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert save_picture(L, tmp_path / "g.dot").read_text() == draw_dot(L).source
    assert save_picture(L, tmp_path / "g.mmd").read_text() == to_mermaid(L)
    assert save_picture(L, tmp_path / "g.txt").read_text() == to_text(L)
    with pytest.raises(ValueError, match="extension"):
        save_picture(L, tmp_path / "g")


def test_a_renderer_that_does_not_exist_is_a_renderer_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_DOT", "/nonexistent/dot")
    with pytest.raises(RendererNotFound, match="cannot run the renderer /nonexistent/dot"):
        draw_dot(example()["L"]).pipe(format="svg")


def test_huge_numbers_stay_short_in_pictures_and_text() -> None:
    x = Value(1.0, label="x")
    y = x * 1e300
    y.backward()
    assert to_text(y).splitlines()[0].endswith("data 1.0000e+300  grad 1.0000")
    assert "grad 1.0000e+300" in draw_dot(y).source


# -- gradients filling in, the caption before backward, the graph's repr, fonts ---------------


def test_draw_steps_only_fills_gradients_in_even_after_an_earlier_backward() -> None:
    x = Value(0.5, label="x")
    h = (x * x).tanh()  # x used twice, h used twice: partial sums must never show
    h.label = "h"
    y = h * h + h
    y.label = "y"
    y.backward()  # stale gradients everywhere
    x.grad = 0.0
    pictures = [
        {label: float(grad) for label, _, grad in records(picture.source).values()} for picture in draw_steps(y)
    ]
    final = {label: float(grad) for label, _, grad in records(draw_dot(y).source).values()}
    assert set(pictures[0].values()) == {0.0}  # picture 0: no gradient yet
    for before, after in itertools.pairwise(pictures):
        for label, grad in after.items():
            assert grad in (0.0, final[label]), (label, grad)  # not yet reached, or final
            assert before[label] in (0.0, grad)  # never changes once shown
    assert pictures[-1] == final
    assert final["x"] == round(2 * 0.5 * (1 - math.tanh(0.25) ** 2) * (2 * math.tanh(0.25) + 1), 4)


def test_draw_steps_says_what_each_step_does() -> None:
    sources = [picture.source for picture in draw_steps(example()["L"])]
    assert "before backward: no gradient yet" in sources[0]
    assert "step 1: L passed its gradient to its operands" in sources[1]
    assert "step 3: e passed its gradient to its operands" in sources[3]
    assert not any(NOT_COMPUTED in source for source in sources)
    with pytest.raises(TypeError, match="unexpected option 'colour'"):
        next(draw_steps(example()["L"], colour="red"))


def test_a_picture_before_backward_says_gradients_are_not_computed_and_only_then() -> None:
    v = example()
    assert NOT_COMPUTED == "gradients not computed yet: call backward()"
    assert NOT_COMPUTED in draw_dot(v["L"]).source
    v["L"].backward()
    assert NOT_COMPUTED not in draw_dot(v["L"]).source
    for p in (v["a"], v["b"], v["c"], v["f"]):
        p.grad = 0.0  # zero_grad after a step: the graph's gradients were still computed
    assert NOT_COMPUTED not in draw_dot(v["L"]).source


def test_the_graph_objects_plain_repr_says_what_it_is() -> None:
    text = repr(draw_dot(example()["L"]))
    assert text.startswith("<draw_dot picture of L: 7 of 7 values drawn")
    assert repr(draw_dot(example()["L"], max_nodes=3)).startswith("<draw_dot picture of L: 3 of 7 values drawn")


def test_value_html_is_compact_and_escaped() -> None:
    v = example()
    v["L"].backward()
    assert value_html(v["L"]) == (
        '<code class="micrograd-value"><b>L</b> · data -8.0000 · grad 1.0000 · made by * of d, f</code>'
    )
    assert value_html(Value(1.5, label="<x>")).endswith("<b>&lt;x&gt;</b> · data 1.5000 · grad 0.0000 · a leaf</code>")
    assert "made by + of 2 values" in value_html(Value(1.0) + Value(2.0))


def test_text_of_a_very_deep_chain_grows_linearly() -> None:
    def chain(depth: int) -> Value:
        x = Value(1.0, label="x")
        for _ in range(depth):
            x = x + 1.0
        return x

    sizes = {}
    for depth in (5_000, 20_000):
        root = chain(depth)
        tracemalloc.start()
        text = to_text(root)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        sizes[depth] = (len(text), peak)
        assert text.count("\n") == 2 * depth + 1 + (depth - 1) // TEXT_DEPTH  # every value once, and continuations
        assert max(len(line) for line in text.splitlines()) < 4 * TEXT_DEPTH + 60
    (small_text, small_peak), (big_text, big_peak) = sizes[5_000], sizes[20_000]
    assert big_text < 4.5 * small_text and big_peak < 4.5 * small_peak  # linear, not quadratic
    assert big_text < 4_000_000 and big_peak < 40_000_000


def test_a_value_displays_richly_in_jupyter_and_its_plain_repr_is_unchanged() -> None:
    v = example()
    v["L"].backward()
    assert v["L"]._repr_html_() == value_html(v["L"])
    assert "<b>L</b> · data -8.0000 · grad 1.0000" in v["L"]._repr_html_()
    assert repr(v["L"]) == "Value(data=-8.0, grad=1.0, label='L')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_what_a_notebook_shows_for_a_value_and_a_picture(pure_renderer: str) -> None:
    from IPython.core.formatters import DisplayFormatter

    v = example()
    v["L"].backward()
    formatter = DisplayFormatter()
    shown, _ = formatter.format(v["L"])
    assert shown["text/plain"] == "Value(data=-8.0, grad=1.0, label='L')"
    assert shown["text/html"] == value_html(v["L"])
    picture, _ = formatter.format(draw_dot(v["L"]))
    assert picture["text/plain"].startswith("<draw_dot picture of L: 7 of 7 values drawn")
    assert svg_cells(picture["image/svg+xml"])["L"] == ("L", "data -8.0000", "grad 1.0000")


# -- text fits its boxes in a browser that has only DejaVu fonts -------------------------------

DEJAVU_ONLY = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>/usr/share/fonts/truetype/dejavu</dir>
  <cachedir>{cache}</cachedir>
  <include ignore_missing="yes">/etc/fonts/conf.d</include>
</fontconfig>
"""

# every text element of every node: how far it runs past its node's box (record, rounded record or ellipse)
MEASURE = """() => {
  const overflows = [];
  for (const node of document.querySelectorAll('g.node')) {
    const shape = node.querySelector('polygon, ellipse, path');
    if (!shape) continue;
    const box = shape.getBBox();
    for (const text of node.querySelectorAll('text')) {
      const width = text.getComputedTextLength();
      const x = Number(text.getAttribute('x'));
      const left = x - width / 2, right = x + width / 2;
      overflows.push([text.textContent, Math.max(box.x - left, right - (box.x + box.width)), width]);
    }
  }
  return overflows;
}"""


def dejavu_only_fonts(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "fonts.conf"
    config.write_text(DEJAVU_ONLY.format(cache=tmp_path / "fontcache"))
    environment = {**os.environ, "FONTCONFIG_FILE": str(config)}
    if shutil.which("fc-list"):  # the configuration really has only DejaVu
        listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, env=environment).stdout
        assert listed.strip() and all("DejaVu" in line for line in listed.splitlines()), listed
    return environment


def test_text_fits_its_boxes_in_chromium_with_only_dejavu(browser: Any, pure_renderer: str, tmp_path: Path) -> None:
    from conftest import chromium_path

    loss, _ = lecture_loss()
    loss.backward()
    neuron_out, _, _ = lecture_neuron()
    neuron_out.backward()
    huge = Value(3.0, label="a_long_label_for_a_value") * 1e300
    huge.backward()
    pictures = [draw_dot(example()["L"]), draw_dot(neuron_out), draw_dot(loss), draw_dot(huge)]
    chromium = browser.browser_type.launch(executable_path=chromium_path(), env=dejavu_only_fonts(tmp_path))
    try:
        page = chromium.new_page()
        measured = []
        for picture in pictures:
            svg = picture.pipe(format="svg", encoding="utf-8")
            assert 'font-family="Courier,monospace"' in svg
            page.set_content(f"<!doctype html><html><body>{svg}</body></html>")
            measured += page.evaluate(MEASURE)
        assert len(measured) > 150
        assert all(width > 0 for _, _, width in measured)
        too_wide = [(text, round(over, 2)) for text, over, _ in measured if over > 0]
        assert too_wide == []
    finally:
        chromium.close()


def test_text_laid_out_for_times_runs_over_in_chromium_with_only_dejavu(
    browser: Any, pure_renderer: str, tmp_path: Path
) -> None:
    # why the font is Courier: the old layout (Times metrics) does not fit where Times is missing
    from conftest import chromium_path

    source = draw_dot(example()["L"]).source.replace("fontname=Courier", "fontname=Times")
    svg = subprocess.run([pure_renderer, "-Tsvg"], input=source.encode(), capture_output=True, check=True).stdout
    chromium = browser.browser_type.launch(executable_path=chromium_path(), env=dejavu_only_fonts(tmp_path))
    try:
        page = chromium.new_page()
        page.set_content(f"<!doctype html><html><body>{svg.decode()}</body></html>")
        assert any(over > 0 for _, over, _ in page.evaluate(MEASURE))
    finally:
        chromium.close()


@pytest.mark.parametrize("suffix", [".txt", ".mmd", ".dot"])
def test_save_steps_writes_what_draw_steps_draws(tmp_path: Path, suffix: str) -> None:
    x = Value(0.5, label="x")
    h = (x * x).tanh()
    h.label = "h"
    y = h * h + h
    y.label = "y"
    written = save_steps(y, tmp_path / f"y{suffix}")
    assert written == [tmp_path / f"y_step{n}{suffix}" for n in range(5)]
    texts = [path.read_text() for path in written]
    final_h = f"grad {format_cell(h.grad)}"
    assert [final_h in text for text in texts] == [False, False, True, True, True]  # shown only once final
    assert "grad 1.0000" not in texts[0]
    if suffix == ".dot":
        assert "before backward: no gradient yet" in texts[0] and "step 4:" in texts[4]
