"""Writes to Values that a fast path has put off, done before anyone reads the Values.

A compiled training step (``micrograd.compile_step``) keeps the parameters, their
gradients and the optimizer's state in arrays between calls, and writes them back
to the Values only when someone may look.  It registers its write-back here; the
ways to read a model (calling it, ``parameters()``, ``named_parameters()``,
``state_dict()``, ``to_torch`` ...) call :func:`settle` first.  While nothing is
pending, that costs one test of a dict.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["defer", "pending", "settle", "withdraw"]

pending: dict[int, Callable[[], None]] = {}  # id(owner) -> its write-back


def defer(owner: object, write_back: Callable[[], None]) -> None:
    """Have ``write_back()`` run at the next :func:`settle` (once; again after another ``defer``)."""
    pending[id(owner)] = write_back


def withdraw(owner: object) -> Callable[[], None] | None:
    """Take back ``owner``'s pending write-back without running it (None if it has none)."""
    return pending.pop(id(owner), None)


def settle() -> None:
    """Run every pending write-back, so the Values hold what the fast paths computed."""
    while pending:
        _, write_back = pending.popitem()
        write_back()
