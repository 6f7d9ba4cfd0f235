"""``micrograd.compile``: trace a function of Values once, then replay it fast.

>>> from micrograd import Value, compile
>>> w = Value(3.0)
>>> @compile
... def f(x):
...     return (w * x).tanh() + x ** 2
>>> y = f(0.5)                  # the first call traces; later calls replay
>>> y.backward()
>>> round(y.data, 6), round(w.grad, 6)
(1.155148, 0.090353)

A call flattens its arguments: floats and Values are *data* (read at every call),
while their nesting, the lengths of lists, and every other argument (ints, strings,
objects) are *structure*: the key of the trace cache, so a new structure traces
again.  The replay runs on numpy when it is importable (``backend="numpy"``), else
in plain Python (``backend="python"``).  See docs/compile.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from itertools import chain, count
from operator import attrgetter
from typing import Any
from weakref import WeakValueDictionary

from micrograd.autograd import DENSE, POW_CONST, Nary, Operation, Value, grad, is_grad_enabled, linear_layer
from micrograd.compiler.plan import FILLED, SUM, Plan
from micrograd.compiler.tracing import TracingError, trace, tracing_now

__all__ = [
    "BACKENDS",
    "CompiledFunction",
    "TracingError",
    "choose_backend",
    "compile",
    "flatten_arguments",
    "flatten_call",
    "substitute_arguments",
]

BACKENDS = ("numpy", "python")
MAX_TRACES = 32  # traces kept per compiled function; the oldest goes first


def compile(fn: Callable[..., Any] | None = None, *, backend: str | None = None) -> Any:
    """``fn`` traced on its first call and replayed on later calls (also a decorator).

    The result of a call is a Value (or a list or tuple of Values, as ``fn`` returns)
    whose ``.data``, ``backward()`` and ``grad()`` behave as if ``fn`` had run
    without compile: every leaf the computation read gets its gradient.
    """
    if fn is None:
        return functools.partial(compile, backend=backend)
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
    return CompiledFunction(fn, choose_backend(backend))


def choose_backend(backend: str | None) -> str:
    try:
        import numpy  # noqa: F401 - only whether it imports
    except ImportError:
        available = False
    else:
        available = True
    if backend is None:
        return "numpy" if available else "python"
    if backend not in BACKENDS:
        raise ValueError(f"compile: backend must be one of {', '.join(BACKENDS)} or None, got {backend!r}")
    if backend == "numpy" and not available:
        raise ImportError('compile: backend="numpy" needs numpy: pip install numpy', name="numpy")
    return backend


# -- arguments: data and structure ------------------------------------------------------


def flatten_call(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], tuple[Hashable, ...], list[Any], list[Any]]:
    """A call's keyword arguments in one order, its structure (the cache key), its data and what
    the key names by ``id`` (see :func:`flatten_arguments`)."""
    kwargs = dict(sorted(kwargs.items()))  # keyword arguments in one order, whatever the call's
    key: list[Hashable] = [len(args)]
    flat: list[Any] = []
    keep: list[Any] = []
    flatten_arguments(list(args), key, flat, keep)
    if kwargs:
        flatten_arguments(kwargs, key, flat, keep)
    return kwargs, tuple(key), flat, keep


def flatten_arguments(obj: Any, key: list[Hashable], flat: list[Any], keep: list[Any]) -> None:
    """Append ``obj``'s structure to ``key`` and its data (floats and Values) to ``flat``.

    ``keep`` collects unhashable arguments, which the key names by ``id``.
    """
    kind: Any = type(obj)
    if kind is float or kind is Value or isinstance(obj, Value):
        key.append(kind)
        flat.append(obj)
    elif kind is list or kind is tuple:
        types = set(map(type, obj))
        if types == {float}:  # the common case, a row of numbers: checked in C
            key.append((kind, len(obj), float))
            flat.extend(obj)
        elif types == {int}:  # labels: structure
            key.append((kind, tuple(obj)))
        elif len(types) == 1 and types <= {list, tuple} and set(map(type, chain.from_iterable(obj))) == {float}:
            key.append((kind, types.pop(), tuple(map(len, obj))))  # rows of numbers (a batch), checked in C
            flat.extend(chain.from_iterable(obj))
        else:
            key.append((kind, len(obj)))
            for item in obj:
                flatten_arguments(item, key, flat, keep)
    elif kind is dict:
        key.append((dict, tuple(obj)))
        for item in obj.values():
            flatten_arguments(item, key, flat, keep)
    elif hasattr(obj, "dtype") and hasattr(obj, "tolist") and getattr(obj, "ndim", 0) > 0:  # a numpy array
        key.append(("array", obj.shape))
        flatten_arguments(obj.tolist(), key, flat, keep)
    elif isinstance(obj, float):  # a float subclass, such as numpy.float64
        key.append(float)
        flat.append(float(obj))
    else:
        try:
            hash(obj)
        except TypeError:
            key.append(("object", id(obj)))
            keep.append(obj)
        else:
            key.append((kind, obj))


def substitute_arguments(obj: Any, leaves: Any) -> Any:
    """``obj`` with each float and Value replaced by the next of ``leaves`` (same walk as _flatten)."""
    kind = type(obj)
    if kind is float or isinstance(obj, Value):
        return next(leaves)
    if kind is list or kind is tuple:
        if set(map(type, obj)) == {int}:
            return obj
        items = [substitute_arguments(item, leaves) for item in obj]
        return items if kind is list else tuple(items)
    if kind is dict:
        return {name: substitute_arguments(item, leaves) for name, item in obj.items()}
    if hasattr(obj, "dtype") and hasattr(obj, "tolist") and getattr(obj, "ndim", 0) > 0:
        return substitute_arguments(obj.tolist(), leaves)
    if isinstance(obj, float):
        return next(leaves)
    return obj


# -- the compiled function -----------------------------------------------------------------


class CompiledFunction:
    """``fn``, traced once per argument structure and replayed (see :func:`compile`)."""

    def __init__(self, fn: Callable[..., Any], backend: str) -> None:
        self.fn = fn
        self.backend = backend
        self.traces = 0  # how many times fn has been traced
        # structure -> (argument slots whose data fn read, {their values: prepared replay})
        self._cache: dict[tuple[Hashable, ...], tuple[tuple[int, ...], dict[tuple[float, ...], _Prepared]]] = {}
        # unhashable arguments, named by id in a structure: kept alive while that structure is cached
        self._objects: dict[tuple[Hashable, ...], list[Any]] = {}
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"compile({getattr(self.fn, '__qualname__', self.fn)!r}, backend={self.backend!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Copies (``copy.copy``, ``copy.deepcopy``, pickle) are ``compile(fn, backend=...)`` again: the
        same function (a function copies as itself), with an empty cache of traces, which hold the
        replays and the Values the function captured by identity, so a copy traces on its first call."""
        return (CompiledFunction, (self.fn, self.backend))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if tracing_now():  # called while another compiled function traces: become part of its trace
            return self.fn(*args, **kwargs)
        kwargs, structure, flat, keep = flatten_call(args, kwargs)
        static, prepared = self._cache.get(structure, ((), {}))
        replay = prepared.get(tuple(_data(flat[i]) for i in static))
        if replay is None:
            replay = self._trace(structure, flat, args, kwargs)
            self._objects[structure] = keep
        return replay.run(flat)

    def _trace(self, structure: tuple[Hashable, ...], flat: list[Any], args: Any, kwargs: Any) -> _Prepared:
        numbers = [_data(x) for x in flat]

        def call(arguments: Sequence[Value]) -> Any:
            leaves = iter(arguments)
            return self.fn(*substitute_arguments(list(args), leaves), **substitute_arguments(dict(kwargs), leaves))

        plan = trace(self.fn, numbers, call)
        self.traces += 1
        static, prepared = self._cache.get(structure, ((), {}))
        if not plan.static_slots <= set(static):  # the function read more argument data than before
            static = tuple(sorted(plan.static_slots | set(static)))
            prepared = {}
        value_slots = [i for i, x in enumerate(flat) if isinstance(x, Value)]
        replay = _Prepared(plan, self.backend, value_slots, getattr(self.fn, "__name__", "fn"))
        if len(prepared) >= MAX_TRACES:
            del prepared[next(iter(prepared))]
        prepared[tuple(numbers[i] for i in static)] = replay
        if len(self._cache) >= MAX_TRACES and structure not in self._cache:
            oldest = next(iter(self._cache))
            del self._cache[oldest]
            self._objects.pop(oldest, None)
        self._cache[structure] = (static, prepared)
        return replay


