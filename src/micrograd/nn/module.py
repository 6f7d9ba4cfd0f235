"""``Module``: what every network part shares (its parameters, its state, saving it, a summary).

A module finds its parameters in its public attributes, as karpathy's micrograd and
PyTorch's ``nn.Module`` do; ``micrograd.nn`` builds ``Neuron``, ``Layer`` and ``MLP``
on it.  Also importable as ``micrograd.nn.Module``.
"""

from __future__ import annotations

import math
import os
import reprlib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from micrograd.autograd import Value
from micrograd.autograd.deferred import pending, settle
from micrograd.nn import model_file

__all__ = ["Module"]


class Module:
    """Base class: finds its parameters and submodules in its public attributes.

    An attribute (not starting with ``_``) holding a ``Value``, a ``Module`` or a list
    or tuple of them is part of the module, in the order the attributes were set.
    Only *leaf* Values are parameters: a computed result a module keeps (such as
    ``self.last = y``) is never trained.  A submodule's own ``parameters()``, if it
    overrides it, is what its parent counts.  Parameter names are dotted paths such
    as ``layers.0.neurons.3.w.1``.  A list's items are numbered from 0, unless
    :attr:`first_index` says otherwise: a neuron numbers its weights from 1, like
    its inputs ``x1, x2``, so ``w.1`` is the weight of ``x1``.
    """

    first_index: ClassVar[Mapping[str, int]] = {}
    """Where the numbering of a list attribute's items starts in parameter names (0 if not here)."""

    def __call__(self, x: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _members(self) -> Iterator[tuple[str, Value | Module]]:
        """The Values and Modules held by this module, with their names, in order."""
        for name, attribute in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(attribute, (Value, Module)):
                yield name, attribute
            elif isinstance(attribute, (list, tuple)):
                for index, item in enumerate(attribute, start=self.first_index.get(name, 0)):
                    if isinstance(item, (Value, Module)):
                        yield f"{name}.{index}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """``(name, parameter)`` pairs, in the order of :meth:`parameters`."""
        if pending:  # a compiled training step holds newer weights: they go to the Values first
            settle()
        for name, member in self._members():
            if isinstance(member, Value):
                if member.is_leaf:
                    yield prefix + name, member
            else:
                yield from member.named_parameters(prefix=f"{prefix}{name}.")

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for this module (name ``prefix``) and every submodule."""
        yield prefix, self
        for name, member in self._members():
            if isinstance(member, Module):
                yield from member.named_modules(prefix=f"{prefix}.{name}" if prefix else name)

    def parameters(self) -> list[Value]:
        """The trainable Values (leaves only), in a fixed order: a submodule contributes its own ``parameters()``.

        The members of :meth:`named_parameters`, found without making their names:
        every training step asks for them (``zero_grad``, the optimizer), so this is
        a loop of its own rather than naming each one and dropping the names.
        """
        if pending:  # a compiled training step holds newer weights: they go to the Values first
            settle()
        found: list[Value] = []
        for name, attribute in vars(self).items():
            if name.startswith("_"):
                continue
            items = attribute if isinstance(attribute, (list, tuple)) else (attribute,)
            for item in items:
                if isinstance(item, Value):
                    if item.operation is None:  # a leaf
                        found.append(item)
                elif isinstance(item, Module):
                    found.extend(item.parameters())
        return found

    def num_parameters(self) -> int:
        """How many scalars are trained."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (gradients accumulate in ``backward``)."""
        for p in self.parameters():
            p.grad = 0.0

    # -- state -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name: a plain dict that ``json`` can write."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set the parameters from ``state``, all or nothing.

        Raises ``KeyError`` for missing or unexpected names and ``TypeError`` or
        ``ValueError`` for a value that is not one finite number; on error no
        parameter has been changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of names to numbers, got {type(state).__name__}")
        named = dict(self.named_parameters())
        missing = [name for name in named if name not in state]
        unexpected = [name for name in state if name not in named]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {_some(missing)}")
            if unexpected:
                parts.append(f"unexpected {_some(unexpected)}")
            raise KeyError(f"load_state_dict: {'; '.join(parts)} (the model is {self.describe()})")
        values = {}
        for name, value in state.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                size = f" of size {len(value)}" if isinstance(value, (list, tuple)) else ""
                shown = f"{reprlib.repr(value):.40}"
                raise TypeError(
                    f"load_state_dict: {name} must be a single number, got {type(value).__name__}{size}: {shown}"
                )
            try:
                number = float(value)
            except OverflowError:
                number = math.inf  # an integer too large for a float
            if not math.isfinite(number):
                raise ValueError(f"load_state_dict: {name} must be finite, got {reprlib.repr(value):.40}")
            values[name] = number
        for name, value in values.items():
            named[name].data = value

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to a JSON file (never pickle), atomically (see :mod:`micrograd.nn.model_file`)."""
        model_file.save(self, path)

    def load(self, path: str | os.PathLike[str], *, verify: bool = True) -> None:
        """Read parameters written by :meth:`save`.

        A missing, corrupt, truncated or foreign file raises :class:`ModelFileError`
        (a ``ValueError``) with the reason, and leaves the model unchanged; so does a
        file whose parameters do not match its checksum, unless ``verify=False``
        (for weights edited by hand on purpose).
        """
        model_file.load(self, path, verify=verify)

    # -- display -----------------------------------------------------------------------

    def describe(self) -> str:
        """A one-line description used by :meth:`summary`."""
        return type(self).__name__

    def summary(self, depth: int = 1) -> str:
        """A tree of this module and its submodules ``depth`` levels down, with parameter counts."""
        lines = []

        def add(name: str, module: Module, level: int) -> None:
            label = f"{name}: " if name else ""
            lines.append(f"{'  ' * level}{label}{module.describe()}  ({module.num_parameters():,} parameters)")
            if level < depth:
                for child_name, child in module._members():
                    if isinstance(child, Module):
                        add(f"{name}.{child_name}" if name else child_name, child, level + 1)

        add("", self, 0)
        return "\n".join(lines)


def _some(names: list[str]) -> str:
    # a name read from a file may hold a newline or be huge: such names are shown by their repr, cut short
    shown = ", ".join(name if name.isprintable() and len(name) <= 80 else repr(name)[:80] for name in names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")
