"""Arithmetic expressions as graphs of Values, parsed safely (never ``eval``).

``parse_expression("(a*b + c)*f", {"a": 2, "b": -3, "c": 10, "f": -2})`` returns
the Value of the expression, built with the engine's operations, so it can be
backpropagated, drawn and explained.  The text is read with :mod:`ast` and only a
whitelist is accepted: numbers, variables that have a value, ``+ - * / **``,
unary ``-`` and ``+``, parentheses, and calls of ``exp``, ``log``, ``tanh``,
``sigmoid`` and ``relu`` with one argument.  Anything else (attribute access,
subscripts, other calls, lambdas, comprehensions, ...) is refused with an
:class:`ExpressionError` that names it.

Several statements separated by ``;`` name intermediate values, as the example's
walkthrough does (docs/backprop.md): ``"e = a*b; d = e + c; L = d*f"`` labels ``e``, ``d`` and ``L``.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from micrograd.autograd import Value, no_grad

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "ExpressionError",
    "MissingValuesError",
    "parse_expression",
    "variable_name",
]

MAX_LENGTH = 1000  # characters of input
MAX_DEPTH = 200  # nesting of operations and parentheses (a sum of n terms nests n deep)

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
}

_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "':='",
    ast.Starred: "'*' unpacking",
    ast.JoinedStr: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dictionaries",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}

Operand = Value | float  # a constant stays a float until it meets a Value


class ExpressionError(ValueError):
    """The expression cannot be used; the message says why, in one line."""


class MissingValuesError(ExpressionError):
    """Variables the expression reads but no value was given for; ``names`` lists them in order of appearance.

    The message states the fact only ("'y' has no value"): each front end says
    how to give a value its own way (the CLI with ``--set``, the playground in its lab).
    """

    SHOWN = 10  # names spelled out in the message; the rest are counted

    def __init__(self, names: Sequence[str]) -> None:
        self.names: tuple[str, ...] = tuple(names)
        shown = ", ".join(repr(name) for name in self.names[: self.SHOWN])
        more = f" and {len(self.names) - self.SHOWN} more" if len(self.names) > self.SHOWN else ""
        super().__init__(f"{shown}{more} {'has' if len(self.names) == 1 else 'have'} no value")


def parse_expression(source: str, variables: Mapping[str, float] | None = None) -> Value:
    """The Value of arithmetic expression ``source``, its variables taken from ``variables``.

    Each variable becomes a leaf labeled with its name; ``name = ...`` statements
    (separated by ``;``) label intermediate values; the last statement gives the
    result.  Raises :class:`ExpressionError` for anything outside the whitelist, a
    variable with no value, or an operation the engine refuses (such as ``log(-1)``).

    >>> L = parse_expression("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2})
    >>> L
    Value(data=-8.0, grad=0.0, label='L')
    >>> parse_expression("open('secrets')", {})
    Traceback (most recent call last):
    ...
    micrograd.expression.ExpressionError: calls of 'open' are not allowed (functions: exp, log, tanh, sigmoid, relu)
    """
    if not isinstance(source, str):
        raise ExpressionError(f"the expression must be text, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(source)} characters; the limit is {MAX_LENGTH})")
    if not source.strip():
        raise ExpressionError("the expression is empty")
    names: dict[str, Value] = {}
    given: dict[str, str] = {}  # normalised name -> the name as given
    for given_name, number in (variables or {}).items():
        name = variable_name(given_name)
        if name in given:
            raise ExpressionError(
                f"variables {given[name]!r} and {given_name!r} are the same name {name!r} (as Python reads them)"
            )
        given[name] = given_name
        names[name] = Value(_finite(number, f"the value of {name}"), label=name)
    try:
        with warnings.catch_warnings():  # a SyntaxWarning ("invalid decimal literal") would be a second line
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise ExpressionError(f"not a valid expression: {_syntax_message(error)}") from None
    try:
        return _Evaluator(source, names).run(tree)
    except RecursionError:
        raise ExpressionError(f"the expression is too deeply nested (the limit is {MAX_DEPTH})") from None


def variable_name(text: str) -> str:
    """``text`` as Python reads it in an expression: NFKC-normalised, so ``'ａ'`` and ``'𝐱'`` are ``'a'`` and ``'x'``.

    Raises :class:`ExpressionError` if it is not a variable name (a keyword, a
    function's name, not an identifier).

    >>> variable_name("ａ")
    'a'
    """
    if not isinstance(text, str):
        raise ExpressionError(f"{text!r} is not a valid variable name")
    name = unicodedata.normalize("NFKC", text)
    if not text.isidentifier() or not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"{text!r} is not a valid variable name")
    if name in FUNCTIONS:
        raise ExpressionError(f"{text!r} is a function and cannot be a variable")
    return name


def _finite(number: object, what: str) -> float:
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise ExpressionError(f"{what} must be a number, got {number!r}")
    try:
        value = float(number)
    except OverflowError:
        raise ExpressionError(f"{what} is too large for a float") from None
    if not math.isfinite(value):
        raise ExpressionError(f"{what} must be finite, got {value}")
    return value


def _syntax_message(error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        where = f" (column {error.offset})" if error.offset else ""
        return f"{error.msg}{where}"
    if isinstance(error, (RecursionError, MemoryError)):
        return "too deeply nested"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class _Evaluator:
    """Evaluates a parsed expression node by node, refusing what is not whitelisted."""

    def __init__(self, source: str, names: dict[str, Value]) -> None:
        self.source = source
        self.names = names
        self.given = set(names)  # the variables; assignments add to ``names``
        self.statements: list[ast.stmt] = []

    def run(self, tree: ast.Module) -> Value:
        self.statements = statements = tree.body
        result: Operand | None = None
        for statement in statements:
            if isinstance(statement, ast.Expr):
                if statement is not statements[-1]:
                    raise ExpressionError(
                        f"only the last statement can be a bare expression: {self._text(statement)!r}"
                    )
                result = self.evaluate(statement.value, 0)
            elif isinstance(statement, ast.Assign):
                result = self.assign(statement)
            else:
                raise ExpressionError(f"statements like {self._text(statement)!r} are not allowed")
        if result is None:
            raise ExpressionError("the expression is empty")
        return result if isinstance(result, Value) else Value(result)

    def assign(self, statement: ast.Assign) -> Operand:
        if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
            raise ExpressionError(f"only 'name = expression' assignments are allowed: {self._text(statement)!r}")
        name = statement.targets[0].id
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function and cannot be assigned")
        if name in self.names:
            raise ExpressionError(f"{name!r} already has a value")
        result = self.evaluate(statement.value, 0)
        value = result if isinstance(result, Value) else Value(result)
        if value.label:
            raise ExpressionError(f"{name} = {value.label}: give a name to an operation, not to another name")
        value.label = name
        self.names[name] = value
        return value

    def evaluate(self, node: ast.expr, depth: int) -> Operand:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is too deeply nested (the limit is {MAX_DEPTH})")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            raise ExpressionError(self._attribute_refusal(node))
        what = _REFUSED.get(type(node), type(node).__name__)
        raise ExpressionError(f"{what} not allowed: {self._text(node)!r}")

    def constant(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, got {self._text(node)!r}")
        return _finite(value, f"the number {self._text(node)}")

    def name(self, node: ast.Name) -> Value:
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x)")
        if node.id not in self.names:
            raise MissingValuesError(self.missing_names() or [node.id])
        return self.names[node.id]

    def missing_names(self) -> list[str]:
        """Every variable the statements read before any value is given to it, in order of appearance."""
        known = set(self.given)
        missing: list[str] = []
        for statement in self.statements:
            if not isinstance(statement, (ast.Expr, ast.Assign)):
                continue
            nodes = list(ast.walk(statement.value))
            called = {id(node.func) for node in nodes if isinstance(node, ast.Call)}
            read = [node for node in nodes if isinstance(node, ast.Name) and id(node) not in called]
            for node in sorted(read, key=lambda node: (node.lineno, node.col_offset)):
                if node.id not in known and node.id not in FUNCTIONS and node.id not in missing:
                    missing.append(node.id)
            if isinstance(statement, ast.Assign):
                known.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        return missing

    def binary(self, node: ast.BinOp, depth: int) -> Operand:
        apply = _OPERATORS.get(type(node.op))
        if apply is None:
            symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(f"the operator {symbol} is not allowed (operators: + - * / **)")
        left = self.evaluate(node.left, depth + 1)
        right = self.evaluate(node.right, depth + 1)
        if isinstance(node.op, ast.Pow) and isinstance(right, float) and right.is_integer() and abs(right) < 2**31:
            right = int(right)  # x**2 reads '**2', not '**2.0'
        if not isinstance(left, Value) and not isinstance(right, Value):
            # two constants: computed by the engine, so its checks apply, but not recorded
            with no_grad():
                return self._engine(lambda: apply(Value(left), right), node).data
        return self._engine(lambda: apply(left, right), node)

    def unary(self, node: ast.UnaryOp, depth: int) -> Operand:
        operand = self.evaluate(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            return -operand if isinstance(operand, float) else self._engine(lambda: -operand, node)
        symbol = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), type(node.op).__name__)
        raise ExpressionError(f"the operator {symbol} is not allowed: {self._text(node)!r}")

    def call(self, node: ast.Call, depth: int) -> Operand:
        if isinstance(node.func, ast.Attribute):
            raise ExpressionError(self._attribute_refusal(node.func))
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            callee = node.func.id if isinstance(node.func, ast.Name) else self._text(node.func)
            raise ExpressionError(f"calls of {callee!r} are not allowed (functions: {', '.join(FUNCTIONS)})")
        function = FUNCTIONS[node.func.id]
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{node.func.id} takes exactly one argument, without keywords: {self._text(node)!r}")
        argument = self.evaluate(node.args[0], depth + 1)
        if isinstance(argument, Value):
            return self._engine(lambda: function(argument), node)
        with no_grad():
            return self._engine(lambda: function(Value(argument)), node).data

    def _attribute_refusal(self, node: ast.Attribute) -> str:
        """The refusal of ``x.name``; for a function's name, the way to write it (``x.tanh()`` is ``tanh(x)``)."""
        message = f"attribute access not allowed: {self._text(node)!r}"
        if node.attr in FUNCTIONS:
            return f"{message}; write {node.attr}({self._text(node.value)})"
        return f"{message} (functions are called as in tanh(x): {', '.join(FUNCTIONS)})"

    def _engine(self, operation: Callable[[], object], node: ast.expr) -> Value:
        """Run one engine operation; its errors (log of a negative, ...) become ExpressionErrors."""
        try:
            result = operation()
        except (ArithmeticError, ValueError, TypeError) as error:
            raise ExpressionError(f"{self._text(node)}: {error}") from None
        assert isinstance(result, Value)
        return result

    def _text(self, node: ast.AST) -> str:
        """The source text of ``node``, shortened for an error message."""
        text = ast.get_source_segment(self.source, node) or type(node).__name__
        text = " ".join(text.split())
        return text if len(text) <= 60 else text[:57] + "..."
