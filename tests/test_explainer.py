"""The chain rule spelled out: explain's lines, numbers and order."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings

from micrograd import Value, explain
from micrograd.pictures.graph_text import format_number, node_names
from strategies import MICROGRAD, Program, programs, run
from the_example import example_values


def example() -> Value:
    return example_values()["L"]


def test_the_example_derives_every_gradient_with_its_local_derivatives() -> None:
    assert explain(example()).splitlines() == [
        "Backpropagation from L = -8, from the output back to the inputs.",
        "dL/dL = 1",
        "Step 1: L = d * f = (4) * (-2) = -8",
        "  ∂L/∂d = f = -2",
        "  ∂L/∂f = d = 4",
        "  dL/dd = ∂L/∂d = -2",
        "  dL/df = ∂L/∂f = 4",
        "Step 2: d = e + c = (-6) + (10) = 4",
        "  ∂d/∂e = 1",
        "  ∂d/∂c = 1",
        "  dL/de = dL/dd · ∂d/∂e = (-2) · (1) = -2",
        "  dL/dc = dL/dd · ∂d/∂c = (-2) · (1) = -2",
        "Step 3: e = a * b = (2) * (-3) = -6",
        "  ∂e/∂a = b = -3",
        "  ∂e/∂b = a = 2",
        "  dL/da = dL/de · ∂e/∂a = (-2) · (-3) = 6",
        "  dL/db = dL/de · ∂e/∂b = (-2) · (2) = -4",
    ]


def test_the_local_derivative_is_written_out_with_its_formula_and_the_products_multiply_out() -> None:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(7.0, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    lines = explain(o).splitlines()
    assert "  ∂o/∂n = 1 − o² = 1 − 0.7616² = 0.42" in lines
    # 0.42 · (-3) is -1.26, not the gradient -1.2599: the factor is printed as precisely as needed
    assert "  do/dx = do/dn1 · ∂n1/∂x = (0.41997) · (-3) = -1.2599" in lines
    assert "  do/dw = do/dn1 · ∂n1/∂w = (0.41997) · (2) = 0.8399" in lines
    o.backward()
    assert round(x.grad, 4) == -1.2599 and round(w.grad, 4) == 0.8399


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda a: a.sigmoid(), "  ∂y/∂a = y · (1 − y) = 0.6225 · (1 − 0.6225) = 0.235"),
        (lambda a: a.exp(), "  ∂y/∂a = y = 1.6487"),
        (lambda a: a.log(), "  ∂y/∂a = 1/a = 1/0.5 = 2"),
        (lambda a: a**3, "  ∂y/∂a = 3 · a^2 = 3 · 0.5^2 = 0.75"),
        (lambda a: a**2, "  ∂y/∂a = 2 · a = 2 · 0.5 = 1"),
        (lambda a: 1 / a, "  ∂y/∂a = −n1/a² = −1/0.5² = -4"),
        (lambda a: a ** Value(3.0, label="k"), "  ∂y/∂k = y · log(a) = 0.125 · log(0.5) = -0.0866"),
        (lambda a: (a - 1).relu(), "  ∂y/∂n2 = 1 if n2 > 0 else 0 = 1 if (-0.5) > 0 else 0 = 0"),
        (lambda a: abs(-a), "  ∂y/∂n1 = sign(n1) = sign(-0.5) = -1"),
    ],
)
def test_each_operation_spells_out_its_local_derivative(make: Callable[[Value], Value], line: str) -> None:
    a = Value(0.5, label="a")
    y = make(a)
    y.label = "y"
    assert line in explain(y).splitlines()


def _evaluate(numbers: str) -> float:
    """A printed line's numbers as Python arithmetic (``·`` is ``*``, ``²`` is ``**2``, ...)."""
    text = numbers.replace("·", "*").replace("−", "-").replace("²", "**2").replace("^", "**")
    namespace = {
        "tanh": math.tanh,
        "exp": math.exp,
        "log": math.log,
        "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
        "ReLU": lambda v: max(v, 0.0),
        "sign": lambda v: math.copysign(1.0, v) if v else 0.0,
        "linear": None,
    }
    return float(eval(text, {"__builtins__": {"abs": abs}}, namespace))


@settings(max_examples=60, deadline=None)
@given(programs(max_ops=6))
def test_every_printed_line_multiplies_out_at_its_printed_precision(program: Program) -> None:
    output = run(program, [Value(x) for x in program.point], MICROGRAD)[-1]
    if not output._prev:
        return
    for detail in ("operations", "expanded"):
        for line in explain(output, detail=detail).splitlines()[2:]:
            segments = line.split(": ", 1)[-1].split(" = ")
            if len(segments) < 3:
                continue  # no numbers to check: "∂d/∂e = 1"
            numbers, result = segments[-2], segments[-1]
            words = set(re.findall(r"[^\W\d]+", numbers))
            if not words <= {"tanh", "exp", "log", "sigmoid", "ReLU", "sign", "abs", "if", "else", "e"}:
                continue  # names, not numbers: "∂y/∂x = n1 = 0" (the number is the result)
            assert format_number(_evaluate(numbers)) == result, line


