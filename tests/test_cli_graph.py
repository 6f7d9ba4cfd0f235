"""``micrograd graph``: success, pictures, steps, and every refusal as one line."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.cli import MAX_SET, main

EXAMPLE_ARGS = ["--set", "a=2", "--set", "b=-3", "--set", "c=10", "--set", "f=-2"]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def pure_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render with graphviz-pure, as on CI, even where a system ``dot`` exists."""
    found = Path(sys.executable).parent / "graphviz-pure"
    if found.is_file():
        monkeypatch.setenv("MICROGRAD_DOT", str(found))


def grads_in(svg: Path) -> dict[str, str]:
    tree = ET.fromstring(svg.read_bytes())
    grads = {}
    for group in tree.iter(f"{SVG}g"):
        texts = [(t.text or "").strip() for t in group.iter(f"{SVG}text")]
        if group.get("class") == "node" and len(texts) == 3:
            grads[texts[0]] = texts[2]
    return grads


def test_graph_prints_the_tree_and_the_explanation_and_writes_the_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "example.svg"
    assert main(["graph", "(a*b + c)*f", *EXAMPLE_ARGS, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "out [*]  data -8.0000  grad 1.0000" in printed
    assert "  dout/da = dout/dn1 · ∂n1/∂a = (-2) · (-3) = 6" in printed
    assert "  dout/db = dout/dn1 · ∂n1/∂b = (-2) · (2) = -4" in printed
    assert f"wrote {out}" in printed
    assert grads_in(out) == {
        "a": "grad 6.0000",
        "b": "grad -4.0000",
        "c": "grad -2.0000",
        "f": "grad 4.0000",
        "n1": "grad -2.0000",
        "n2": "grad -2.0000",
        "out": "grad 1.0000",
    }


def test_steps_write_one_picture_per_backprop_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "example.svg"
    assert main(["graph", "e = a*b; d = e + c; L = d*f", *EXAMPLE_ARGS, "--steps", "--out", str(out)]) == 0
    steps = [tmp_path / f"example_step{n}.svg" for n in range(4)]
    assert sorted(tmp_path.iterdir()) == steps
    assert set(grads_in(steps[0]).values()) == {"grad 0.0000"}
    assert grads_in(steps[1])["d"] == "grad -2.0000" and grads_in(steps[1])["e"] == "grad 0.0000"
    assert grads_in(steps[2])["e"] == "grad -2.0000" and grads_in(steps[2])["a"] == "grad 0.0000"
    assert grads_in(steps[3])["a"] == "grad 6.0000" and grads_in(steps[3])["b"] == "grad -4.0000"
    assert "  dL/da = dL/de · ∂e/∂a = (-2) · (-3) = 6" in capsys.readouterr().out


def test_step_pictures_show_a_shared_value_only_once_its_gradient_is_final(tmp_path: Path) -> None:
    out = tmp_path / "h.txt"
    assert main(["graph", "h = tanh(x*x); y = h*h + h", "--set", "x=0.5", "--steps", "--out", str(out)]) == 0
    pictures = [(tmp_path / f"h_step{n}.txt").read_text() for n in range(5)]
    h_lines = [next(line for line in text.splitlines() if "h [tanh]" in line) for text in pictures]
    assert [line.endswith("grad 0.0000") for line in h_lines] == [True, True, False, False, False]


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("g.png", lambda data: data.startswith(b"\x89PNG")),
        ("g.dot", lambda data: b"shape=record" in data),
        ("g.mmd", lambda data: data.startswith(b"flowchart LR")),
        ("g.txt", lambda data: data.startswith(b"out [tanh]")),
    ],
)
def test_the_extension_picks_the_format(tmp_path: Path, name: str, check: object) -> None:
    out = tmp_path / name
    assert main(["graph", "tanh(x*w + 1)", "--set", "x=0.5", "--set", "w=-1", "--out", str(out)]) == 0
    assert check(out.read_bytes())  # type: ignore[operator]


def test_markdown_and_limits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "(a*b + c)*f", *EXAMPLE_ARGS, "--markdown", "--depth", "1"]) == 0
    printed = capsys.readouterr().out
    assert "\\frac{d\\mathit{out}}{da}" in printed
    assert "… 2 more operands" in printed  # the tree stops one operation below the result


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.b", "--set", "a=1"], "attribute access not allowed"),
        (["a.tanh()", "--set", "a=1"], "attribute access not allowed: 'a.tanh'; write tanh(a)"),
        (["a*b + c", "--set", "b=1"], "'a', 'c' have no value (give them with --set a=NUMBER --set c=NUMBER)"),
        (["\uff41*10", "--set", "a=1", "--set", "\uff41=2"], "--set \uff41: the same variable as --set a"),
        (["x", "--set", "\U0001d431=5", "--set", "x=1"], "--set x: the same variable as --set \U0001d431"),
        (["x", "--set", "1x=2"], "--set 1x: '1x' is not a valid variable name"),
        (["x", "--set", "tanh=2"], "is a function"),
        (["1e400in relu"], "comparisons not allowed"),
        (["x[0]", "--set", "x=1"], "subscripts not allowed"),
        (["lambda: 1"], "lambda not allowed"),
        (["[i for i in x]", "--set", "x=1"], "comprehensions not allowed"),
        (["__import__('os').system('echo hi')"], "not allowed"),
        (["print(1)"], "calls of 'print' are not allowed"),
        (["a + y", "--set", "a=1"], "'y' has no value (give one with --set y=NUMBER)"),
        (
            ["a+b+c+d+e", "--set", "b=1"],
            "'a', 'c', 'd', 'e' have no value (give them with --set a=NUMBER --set c=NUMBER --set d=NUMBER ...)",
        ),
        (["x" * 1001, "--set", "x=1"], "too long"),
        (["log(x)", "--set", "x=-1"], "log: operand must be positive"),
        (["x", "--set", "x"], "expected NAME=VALUE"),
        (["x", "--set", "x=abc"], "'abc' is not a number"),
        (["x", "--set", "x=1", "--set", "x=2"], "given twice"),
        (["x", "--set", "x=inf"], "must be finite"),
        (["x", "--set", "x=1", "--steps"], "--steps needs --out"),
        (["x", "--set", "x=1", "--out", "picture"], "add an extension"),
        (["x", "--set", "x=1", "--out", "g.nosuchformat"], "cannot render"),
        (["x", "--set", "x=1", "--max-nodes", "0"], "--max-nodes 0"),
        (["a + 1", "--set", "a\nb=2"], "--set a\\nb: 'a\\nb' is not a valid variable name"),
        (["x", "--set", "x=1", "--out", "x\ny.svg"], "--out 'x\\ny.svg': a file name with a control character"),
        (["x", "--set", "x=1", "--out", "x\ny"], "--out 'x\\ny': "),
    ],
)
def test_refusals_are_one_line_and_exit_non_zero(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", *args]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("micrograd: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1


def test_missing_expression_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["graph"])
    assert exit.value.code == 2
    assert "EXPR" in capsys.readouterr().err


