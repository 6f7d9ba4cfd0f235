"""One traced loss of a compiled training step, run on arrays: the table and gradients kept between calls.

``NumpyStep`` lays the plan out once (``NumpyReplay``) and keeps its table and its
gradient buffer: a call writes the batch and the parameters into the table, runs the
groups forward and backward, and gathers the parameters' gradients, with no list in
between.  ``PythonStep`` does the same with ``PythonReplay`` on lists of floats.
Parameters are found in the plan's captured leaves by identity (``where``: id ->
position in the optimizer's list); a captured leaf that is not a parameter (a
number the loss reads from a Value of yours) is read at every call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from micrograd.compiler.plan import Plan

__all__ = ["NumpyStep", "PythonStep"]


def _split(plan: Plan, where: dict[int, int]) -> tuple[list[int], list[int], list[Any], list[int]]:
    """The captured leaves as (table entries, parameter indices) of parameters and (Values, entries) of others."""
    param_at, param_index, others, others_at = [], [], [], []
    for leaf, at in zip(plan.captured, plan.captured_at, strict=True):
        index = where.get(id(leaf))
        if index is None:
            others.append(leaf)
            others_at.append(at)
        else:
            param_at.append(at)
            param_index.append(index)
    return param_at, param_index, others, others_at


class NumpyStep:
    """The loss's plan on numpy: forward and backward into arrays kept between calls."""

    def __init__(self, plan: Plan, where: dict[int, int]) -> None:
        import numpy as np

        from micrograd.compiler.replay_numpy import NumpyReplay

        self.plan = plan
        param_at, param_index, self.others, others_at = _split(plan, where)
        self.replay = NumpyReplay(plan, set(param_at))
        self.table = self.replay.template.copy()  # the constants stay in place from call to call
        self.gradients = np.zeros(plan.size)
        self.out = int(self.replay.outputs_index[0])  # the loss; outputs_index: every result
        self.slots = plan.slots
        self.others_at = np.array(others_at, dtype=np.intp)
        self.param_at = _slice_or(np.array(param_at, dtype=np.intp))
        self.param_index = _slice_or(np.array(param_index, dtype=np.intp))
        self.every_param = len(set(param_index)) == len(where)  # else the unused parameters' gradients are 0
        # the parameters' entries in one run and every parameter in the plan: both copies one np.take
        self.taken = isinstance(self.param_at, slice) and not isinstance(self.param_index, slice) and self.every_param
        self.inverse: Any = np.argsort(self.param_index) if self.taken else None  # optimizer order <- table order
        self.take = np.take
        self.limits = _blas_limits(plan)
        self.zeroed = self.replay.zeroed

    def run(self, numbers: Sequence[float], p: Any, g: Any) -> list[float]:
        """The results (the loss first) at ``numbers`` (the batch: a list, or an array) and parameters ``p``; the loss's
        gradients with respect to the parameters into ``g``."""
        v, gr = self.table, self.gradients
        v[: self.slots] = numbers
        if self.taken:
            self.take(p, self.param_index, out=v[self.param_at])
        else:
            v[self.param_at] = p[self.param_index]
        if self.others:
            v[self.others_at] = [leaf.data for leaf in self.others]
        with self.limits():
            try:
                self.replay.forward_table(v)
            except Exception:
                self._raise_first_error(numbers, p)
                raise
            for part in self.zeroed:  # all but the entries backward assigns or never reads
                gr[part] = 0.0
            gr[self.out] = 1.0
            self.replay.backward_table(v, gr)
        if self.taken:
            self.take(gr[self.param_at], self.inverse, out=g)
        else:
            if not self.every_param:
                g.fill(0.0)
            g[self.param_index] = gr[self.param_at]
        return v[self.replay.outputs_index].tolist()  # type: ignore[no-any-return]

    def _raise_first_error(self, numbers: Sequence[float], p: Any) -> None:
        where = dict(zip(self.plan.captured_at, range(len(self.plan.captured)), strict=True))
        captured = [leaf.data for leaf in self.plan.captured]
        for at, index in zip(_entries(self.param_at), _entries(self.param_index), strict=True):
            captured[where[at]] = float(p[index])
        self.plan.raise_first_error(numbers.tolist() if hasattr(numbers, "tolist") else list(numbers), captured)


