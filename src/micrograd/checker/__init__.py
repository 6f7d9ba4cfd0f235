"""``micrograd check``: check a Value class you wrote yourself against this engine, and see where it goes wrong.

``check(target)`` loads the class in a separate process (a ``.py`` file, a module
name, a notebook, or a class object), runs probe expressions through it with time
limits, compares every number with this engine, and returns a :class:`Report`: one
result per check, and for each failure the smallest expression as code, the
expected and actual gradients, a hint in the lecture's words and a picture.

The checks, in order: forward and gradient of every operation the class has
(:mod:`~micrograd.checker.per_operation`), numbers on the left, the classic bugs
(:mod:`~micrograd.checker.classic_bugs`), compositions
(:mod:`~micrograd.checker.compositions`) and, if the module has them, Neuron,
Layer and MLP (:mod:`~micrograd.checker.networks`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from micrograd.checker.classic_bugs import check_backward_twice, check_order, check_reuse
from micrograd.checker.compositions import check_compositions
from micrograd.checker.networks import check_networks
from micrograd.checker.per_operation import check_numbers_left, check_operations
from micrograd.checker.report import FORMAT, GradientRow, Report, Result
from micrograd.checker.runner import LoadFailed, Runner, Target
from micrograd.checker.session import Session

__all__ = ["FORMAT", "GradientRow", "Report", "Result", "check", "resolve_target"]


def resolve_target(target: str | os.PathLike[str] | type, class_name: str = "Value") -> Target:
    """What ``target`` names: a class object, a ``.py`` file, a ``.ipynb`` notebook or a module name.

    Raises LoadFailed (one line) for a file that does not exist or a name that is neither.
    """
    if isinstance(target, type):
        module = sys.modules.get(target.__module__)
        namespace = dict(vars(module)) if module is not None else {}
        return Target("class", f"{target.__module__}.{target.__qualname__}", target.__name__, namespace, target)
    text = os.fspath(target)
    path = Path(text)
    if path.suffix in (".py", ".ipynb"):
        if not path.is_file():
            raise LoadFailed(f"{text}: no such file")
        return Target("notebook" if path.suffix == ".ipynb" else "file", str(path), class_name)
    if path.exists():
        raise LoadFailed(f"{text}: expected a .py file, a .ipynb notebook or a module name")
    if not all(part.isidentifier() for part in text.split(".")):
        raise LoadFailed(f"{text}: no such file, and not a module name")
    return Target("module", text, class_name)


def check(
    target: str | os.PathLike[str] | type,
    *,
    class_name: str = "Value",
    out: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
    check_timeout: float = 10.0,
    inline: bool | None = None,
) -> Report:
    """Check a learner's Value class (and their Neuron, Layer, MLP if the module has them).

    ``target`` is the class itself (checked in a forked copy of this process), or a
    ``.py`` file, a notebook or a module name that defines ``class_name``.  Pictures
    of failures go to the folder ``out`` (SVG), and with ``inline`` (the default for a
    class object) into the report, which a notebook shows.  ``timeout`` limits the
    whole run and ``check_timeout`` each check, in seconds.
    """
    name = target.__name__ if isinstance(target, type) else class_name
    shown = getattr(target, "__qualname__", None) or os.fspath(target)  # type: ignore[arg-type]
    try:
        resolved = resolve_target(target, class_name)
        runner = Runner(resolved, timeout=timeout, check_timeout=check_timeout)
        runner.start()
    except LoadFailed as error:
        return Report(str(shown), name, load_error=str(error))
    session = Session(runner, name, Path(out) if out is not None else None, isinstance(target, type) or bool(inline))
    if inline is False:
        session.inline = False
    try:
        for run in (
            check_operations,
            check_numbers_left,
            check_reuse,
            check_order,
            check_backward_twice,
            check_compositions,
            check_networks,
        ):
            run(session)
    finally:
        runner.close()
    notes = list(runner.info.get("notes", []))
    if runner.printed or runner.output:
        printed = max(runner.printed, len(runner.output))
        notes.append(f"your code printed {printed:,} characters while it was checked (not shown)")
    return Report(str(shown), name, session.results, notes)