def test_an_unwritable_path_is_reported_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "micrograd", "graph", "x*2", "--set", "x=1", "--out", str(tmp_path / "no" / "g.svg")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("micrograd: error: cannot write")
    assert "Traceback" not in result.stderr


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `micrograd graph ... | head -1`: the pipe closes before the explanation is written
    command = ["graph", "(a*b+c)*f", "--set", "a=2", "--set", "b=-3", "--set", "c=10", "--set", "f=-2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "micrograd", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in errors and "BrokenPipeError" not in errors


def test_an_expression_whose_value_is_not_finite_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "x*1e308*10 - x*1e308*10", "--set", "x=1"]) == 1
    assert capsys.readouterr().err == (
        "micrograd: error: the expression's value is nan: a number in it is too large for a float\n"
    )


def test_a_negative_base_to_a_value_exponent_has_torchs_nan_exponent_gradient(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "(-2) ** x", "--set", "x=1"]) == 0
    out = capsys.readouterr().out
    assert "x  data 1.0000  grad nan" in out and "dout/dx = ∂out/∂x = nan" in out


def test_set_names_are_read_as_the_expression_is(capsys: pytest.CaptureFixture[str]) -> None:
    # Python reads the fullwidth 'ａ' and the bold '𝐱' of the expression as 'a' and 'x'; --set does too
    assert main(["graph", "\uff41*10", "--set", "\uff41=2"]) == 0
    assert "out [*]  data 20.0000" in capsys.readouterr().out
    assert main(["graph", "\U0001d431+x", "--set", "\U0001d431=5"]) == 0
    assert "out [+]  data 10.0000" in capsys.readouterr().out


def test_a_syntax_warning_does_not_add_a_line() -> None:
    # CPython's tokenizer warns "invalid decimal literal" on 1e400in: the refusal stays one line
    result = subprocess.run(
        [sys.executable, "-W", "always", "-m", "micrograd", "graph", "1e400in relu"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "micrograd: error: comparisons not allowed: '1e400in relu'\n"


def test_many_set_options_up_to_the_stated_maximum(capsys: pytest.CaptureFixture[str]) -> None:
    many = [f"--set=x{k}=1" if k % 2 else f"--se x{k}=1" for k in range(MAX_SET)]
    argv = [part for option in many for part in option.split(" ")]
    assert main(["graph", "x0 + x1", *argv]) == 0
    assert "out [+]  data 2.0000" in capsys.readouterr().out
    # 60,000 took argparse two minutes: they are refused before it starts (the time limit catches a regression)
    refused = ["--set", "x=1"] * 60_000
    assert main(["graph", "x", *refused]) == 1
    assert capsys.readouterr().err == "micrograd: error: too many --set options (60,000; the limit is 1,000)\n"
    assert main(["graph", "x", *refused[: 2 * MAX_SET + 2]]) == 1
    assert "too many --set options (1,001;" in capsys.readouterr().err


SET_NAMES = st.sampled_from(["x", "y", "\uff58", "\U0001d431", "1x", "tanh", "", "x y", "for", "_"])
SET_VALUES = st.sampled_from(["1", "-0.5", "1e400", "nan", "abc", "", "0x10", " 2 "])


@settings(max_examples=150)
@given(
    st.lists(st.sampled_from([*"xy12.+-*/()e,;=", "tanh(", "log(", "x.exp()", "1e400", "in"]), max_size=20).map(
        "".join
    ),
    st.lists(st.tuples(SET_NAMES, SET_VALUES), max_size=4),
)
def test_fuzz_the_command_succeeds_or_refuses_in_one_line(expression: str, sets: list[tuple[str, str]]) -> None:
    argv = ["graph", *(f"--set={name}={value}" for name, value in sets), "--", expression]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    if status == 0:
        assert err.getvalue() == "" and "\n\nBackpropagation from " in out.getvalue()
    else:
        assert status == 1 and out.getvalue() == ""
        assert err.getvalue().startswith("micrograd: error: ") and err.getvalue().count("\n") == 1
