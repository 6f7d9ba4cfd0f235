"""Grad mode: whether operations record the graph, per thread as in PyTorch.

``no_grad`` switches recording off (for evaluation: faster, and no graph is kept),
``enable_grad`` switches it back on inside such a block.  The mode belongs to the
thread that switches it: another thread keeps recording, and a new thread records.

Every operation asks whether to record, so the common case is made cheap: the
global ``everyone_records`` is True while no thread has recording switched off,
and only otherwise does an operation look up its own thread's mode
(``thread_mode.enabled``).  The module that holds the operations' hot path shares
the flag (``share_flag``), so reading it there is one global read.

The *data guard* is the same idea for tracing (``micrograd.compile``): while a
thread traces, Python code must not branch on a Value's data, so Value's
comparisons and truth test call ``check_data``, which asks the thread's guard
(``data_guard``).  They only do so while ``anyone_guards`` is True, that is while
some thread traces; another thread's guard never refuses this thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any

__all__ = [
    "anyone_guards",
    "check_data",
    "data_guard",
    "enable_grad",
    "everyone_records",
    "is_grad_enabled",
    "no_grad",
    "share_flag",
    "thread_mode",
]


class _ThreadMode(threading.local):
    """One thread's grad mode: whether it records, and the modes to restore on exit."""

    def __init__(self) -> None:
        self.enabled = True  # a new thread records, as in PyTorch
        self.saved: list[bool] = []  # a stack, so blocks nest and one instance can be re-entered
        self.guard: Callable[[str], None] | None = None  # the data guard (see data_guard)
        self.saved_guards: list[Callable[[str], None] | None] = []  # the guards to restore, a stack


thread_mode = _ThreadMode()
everyone_records = True  # no thread has recording switched off
anyone_guards = False  # some thread has a data guard on
_threads_not_recording = 0
_threads_guarding = 0
_switch = threading.Lock()
# module namespaces holding a copy of a flag, and the flag's name
_sharers: list[tuple[dict[str, Any], str]] = [(globals(), "everyone_records"), (globals(), "anyone_guards")]


def share_flag(namespace: dict[str, Any], name: str = "everyone_records") -> None:
    """Keep ``namespace[name]`` (a module's globals) equal to this module's flag ``name``."""
    if name not in ("everyone_records", "anyone_guards"):
        raise ValueError(f"share_flag: no flag named {name!r}")
    with _switch:
        namespace[name] = globals()[name]
        _sharers.append((namespace, name))


def _publish(value: bool, name: str = "everyone_records") -> None:
    for namespace, flag in _sharers:
        if flag == name:
            namespace[name] = value


def _set_enabled(enabled: bool) -> None:
    """Switch this thread's recording on or off, keeping ``everyone_records`` true to it.

    Switching off, the global flag is cleared before this thread stops recording;
    switching on, this thread records again before the flag may be set.  So whenever
    ``everyone_records`` is True, every thread records.
    """
    global _threads_not_recording
    mode = thread_mode
    if enabled == mode.enabled:
        return
    if enabled:
        mode.enabled = True
        with _switch:
            _threads_not_recording -= 1
            _publish(_threads_not_recording == 0)
    else:
        with _switch:
            _threads_not_recording += 1
            _publish(False)
        mode.enabled = False


class no_grad(ContextDecorator):
    """Compute without recording the graph: faster, for evaluation.

    Usable as ``with no_grad():`` and as a decorator (with or without parentheses).
    As in PyTorch the mode belongs to the thread that switches it: another thread
    keeps recording, and a new thread starts recording.
    """

    _enabled = False

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        instance = super().__new__(cls)
        if function is None:
            return instance
        # `@no_grad` without parentheses, as PyTorch allows: decorate the function directly
        if not callable(function):
            raise TypeError(f"{cls.__name__}: expected a function to decorate, got {type(function).__name__}")
        return instance(function)

    def __enter__(self) -> None:
        mode = thread_mode
        mode.saved.append(mode.enabled)
        _set_enabled(self._enabled)

    def __exit__(self, *exc: object) -> None:
        _set_enabled(thread_mode.saved.pop())


class enable_grad(no_grad):
    """Record the graph again inside a ``no_grad`` block."""

    _enabled = True


class data_guard:
    """Have ``guard(what)`` called (it may raise) before this thread's Python code looks at a Value's data.

    ``what`` names the look: ``"a comparison (<)"``, ``"a truth test (if, and, or, not)"``.
    Blocks nest, the innermost guard deciding; other threads are not guarded.
    """

    def __init__(self, guard: Callable[[str], None]) -> None:
        self.guard = guard

    def __enter__(self) -> None:
        global _threads_guarding
        mode = thread_mode
        mode.saved_guards.append(mode.guard)
        if mode.guard is None:  # the global flag first, so a guard is never on while the flag is off
            with _switch:
                _threads_guarding += 1
                _publish(True, "anyone_guards")
        mode.guard = self.guard

    def __exit__(self, *exc: object) -> None:
        global _threads_guarding
        mode = thread_mode
        mode.guard = mode.saved_guards.pop()
        if mode.guard is None:
            with _switch:
                _threads_guarding -= 1
                _publish(_threads_guarding > 0, "anyone_guards")


def check_data(what: str) -> None:
    """Ask this thread's data guard, if it has one, whether Python code may look at a Value's data."""
    guard = thread_mode.guard
    if guard is not None:
        guard(what)


def is_grad_enabled() -> bool:
    """Whether operations record the graph in this thread."""
    return everyone_records or thread_mode.enabled
