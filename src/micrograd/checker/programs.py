"""Probe programs: a few lines of arithmetic on Values, run by the learner's class and by this engine.

A program is plain data (see :mod:`micrograd.checker.child` for its steps), so it
crosses the process boundary as JSON; here it is also written as Python code for
the learner to read and paste, and evaluated with this engine for the expected numbers.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from micrograd.autograd import Value

__all__ = ["SYMBOLS", "Program", "number_text"]

SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}
_UNARY: dict[str, Callable[[Any], Any]] = {"neg": operator.neg, "abs": operator.abs}


def number_text(x: float) -> str:
    """A number as code: ``2.0``, ``-3.0``, ``0.8814``."""
    return repr(float(x)) if float(x) == int(x) else f"{x:.10g}"


@dataclass
class Program:
    """Steps for the learner's class and for this engine, the leaves (inputs) and the output."""

    steps: list[list[Any]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    output: str = ""

    # -- building -------------------------------------------------------------------------

    def leaf(self, name: str, data: float) -> str:
        self.steps.append(["leaf", name, float(data)])
        self.inputs.append(name)
        return name

    def op(self, name: str, function: str, *args: str | float) -> str:
        self.steps.append(["op", name, function, *args])
        self.output = name
        return name

    def method(self, name: str, method: str, x: str) -> str:
        self.steps.append(["method", name, method, x])
        self.output = name
        return name

    def chain(self, name: str, x: str, function: str, number: float, count: int) -> str:
        self.steps.append(["chain", name, x, function, number, count])
        self.output = name
        return name

    def backward(self) -> Program:
        self.steps.append(["backward", self.output])
        return self

    def size(self) -> int:
        """Operations in the program (for picking the smallest failing one)."""
        return sum(step[0] in ("op", "method") for step in self.steps)

    # -- as code --------------------------------------------------------------------------

    def code(self, class_name: str = "Value") -> str:
        """The program as Python a learner can paste."""
        lines = []
        for step in self.steps:
            kind = step[0]
            if kind == "leaf":
                lines.append(f"{step[1]} = {class_name}({number_text(step[2])})")
            elif kind == "op":
                lines.append(f"{step[1]} = {_expression(step[2], step[3:])}")
            elif kind == "method":
                lines.append(f"{step[1]} = {step[3]}.{step[2]}()")
            elif kind == "chain":
                name, x, function, number, count = step[1:]
                lines.append(f"{name} = {x}")
                lines.append(f"for _ in range({count}):")
                lines.append(f"    {name} = {name} {SYMBOLS[function]} {number_text(number)}")
            elif kind == "backward":
                lines.append(f"{step[1]}.backward()")
            elif kind == "snap":
                lines.append(f"print({', '.join(f'{n}.grad' for n in self.inputs)})")
        return "\n".join(lines)

    # -- with this engine -------------------------------------------------------------------

    def evaluate(self, extras: Mapping[str, Callable[[float], float]] | None = None) -> dict[str, Value]:
        """Run the program with this engine (backward included); raises what the engine raises.

        ``extras`` gives methods this engine lacks as float functions: a node made
        micrograd's way, whose local derivative is numerical.
        """
        env: dict[str, Value] = {}

        def arg(x: Any) -> Any:
            return env[x] if isinstance(x, str) else x

        for step in self.steps:
            kind = step[0]
            if kind == "leaf":
                env[step[1]] = Value(step[2], label=step[1])
            elif kind == "op":
                function: Callable[..., Any] = _UNARY.get(step[2]) or getattr(operator, step[2])
                env[step[1]] = function(*(arg(x) for x in step[3:]))
            elif kind == "method":
                x = env[step[3]]
                if extras and step[2] in extras and not hasattr(x, step[2]):
                    env[step[1]] = _numerical_node(x, extras[step[2]], step[2])
                else:
                    env[step[1]] = getattr(x, step[2])()
            elif kind == "chain":
                value = env[step[2]]
                combine = getattr(operator, step[3])
                for _ in range(step[5]):
                    value = combine(value, step[4])
                env[step[1]] = value
            elif kind == "backward":
                env[step[1]].backward()
        for name, value in env.items():
            if not value.label:
                value.label = name
        return env


def _numerical_node(x: Value, function: Callable[[float], float], name: str) -> Value:
    out = Value(function(x.data), (x,), name)
    h = 1e-6 * max(1.0, abs(x.data))
    slope = (function(x.data + h) - function(x.data - h)) / (2 * h)

    def _backward() -> None:
        x.grad += slope * out.grad

    out._backward = _backward
    return out


def _expression(function: str, args: list[Any]) -> str:
    text = [a if isinstance(a, str) else number_text(a) for a in args]
    if function == "neg":
        return f"-{text[0]}"
    if function == "abs":
        return f"abs({text[0]})"
    return f"{text[0]} {SYMBOLS[function]} {text[1]}"


def close(expected: float, actual: Any) -> bool:
    """Whether the learner's number agrees with this engine's (to rounding; nan agrees with nan)."""
    if not isinstance(actual, float):
        return False
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return math.isclose(expected, actual, rel_tol=1e-6, abs_tol=1e-9)
