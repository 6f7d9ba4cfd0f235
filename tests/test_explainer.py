"""The chain rule spelled out: explain's lines, numbers and order."""

from __future__ import annotations

import re

import pytest

from micrograd import Value, explain
from micrograd._graph import format_number, node_names
from seed_example import seed_values


def seed() -> Value:
    return seed_values()["L"]


def test_seed_example_derives_every_gradient_in_backprop_order() -> None:
    assert explain(seed()).splitlines() == [
        "Backpropagation from L = -8, in the order backward() runs.",
        "dL/dL = 1",
        "Step 1: L = d * f = (4) * (-2) = -8",
        "  dL/dd = ∂L/∂d = -2",
        "  dL/df = ∂L/∂f = 4",
        "Step 2: d = e + c = (-6) + (10) = 4",
        "  dL/de = dL/dd · dd/de = (-2) · (1) = -2",
        "  dL/dc = dL/dd · dd/dc = (-2) · (1) = -2",
        "Step 3: e = a * b = (2) * (-3) = -6",
        "  dL/da = dL/de · de/da = (-2) · (-3) = 6",
        "  dL/db = dL/de · de/db = (-2) · (2) = -4",
    ]


def test_explain_leaves_grad_alone() -> None:
    L = seed()
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
    # p and s may be backpropagated in either order; the sum has one term per path
    assert (
        "  dL/dx = dL/dp · dp/dx + dL/ds · ds/dx = (7) · (4) + (12) · (1) = 40" in lines
        or "  dL/dx = dL/ds · ds/dx + dL/dp · dp/dx = (12) · (1) + (7) · (4) = 40" in lines
    )
    assert (
        "  dL/dy = dL/dp · dp/dy + dL/ds · ds/dy = (7) · (3) + (12) · (1) = 33" in lines
        or "  dL/dy = dL/ds · ds/dy + dL/dp · dp/dy = (12) · (1) + (7) · (3) = 33" in lines
    )
    out.backward()
    assert (x.grad, y.grad) == (40.0, 33.0)


def test_the_same_operand_twice_in_one_operation() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    assert explain(y).splitlines()[-1] == "  dy/dx = ∂y/∂x + ∂y/∂x = (3) + (3) = 6"


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
    assert text.splitlines()[0] == "Backpropagation from out = 6, in the order backward() runs."
    assert "Step 1: out = ReLU(n2) = ReLU(6) = 6" in text
    assert "Step 2: n2 = x * n1 = (3) * (2) = 6" in text
    assert "  dout/dx = dout/dn2 · dn2/dx = (1) · (2) = 2" in text


def test_markdown_with_math() -> None:
    markdown = explain(seed(), format="markdown")
    assert "**Step 1**: $L = d \\cdot f = (4) \\cdot (-2) = -8$" in markdown
    assert "```math\n\\frac{dL}{da} = \\frac{dL}{de} \\cdot \\frac{de}{da} = (-2) \\cdot (-3) = 6\n```" in markdown
    assert "\\frac{dL}{dd} = \\frac{\\partial L}{\\partial d} = -2" in markdown
    assert markdown.count("```math") == markdown.count("```") // 2 == 7


def test_a_leaf_has_nothing_to_derive_and_format_is_checked() -> None:
    x = Value(1.0, label="x")
    assert explain(x).splitlines() == ["Backpropagation from x = 1, in the order backward() runs.", "dx/dx = 1"]
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
