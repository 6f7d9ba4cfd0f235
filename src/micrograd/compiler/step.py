"""``micrograd.compile_step``: a whole training step compiled, the optimizer's update inside.

>>> import micrograd
>>> from micrograd import MLP, optim
>>> model = MLP(2, [4, 1])
>>> optimizer = optim.SGD(model.parameters(), lr=0.05)
>>> def loss_fn(X, y):
...     return sum((model(x) - t) ** 2 for x, t in zip(X, y)) / len(X)
>>> step = micrograd.compile_step(loss_fn, optimizer)
>>> losses = [step([[0.5, -1.0], [1.0, 2.0]], [1.0, -1.0]) for _ in range(3)]
>>> losses[2] < losses[0]
True

The step traces ``loss_fn`` once per argument structure (as :func:`micrograd.compile`)
and then each call runs the forward, the backward, any gradient clipping and the
optimizer's update on arrays, returning the loss as a float.  The parameters, their
gradients and the optimizer's state stay in those arrays between calls; they go back
to the Values (``p.data``, ``p.grad``, the optimizer's state) whenever the model is
read through its API: calling it, ``parameters()``, ``named_parameters()``,
``state_dict()``, ``save``, ``to_torch`` (``micrograd.autograd.deferred``).  Only a
raw ``p.data`` read between steps needs ``step.sync()`` first; ``with step:`` syncs
on exit.  See docs/compile.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from micrograd.autograd import Value, deferred
from micrograd.compiler.compiled import MAX_TRACES, choose_backend, flatten_call, substitute_arguments
from micrograd.compiler.step_arrays import NumpyStep, PythonStep
from micrograd.compiler.step_update import clip_numpy, clip_python, update_numpy, update_python
from micrograd.compiler.tracing import trace, tracing_now

__all__ = ["CompiledStep", "compile_step"]

_FLOAT = {float}


def compile_step(
    loss_fn: Callable[..., Any],
    optimizer: Any,
    *,
    clip_grad_norm: float | None = None,
    clip_grad_value: float | None = None,
    backend: str | None = None,
) -> CompiledStep:
    """``step(*batch) -> float``: ``optimizer.zero_grad()``, ``loss = loss_fn(*batch)``,
    ``loss.backward()``, the clipping asked for, ``optimizer.step()``; compiled.

    ``loss_fn`` returns the loss, or a tuple ``(loss, outputs...)`` whose other parts come back as
    numbers (the model's outputs, to count hits).  ``optimizer`` is one of ``micrograd.optim``'s
    (any other runs its own ``step()`` on the compiled gradients).  A learning-rate schedule works as in the eager loop:
    call its ``step()`` after each training step; the compiled step reads
    ``optimizer.lr`` at every call.
    """
    if not callable(loss_fn):
        raise TypeError(f"compile_step: expected a loss function, got {type(loss_fn).__name__}")
    params = getattr(optimizer, "params", None)
    if not isinstance(params, list) or not all(isinstance(p, Value) for p in params) or not params:
        raise TypeError(f"compile_step: expected an optimizer from micrograd.optim, got {type(optimizer).__name__}")
    first: dict[int, int] = {}
    for k, p in enumerate(params):
        if first.setdefault(id(p), k) != k:  # as PyTorch, which warns that this will be an error
            raise ValueError(f"compile_step: the optimizer lists a parameter twice, at {first[id(p)]} and {k}")
    for name, limit in (("clip_grad_norm", clip_grad_norm), ("clip_grad_value", clip_grad_value)):
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit >= 0):
            raise ValueError(f"compile_step: {name} must be a number >= 0, got {limit!r}")
    clip = (
        None if clip_grad_norm is None else float(clip_grad_norm),
        None if clip_grad_value is None else float(clip_grad_value),
    )
    return CompiledStep(loss_fn, optimizer, choose_backend(backend), clip)


class CompiledStep:
    """A training step traced once per argument structure and replayed on arrays (see :func:`compile_step`)."""

    def __init__(self, loss_fn: Callable[..., Any], optimizer: Any, backend: str, clip: tuple[Any, Any]) -> None:
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.backend = backend
        self.traces = 0
        self.clip = clip
        self.params: list[Value] = list(optimizer.params)
        self._where = {id(p): i for i, p in enumerate(self.params)}
        self._cache: dict[tuple[Hashable, ...], tuple[tuple[int, ...], dict[tuple[float, ...], Any]]] = {}
        self._numpy = backend == "numpy"
        # the shapes and dtypes of float array arguments seen -> their structure (see flatten_call)
        self._arrays: dict[tuple[Any, ...], tuple[tuple[Hashable, ...], list[Any]]] = {}
        self._array_type: Any = None
        if self._numpy:
            import numpy as np

            self._concatenate, self._array_type = np.concatenate, np.ndarray
        self._holding = False  # whether the arrays are newer than the Values (a write-back is deferred)
        self._p: Any = None
        self._g: Any = None
        self._state: dict[str, Any] = {}
        # held while the arrays change or are written back (see micrograd.autograd.deferred): a reader
        # in another thread waits for a step to finish rather than see half of it
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        name = getattr(self.loss_fn, "__qualname__", self.loss_fn)
        return f"compile_step({name!r}, {type(self.optimizer).__name__}, backend={self.backend!r})"

    def __enter__(self) -> CompiledStep:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sync()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The loss as a float (or, when ``loss_fn`` returns ``(loss, outputs...)``, that tuple of floats)."""
        if tracing_now():
            raise TypeError("compile_step: a compiled training step cannot run inside a compiled function")
        pending = deferred.pending
        if pending and (len(pending) > 1 or id(self) not in pending):
            deferred.settle()  # another fast path's weights first (this step's too, read again below)
        arrays = self._arrays.get(_signature(args, self._array_type)) if self._numpy and not kwargs else None
        if arrays is not None:  # float arrays of shapes seen before: their numbers in one array, no list
            structure, keep = arrays
            numbers: Any = self._concatenate([a.ravel() for a in args]) if len(args) > 1 else args[0].ravel()
        else:
            kwargs, structure, flat, keep = flatten_call(args, kwargs)
            numbers = flat if set(map(type, flat)) <= _FLOAT else [x.data if isinstance(x, Value) else x for x in flat]
            signature = _signature(args, self._array_type) if self._numpy and not kwargs and args else ()
            if signature and all(type(item) is tuple for item in signature):  # all float arrays
                with self._lock:  # another thread may trim it too
                    if len(self._arrays) >= MAX_TRACES:
                        del self._arrays[next(iter(self._arrays))]
                    self._arrays[signature] = (structure, keep)
        static, prepared = self._cache.get(structure, ((), {}))
        replay = prepared.get(tuple(numbers[i] for i in static))
        if replay is None:
            if arrays is not None:
                numbers = numbers.tolist()  # the trace's leaves hold Python floats
            replay = self._trace(structure, numbers, args, kwargs, keep)  # runs loss_fn: not under the lock
        with self._lock:
            if not self._holding:
                self._load()
            outputs = replay.run(numbers, self._p, self._g)
            own = self._update()
            if not own and not self._holding:
                self._holding = True
                deferred.defer(self, self.sync)
        if own:  # an optimizer of your own runs its step() on the Values: user code, so not under the lock
            self._own_step()
        template = replay.plan.template
        return outputs[0] if isinstance(template, int) else _nest(template, outputs)

    def sync(self) -> None:
        """Write the parameters, their gradients and the optimizer's state back to the Values and the optimizer."""
        with self._lock:
            if self._holding:
                self._holding = False
                for p, x, g in zip(self.params, self._tolist(self._p), self._tolist(self._g), strict=True):
                    p.data = x
                    p.grad = g
                state = {
                    k: self._tolist(v) if k in ("m", "v", "velocity") and v is not None else v
                    for k, v in self._state.items()
                }
                self.optimizer.load_state_dict(state)
            # withdrawn only now: a reader in another thread that came meanwhile found the write-back
            # still pending, so it waited on this lock rather than read the weights before this step
            deferred.withdraw(self)

    # -- inside a call --------------------------------------------------------------------------

    def _tolist(self, x: Any) -> list[float]:
        return x.tolist() if self._numpy else list(x)  # type: ignore[no-any-return]

    def _load(self) -> None:
        """Read the parameters and the optimizer's state from the Values (someone may have changed them)."""
        data = [p.data for p in self.params]
        state = self.optimizer.state_dict()
        if self._numpy:
            import numpy as np

            self._p = np.array(data, dtype=float)
            self._g = np.zeros(len(data))
            for name in ("m", "v", "velocity"):
                if state.get(name) is not None:
                    state[name] = np.array(state[name], dtype=float)
        else:
            self._p, self._g = data, [0.0] * len(data)
        self._state = state

    def _update(self) -> bool:
        """The clipping and the optimizer's update on the arrays; False for an optimizer of your own."""
        rule = self.optimizer.update_rule()
        if self._numpy:
            clip_numpy(self._g, *self.clip)
        else:
            clip_python(self._g, *self.clip)
        if rule is None:  # an optimizer of your own: its step() on the Values (see _own_step)
            return True
        (update_numpy if self._numpy else update_python)(rule, self._p, self._g, self._state)
        return False

    def _own_step(self) -> None:
        """For an optimizer micrograd does not know: gradients to the Values, its ``step()``, weights back."""
        with self._lock:
            self._holding = True
            self.sync()
        self.optimizer.step()
        with self._lock:
            self._load()

    def _trace(
        self, structure: tuple[Hashable, ...], numbers: list[float], args: Any, kwargs: Any, keep: list[Any]
    ) -> Any:
        self.sync()  # the function runs once on the Values: they must hold the weights
        holding_before = self._holding

        def call(arguments: Sequence[Value]) -> Any:
            leaves = iter(arguments)
            return self.loss_fn(*substitute_arguments(list(args), leaves), **substitute_arguments(dict(kwargs), leaves))

        plan = trace(self.loss_fn, numbers, call)
        self.traces += 1
        if not isinstance(plan.template, int) and (plan.template[0] is not tuple or plan.template[1][0] != 0):
            raise TypeError(
                f"compile_step: {getattr(self.loss_fn, '__name__', 'loss_fn')}() must return the loss, a Value, "
                "or a tuple (loss, outputs...)"
            )
        self._load()
        self._holding = holding_before
        replay = (NumpyStep if self._numpy else PythonStep)(plan, self._where)
        static, prepared = self._cache.get(structure, ((), {}))
        if not plan.static_slots <= set(static):
            static, prepared = tuple(sorted(plan.static_slots | set(static))), {}
        if len(prepared) >= MAX_TRACES:
            del prepared[next(iter(prepared))]
        prepared[tuple(numbers[i] for i in static)] = replay
        if len(self._cache) >= MAX_TRACES and structure not in self._cache:
            del self._cache[next(iter(self._cache))]
        self._cache[structure] = (static, prepared)
        self._keep = keep
        return replay


def _signature(args: tuple[Any, ...], array_type: Any) -> tuple[Any, ...]:
    """What decides the structure of a call whose arguments are numpy arrays of floats (read as nested
    lists of floats, see flatten_call): their shapes and dtypes; any other argument stands as its type."""
    return tuple(
        (a.shape, a.dtype) if isinstance(a, array_type) and a.ndim and a.dtype.kind == "f" else type(a) for a in args
    )


def _nest(template: Any, numbers: list[float]) -> Any:
    """The results as ``loss_fn`` nested them, numbers in place of Values."""
    if isinstance(template, int):
        return numbers[template]
    kind, items = template
    nested = [_nest(item, numbers) for item in items]
    return nested if kind is list else kind(nested)