_DATA = attrgetter("data")
_NUMBERS = {float, int}


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x  # type: ignore[no-any-return]


# -- one call: replay forward, and results that backpropagate through the replay -------------

_calls = count(1)  # each call's number: the data of its hub node, which finds the call's tape


class _Prepared:
    """A plan ready to run: its replay, and one operation per output (reused by every call).

    A call's results are nodes over one shared node, the *hub*, whose operands are
    the leaves and whose data is the call's number.  Backpropagation reaches every
    output before the hub: each output leaves its gradient (a *seed*) on the call's
    tape, found by that number, and the hub runs one replayed backward for them all.
    """

    def __init__(self, plan: Plan, backend: str, value_slots: list[int], name: str) -> None:
        self.plan = plan
        self.value_slots = value_slots
        self.positions = [*value_slots, *plan.captured_at]
        self.replay = _replay(plan, backend, set(self.positions))
        self.name = f"compiled {name}"
        self.tapes: WeakValueDictionary[float, _Tape] = WeakValueDictionary()
        self.operations = [
            Operation(f"{name} output {k}", rule.forward, rule.vjp, check=False)
            for k, rule in enumerate(_OutputRule(self.tapes, k) for k in range(len(plan.outputs)))
        ]

    def run(self, flat: list[Any]) -> Any:
        plan = self.plan
        leaves = flat if not self.value_slots else [_data(x) for x in flat]
        captured = list(map(_DATA, plan.captured))
        try:
            table = self.replay.forward(leaves, captured)
        except Exception:
            plan.raise_first_error(leaves, captured)  # the error a plain call meets first
            raise
        outputs = self.replay.outputs(table)
        if not is_grad_enabled():
            return _nest(plan.template, [Value(x) for x in outputs])
        tape = _Tape(self, table, outputs, float(next(_calls)))
        self.tapes[tape.number] = tape
        inputs = (*(flat[i] for i in self.value_slots), *plan.captured)  # all Values: no check needed
        hub = Nary(self.name, tape.forward, tape.vjp, check=False).apply(inputs)
        return _nest(plan.template, [operation(hub) for operation in self.operations])


