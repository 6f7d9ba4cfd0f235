"""examples/lecture.ipynb runs in a Jupyter kernel (nbclient) and shows what it says it shows."""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "lecture.ipynb"
KERNEL = "micrograd-test"  # a kernel of our own: this interpreter, whatever kernels the machine has


def test_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """The notebook's code cells after running it, in a kernel that is this very interpreter."""
    folder = tmp_path_factory.mktemp("notebook")
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder))  # searched before the user's and the system's kernels
        patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(
            notebook, kernel_name=KERNEL, timeout=120, resources={"metadata": {"path": str(folder)}}
        )
        client.execute()  # raises CellExecutionError, with the traceback, if a cell fails
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _cell(cells: list[Any], text: str) -> Any:
    """The one code cell whose source contains ``text``."""
    found = [cell for cell in cells if text in cell.source]
    assert len(found) == 1, f"{len(found)} cells contain {text!r}"
    return found[0]


def _data(cell: Any, mime: str) -> list[str]:
    return [output.data[mime] for output in cell.outputs if "data" in output and mime in output.data]


def _stdout(cell: Any) -> str:
    return "".join(output.text for output in cell.outputs if output.output_type == "stream")


def test_no_cell_fails(executed: list[Any]) -> None:
    assert all(output.output_type != "error" for cell in executed for output in cell.outputs)
    assert all(cell.execution_count is not None for cell in executed)


def test_the_example_is_shown_and_drawn_before_and_after_backward(executed: list[Any]) -> None:
    assert _data(_cell(executed, 'L.label = "L"\nL'), "text/plain") == ["Value(data=-8.0, grad=0.0, label='L')"]
    before = _data(next(cell for cell in executed if cell.source.strip() == "draw_dot(L)"), "image/svg+xml")
    after = _data(_cell(executed, "L.backward()\ndraw_dot(L)"), "image/svg+xml")
    assert len(before) == len(after) == 1
    for svg in (*before, *after):
        assert svg.lstrip().startswith(("<?xml", "<svg", "<!--"))
        assert "<svg" in svg and ">L<" in svg and ">a<" in svg
    # the records read label | data | grad: before backward a's grad is 0, after it is 6
    assert re.search(r">a<.*?>data 2\.0000<.*?>grad 0\.0000<", before[0], re.DOTALL)
    assert re.search(r">a<.*?>data 2\.0000<.*?>grad 6\.0000<", after[0], re.DOTALL)


def test_the_explanation_and_the_neuron(executed: list[Any]) -> None:
    text = _stdout(_cell(executed, "print(explain(L))"))
    assert "dL/da = dL/de · ∂e/∂a = (-2) · (-3) = 6" in text
    neuron = _data(_cell(executed, "o = n.tanh()"), "image/svg+xml")
    assert len(neuron) == 1 and ">o<" in neuron[0] and ">data 0.7071<" in neuron[0] and ">grad 0.5000<" in neuron[0]


def test_the_lectures_network_learns_at_every_step_and_its_loss_is_plotted(executed: list[Any]) -> None:
    lines = _stdout(_cell(executed, "p.data += -0.05 * p.grad")).splitlines()
    losses = [float(line.split()[1]) for line in lines[:-1]]
    assert len(losses) == 20
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < 0.05
    assert lines[-1].startswith("predictions [0.9")
    plot = _data(_cell(executed, "plt.plot(losses"), "image/png")
    assert len(plot) == 1 and len(plot[0]) > 1000  # base64 PNG of a real plot
    graph = _data(_cell(executed, "draw_dot(prediction)"), "image/svg+xml")
    assert len(graph) == 1
    assert all(f">L{layer}.N{neuron}<" in graph[0] for layer, size in enumerate([4, 4, 1]) for neuron in range(size))


def test_the_moons_are_learned_and_the_boundary_drawn(executed: list[Any]) -> None:
    result = re.fullmatch(r"loss ([0-9.]+), accuracy (\d+)%\n", _stdout(_cell(executed, "hinge_loss(")))
    assert result is not None
    assert int(result.group(2)) >= 95
    assert len(_data(_cell(executed, "plt.contourf("), "image/png")) == 1


def test_the_decision_boundary_colours_each_class_like_its_points(monkeypatch: pytest.MonkeyPatch) -> None:
    # red (label 1) points sat on light blue: the regions' colours were the other way round
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boundary_colours import share_coloured_alike

    monkeypatch.setattr(plt, "show", lambda: None)
    cells = [cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"]
    namespace: dict[str, Any] = {}
    for text in ("from micrograd import MLP", "import random", "import matplotlib.pyplot", "moons(", "contourf"):
        exec(_cell(cells, text).source, namespace)
    assert share_coloured_alike(plt.gcf()) >= 0.9  # the network gets at least 90% of the moons right
    plt.close("all")
