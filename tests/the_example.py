"""The worked example of docs/backprop.md, ``L = (a*b + c) * f``, with every value labelled as there."""

from __future__ import annotations

from micrograd import Value


def example_values() -> dict[str, Value]:
    """a, b, c, d, e, f and L by name (nothing backpropagated yet)."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L}
