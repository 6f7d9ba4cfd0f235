"""What the playground refuses, and how it reads numbers out of a request."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["RequestError", "number_field"]


class RequestError(ValueError):
    """A request the playground refuses; ``status`` is the HTTP status, the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def number_field(
    request: Mapping[str, Any],
    name: str,
    default: float,
    low: float,
    high: float,
    *,
    integer: bool = False,
    what: str | None = None,
) -> Any:
    """``request[name]`` checked to be a (whole) number in ``[low, high]``; ``default`` if absent."""
    what = what or name
    value = request.get(name, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{what} must be a number, got {value!r:.40}")
    if integer and isinstance(value, float):
        if not value.is_integer():
            raise RequestError(f"{what} must be a whole number, got {value!r}")
        value = int(value)
    if not (isinstance(value, int) or math.isfinite(value)) or not low <= value <= high:
        raise RequestError(f"{what} must be between {low:g} and {high:g}, got {value!r:.40}")
    return int(value) if integer else float(value)