class PythonStep:
    """The loss's plan on lists of floats (``PythonReplay``): the table and the gradients kept between calls
    (a call runs under its step's lock), the parameters copied in and the gradients out in C (``itemgetter``)."""

    def __init__(self, plan: Plan, where: dict[int, int]) -> None:
        from micrograd.compiler.replay_python import PythonReplay

        self.plan = plan
        self.param_at, self.param_index, self.others, self.others_at = _split(plan, where)
        self.replay = PythonReplay(plan, set(self.param_at))
        self.out = self.replay.outputs_at[0]
        self.table = self.replay.template.copy()  # the constants stay in place from call to call
        self.zeros = [0.0] * plan.size
        self.gradients = self.zeros.copy()
        self.slots = plan.slots
        self.every_param = len(set(self.param_index)) == len(where)
        order = sorted(range(len(self.param_at)), key=self.param_at.__getitem__)  # by table entry
        self.param_entries = _as_slice([self.param_at[k] for k in order])
        self.take_params = _getter([self.param_index[k] for k in order])  # p -> the parameters in entry order
        grad_at = dict(zip(self.param_index, self.param_at, strict=True))
        self.every_grad = _getter([grad_at.get(i, 0) for i in range(len(where))])  # gr -> g when every_param
        self.grad_pairs = list(grad_at.items())

    def run(self, numbers: Sequence[float], p: list[float], g: list[float]) -> list[float]:
        v, gr = self.table, self.gradients
        v[: self.slots] = numbers
        entries = self.param_entries
        if type(entries) is slice:
            v[entries] = self.take_params(p)
        else:
            for k, x in zip(entries, self.take_params(p)):  # noqa: B905 - built together
                v[k] = x
        for at, leaf in zip(self.others_at, self.others, strict=True):
            v[at] = leaf.data
        try:
            self.replay.forward_table(v)
        except Exception:
            self.plan.raise_first_error(list(numbers), [v[k] for k in self.plan.captured_at])
            raise
        gr[:] = self.zeros
        gr[self.out] = 1.0
        self.replay.backward_table(v, gr)
        if self.every_param:
            g[:] = self.every_grad(gr)
        else:
            g[:] = [0.0] * len(g)
            for index, at in self.grad_pairs:
                g[index] = gr[at]
        return self.replay.outputs(v)


def _getter(indices: list[int]) -> Callable[[Sequence[float]], Sequence[float]]:
    """``items -> [items[i] for i in indices]``, in C (``itemgetter``, which gives one item bare)."""
    if len(indices) == 1:
        (i,) = indices
        return lambda items: (items[i],)
    return itemgetter(*indices) if indices else lambda items: ()


def _as_slice(entries: list[int]) -> slice | list[int]:
    if entries and entries == list(range(entries[0], entries[0] + len(entries))):
        return slice(entries[0], entries[0] + len(entries))
    return entries


def _slice_or(indices: Any) -> Any:
    """A slice for consecutive indices (a copy-free view in numpy), else the index array."""
    if len(indices) and (len(indices) == 1 or bool((indices[1:] - indices[:-1] == 1).all())):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices


def _entries(index: Any) -> list[int]:
    return list(range(index.start, index.stop)) if isinstance(index, slice) else index.tolist()  # type: ignore[no-any-return]


class _NoLimit:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _OneThread:
    """BLAS on one thread while inside, its own thread count restored after.

    Calls the BLAS libraries' controllers (threadpoolctl's ``LibController``) directly: threadpoolctl's
    ``limit()`` context builds a limiter and reads every library's info on each entry, tens of
    microseconds, where a replay at 64 x 500 takes about a millisecond."""

    def __init__(self, libraries: list[Any]) -> None:
        self.libraries = libraries
        self.saved: list[int] = []

    def __call__(self) -> _OneThread:
        return self

    def __enter__(self) -> None:
        self.saved = [library.get_num_threads() for library in self.libraries]
        for library, threads in zip(self.libraries, self.saved, strict=True):
            if threads is not None and threads != 1:
                library.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        for library, threads in zip(self.libraries, self.saved, strict=True):
            if threads is not None and threads != 1:
                library.set_num_threads(threads)


def _blas_limits(plan: Plan) -> Any:
    """A context keeping BLAS on one thread (threadpoolctl), for plans big enough for BLAS to use threads.

    Small matrix products never leave the calling thread, and pinning costs some
    microseconds per call, so a small plan runs without it.
    """
    if plan.size < 20_000:
        return _NoLimit
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return _NoLimit
    libraries = [library for library in ThreadpoolController().lib_controllers if library.user_api == "blas"]
    return _OneThread(libraries) if libraries else _NoLimit
