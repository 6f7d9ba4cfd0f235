"""Groups of the numpy replay (``micrograd.compiler.replay_numpy``) for folded chains of + and -.

A chain ``a + b - c + ...`` is one ``SUM`` step: its terms and their signs.  The sums
of one level are one group: ``Sums`` adds each sum's terms as one segment.  A level
with a single sum (a mean over a batch, an L2 penalty over every parameter) is
``OneSum``: its terms are taken in table order, where most of them are one slice
(the products of a layer, the terms of a mean), so it reads that slice in place of
gathering thousands of entries, and hands its gradient back the same way.

Signs of zero: a sum of ``-0.0`` terms is ``-0.0``, as the engine's; any other sum
of zeros is ``+0.0``.  That does not depend on the order of the additions (only on
whether every term is ``-0.0``), so a sum may start from any of its terms or from
``-0.0``, but not from ``+0.0`` (``np.bincount`` and ``np.add.reduce`` without an
``initial`` would lose it).  A long sum may add in another order
than the engine's, left to right: its last bits may differ (numpy's pairwise
summation, and ``OneSum``'s table order), which the tests allow for.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np

from micrograd.compiler.numpy_layers import Array, Group, Scatter, gather
from micrograd.compiler.plan import Step

__all__ = ["OneSum", "Sums"]


def _signs(steps: Sequence[Step], count: int) -> np.ndarray[Any, Any]:
    return np.fromiter(chain.from_iterable(s.constants for s in steps), dtype=float, count=count)


class Sums(Group):
    """Each sum one segment of the terms, times their signs, added up with ``np.add.reduceat``
    (which starts a segment from its first term)."""

    def __init__(self, steps: list[Step], out: slice, terms: np.ndarray[Any, Any], lengths: Any) -> None:
        self.out = out  # terms: every step's operands (renamed), one after the other; lengths: how many each
        self.bins = np.repeat(np.arange(len(steps)), lengths)
        self.signs = _signs(steps, len(terms))
        self.negative = not bool((self.signs > 0).all())
        self.terms = gather(terms)
        self.scatter = Scatter(terms)
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)

    def forward(self, v: Array) -> None:
        terms = v[self.terms] * self.signs if self.negative else v[self.terms]
        v[self.out] = np.add.reduceat(terms, self.starts)

    def backward(self, v: Array, gr: Array) -> None:
        g = gr[self.out][self.bins]
        self.scatter.add(gr, g * self.signs if self.negative else g)

    def scatters(self) -> list[Scatter]:
        return [self.scatter]


class OneSum(Group):
    """A level's only sum: the longest run of consecutive entries among its terms (in table order) read
    as a slice, the other terms (a constant start, a term used twice) gathered."""

    def __init__(self, step: Step, out: slice, terms: np.ndarray[Any, Any]) -> None:
        self.out = out
        signs = _signs([step], len(terms))
        order = np.argsort(terms, kind="stable")
        terms, signs = terms[order], signs[order]
        edges = np.concatenate(([0], np.flatnonzero(np.diff(terms) != 1) + 1, [len(terms)]))
        longest = int(np.argmax(np.diff(edges)))
        a, b = int(edges[longest]), int(edges[longest + 1])
        self.run = slice(int(terms[a]), int(terms[b - 1]) + 1)
        self.run_signs = None if bool((signs[a:b] > 0).all()) else signs[a:b]
        rest = np.concatenate((terms[:a], terms[b:]))
        self.rest_signs = np.concatenate((signs[:a], signs[b:]))
        self.rest = gather(rest) if len(rest) else None
        self.rest_scatter = Scatter(rest)

    def forward(self, v: Array) -> None:
        run = v[self.run] if self.run_signs is None else v[self.run] * self.run_signs
        total = np.add.reduce(run, initial=-0.0)  # -0.0, the sum of nothing that keeps a sum's -0.0
        if self.rest is not None:
            total = total + np.add.reduce(v[self.rest] * self.rest_signs, initial=-0.0)
        v[self.out] = total

    def backward(self, v: Array, gr: Array) -> None:
        g = gr[self.out]
        gr[self.run] += g if self.run_signs is None else g * self.run_signs
        if self.rest is not None:
            self.rest_scatter.add(gr, g * self.rest_signs)

    def scatters(self) -> list[Scatter]:
        return [Scatter(np.arange(self.run.start, self.run.stop)), self.rest_scatter]
