"""The whitelisted expression parser: what it builds and everything it refuses."""

from __future__ import annotations

import math
import unicodedata
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Value
from micrograd.expression import MAX_LENGTH, ExpressionError, MissingValuesError, parse_expression, variable_name

EXAMPLE = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}


def test_the_example_builds_its_graph() -> None:
    L = parse_expression("(a*b + c)*f", EXAMPLE)
    assert L.data == -8.0
    assert L._op == "*"
    d, f = L._prev
    assert (d._op, f.label, f.data) == ("+", "f", -2.0)
    e, c = d._prev
    assert (e._op, c.label) == ("*", "c")
    assert [leaf.label for leaf in e._prev] == ["a", "b"]
    L.backward()
    assert [leaf.grad for leaf in (*e._prev, c, f)] == [6.0, -4.0, -2.0, 4.0]


def test_statements_name_intermediate_values() -> None:
    L = parse_expression("e = a*b; d = e + c; L = d*f", EXAMPLE)
    d, f = L._prev
    e, c = d._prev
    assert (L.label, d.label, e.label) == ("L", "d", "e")
    assert (f.label, c.label) == ("f", "c")
    assert L.data == -8.0


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x + 1", 1.5),
        ("x - 1", -0.5),
        ("2 * x", 1.0),
        ("x / 4", 0.125),
        ("x ** 2", 0.25),
        ("2 ** x", math.sqrt(2)),
        ("-x", -0.5),
        ("+x", 0.5),
        ("-(x + 1)", -1.5),
        ("exp(x)", math.exp(0.5)),
        ("log(x)", math.log(0.5)),
        ("tanh(x)", math.tanh(0.5)),
        ("sigmoid(x)", 1 / (1 + math.exp(-0.5))),
        ("relu(-x) + relu(x)", 0.5),
        ("2 * 3 * x", 3.0),
        ("1e-3 * x", 0.0005),
    ],
)
def test_operators_and_functions(source: str, expected: float) -> None:
    result = parse_expression(source, {"x": 0.5})
    assert result.data == pytest.approx(expected)


def test_gradients_flow_through_every_operation() -> None:
    x = 0.7
    result = parse_expression("exp(x) * log(x) + tanh(x) / sigmoid(x) - relu(x) ** 3 + 2 ** x", {"x": x})
    leaf = next(v for v in _all(result) if v.label == "x")
    result.backward()
    h = 1e-6

    def f(t: float) -> float:
        sig = 1 / (1 + math.exp(-t))
        return math.exp(t) * math.log(t) + math.tanh(t) / sig - t**3 + 2**t

    assert leaf.grad == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-6)


