"""Variants of lecture_value.py, each with one classic bug planted: the check that must fail, and its hint.

Each variant is (name, text to find in lecture_value.py, its replacement, the id of the
check that names the bug, words its hint must contain).
"""

from __future__ import annotations

from pathlib import Path

SOURCE = Path(__file__).with_name("lecture_value.py")

TOPOLOGICAL_BACKWARD = """        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()"""

# no topological sort: each node passes its gradient on as soon as it is first reached
FIRST_REACHED_BACKWARD = """        self.grad = 1.0
        stack = [self]
        seen = {self}
        while stack:
            node = stack.pop()
            node._backward()
            for child in node._prev:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)"""

VARIANTS = [
    (
        "equals-in-add",
        "self.grad += 1.0 * out.grad\n            other.grad += 1.0 * out.grad",
        "self.grad = 1.0 * out.grad\n            other.grad = 1.0 * out.grad",
        "reuse",
        "use += in _backward",
    ),
    (
        "equals-in-mul",
        "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
        "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad",
        "reuse",
        "use += in _backward",
    ),
    ("no-topological-order", TOPOLOGICAL_BACKWARD, FIRST_REACHED_BACKWARD, "order", "reverse topological order"),
    ("no-rmul", "    def __rmul__(self, other):\n        return self * other\n", "", "numbers-left", "__rmul__"),
    ("no-radd", "    def __radd__(self, other):\n        return self + other\n", "", "numbers-left", "__radd__"),
    (
        "tanh-one-minus-t",
        "self.grad += (1 - t**2) * out.grad",
        "self.grad += (1 - t) * out.grad",
        "grad.tanh",
        "1 - t**2, not 1 - t",
    ),
    (
        "pow-drops-exponent",
        "self.grad += other * (self.data ** (other - 1)) * out.grad",
        "self.grad += (self.data ** (other - 1)) * out.grad",
        "grad.pow",
        "pow drops its exponent",
    ),
    (
        "mul-wrong-derivative",
        "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
        "self.grad += self.data * out.grad\n            other.grad += other.data * out.grad",
        "grad.mul",
        "d(a*b)/da = b",
    ),
    (
        "exp-wrong-derivative",
        "self.grad += out.data * out.grad",
        "self.grad += x * out.grad",
        "grad.exp",
        "d(e**x)/dx = e**x",
    ),
    (
        "tanh-forgets-out-grad",
        "self.grad += (1 - t**2) * out.grad",
        "self.grad += 1 - t**2",
        "compose.random",
        "out.grad (the chain rule)",
    ),
    (
        "zero-grad-does-nothing",
        "        for p in self.parameters():\n            p.grad = 0.0\n",
        "        pass\n",
        "nn.zero-grad",
        "call zero_grad() before backward()",
    ),
]


def write_variant(folder: Path, find: str, replace: str) -> Path:
    """lecture_value.py with one change, written to ``folder``."""
    source = SOURCE.read_text(encoding="utf-8")
    assert source.count(find) == 1, f"the fixture changed: {find!r} is not found once"
    path = folder / "value.py"
    path.write_text(source.replace(find, replace), encoding="utf-8")
    return path
