"""What tracing watches while :func:`micrograd.compile` runs a function once.

While tracing, the data of the arguments is real, but what the function does with
it must not depend on it (see :mod:`micrograd.compiler.tracing`):

* comparing a Value or testing its truth is an error (:class:`TracingError`)
  naming the user's line: :func:`watching` switches on its thread's *data guard*
  (``grad_mode.data_guard``), which Value's comparisons and ``__bool__`` consult;
* each argument is an :class:`Argument`, a leaf that notes whether the function
  read its number (``.data`` outside the engine, ``item()``, ``format()``, ...).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from micrograd import autograd
from micrograd.autograd import Operation, Value, grad_mode, linear, rules

__all__ = ["Argument", "TracingError", "argument", "tracing_now", "watching"]


class TracingError(TypeError):
    """Python code inside a compiled function looked at the data of a Value."""


_state = threading.local()  # .tracing: the name of the function being traced in this thread


def _tracing() -> str | None:
    return getattr(_state, "tracing", None)


def tracing_now() -> bool:
    """Whether this thread is tracing a compiled function."""
    return getattr(_state, "tracing", None) is not None


def _frame(depth: int) -> Any:
    """The caller ``depth`` frames up, or None where Python has no ``sys._getframe`` (not CPython)."""
    getframe = getattr(sys, "_getframe", None)
    return None if getframe is None else getframe(depth + 1)


def _caller_module(depth: int) -> str:
    frame = _frame(depth + 1)
    return "" if frame is None else str(frame.f_globals.get("__name__", ""))


def _engine_modules() -> frozenset[str]:
    """The modules of the engine, whose own reads of ``.data`` are part of an operation."""
    names = {autograd.__name__, Value.__module__, Operation.__module__, autograd.graph_order.__module__}
    names.add(linear.__module__)
    names.add(autograd.blocks.__name__)  # a block's forward reads its inputs' data
    names.update(getattr(Value, method).__module__ for method in ("__add__", "__mul__", "relu", "__lt__"))
    return frozenset(names)


_ENGINE_MODULES = _engine_modules()
_GUARD_MODULES = frozenset({__name__, grad_mode.__name__, Value.__module__})  # between the user and _refuse


def _module(frame: Any) -> str:
    return str(frame.f_globals.get("__name__", ""))


def _line(frame: Any) -> str:
    return "line unknown" if frame is None else f"{frame.f_code.co_filename}, line {frame.f_lineno}"


def _looker() -> Any:
    """The frame that looked at the data: the first outside the guard's modules (None without frames)."""
    frame = _frame(2)
    while frame is not None and _module(frame) in _GUARD_MODULES:
        frame = frame.f_back
    return frame


def _refuse(what: str) -> None:
    """This thread's data guard while it traces: Python control flow on the data is an error."""
    frame = _looker()
    if frame is not None and _module(frame) in _ENGINE_MODULES:
        raise TracingError(_engine_looked(what, frame))
    raise TracingError(
        f"compile: {what} of a Value while tracing {_tracing()}() ({_line(frame)}): the replay cannot follow "
        "Python control flow that depends on the data. Keep this code outside the compiled function "
        "(compute on the results it returns)."
    )


def _engine_looked(what: str, frame: Any) -> str:
    """The message when the engine's own code compared a Value: a local derivative that branches on its
    operand (relu's, abs's), recorded by ``grad(..., create_graph=True)`` inside the compiled function."""
    vjps = {getattr(rule.vjp, "__code__", None): rule.name for rule in _BUILT_IN}
    operation = None
    while frame is not None and _module(frame).startswith("micrograd."):
        operation = operation or vjps.get(frame.f_code)
        frame = frame.f_back  # on to the caller of grad(): the user's line
    called = "" if frame is None else f", called at {_line(frame)}"
    derivative = "an operation's derivative" if operation is None else f"the derivative of {operation}"
    return (
        f"compile: {derivative} makes {what} of its operand's data (grad(..., create_graph=True) inside "
        f"{_tracing()}(){called}): the replay cannot follow that branch. Take this derivative outside the "
        "compiled function."
    )


_VALUE_DATA: Any = vars(Value)["data"]  # the slot that holds a Value's number


class Argument(Value):
    """A leaf standing for an argument while tracing; notes reads of ``.data`` outside the engine.

    ``item()``, ``format()``, ``detach()``, ``str()`` and ``repr()`` are the engine's
    code, but they hand the number to the function: they count as reads too.
    """

    __slots__ = ("read", "slot")
    read: bool
    slot: int

    def item(self) -> float:
        self.read = True
        return super().item()

    def __format__(self, spec: str) -> str:
        self.read = True
        return super().__format__(spec)

    def detach(self) -> Value:
        self.read = True  # the detached copy is a constant of the trace: its number must key the cache
        return super().detach()

    def __repr__(self) -> str:  # str() too: Value has no __str__ of its own
        self.read = True
        return super().__repr__()

    def _repr_html_(self) -> str:
        self.read = True
        return super()._repr_html_()


def _read_argument(self: Argument) -> float:
    if _caller_module(1) not in _ENGINE_MODULES:
        self.read = True
    return _VALUE_DATA.__get__(self)  # type: ignore[no-any-return]


def _write_argument(self: Argument, value: float) -> None:
    _VALUE_DATA.__set__(self, value)


Argument.data = property(_read_argument, _write_argument)  # type: ignore[assignment, misc]


def argument(data: float, slot: int) -> Argument:
    """The leaf standing for argument ``slot`` (its number ``data``) while tracing."""
    leaf = Argument(data)
    leaf.slot = slot
    leaf.read = False
    return leaf


# the engine's own operations: a vjp among them that compares its operand is named in the message
_BUILT_IN = [rule for rule in vars(rules).values() if isinstance(rule, Operation)]


@contextmanager
def watching(name: str) -> Iterator[None]:
    """While this thread traces ``name``: its data guard refuses comparisons and truth tests of Values."""
    previous = _tracing()
    _state.tracing = name
    try:
        with grad_mode.data_guard(_refuse):
            yield
    finally:
        _state.tracing = previous
