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
from typing import Any, NamedTuple

__all__ = ["LIMIT", "Functions", "Shape", "functions"]

LIMIT = 1024  # the most weights (units * width) a layer's generated source holds

Forward = Callable[[list[float], list[float], list[float]], list[float]]
# (the outputs' gradients, the outputs or None, the inputs, the weights, the inputs' gradients so far or None)
#  -> (the weights' gradients, the biases', the inputs' gradients with this layer's added)
Backward = Callable[[list[float], Any, list[float], list[float], Any], tuple[list[float], list[float], list[float]]]


class Shape(NamedTuple):
    """What a layer's source depends on."""

    units: int
    width: int
    inputs: bool  # whether backward gives the inputs' gradients
    weights: bool  # whether it gives the weights' and biases'
    relu_inputs: bool  # the inputs are relu results: one that is 0.0 (its relu off) passes no gradient on
    relu_outputs: bool  # backward is given the relu's results and their gradients, and does the relu's backward


class Functions(NamedTuple):
    """A layer's generated functions: each twice, for any numbers and for finite ones."""

    forward: Forward
    forward_finite: Forward  # with finite weights: the inputs that are 0.0 (idle relus) skipped, the same bits
    backward: Backward
    backward_finite: Backward  # with finite numbers: rows without gradient and inputs that are 0.0 skipped


_made: dict[Shape, Functions] = {}


def functions(shape: Shape) -> Functions:
    """The functions of a layer of this shape, made once.  What the finite ones skip adds nothing
    when every number is finite (``0 * inf`` would be nan)."""
    made = _made.get(shape)
    if made is None:
        if len(_made) >= 64:
            _made.pop(next(iter(_made)))
        namespace: dict[str, Any] = {}
        sources = [_forward_source(shape, False), _backward_source(shape, False), _backward_source(shape, True)]
        if shape.relu_inputs:  # inputs often 0.0: worth a test each
            sources.append(_forward_source(shape, True))
        exec("\n".join(sources), namespace)
        forward = namespace["forward"]
        made = _made[shape] = Functions(
            forward, namespace.get("forward_finite", forward), namespace["backward"], namespace["backward_finite"]
        )
    return made


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(count)]


def _unpack(names: list[str]) -> str:
    """A target list for unpacking (or a tuple display), also of one name."""
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _rows(iterator: str, names: list[str]) -> tuple[str, str]:
    """A loop target for one row of these names and the iterator of rows from a flat iterator."""
    return f"({_unpack(names)})", f"zip({', '.join([iterator] * len(names))})"


def _weights(units: int, width: int) -> list[list[str]]:
    return [[f"w{u}_{j}" for j in range(width)] for u in range(units)]


def _forward_source(shape: Shape, finite: bool) -> str:
    """``forward``: each unit's sum one expression, left to right; or ``forward_finite``: the same sums
    input by input, an input that is 0.0 skipped (it adds ``0.0 * w``, a zero: a sum from 0.0 is never
    -0.0, so adding a zero changes no bit, unless ``w`` is infinite or nan)."""
    units, width = shape.units, shape.width
    w, x, s = _weights(units, width), _names("x", width), _names("s", units)
    lines = [
        f"def forward{'_finite' if finite else ''}(xs, ws, bs):",
        f"    {_unpack([name for row in w for name in row])} = ws",
        f"    {_unpack(_names('b', units))} = bs",
        "    out = []",
        "    push = out.extend",
        "    it = iter(xs)",
        f"    for {_unpack(x)} in {_rows('it', x)[1]}:",
    ]
    if finite:
        lines.append(f"        {' = '.join(s)} = 0.0")
        for j in range(width):
            lines.append(f"        if {x[j]}:")
            lines += [f"            {s[u]} += {x[j]} * {w[u][j]}" for u in range(units)]
        sums = [f"{s[u]} + b{u}" for u in range(units)]
    else:
        sums = ["(0.0 + " + " + ".join(f"{x[j]} * {w[u][j]}" for j in range(width)) + f") + b{u}" for u in range(units)]
    lines += [f"        push(({_unpack(sums)}))", "    return out", ""]
    return "\n".join(lines)


def _backward_source(shape: Shape, finite: bool) -> str:
    """``backward_finite`` (``finite``: every number is finite, so a zero row or input adds nothing and is
    skipped) or ``backward``: row by row, the weights' gradients input by input and the inputs'."""
    units, width = shape.units, shape.width
    w, x, r = _weights(units, width), _names("x", width), _names("r", width)  # r: the inputs' gradients so far
    g, h, y = _names("g", units), _names("h", units), _names("y", units)  # h, y: the relu's gradients and results
    gw, gb = [[f"g{name}" for name in row] for row in w], _names("gb", units)
    targets = [_rows("gi", h if shape.relu_outputs else g), _rows("xi", x)]
    if shape.relu_outputs:
        targets.append(_rows("yi", y))
    if shape.inputs:
        targets.append(_rows("ri", r))
    lines = [
        f"def backward{'_finite' if finite else ''}(gs, ys, xs, ws, rs):",
        f"    {_unpack([name for row in w for name in row])} = ws",
        "    gx = []",
        "    push = gx.extend",
        "    gi, yi, xi, ri = iter(gs), iter(ys or ()), iter(xs), iter(rs or ())",
    ]
    if shape.weights:
        lines.append(f"    {' = '.join([name for row in gw for name in row] + gb)} = 0.0")
    lines.append(f"    for {', '.join(t for t, _ in targets)} in zip({', '.join(rows for _, rows in targets)}):")
    if shape.relu_outputs:  # the relu's backward: the gradient of an output whose relu is off is 0.0
        lines.append(f"        {_unpack(g)} = {_unpack([f'{h[u]} if {y[u]} else 0.0' for u in range(units)])}")
    if finite:
        lines += [
            f"        if not ({' or '.join(g)}):  # a row without gradient (a hinge's satisfied margin)",
            f"            push(({_unpack(r)}))" if shape.inputs else "            pass",
            "            continue",
        ]
    if shape.weights:
        for j in range(width):
            indent = "        "
            if finite:
                lines.append(f"        if {x[j]}:  # a zero input (an idle relu) adds nothing")
                indent += "    "
            lines += [f"{indent}{gw[u][j]} += {g[u]} * {x[j]}" for u in range(units)]
        lines += [f"        {gb[u]} += {g[u]}" for u in range(units)]
    if shape.inputs:
        sums = [f"{r[j]} + (" + " + ".join(f"{g[u]} * {w[u][j]}" for u in range(units)) + ")" for j in range(width)]
        if shape.relu_inputs:  # an input whose relu is off (0.0) passes no gradient on: the relu's backward zeroes it
            sums = [f"{total} if {x[j]} else {r[j]}" for j, total in enumerate(sums)]
        lines.append(f"        push(({_unpack(sums)}))")
    if not (shape.weights or shape.inputs or finite):
        lines.append("        pass")  # a layer nobody needs gradients of
    weight_sums = f"[{', '.join(name for row in gw for name in row)}], [{', '.join(gb)}]" if shape.weights else "[], []"
    lines += [f"    return {weight_sums}, gx", ""]
    return "\n".join(lines)
