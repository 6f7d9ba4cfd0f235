"""Writes to Values that a fast path has put off, done before anyone reads the Values.

A compiled training step (``micrograd.compile_step``) keeps the parameters, their
gradients and the optimizer's state in arrays between calls, and writes them back
to the Values only when someone may look.  It registers its write-back here; the
ways to read a model (calling it, ``parameters()``, ``named_parameters()``,
``state_dict()``, ``to_torch`` ...) call :func:`settle` first.  While nothing is
pending, that costs one test of a dict.

Threads: the registry is changed under its own lock, and :func:`settle` runs each
write-back after letting go of it.  An entry stays in the registry until its
write-back has finished (a compiled step withdraws it at the end of its
write-back), so a reader that comes while another thread is writing back runs
the same write-back too, which waits for the first.  Each compiled step holds its
own lock while it updates its arrays and while it writes them back; while it holds
it, it takes only this registry's lock, briefly, runs no user code and settles
nothing.  So a reader never sees half a step or the weights before it, and no two
locks are ever taken in opposite orders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["defer", "pending", "settle", "withdraw"]

pending: dict[int, Callable[[], None]] = {}  # id(owner) -> its write-back
_lock = threading.Lock()  # guards `pending`; never held while a write-back runs


def defer(owner: object, write_back: Callable[[], None]) -> None:
    """Have ``write_back()`` run at the next :func:`settle` (once; again after another ``defer``)."""
    with _lock:
        pending[id(owner)] = write_back


def withdraw(owner: object) -> Callable[[], None] | None:
    """Take back ``owner``'s pending write-back without running it (None if it has none)."""
    with _lock:
        return pending.pop(id(owner), None)


def settle() -> None:
    """Run every pending write-back, so the Values hold what the fast paths computed."""
    while pending:
        with _lock:
            if not pending:
                return
            owner, write_back = next(iter(pending.items()))
        write_back()  # left in the registry while it runs: a reader in another thread waits on it too
        with _lock:
            if pending.get(owner) is write_back:  # not withdrawn by itself, nor deferred again since
                del pending[owner]
