"""A layer on a batch, replayed with plain Python floats (a part of ``micrograd.compiler.replay_python``).

A layer applied to a batch is ``linear`` steps that are every pair of some input
rows and some weight rows.  The pure-Python replay computes them together: one
list comprehension per input row, each step with the engine's own arithmetic
(``sum(map(mul, inputs, weights)) + bias``: the same bits), and backward one
``sum(map(mul, ...))`` per gradient entry (to rounding: the engine adds node by
node).  Table entries that are consecutive are read and written as one slice
(``At``), copied in C.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import add, mul
from typing import Any

from micrograd.compiler import layer_source
from micrograd.compiler.plan import Plan

__all__ = ["BY_COLUMNS_IS_THE_ENGINES_SUM", "CHUNK", "At", "Layer", "Table", "add_to", "at", "layer_grid", "read"]

# Whether adding a layer's products column by column, left to right, gives the bits of the engine's
# ``sum(map(mul, inputs, weights))``: only before CPython 3.12, whose ``sum()`` of floats compensates
# its rounding errors (Neumaier's summation: ``sum([1e16, 1.0, -1e16])`` is 1.0 there, 0.0 left to right).
BY_COLUMNS_IS_THE_ENGINES_SUM = sys.version_info < (3, 12)

Table = list[float]
At = slice | tuple[int, ...]  # where some entries are: a slice when they are consecutive


def at(entries: Sequence[int]) -> At:
    """A slice for consecutive entries (read and written in C), else the entries."""
    entries = tuple(entries)
    if entries and entries == tuple(range(entries[0], entries[0] + len(entries))):
        return slice(entries[0], entries[0] + len(entries))
    return entries


def read(v: Table, at: At) -> list[float]:
    return v[at] if type(at) is slice else list(map(v.__getitem__, at))  # type: ignore[index]


CHUNK = 2048  # add_to adds a long slice this many entries at a time: the new floats and the old live together


def add_to(gr: Table, at: At, added: Iterable[float]) -> None:
    """``gr[j] += c`` for each entry j and contribution c (an entry may come twice); ``added`` may be lazy."""
    if type(at) is slice:
        start, stop = at.start, at.stop
        if stop - start <= CHUNK:
            gr[at] = list(map(add, gr[at], added))
            return
        contributions = iter(added)
        for low in range(start, stop, CHUNK):
            high = min(low + CHUNK, stop)
            gr[low:high] = list(map(add, gr[low:high], contributions))  # takes high - low: the slice comes first
    else:
        for j, c in zip(at, added):  # type: ignore[arg-type]  # noqa: B905 - built together
            gr[j] += c


# -- the layer -----------------------------------------------------------------------------


class Layer:
    """``linear`` steps that are every pair of some input rows and some weight rows.

    The results are the consecutive entries ``outs``, row by row, one per weight row
    (unit) in a row.  The biases are one per unit (``unit_biases``) or, in general,
    one per step.  When the input rows are consecutive too (``x_block``), an input's
    column is one strided slice, and a layer with few inputs is computed column by
    column: a list comprehension per unit and input instead of a ``sum`` per step,
    adding in the same order as the engine (``0 + x0*w0 + x1*w1 + ... + b``), where
    that is what ``sum()`` does (before Python 3.12: ``BY_COLUMNS_IS_THE_ENGINES_SUM``).
    Forward is then the engine's bits; backward is to rounding: the engine adds
    ``g * x`` to a weight's gradient node by node, the layer one ``sum`` per entry.
    Backward skips the rows whose gradients are all zero (a hinge loss's satisfied
    margins): their contributions are zeros, unless a weight or input is infinite.
    And when the inputs are the results of a ``relu`` (``relu_inputs``), it skips
    the inputs' gradients that the relu's backward will zero.
    """

    def __init__(
        self,
        x_rows: list[At],
        w_rows: list[At],
        bias_rows: list[At],
        outs: slice,
        wanted: tuple[bool, bool],
    ) -> None:
        self.x_rows, self.w_rows, self.bias_rows, self.outs = x_rows, w_rows, bias_rows, outs
        self.units = len(w_rows)
        self.unit_biases = bias_rows[0] if all(b == bias_rows[0] for b in bias_rows) else None
        self.inputs_wanted, self.weights_wanted = wanted
        self.width = n = len(_entries(x_rows[0]))
        first = x_rows[0]
        block = slice(first.start, first.start + n * len(x_rows)) if type(first) is slice else None
        self.x_block = block if block is not None and x_rows == _rows_of(block, n) else None
        self.by_columns = (
            BY_COLUMNS_IS_THE_ENGINES_SUM and self.x_block is not None and self.unit_biases is not None and n <= 4
        )
        # where the inputs are relu(z), z's entries (see PythonReplay): the gradient of an input whose z <= 0
        # is zeroed by the relu's backward, whatever this layer adds to it
        self.relu_inputs: slice | None = None
        # a small layer on consecutive rows with one bias per unit runs generated source (layer_source)
        self.generated = (
            self.x_block is not None and self.unit_biases is not None and self.units * n <= layer_source.LIMIT
        )
        self.w_at = at([j for w in w_rows for j in _entries(w)])  # every weight, unit by unit
        # where the relu of these results is, when this (generated) layer's backward does the relu's too
        self.relu_outputs: slice | None = None
        self._functions: dict[str, Any] = {}  # the generated functions made so far, by kind

    def _function(self, kind: str) -> Any:
        """The layer's generated function of this kind (``layer_source.KINDS``), made at the first need."""
        made = self._functions.get(kind)
        if made is None:  # relu_inputs and relu_outputs are set after __init__
            shape = layer_source.Shape(
                self.units,
                self.width,
                self.inputs_wanted,
                self.weights_wanted,
                self.relu_inputs is not None,
                self.relu_outputs is not None,
            )
            made = self._functions[kind] = layer_source.function(shape, kind)
        return made

    def _inputs(self, v: Table) -> list[list[float]]:
        if self.x_block is not None:
            block, n = v[self.x_block], self.width
            return [block[k : k + n] for k in range(0, len(block), n)]
        return [read(v, x) for x in self.x_rows]

    def forward(self, v: Table) -> None:
        if self.generated and BY_COLUMNS_IS_THE_ENGINES_SUM:  # left to right: sum()'s bits before 3.12
            flat = read(v, self.w_at)
            forward = self._function("forward_finite" if math.isfinite(sum(flat)) else "forward")
            v[self.outs] = forward(v[self.x_block], flat, read(v, self.unit_biases))  # type: ignore[index, arg-type]
            return
        weights = [read(v, w) for w in self.w_rows]
        if self.by_columns:
            block, n = v[self.x_block], self.width  # type: ignore[index]
            columns = [block[j::n] for j in range(n)]
            results = []
            for w, b in zip(weights, read(v, self.unit_biases), strict=True):  # type: ignore[arg-type]
                total = [0.0 + x * w[0] for x in columns[0]]
                for column, wj in zip(columns[1:], w[1:]):  # noqa: B905 - one weight per input
                    total = [t + x * wj for t, x in zip(total, column)]  # noqa: B905 - one per row
                results.append([t + b for t in total])
            v[self.outs] = list(chain.from_iterable(zip(*results, strict=True)))
            return
        if self.unit_biases is not None:
            units = list(zip(weights, read(v, self.unit_biases), strict=True))
            rows = [[sum(map(mul, inputs, w)) + b for w, b in units] for inputs in self._inputs(v)]
        else:
            rows = [
                [sum(map(mul, inputs, w)) + b for w, b in zip(weights, read(v, biases))]  # noqa: B905
                for inputs, biases in zip(self._inputs(v), self.bias_rows)  # noqa: B905
            ]
        v[self.outs] = list(chain.from_iterable(rows))

    def backward(self, v: Table, gr: Table) -> None:
        if self.generated:
            self._generated_backward(v, gr)
            return
        relu = self.relu_outputs  # if set, the relu's backward: an output whose relu is off (0.0) gets 0.0
        g = gr[self.outs] if relu is None else [h if y else 0.0 for h, y in zip(gr[relu], v[relu])]  # noqa: B905
        g_rows = _split(g, self.units)
        live = [r for r, g_row in enumerate(g_rows) if any(g_row)]  # rows with a gradient (a hinge's are often 0)
        if len(live) < len(g_rows) and not self._finite(v):
            live = list(range(len(g_rows)))  # 0 * inf is nan: skip no row then, as the engine skips none
        if not live:
            return
        if self.weights_wanted:
            self._weights_backward(v, gr, g, g_rows, live)
        if self.inputs_wanted:
            self._inputs_backward(v, gr, g_rows, live)

    def _weights_backward(self, v: Table, gr: Table, g: Table, g_rows: list[list[float]], live: list[int]) -> None:
        units = self.units
        if len(live) == len(g_rows) and self.x_block is not None:  # every row: columns are strided slices
            block, n = v[self.x_block], self.width
            g_columns: list[Sequence[float]] = [g[u::units] for u in range(units)]
            x_columns: list[Sequence[float]] = [block[j::n] for j in range(n)]
        else:
            x_rows = self._inputs(v)
            g_columns = list(zip(*[g_rows[r] for r in live], strict=True))  # one per unit: its gradient per live row
            x_columns = list(zip(*[x_rows[r] for r in live], strict=True))  # one per input
        for w, g_column in zip(self.w_rows, g_columns):  # noqa: B905 - one per unit
            add_to(gr, w, [sum(map(mul, g_column, x_column)) for x_column in x_columns])
        if self.unit_biases is not None:
            add_to(gr, self.unit_biases, [sum(g_column) for g_column in g_columns])
        else:
            for r in live:
                add_to(gr, self.bias_rows[r], g_rows[r])

    def _inputs_backward(self, v: Table, gr: Table, g_rows: list[list[float]], live: list[int]) -> None:
        """The inputs' gradients, added row by row (no list of every row's)."""
        weights = [read(v, w) for w in self.w_rows]
        w_columns = list(zip(*weights, strict=True))  # one per input: its weight in every unit
        z, n = self.relu_inputs, self.width
        for r in live:
            g_row = g_rows[r]
            if self.units == 1:  # one unit: each input's gradient is one product
                row = [g_row[0] * w for w in weights[0]]
            elif z is not None:  # an input whose relu is off passes on no gradient: skip its sum
                zs = v[z.start + r * n : z.start + r * n + n]
                row = [0.0 if zj <= 0.0 else sum(map(mul, g_row, w_column)) for w_column, zj in zip(w_columns, zs)]  # noqa: B905
            else:
                row = [sum(map(mul, g_row, w_column)) for w_column in w_columns]
            add_to(gr, self.x_rows[r], row)

    def _generated_backward(self, v: Table, gr: Table) -> None:
        """Backward with the generated source: what adds nothing skipped unless a number is not finite."""
        if not (self.weights_wanted or self.inputs_wanted):
            return
        relu = self.relu_outputs
        g, outputs = (gr[self.outs], None) if relu is None else (gr[relu], v[relu])
        weights, inputs = read(v, self.w_at), v[self.x_block]  # type: ignore[index]
        finite = math.isfinite(sum(weights) + sum(inputs) + sum(g))  # an overflowing sum only says no: safe
        gw, gb, gx = self._function("backward_finite" if finite else "backward")(
            g,
            outputs,
            inputs,
            weights,
            gr[self.x_block] if self.inputs_wanted else None,  # type: ignore[index]
        )
        if self.inputs_wanted:  # first: gx is the gradients read before this layer added any (an input may be a weight)
            gr[self.x_block] = gx  # type: ignore[index]
        if self.weights_wanted:
            add_to(gr, self.w_at, gw)
            add_to(gr, self.unit_biases, gb)  # type: ignore[arg-type]

    def _finite(self, v: Table) -> bool:
        """Whether every weight and input is finite (a sum that overflows only says no: safe)."""
        total = sum(map(sum, [read(v, w) for w in self.w_rows])) + sum(map(sum, self._inputs(v)))
        return math.isfinite(total)


def _entries(at: At) -> Sequence[int]:
    return range(at.start, at.stop) if type(at) is slice else at  # type: ignore[union-attr, return-value]


def _rows_of(block: slice, n: int) -> list[At]:
    return [slice(k, k + n) for k in range(block.start, block.stop, n)]


def _split(items: list[float], n: int) -> list[list[float]]:
    return [items[k : k + n] for k in range(0, len(items), n)]


def layer_grid(plan: Plan, positions: list[int]) -> list[list[int]] | None:
    """These ``linear`` steps (of one width) as rows of a layer, or None if they are not a full grid."""
    rows: dict[tuple[int, ...], int] = {}
    units: dict[tuple[int, ...], int] = {}
    cells: dict[tuple[int, int], int] = {}
    for position in positions:
        operands = plan.steps[position].operands
        n = len(operands) // 2
        r = rows.setdefault(operands[:n], len(rows))
        u = units.setdefault(operands[n : 2 * n], len(units))
        cells[(r, u)] = position
    if len(cells) != len(positions) or len(rows) * len(units) != len(positions) or len(positions) < 2:
        return None
    return [[cells[(r, u)] for u in range(len(units))] for r in range(len(rows))]
