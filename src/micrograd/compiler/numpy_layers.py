"""Groups of the numpy replay (``micrograd.compiler.replay_numpy``) for layers: gathers and scatters
into the table, a layer on a batch as a matrix product, and the blocks of a layer (``plan.LayerPlan``).

A ``Group`` computes steps of one kind at one level into a slice of the table (forward) and adds
their contributions to their operands' gradients (backward).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np

from micrograd.autograd import RELU, Operation
from micrograd.compiler.numpy_rows import RULES
from micrograd.compiler.plan import Plan

__all__ = ["Array", "Blocks", "Dense", "Group", "Index", "Layer", "Scatter", "gather"]

Array = np.ndarray[Any, np.dtype[np.float64]]
Index = slice | np.ndarray[Any, np.dtype[np.intp]]


def gather(indices: Sequence[int] | np.ndarray[Any, Any]) -> Index:
    """A gather: a slice when the indices are consecutive, else an index array."""
    array = np.asarray(indices, dtype=np.intp).ravel()
    if array.size and (array.size == 1 or bool((np.diff(array) == 1).all())):
        return slice(int(array[0]), int(array[-1]) + 1)
    return array


class Scatter:
    """Adds contributions to the gradients at fixed indices, repeated indices included."""

    def __init__(self, indices: np.ndarray[Any, Any]) -> None:
        flat = np.asarray(indices, dtype=np.intp).ravel()
        self.inverse: np.ndarray[Any, Any] | None = None
        target, inverse = np.unique(flat, return_inverse=True)
        if len(target) == len(flat):
            self.target: Index = gather(flat)
        else:
            self.target, self.inverse, self.count = target, inverse.ravel(), len(target)

    def add(self, gradients: Array, contributions: Array) -> None:
        if self.inverse is None:
            gradients[self.target] += contributions.ravel()
        else:
            gradients[self.target] += np.bincount(self.inverse, contributions.ravel(), self.count)

    def tally(self, counts: np.ndarray[Any, Any]) -> None:
        """Add to ``counts`` how many contributions each entry receives from this scatter."""
        if self.inverse is None:
            counts[self.target] += 1
        else:
            counts[self.target] += np.bincount(self.inverse, minlength=self.count)


class Group:
    """Steps of one operation at one level, writing the table slice ``out``."""

    out: slice

    def forward(self, v: Array) -> None:
        raise NotImplementedError

    def backward(self, v: Array, gr: Array) -> None:
        """Add the steps' contributions to their operands' gradients in ``gr``.  It may overwrite its own
        outputs' gradients (``gr[out]``), which no group reads after it: groups run in reverse order."""
        raise NotImplementedError

    def scatters(self) -> list[Scatter]:
        """The scatters this group's backward adds gradients with: which entries it writes to."""
        raise NotImplementedError

    def unwritten(self, counts: np.ndarray[Any, Any]) -> list[slice]:
        """Gradient entries no call needs zeroed before backward, given how many contributions each
        entry receives in all (``counts``): entries never read, and entries this group's backward
        assigns rather than adds to.  Nothing, unless the group knows better."""
        return []


