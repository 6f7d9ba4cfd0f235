"""The operations ``micrograd check`` knows: how to try each one, and the lecture's words for its derivative.

Each :class:`Op` lists the methods a class needs for it, its cases from the
smallest up, the ``_op`` spellings that name it, and a hint for a wrong local
derivative.  Operations this engine has are compared with it; the others
(``cos``, ``sqrt``, ...) get a float formula for the forward pass and numerical
gradients.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from micrograd.checker.programs import Program

__all__ = ["EXTRAS", "OPS", "Op", "op_key"]


@dataclass(frozen=True)
class Op:
    """One operation of a learner's Value class."""

    key: str  # "add", "pow", "tanh", ...
    title: str  # how the report names it: "a + b"
    needs: tuple[str, ...]  # the methods the class must have
    cases: Callable[[], list[Program]]  # smallest first, each without backward
    hint: str  # the lecture's words for its local derivative
    formula: Callable[[float], float] | None = None  # for an operation this engine lacks


def _binary(function: str, a: float, b: float, number: float) -> Callable[[], list[Program]]:
    def cases() -> list[Program]:
        first = Program()
        first.op("c", function, first.leaf("a", a), first.leaf("b", b))
        second = Program()
        second.op("c", function, second.leaf("a", a), number)
        return [first, second]

    return cases


def _powers() -> list[Program]:
    programs = []
    for exponent in (2, 3, -1, 0.5):
        program = Program()
        program.op("b", "pow", program.leaf("a", 1.5), exponent)
        programs.append(program)
    return programs


def _unary(method: str, *points: float, operator_name: str = "") -> Callable[[], list[Program]]:
    def cases() -> list[Program]:
        programs = []
        for point in points:
            program = Program()
            if operator_name:
                program.op("b", operator_name, program.leaf("a", point))
            else:
                program.method("b", method, program.leaf("a", point))
            programs.append(program)
        return programs

    return cases


def _value_power() -> list[Program]:
    program = Program()
    program.op("c", "pow", program.leaf("a", 2.0), program.leaf("b", 3.0))
    return [program]


SHARE = "d(a+b)/da = 1: pass the gradient through, self.grad += out.grad"
OPS = [
    Op("add", "a + b", ("__add__",), _binary("add", 2.0, -3.0, 3.0), SHARE),
    Op(
        "mul",
        "a * b",
        ("__mul__",),
        _binary("mul", 2.0, -3.0, 3.0),
        "d(a*b)/da = b: self.grad += other.data * out.grad, and other.grad += self.data * out.grad",
    ),
    Op("neg", "-a", ("__neg__",), _unary("", 2.0, operator_name="neg"), "d(-a)/da = -1"),
    Op(
        "pow",
        "a ** n (a number n)",
        ("__pow__",),
        _powers,
        "d(x**n)/dx = n * x**(n-1): self.grad += other * self.data**(other - 1) * out.grad",
    ),
    Op("sub", "a - b", ("__sub__",), _binary("sub", 2.0, -3.0, 3.0), "d(a-b)/da = 1, d(a-b)/db = -1"),
    Op(
        "truediv",
        "a / b",
        ("__truediv__",),
        _binary("truediv", 2.0, -4.0, 4.0),
        "d(a/b)/da = 1/b, d(a/b)/db = -a/b**2 (a / b is a * b**-1)",
    ),
    Op(
        "pow_value",
        "a ** b (a Value b)",
        ("__pow__",),
        _value_power,
        "d(a**b)/da = b * a**(b-1), d(a**b)/db = a**b * log(a)",
    ),
    Op("exp", "a.exp()", ("exp",), _unary("exp", 0.5, -1.0), "d(e**x)/dx = e**x: self.grad += out.data * out.grad"),
    Op(
        "log",
        "a.log()",
        ("log",),
        _unary("log", 2.0, 0.5),
        "d(log x)/dx = 1/x: self.grad += (1 / self.data) * out.grad",
    ),
    Op(
        "tanh",
        "a.tanh()",
        ("tanh",),
        _unary("tanh", 0.8814, -0.3),
        "the local derivative of tanh is 1 - t**2: self.grad += (1 - t**2) * out.grad",
    ),
    Op(
        "sigmoid",
        "a.sigmoid()",
        ("sigmoid",),
        _unary("sigmoid", 0.3, -1.2),
        "d(sigmoid)/dx = s * (1 - s): self.grad += s * (1 - s) * out.grad",
    ),
    Op(
        "relu",
        "a.relu()",
        ("relu",),
        _unary("relu", 1.5, -0.7),
        "d(relu)/dx is 1 where the output is positive, else 0: self.grad += (out.data > 0) * out.grad",
    ),
    Op("abs", "abs(a)", ("__abs__",), _unary("", -1.5, 2.0, operator_name="abs"), "d|x|/dx = sign(x)"),
]

# methods this engine does not have: a float formula for the forward pass, numerical gradients
_EXTRA_FORMULAS: dict[str, Callable[[float], float]] = {
    "cos": math.cos,
    "sin": math.sin,
    "tan": math.tan,
    "sqrt": math.sqrt,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "atan": math.atan,
    "arctan": math.atan,
    "softplus": lambda x: math.log1p(math.exp(x)),
    "square": lambda x: x * x,
    "log1p": math.log1p,
    "expm1": math.expm1,
}
EXTRAS = [
    Op(name, f"a.{name}()", (name,), _unary(name, 0.7, 1.3), f"compare your {name}'s _backward with the numbers", f)
    for name, f in _EXTRA_FORMULAS.items()
]

_SPELLINGS = {
    "+": "add",
    "add": "add",
    "*": "mul",
    "mul": "mul",
    "-": "sub",
    "sub": "sub",
    "/": "truediv",
    "div": "truediv",
    "truediv": "truediv",
    "neg": "neg",
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "tanh": "tanh",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "abs": "abs",
}


def op_key(symbol: str) -> str:
    """The operation a learner's ``_op`` names: ``'**2'`` is pow, ``'ReLU'`` relu; '' if unknown."""
    text = symbol.strip().lower()
    if text.startswith("**") or text.startswith("^") or text.startswith("pow"):
        return "pow"
    return _SPELLINGS.get(text, text if text in _EXTRA_FORMULAS else "")
