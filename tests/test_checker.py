"""``micrograd check`` and ``micrograd.check``: a learner's Value class against this engine.

The fixture tests/check_fixtures/lecture_value.py is a lecture-style class and MLP
written for these tests; tests/check_fixtures/variants.py plants one classic bug
in each copy.  karpathy's micrograd 0.1.0 comes from PyPI into a folder of its own
and is only ever loaded by the checker's child process.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
import pytest

import micrograd
from micrograd.checker import check

sys.path.insert(0, str(Path(__file__).with_name("check_fixtures")))
from variants import SOURCE, VARIANTS, write_variant

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def pure_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render with graphviz-pure, as on CI, even where a system ``dot`` exists."""
    found = Path(sys.executable).parent / "graphviz-pure"
    if found.is_file():
        monkeypatch.setenv("MICROGRAD_DOT", str(found))


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m micrograd check ARGS`` with this tree's micrograd, from any folder."""
    source = str(Path(micrograd.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "micrograd", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def red_boxes(svg: Path) -> list[str]:
    """The first text of every node drawn in red (a wrong gradient)."""
    names = []
    for group in ET.fromstring(svg.read_bytes()).iter(f"{SVG}g"):
        if group.get("class") == "node" and any(p.get("stroke") == "red" for p in group.iter(f"{SVG}polygon")):
            names.append(next(t.text or "" for t in group.iter(f"{SVG}text")))
    return names


def test_the_lecture_class_passes_every_check_and_lacks_what_it_does_not_define(tmp_path: Path) -> None:
    report = check(SOURCE, out=tmp_path)
    assert [r.id for r in report.results if r.status == "fail"] == []
    assert report.exit_status == 0 and report.ok
    lacking = {r.id for r in report.results if r.status == "lack"}
    assert lacking == {"forward.pow_value", "forward.log", "forward.sigmoid", "forward.relu", "forward.abs"}
    for name in ("grad.tanh", "grad.truediv", "reuse", "order", "compose.lecture", "compose.neuron", "nn.zero-grad"):
        assert report.result(name).status == "pass"
    assert "recursion limit" in report.result("order").message  # a recursive build_topo: a note, not a failure
    assert report.summary() == f"{report.passed} of {report.passed} checks pass"
    assert list(tmp_path.iterdir()) == []  # pictures only for failures


@pytest.mark.parametrize(("name", "find", "replace", "check_id", "hint"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_each_planted_bug_fails_exactly_the_check_that_names_it(
    tmp_path: Path, name: str, find: str, replace: str, check_id: str, hint: str
) -> None:
    report = check(write_variant(tmp_path, find, replace), out=tmp_path / "pictures")
    assert [r.id for r in report.results if r.status == "fail"] == [check_id]
    failed = report.result(check_id)
    assert hint in failed.hint
    assert report.exit_status == 1
    skipped = sum(r.status == "skip" for r in report.results)
    assert report.passed == len(report.counted) - 1 - skipped
    if failed.gradients and failed.program is not None:
        assert failed.picture is not None
        wrong = {row.name for row in failed.gradients if row.wrong}
        assert wrong <= {text.split(":")[0] for text in red_boxes(Path(failed.picture))}
        # the code is the smallest case, and runs as it stands with the buggy class
        namespace: dict[str, Any] = {}
        spec = importlib.util.spec_from_file_location(f"variant_{name.replace('-', '_')}", tmp_path / "value.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        namespace["Value"] = module.Value
        exec(failed.code, namespace)
        for row in failed.gradients:
            assert namespace[row.name].grad == pytest.approx(row.actual)


def test_the_reuse_failure_shows_the_smallest_case_the_numbers_and_the_hint(tmp_path: Path) -> None:
    name, find, replace, _, _ = VARIANTS[0]
    assert name == "equals-in-add"
    completed = run_cli(str(write_variant(tmp_path, find, replace)), "--out", str(tmp_path / "pictures"))
    assert completed.returncode == 1, completed.stderr
    lines = completed.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("FAIL reuse")))
    assert lines[start + 1 : start + 11] == [
        "     smallest case:",
        "         a = Value(3.0)",
        "         b = a + a",
        "         b.backward()",
        "     gradient     expected        yours",
        "     a.grad            2            1   <- wrong",
        "     hint: a value used twice must get both shares of its gradient: use += in _backward, not =",
        f"     picture: {tmp_path / 'pictures' / 'reuse.svg'}",
        "PASS order: backward visits a node only after every node that uses it",
        "     a chain of 3000 values exceeds Python's recursion limit in your backward (a recursive",
    ]
    assert red_boxes(tmp_path / "pictures" / "reuse.svg") == ["a: expected grad 2"]
    assert lines[-1].endswith("checks pass") and completed.stderr == ""


def test_karpathys_micrograd_passes_every_check_for_what_it_has(karpathy_micrograd: Path, tmp_path: Path) -> None:
    completed = run_cli(str(karpathy_micrograd / "engine.py"), "--json", "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    document = json.loads(completed.stdout)
    statuses = {c["id"]: c["status"] for c in document["checks"]}
    assert {k for k, s in statuses.items() if s == "lack"} == {
        "forward.pow_value",
        "forward.exp",
        "forward.log",
        "forward.tanh",
        "forward.sigmoid",
        "forward.abs",
    }
    assert set(statuses.values()) == {"pass", "lack"}
    for present in ("add", "mul", "neg", "pow", "sub", "truediv", "relu"):
        assert statuses[f"forward.{present}"] == statuses[f"grad.{present}"] == "pass"
    assert statuses["numbers-left"] == statuses["reuse"] == statuses["order"] == "pass"
    assert "relu" in next(c["title"] for c in document["checks"] if c["id"] == "compose.neuron")
    assert document["passed"] == document["total"] and document["exit_status"] == 0
    text = run_cli(str(karpathy_micrograd / "engine.py"), "--out", str(tmp_path)).stdout
    assert "LACK a.tanh(): your class has no tanh" in text
    assert text.splitlines()[-1] == f"{document['passed']} of {document['total']} checks pass"


def test_backward_twice_is_explained_as_pytorch_behaves(tmp_path: Path) -> None:
    report = check(SOURCE, out=tmp_path)
    message = report.result("backward-twice").message
    assert "grow unevenly (a x4, b x4, c x3, f x2)" in message
    assert "PyTorch refuses a second backward" in message and "each leaf's grad doubles" in message
    torch = pytest.importorskip("torch")  # the optional extra, which CI installs
    a, b, c, f = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (2.0, -3.0, 10.0, -2.0))
    loss = (a * b + c) * f
    loss.backward(retain_graph=True)
    first = [t.grad.item() for t in (a, b, c, f)]  # type: ignore[union-attr]
    loss.backward()
    assert [t.grad.item() for t in (a, b, c, f)] == [2 * g for g in first]  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_a_notebook_runs_until_the_class_exists(tmp_path: Path) -> None:
    _, find, replace, _, _ = VARIANTS[0]
    source = SOURCE.read_text(encoding="utf-8").replace(find, replace)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# my micrograd"),
        nbformat.v4.new_code_cell("!pip install graphviz\n%matplotlib inline\nimport math"),
        nbformat.v4.new_code_cell("undefined_name + 1"),
        nbformat.v4.new_code_cell(source.split("class Module:")[0]),
        nbformat.v4.new_code_cell("while True:\n    pass"),  # after the class: never runs
        nbformat.v4.new_code_cell("import random\n\n\nclass Module:" + source.split("class Module:")[1]),
    ]
    path = tmp_path / "mine.ipynb"
    nbformat.write(notebook, path)
    started = time.monotonic()
    completed = run_cli(str(path), "--out", str(tmp_path / "pictures"))
    assert time.monotonic() - started < 30
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "FAIL reuse" in completed.stdout and "         b = a + a" in completed.stdout
    assert "note: code cell 2 failed and was skipped (NameError: name 'undefined_name' is not defined)" in (
        completed.stdout
    )
    assert (tmp_path / "pictures" / "reuse.svg").is_file()
    assert "PASS MLP(3, [4, 4, 1]) forward" in completed.stdout  # the cell of definitions after the class ran


def test_a_module_name_is_imported_from_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "my_engine.py").write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    completed = run_cli("my_engine", "--out", str(tmp_path / "pictures"), cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("checking Value from my_engine\n")


@pytest.mark.parametrize(
    ("content", "target", "message"),
    [
        (None, "missing.py", "missing.py: no such file"),
        ("class Value(:\n", "broken.py", "cannot load broken.py: SyntaxError: invalid syntax (broken.py:1)"),
        ("x = 1\n", "empty.py", "empty.py has no class Value"),
        ("Value = 3\n", "number.py", "number.py has no class Value (it is a int, not a class)"),
        ("raise SystemExit(4)\n", "leaves.py", "cannot load leaves.py: SystemExit: 4"),
        (None, "no_such_module_anywhere", "cannot load no_such_module_anywhere: ModuleNotFoundError"),
        (None, "not a name", "not a name: no such file, and not a module name"),
    ],
)
def test_a_target_that_cannot_be_loaded_exits_2_with_one_line(
    tmp_path: Path, content: str | None, target: str, message: str
) -> None:
    if content is not None:
        (tmp_path / target).write_text(content, encoding="utf-8")
    completed = run_cli(target, cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert len(completed.stderr.splitlines()) == 1 and message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_json_document_is_stable(tmp_path: Path) -> None:
    _, find, replace, _, _ = VARIANTS[5]
    completed = run_cli(str(write_variant(tmp_path, find, replace)), "--json", "--out", str(tmp_path / "p"))
    document = json.loads(completed.stdout)
    assert list(document) == [
        "format",
        "target",
        "class",
        "loaded",
        "load_error",
        "passed",
        "total",
        "exit_status",
        "checks",
        "notes",
    ]
    assert document["format"] == 1 and document["exit_status"] == completed.returncode == 1
    failed = [c for c in document["checks"] if c["status"] == "fail"]
    assert [c["id"] for c in failed] == ["grad.tanh"]
    assert list(failed[0]) == ["id", "title", "status", "message", "code", "gradients", "hint", "picture"]
    assert failed[0]["gradients"] == [
        {
            "name": "a",
            "expected": pytest.approx(0.5, abs=1e-4),
            "actual": pytest.approx(1 - 0.7071, abs=1e-4),
            "wrong": True,
        }
    ]
    assert Path(failed[0]["picture"]).is_file()
    missing = json.loads(run_cli("missing.py", "--json", cwd=tmp_path).stdout)
    assert missing["loaded"] is False and missing["exit_status"] == 2 and missing["checks"] == []


HANGS = "        build_topo(self)\n", "        build_topo(self)\n        while True:\n            pass\n"
CRASHES = (
    "        x = self.data\n        t = (",
    "        import os\n        os._exit(3)\n        x = self.data\n        t = (",
)


@pytest.mark.parametrize(
    ("change", "expected"), [(HANGS, "did not finish within 1 s"), (CRASHES, "exited with status 3")]
)
def test_a_hang_or_a_crash_is_a_finding_not_a_traceback(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    started = time.monotonic()
    completed = run_cli(
        str(write_variant(tmp_path, *change)), "--timeout", "8", "--check-timeout", "1", "--out", str(tmp_path)
    )
    assert time.monotonic() - started < 20
    assert completed.returncode == 1 and completed.stderr == ""
    assert "Traceback" not in completed.stdout
    assert expected in completed.stdout
    assert "PASS forward a + b" in completed.stdout  # the checks without backward still pass


def test_the_learners_prints_and_input_stay_out_of_the_report(tmp_path: Path) -> None:
    noisy = SOURCE.read_text(encoding="utf-8").replace(
        "    def backward(self):\n", "    def backward(self):\n        print('BACKWARD!' * 1000)\n"
    )
    asks = "print('LOADING')\ntry:\n    input()\nexcept EOFError:\n    pass\n"  # reads nothing, does not wait
    (tmp_path / "noisy.py").write_text(asks + noisy, encoding="utf-8")
    completed = run_cli(str(tmp_path / "noisy.py"), "--out", str(tmp_path))
    assert completed.returncode == 0, completed.stdout
    assert "BACKWARD!" not in completed.stdout + completed.stderr and "LOADING" not in completed.stdout
    assert "note: your code printed" in completed.stdout


def test_check_takes_a_class_object_and_shows_pictures_inline(tmp_path: Path) -> None:
    _, find, replace, _, _ = VARIANTS[0]
    spec = importlib.util.spec_from_file_location("learner_in_memory", write_variant(tmp_path, find, replace))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_in_memory"] = module
    try:
        spec.loader.exec_module(module)
        report = micrograd.check(module.Value)
    finally:
        del sys.modules["learner_in_memory"]
    assert [r.id for r in report.results if r.status == "fail"] == ["reuse"]
    assert report.result("nn.forward").status == "pass"  # the module's MLP was found
    page = report._repr_html_()
    assert "<svg" in page and "a: expected grad 2" in page and report.summary() in page
    assert "check" in micrograd.__all__


def test_docs_check_md_shows_the_output_and_the_picture_the_checker_gives_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "check.md").read_text(encoding="utf-8")
    section = page.split("## The output for a buggy class", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```output\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "check.md", "exec"), {"__name__": "doc_check"})
    assert capsys.readouterr().out == shown
    drawn = (tmp_path / "check-output" / "reuse.svg").read_text(encoding="utf-8")
    assert drawn == (root / "docs" / "images" / "check-reuse.svg").read_text(encoding="utf-8")


EXTRA_METHODS = """
    def cos(self):
        out = Value(math.cos(self.data), (self,), "cos")

        def _backward():
            self.grad += -math.sin(self.data) * out.grad

        out._backward = _backward
        return out

    def sin(self):
        out = Value(math.sin(self.data), (self,), "sin")

        def _backward():
            self.grad += -math.cos(self.data) * out.grad  # the sign is wrong

        out._backward = _backward
        return out

    def backward(self):
"""


def test_methods_this_engine_lacks_are_checked_with_numerical_gradients(tmp_path: Path) -> None:
    report = check(write_variant(tmp_path, "\n    def backward(self):\n", EXTRA_METHODS), out=tmp_path / "p")
    assert report.result("forward.cos").status == report.result("grad.cos").status == "pass"
    assert report.result("forward.sin").status == "pass"
    failed = report.result("grad.sin")
    assert [r.id for r in report.results if r.status == "fail"] == ["grad.sin"]
    assert "numerical" in failed.message
    (row,) = failed.gradients
    assert row.expected == pytest.approx(math.cos(0.7), rel=1e-6)  # d sin(a) / da at a = 0.7
    assert row.actual == pytest.approx(-row.expected)
    assert failed.code == "a = Value(0.7)\nb = a.sin()\nb.backward()"


def test_an_mlp_without_zero_grad_is_told_to_zero_in_its_loop_as_the_lecture_does(tmp_path: Path) -> None:
    without = "    def zero_grad(self):\n        for p in self.parameters():\n            p.grad = 0.0\n\n"
    report = check(write_variant(tmp_path, without, ""), out=tmp_path / "p")
    assert report.exit_status == 0
    zero = report.result("nn.zero-grad")
    assert zero.status == "lack" and "set every p.grad = 0.0 before loss.backward()" in zero.message


def test_pictures_that_cannot_be_written_are_one_line(tmp_path: Path) -> None:
    _, find, replace, _, _ = VARIANTS[0]
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    completed = run_cli(str(write_variant(tmp_path, find, replace)), "--out", str(tmp_path / "taken"))
    assert completed.returncode == 1
    assert completed.stderr == f"micrograd: error: cannot write {tmp_path / 'taken'}: File exists\n"