class Layer(Group):
    """``linear`` steps that are every pair of R input rows and U weight rows: ``X @ W.T + b``."""

    def __init__(
        self,
        x_rows: np.ndarray[Any, Any],
        w_rows: np.ndarray[Any, Any],
        bias: np.ndarray[Any, Any],
        out: slice,
        needs: np.ndarray[Any, Any],
    ) -> None:
        self.out = out
        self.x_wanted = bool(needs[x_rows].any())
        self.rows, self.n = x_rows.shape
        self.units = len(w_rows)
        self.x, self.w = gather(x_rows), gather(w_rows)
        self.scatter_x, self.scatter_w = Scatter(x_rows), Scatter(w_rows)
        shared = bool((bias == bias[0]).all())  # one bias per unit, the same for every row
        self.b = gather(bias[0] if shared else bias)
        self.scatter_b = Scatter(bias[0] if shared else bias)
        self.shared_bias = shared

    def forward(self, v: Array) -> None:
        x = v[self.x].reshape(self.rows, self.n)
        w = v[self.w].reshape(self.units, self.n)
        b = v[self.b] if self.shared_bias else v[self.b].reshape(self.rows, self.units)
        v[self.out] = (x @ w.T + b).ravel()

    def backward(self, v: Array, gr: Array) -> None:
        g = gr[self.out].reshape(self.rows, self.units)
        x = v[self.x].reshape(self.rows, self.n)
        w = v[self.w].reshape(self.units, self.n)
        if self.x_wanted:
            self.scatter_x.add(gr, g @ w)
        self.scatter_w.add(gr, g.T @ x)
        self.scatter_b.add(gr, g.sum(axis=0) if self.shared_bias else g)

    def scatters(self) -> list[Scatter]:
        return [self.scatter_x, self.scatter_w, self.scatter_b] if self.x_wanted else [self.scatter_w, self.scatter_b]


class Dense(Group):
    """The blocks of one layer and level (``plan.LayerPlan``): ``activation(X @ W.T + b)``, computed in place
    into the outputs ``out`` (the sums' entries ``z`` are written only when something else reads them),
    as a hand-written step: backward is the activation's vjp (a row of ``RULES``, from the outputs alone:
    relu, tanh and sigmoid need no more), then ``G.T @ X``, the column sums and ``G @ W``.  Only this
    group reads the sums, so their gradients go straight on rather than through the table."""

    def __init__(
        self,
        rows: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]],
        z: slice,
        out: slice,
        activation: Operation | None,
        needs: np.ndarray[Any, Any],
    ) -> None:
        x_rows, w_rows, biases = rows
        self.z, self.out = z, out
        self.rows, self.n = x_rows.shape
        self.units = len(w_rows)
        self.x_wanted = bool(needs[x_rows].any())
        self.x, self.w, self.b = gather(x_rows), gather(w_rows), gather(biases)
        self.scatter_x, self.scatter_w, self.scatter_b = Scatter(x_rows), Scatter(w_rows), Scatter(biases)
        self.rule = None if activation is None else RULES[activation]
        self.relu = activation is RELU
        self.sums_read = False  # Blocks sets it when a step or an output reads the sums' entries
        self.assign_x = False  # whether backward writes the inputs' gradients rather than adds to them
        self.ones = np.ones(self.rows)

    def forward(self, v: Array) -> None:
        x = v[self.x].reshape(self.rows, self.n)
        w = v[self.w].reshape(self.units, self.n)
        y = v[self.out]
        y2 = y.reshape(self.rows, self.units)
        np.matmul(x, w.T, out=y2)  # written in place: y is a slice of v
        y2 += v[self.b]
        if self.rule is None:
            return
        if self.sums_read:
            v[self.z] = y
        if self.relu:  # the engine's relu: 0.0 where z <= 0 (+0.0, also for -0.0), nan stays nan
            np.maximum(y, 0.0, out=y)  # may keep a -0.0 (numpy's choice) ...
            y += 0.0  # ... which -0.0 + 0.0 makes +0.0
        else:
            v[self.out] = self.rule[0]([y], _NO_CONSTANTS)

    def backward(self, v: Array, gr: Array) -> None:
        g = gr[self.out]
        if self.relu:
            g = _relu_backward(g, v[self.out])
        elif self.rule is not None:
            g = self.rule[1](g, [v[self.out]], v[self.out], _NO_CONSTANTS)[0]  # tanh, sigmoid: from out
        g = g.reshape(self.rows, self.units)
        x = v[self.x].reshape(self.rows, self.n)
        w = v[self.w].reshape(self.units, self.n)
        # G @ W; for one unit, a product of each row's g with the weights (the same numbers: no sum),
        # which BLAS, asked for a product of inner size 1, takes twice as long for
        product = np.multiply if self.units == 1 else np.matmul
        if self.assign_x:  # the only contributions to these gradients: written in place, no temporary
            inputs = gr[self.scatter_x.target]
            product(g, w, out=inputs.reshape(self.rows, self.n))
            if self.units == 1:  # as 0.0 + g * w, the engine's: a product -0.0 is a gradient +0.0 (BLAS's sums are)
                inputs += 0.0
        elif self.x_wanted:
            self.scatter_x.add(gr, product(g, w))
        self.scatter_w.add(gr, g.T @ x)
        self.scatter_b.add(gr, self.ones @ g)  # the column sums, as a BLAS product: twice as fast as g.sum(0)

    def scatters(self) -> list[Scatter]:
        return [self.scatter_x, self.scatter_w, self.scatter_b] if self.x_wanted else [self.scatter_w, self.scatter_b]

    def unwritten(self, counts: np.ndarray[Any, Any]) -> list[slice]:
        """The sums' entries when only this group reads them, and the inputs' gradients when their only
        contributions are this group's (as a layer's outputs are the next layer's inputs): assigned."""
        skipped = [self.z] if self.rule is not None and not self.sums_read else []
        target = self.scatter_x.target
        if self.x_wanted and isinstance(target, slice) and bool((counts[target] == 1).all()):
            self.assign_x = True
            skipped.append(target)
        return skipped


