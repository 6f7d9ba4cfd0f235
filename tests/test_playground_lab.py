"""The lab words the parser's facts its own way: no command-line advice on a web page."""

from __future__ import annotations

import pytest

from micrograd.playground import lab
from micrograd.playground.errors import RequestError


def test_a_missing_value_is_worded_for_the_page_without_command_line_options() -> None:
    # the lab gives every free name a value, so only a caller that leaves one out meets this
    with pytest.raises(RequestError) as refused:
        lab._parse("a*b + c", {"b": 1.0})
    message = str(refused.value)
    assert message == "'a', 'c' have no value: give each variable a number in the list of variables"
    assert "--set" not in message


def test_other_expression_errors_pass_through_unchanged() -> None:
    with pytest.raises(RequestError, match=r"^calls of 'print' are not allowed") as refused:
        lab._parse("print(1)", {})
    assert isinstance(refused.value, lab.ExpressionProblem)  # the expression's own problem: answered 200