def _all(root: Value) -> list[Value]:
    seen, stack = [], [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.append(node)
            stack.extend(node._prev)
    return seen


def test_an_integer_exponent_reads_as_an_integer() -> None:
    assert parse_expression("x ** 2", {"x": 3.0})._op == "**2"
    assert parse_expression("x ** 0.5", {"x": 4.0})._op == "**0.5"


def test_a_constant_expression_is_a_value() -> None:
    assert isinstance(parse_expression("3", {}), Value)
    assert parse_expression("2 ** 10", {}).data == 1024.0


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x.real", "attribute access not allowed: 'x.real'"),
        ("x.exp()", "attribute access not allowed: 'x.exp'; write exp(x)"),
        ("(x + 1).tanh()", "attribute access not allowed: '(x + 1).tanh'; write tanh(x + 1)"),
        ("x.tanh", "write tanh(x)"),
        ("x.backward()", "functions are called as in tanh(x)"),
        ("1e400in relu", "comparisons not allowed"),  # CPython also warns "invalid decimal literal"
        ("0x1for x in y", "'and'/'or' not allowed"),  # 0x1f or x in y, also with a warning
        ("x[0]", "subscripts not allowed"),
        ("lambda: 1", "lambda not allowed"),
        ("[i for i in x]", "comprehensions not allowed"),
        ("sum(i for i in x)", "calls of 'sum' are not allowed"),
        ("__import__('os').system('true')", "attribute access not allowed"),
        ("__import__('os')", "calls of '__import__' are not allowed"),
        ("open('f')", "calls of 'open' are not allowed"),
        ("exp(x, 2)", "exp takes exactly one argument"),
        ("exp(x=1)", "exp takes exactly one argument"),
        ("exp(*x)", "exp takes exactly one argument"),
        ("exp", "exp is a function"),
        ("y + 1", "'y' has no value"),
        ("x if x else 1", "conditional expressions not allowed"),
        ("x < 1", "comparisons not allowed"),
        ("x and 1", "'and'/'or' not allowed"),
        ("'text'", "only numbers are allowed"),
        ("True", "only numbers are allowed"),
        ("1j", "only numbers are allowed"),
        ("x // 2", "the operator // is not allowed"),
        ("x % 2", "the operator % is not allowed"),
        ("~x", "the operator ~ is not allowed"),
        ("(x, 1)", "tuples not allowed"),
        ("import os", "statements like 'import os' are not allowed"),
        ("x; x", "only the last statement can be a bare expression"),
        ("x = 1", "'x' already has a value"),
        ("e = x; e", "give a name to an operation"),
        ("exp = x * 2", "'exp' is a function"),
        ("x +", "not a valid expression"),
        ("", "the expression is empty"),
        ("log(x - 1)", "log: operand must be positive"),
        ("x / (x - 0.5)", "cannot divide"),
        ("10.0 ** 400", "too large"),
        ("1e999", "must be finite"),
        ("(" * 300 + "x" + ")" * 300, "not a valid expression"),
        ("-" * 300 + "x", "too deeply nested"),
        ("x" + " + x" * 249, "too deeply nested"),
        ("x" * (MAX_LENGTH + 1), "too long"),
    ],
)
def test_refusals_name_what_was_refused(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as refused:
        parse_expression(source, {"x": 0.5})
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_nothing_is_evaluated_by_python(tmp_path: Path) -> None:
    target = tmp_path / "created"
    with pytest.raises(ExpressionError):
        parse_expression(f"open({str(target)!r}, 'w')", {"x": 1.0})
    assert not target.exists()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"1x": 1.0}, "not a valid variable name"),
        ({"for": 1.0}, "not a valid variable name"),
        ({"tanh": 1.0}, "is a function"),
        ({"x": math.inf}, "must be finite"),
        ({"x": "2"}, "must be a number"),
    ],
)
def test_bad_variables(variables: dict[str, object], message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression("1", variables)  # type: ignore[arg-type]


# -- look-alike names, warnings, several missing variables ------------------------------------

FULLWIDTH_X, BOLD_X = "\uff58", "\U0001d431"  # 'ｘ' and '𝐱': Python reads both as 'x'


def test_variable_names_are_read_as_python_reads_them() -> None:
    assert variable_name(FULLWIDTH_X) == variable_name(BOLD_X) == "x"
    assert parse_expression(f"{FULLWIDTH_X} * 10", {"x": 2.0}).data == 20.0
    assert parse_expression("x * 10", {FULLWIDTH_X: 2.0}).data == 20.0
    assert parse_expression(f"{BOLD_X} + x", {BOLD_X: 5.0}).data == 10.0
    with pytest.raises(ExpressionError, match="are the same name 'x'"):
        parse_expression(f"{BOLD_X} + x", {BOLD_X: 5.0, "x": 1.0})


def test_several_missing_variables_are_all_named() -> None:
    # the error carries the facts (which names, in order) and no front end's advice such as --set
    with pytest.raises(MissingValuesError) as refused:
        parse_expression("e = a*q; L = e*r + zz*a", {"a": 1.0})
    assert refused.value.names == ("q", "r", "zz")
    assert str(refused.value) == "'q', 'r', 'zz' have no value"
    with pytest.raises(MissingValuesError, match=r"^'y' has no value$") as one:
        parse_expression("x + y", {"x": 1.0})
    assert one.value.names == ("y",)
    assert isinstance(one.value, ExpressionError)
    many = " + ".join(f"v{k}" for k in range(12))
    with pytest.raises(MissingValuesError, match=r"^'v0', .*'v9' and 2 more have no value$") as twelve:
        parse_expression(many, {})
    assert twelve.value.names == tuple(f"v{k}" for k in range(12))


def test_a_syntax_warning_is_not_printed(capfd: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ExpressionError):
            parse_expression("1e400in relu", {})
    assert caught == []
    assert capfd.readouterr().err == ""


# -- fuzzing: any text is a finite Value or one ExpressionError line, never anything else ----------

TOKENS = [
    *"xy0123456789.e+-*/()%,;=[]{}:'\"_ \n\t<>!@&|^~",
    *("**", "1e400", "1e-400", "in", "if", "else", "lambda", "for", "not", "and", "0x1", "1_0", "1j", "\\"),
    *("exp", "log", "tanh", "sigmoid", "relu", "open", "__import__", ".real", ".tanh()", FULLWIDTH_X, BOLD_X),
]
token_sources = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
sources = st.one_of(token_sources, st.text(max_size=40))


@settings(max_examples=400)
@given(sources)
def test_fuzz_any_text_is_a_finite_value_or_one_line_refusal(source: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = parse_expression(source, {"x": 1.5, "y": -0.5})
        except ExpressionError as error:
            assert str(error) and "\n" not in str(error)
        else:
            assert isinstance(result, Value) and math.isfinite(result.data)
    assert caught == []


@settings(max_examples=200)
@given(token_sources)
def test_fuzz_look_alike_spellings_give_the_same_result(source: str) -> None:
    plain = unicodedata.normalize("NFKC", source)  # only the two look-alike x's change
    outcomes = []
    for text, variables in ((source, {FULLWIDTH_X: 1.5, "y": -0.5}), (plain, {"x": 1.5, "y": -0.5})):
        try:
            outcomes.append(parse_expression(text, variables).data)
        except ExpressionError:
            outcomes.append(None)
    assert outcomes[0] == outcomes[1] or all(math.isnan(o) for o in outcomes if o is not None)
