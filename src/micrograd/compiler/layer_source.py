"""Straight-line Python for a small layer on a batch (a part of ``micrograd.compiler.replay_layer``).

A layer of ``units`` neurons reading ``width`` inputs is replayed, for each input
row, by one generated expression per unit with the weights held in local variables:
``(0.0 + x0 * w0_0 + x1 * w0_1 + ...) + b0``.  That is the engine's own arithmetic
where ``sum()`` adds left to right (before CPython 3.12, see
``BY_COLUMNS_IS_THE_ENGINES_SUM``): the same bits as ``sum(map(mul, x, w)) + b``,
without a ``map`` and a ``sum`` call per step, which cost more than the products
themselves at the widths of a demo.  Backward is one pass over the rows that adds
each weight's ``g * x`` to a local accumulator and gives the inputs' gradients row
by row (to rounding: the engine adds node by node).  The source is made once per
shape and kept (``functions``); it grows as ``units * width``, so only layers up
to ``LIMIT`` weights get it, the others are replayed with ``sum(map(mul, ...))``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["LIMIT", "functions"]

LIMIT = 1024  # the most weights (units * width) a layer's generated source holds

Forward = Callable[[list[float], list[float], list[float]], list[float]]
# (gradients of the outputs, inputs, weights, relu operands of the inputs or None, whether to skip zero rows)
#  -> (the weights' gradients, the biases', the inputs')
Backward = Callable[[list[float], list[float], list[float], Any, bool], tuple[list[float], list[float], list[float]]]

_made: dict[tuple[int, int, bool, bool, bool], tuple[Forward, Backward]] = {}


def functions(units: int, width: int, inputs: bool, weights: bool, relu: bool) -> tuple[Forward, Backward]:
    """The forward and backward of a layer of this shape; ``inputs`` and ``weights`` say which gradients
    backward gives, ``relu`` that the inputs are relu results (an input whose relu is off gets 0.0)."""
    key = (units, width, inputs, weights, relu)
    made = _made.get(key)
    if made is None:
        if len(_made) >= 64:
            _made.pop(next(iter(_made)))
        namespace: dict[str, Any] = {"ZERO_ROW": (0.0,) * width}
        exec(_forward_source(units, width) + _backward_source(units, width, inputs, weights, relu), namespace)
        made = _made[key] = (namespace["forward"], namespace["backward"])
    return made


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(count)]


def _unpack(names: list[str]) -> str:
    """A target list for unpacking, also of one name."""
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _weights(units: int, width: int) -> list[list[str]]:
    return [[f"w{u}_{j}" for j in range(width)] for u in range(units)]


def _forward_source(units: int, width: int) -> str:
    w, x = _weights(units, width), _names("x", width)
    sums = ["(0.0 + " + " + ".join(f"{x[j]} * {w[u][j]}" for j in range(width)) + f") + b{u}" for u in range(units)]
    return "\n".join(
        [
            "def forward(xs, ws, bs):",
            f"    {_unpack([name for row in w for name in row])} = ws",
            f"    {_unpack(_names('b', units))} = bs",
            "    out = []",
            "    push = out.extend",
            "    it = iter(xs)",
            f"    for {_unpack(x)} in zip({', '.join(['it'] * width)}):",
            f"        push(({_unpack(sums)}))",
            "    return out",
            "",
        ]
    )


def _backward_source(units: int, width: int, inputs: bool, weights: bool, relu: bool) -> str:
    w, x, g, z = _weights(units, width), _names("x", width), _names("g", units), _names("z", width)
    gw = [[f"g{name}" for name in row] for row in w]
    gb = _names("gb", units)
    rows = [f"zip({', '.join(['gi'] * units)})", f"zip({', '.join(['xi'] * width)})"]
    targets = [f"({_unpack(g)})", f"({_unpack(x)})"]
    if relu:
        rows.append(f"zip({', '.join(['zi'] * width)})")
        targets.append(f"({_unpack(z)})")
    lines = [
        "def backward(gs, xs, ws, zs, skip):",
        f"    {_unpack([name for row in w for name in row])} = ws",
        "    gx = []",
        "    push = gx.extend",
        "    gi, xi, zi = iter(gs), iter(xs), iter(zs or ())",
    ]
    if weights:
        lines.append(f"    {' = '.join([name for row in gw for name in row] + gb)} = 0.0")
    lines += [
        f"    for {', '.join(targets)} in zip({', '.join(rows)}):",
        f"        if skip and not ({' or '.join(g)}):  # a row without gradient (a hinge's satisfied margin)",
        "            push(ZERO_ROW)" if inputs else "            pass",
        "            continue",
    ]
    if weights:
        lines += [f"        {gw[u][j]} += {g[u]} * {x[j]}" for u in range(units) for j in range(width)]
        lines += [f"        {gb[u]} += {g[u]}" for u in range(units)]
    if inputs:
        sums = [" + ".join(f"{g[u]} * {w[u][j]}" for u in range(units)) for j in range(width)]
        if relu:  # the relu's backward zeroes these: not computed
            sums = [f"0.0 if {z[j]} <= 0 else {total}" for j, total in enumerate(sums)]
        lines.append(f"        push(({_unpack(sums)}))")
    weight_sums = f"[{', '.join(name for row in gw for name in row)}], [{', '.join(gb)}]" if weights else "[], []"
    lines += [f"    return {weight_sums}, gx", ""]
    return "\n".join(lines)