def test_explain_leaves_grad_alone() -> None:
    L = example()
    explain(L)
    assert L.grad == 0.0
    assert all(v.grad == 0.0 for v in L._prev)


def test_a_value_used_in_several_places_sums_one_product_per_path() -> None:
    x = Value(3.0, label="x")
    y = Value(4.0, label="y")
    p = x * y
    p.label = "p"
    s = x + y
    s.label = "s"
    out = p * s
    out.label = "L"
    # L = (x*y)(x+y): dL/dx = dL/dp · y + dL/ds · 1 = 7·4 + 12·1 = 40
    lines = explain(out).splitlines()
    # the sum has one term per path, in the order backward() takes them: p, then s
    assert "  dL/dx = dL/dp · ∂p/∂x + dL/ds · ∂s/∂x = (7) · (4) + (12) · (1) = 40" in lines
    assert "  dL/dy = dL/dp · ∂p/∂y + dL/ds · ∂s/∂y = (7) · (3) + (12) · (1) = 33" in lines
    out.backward()
    assert (x.grad, y.grad) == (40.0, 33.0)


def test_the_steps_are_those_of_backward_in_its_order() -> None:
    a, b, c, d = (Value(v, label=name) for v, name in ((1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d")))
    ab, cd = a * b, c * d
    ab.label, cd.label = "ab", "cd"
    out = (ab + cd).tanh()
    out.label = "out"
    steps = [line.split(":")[1].split("=")[0].strip() for line in explain(out).splitlines() if line.startswith("Step ")]
    names = {node: node.label or "n1" for node in (out, out.operands[0], ab, cd)}
    assert steps == [names[node] for node in out.backward_steps()] == ["out", "n1", "ab", "cd"]


def test_the_same_operand_twice_in_one_operation() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    assert explain(y).splitlines()[-2:] == ["  ∂y/∂x = x = 3", "  dy/dx = ∂y/∂x + ∂y/∂x = (3) + (3) = 6"]


def test_every_line_ends_with_the_gradient_backward_computes() -> None:
    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    h = (x * w + 1).tanh()
    z = (h * x + h.exp() - w**2 / x).sigmoid()
    z.label = "z"
    text = explain(z)
    z.backward()
    names = node_names(z)
    derived = dict(re.findall(r"^  dz/d(\S+) = .* = (\S+)$", text, re.MULTILINE))
    by_name = {names[v]: v for v in names}
    assert set(derived) == set(by_name) - {"z"}
    for name, value in derived.items():
        assert float(value) == pytest.approx(by_name[name].grad, abs=1e-4), name


def test_unlabeled_values_get_names_and_functions_read_as_calls() -> None:
    x = Value(3.0, label="x")
    text = explain((x * 2).relu())
    assert text.splitlines()[0] == "Backpropagation from out = 6, from the output back to the inputs."
    assert "Step 1: out = ReLU(n2) = ReLU(6) = 6" in text
    assert "Step 2: n2 = x * n1 = (3) * (2) = 6" in text
    assert "  dout/dx = dout/dn2 · ∂n2/∂x = (1) · (2) = 2" in text


def test_markdown_with_math() -> None:
    markdown = explain(example(), format="markdown")
    assert "**Step 1**: $L = d \\cdot f = (4) \\cdot (-2) = -8$" in markdown
    assert (
        "```math\n\\frac{dL}{da} = \\frac{dL}{de} \\cdot \\frac{\\partial e}{\\partial a} = (-2) \\cdot (-3) = 6\n```"
        in markdown
    )
    assert "\\frac{dL}{dd} = \\frac{\\partial L}{\\partial d} = -2" in markdown
    assert "\\frac{\\partial e}{\\partial a} = b = -3" in markdown
    assert markdown.count("```math") == markdown.count("```") // 2 == 13


def test_a_leaf_has_nothing_to_derive_and_format_is_checked() -> None:
    x = Value(1.0, label="x")
    assert explain(x).splitlines() == ["Backpropagation from x = 1, from the output back to the inputs.", "dx/dx = 1"]
    with pytest.raises(ValueError, match="format"):
        explain(x, format="html")


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (6.0, "6"),
        (-4.0, "-4"),
        (0.0, "0"),
        (-0.0, "0"),
        (0.41997434, "0.42"),
        (1 / 3, "0.3333"),
        (-2.5, "-2.5"),
        (1e300, "1e+300"),  # not 301 digits
        (-2.5e20, "-2.5e+20"),
    ],
)
def test_numbers_read_like_numbers(number: float, text: str) -> None:
    assert format_number(number) == text
