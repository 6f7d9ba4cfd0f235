"""Grad mode: whether operations record the graph, per thread as in PyTorch.

``no_grad`` switches recording off (for evaluation: faster, and no graph is kept),
``enable_grad`` switches it back on inside such a block.  The mode belongs to the
thread that switches it: another thread keeps recording, and a new thread records.

Every operation asks whether to record, so the common case is made cheap: the
global ``everyone_records`` is True while no thread has recording switched off,
and only otherwise does an operation look up its own thread's mode
(``thread_mode.enabled``).  The module that holds the operations' hot path shares
the flag (``share_flag``), so reading it there is one global read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any

__all__ = ["enable_grad", "everyone_records", "is_grad_enabled", "no_grad", "share_flag", "thread_mode"]


class _ThreadMode(threading.local):
    """One thread's grad mode: whether it records, and the modes to restore on exit."""

    def __init__(self) -> None:
        self.enabled = True  # a new thread records, as in PyTorch
        self.saved: list[bool] = []  # a stack, so blocks nest and one instance can be re-entered


thread_mode = _ThreadMode()
everyone_records = True  # no thread has recording switched off
_threads_not_recording = 0
_switch = threading.Lock()
_sharers: list[dict[str, Any]] = [globals()]  # module namespaces holding a copy of everyone_records


def share_flag(namespace: dict[str, Any]) -> None:
    """Keep ``namespace["everyone_records"]`` (a module's globals) equal to this module's flag."""
    with _switch:
        namespace["everyone_records"] = everyone_records
        _sharers.append(namespace)


def _publish(value: bool) -> None:
    for namespace in _sharers:
        namespace["everyone_records"] = value


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


def is_grad_enabled() -> bool:
    """Whether operations record the graph in this thread."""
    return everyone_records or thread_mode.enabled