def _relu_backward(g: Array, y: Array) -> Array:
    """The relu's vjp from its outputs ``y``: ``g`` where ``y > 0``, else 0 (also where ``g`` is nan or
    infinite, as the engine's mask); ``g`` where ``y`` is nan.  When every number is finite, ``g`` times
    the mask, in place (``g`` is the layer's outputs' gradients, which nothing reads after this):
    several times faster than ``np.where`` on a mask without pattern; else ``np.where``."""
    if math.isfinite(np.dot(g, y)):  # no nan or infinity in g nor in y (0 * inf is nan)
        g *= y > 0
        return g
    return np.where(y <= 0, 0.0, g)


_NO_CONSTANTS = np.zeros(0)
_OPERANDS = attrgetter("operands")


class Blocks:
    """The ``DENSE`` steps of one layer, activation and level (``plan.LayerPlan``) laid out from entry
    ``start``: their sums row by row, then their outputs, as one ``Dense`` group."""

    def __init__(
        self,
        plan: Plan,
        positions: list[int],
        start: int,
        renumber: np.ndarray[Any, Any],
        needs: np.ndarray[Any, Any],
    ) -> None:
        first = plan.leaves
        steps = [plan.steps[p] for p in positions]
        layer, activation = steps[0].constants
        rows, units, n = len(steps), layer.units, layer.width
        operands = np.fromiter(chain.from_iterable(map(_OPERANDS, steps)), dtype=np.intp, count=rows * n)
        x_rows = renumber[operands.reshape(rows, n)]
        w_rows = renumber[np.array(layer.weights, dtype=np.intp).reshape(units, n)]
        biases = renumber[np.array(layer.biases, dtype=np.intp)]
        z = slice(start, start + rows * units)
        out = z if activation is None else slice(z.stop, z.stop + rows * units)
        self.end = out.stop
        old = (first + np.array(positions, dtype=np.intp))[:, None] + np.arange(units)  # each block's sums
        renumber[old.ravel()] = np.arange(z.start, z.stop)
        if activation is not None:  # and its outputs
            renumber[(old + units).ravel()] = np.arange(out.start, out.stop)
        wanted = bool(needs[x_rows].any() or needs[w_rows].any() or needs[biases].any())
        needs[z] = needs[out] = wanted
        dense = Dense((x_rows, w_rows, biases), z, out, activation, needs)
        if activation is not None:  # the sums are read by this group alone unless the function returns one
            dense.sums_read = bool(np.isin(np.asarray(plan.outputs, dtype=np.intp), old).any())
        self.groups: list[Group] = [dense]