def _replay(plan: Plan, backend: str, differentiable: set[int]) -> Any:
    if backend == "numpy":
        from micrograd.compiler.replay_numpy import NumpyReplay

        return NumpyReplay(plan, differentiable)
    from micrograd.compiler.replay_python import PythonReplay

    return PythonReplay(plan, differentiable)


def _nest(template: Any, values: list[Value]) -> Any:
    if isinstance(template, int):
        return values[template]
    kind, items = template
    nested = [_nest(item, values) for item in items]
    return nested if kind is list else kind(nested)


class _OutputRule:
    """Output ``index`` of every call: its value, and where its gradient goes."""

    __slots__ = ("index", "tapes")

    def __init__(self, tapes: WeakValueDictionary[float, _Tape], index: int) -> None:
        self.tapes = tapes
        self.index = index

    def forward(self, hub: float) -> float:
        return self.tapes[hub].outputs[self.index]

    def vjp(self, g: Any, hub: Any, out: Any) -> float:
        tape = self.tapes[hub.data if isinstance(hub, Value) else hub]
        tape.seeds[self.index] += g
        return 1.0  # the hub ignores its own gradient: it reads the seeds


class _Tape:
    """One call: its forward table, its outputs, and the seeds its outputs collect."""

    __slots__ = ("__weakref__", "number", "outputs", "prepared", "seeds", "table")

    def __init__(self, prepared: _Prepared, table: Any, outputs: list[float], number: float) -> None:
        self.prepared = prepared
        self.table = table
        self.outputs = outputs
        self.number = number
        self.seeds: list[Any] = [0.0] * len(outputs)

    def forward(self, xs: Sequence[float]) -> float:
        return self.number

    def vjp(self, g: Any, xs: Sequence[Any], out: Any) -> list[Any]:
        seeds, self.seeds = self.seeds, [0.0] * len(self.seeds)
        if not set(map(type, seeds)) <= _NUMBERS or not set(map(type, xs)) <= _NUMBERS:  # create_graph=True
            return self._rebuild(seeds, list(xs))
        gradients = self.prepared.replay.backward(self.table, seeds)
        return list(map(gradients.__getitem__, self.prepared.positions))

    def _rebuild(self, seeds: list[Any], xs: list[Any]) -> list[Any]:
        """For grad(..., create_graph=True): the same computation made of Values, differentiated."""
        plan = self.prepared.plan
        table: list[Any] = [float(x) for x in self.table[: plan.leaves]]
        for p, x in zip(self.prepared.positions, xs, strict=True):
            table[p] = x
        for step in plan.steps:
            if step.rule is DENSE:
                table += _apply_block(step, table)
            elif step.rule is not FILLED:
                table.append(_apply(step, [table[j] for j in step.operands]))
        total = sum((s * table[k] for s, k in zip(seeds, plan.outputs, strict=True)), Value(0.0))
        return list(grad(total, xs, create_graph=True))


def _apply_block(step: Any, table: list[Any]) -> list[Value]:
    """A block (``plan.LayerPlan``) computed by the engine on Values: its sums, then its outputs."""
    layer, activation = step.constants
    n = layer.width
    rows = [[table[j] for j in layer.weights[u * n : (u + 1) * n]] for u in range(layer.units)]
    sums = linear_layer([table[j] for j in step.operands], rows, [table[j] for j in layer.biases])
    return sums if activation is None else sums + [activation(z) for z in sums]


def _apply(step: Any, operands: list[Any]) -> Any:
    """One step computed by the engine, on Values (so it records a graph)."""
    rule = step.rule
    if rule is SUM:
        total = operands[0]
        for x, sign in zip(operands[1:], step.constants[1:], strict=True):
            total = total + x if sign > 0 else total - x
        return total
    if rule is POW_CONST:
        return operands[0] ** step.constants[0]
    if rule.arity is None:
        return rule(operands)
    return rule(*operands)
