"""``Operation``: what every operation is, whatever the shape of its nodes.

An operation has a name, a checked ``forward`` on floats and a ``vjp``: the
incoming gradient ``g`` times the local derivative.  How a node stores its operands,
and so how ``vjp`` is called, depends on the node's *shape*; each shape is a
subclass in ``micrograd.autograd.nodes`` (``Unary``, ``Binary``, ``ConstantPower``,
``Nary``, ``Linear``, ``Recorded``).  This module holds what they share: the
public node protocol (``operands``, ``symbol``, ``constants``, ``evaluate``,
``derivatives``), and the checks of operands and of a vjp's results.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from micrograd.autograd import grad_mode
from micrograd.autograd.value import Value, as_real, as_value, leaf

__all__ = ["OPERAND_LAYOUT", "Operation", "constant", "expect", "real_grad", "unsupported", "values", "wrong_count"]


def _one(node: Value) -> tuple[Value, ...]:
    return (node._a,)


# Where a node keeps its operands, by the arity of its operation: one operand in _a, two in
# _a and _b, any number as a tuple in _a (a shape may keep other things in the fields its
# operands leave free: ConstantPower its number in _b).  Every shape follows it, and
# reverse_topological reads the fields directly rather than calling a function per node (bench/README.md).
OPERAND_LAYOUT: dict[int | None, Callable[[Value], tuple[Value, ...]]] = {
    1: _one,
    2: operator.attrgetter("_a", "_b"),
    None: operator.attrgetter("_a"),
}

_OWN_ARITY: Any = object()  # Operation(...)'s default arity: 1, or the shape's own
_SHAPES: dict[Any, type[Operation]] = {}  # arity -> the shape Operation(..., arity) makes


class Operation:
    """A differentiable operation: its forward and its local derivative, side by side.

    ``forward`` computes on floats; ``vjp`` multiplies the incoming gradient ``g``
    by the local derivative.  Write ``vjp`` with arithmetic operators and with
    operations (such as :func:`exp` or other ``Operation`` objects) rather than
    ``math`` functions: it is then called with floats by ``backward()`` and with
    Values by ``grad(..., create_graph=True)``, which gives derivatives of any order.

    * ``arity=1``: ``forward(x)``, ``vjp(g, x, out) -> gx``
    * ``arity=2``: ``forward(a, b)``, ``vjp(g, a, b, out) -> (ga, gb)``
    * ``arity=None`` (any number): ``forward(xs)``, ``vjp(g, xs, out) -> [gx, ...]``

    ``Operation(...)`` makes the shape class of that arity (``Unary``, ``Binary``,
    ``Nary``).  Calling an operation on Values records a node; on plain numbers it
    returns a float.  ``backward()`` checks that ``vjp`` returns real numbers
    (``check=False`` skips that, for a vjp known to return floats on floats).

    >>> import math
    >>> from micrograd.autograd import sigmoid
    >>> softplus = Operation('softplus', lambda x: math.log1p(math.exp(x)),
    ...                      lambda g, x, out: g * sigmoid(x))
    >>> x = Value(0.0)
    >>> y = softplus(x)
    >>> y.backward()
    >>> round(y.data, 4), x.grad
    (0.6931, 0.5)
    """

    __slots__ = ("check", "forward", "name", "vjp")
    arity: ClassVar[int | None] = 1
    # node -> its operands as a tuple, by the arity (OPERAND_LAYOUT): set for each shape, not overridable
    operands_of: ClassVar[Any]

    def __init_subclass__(cls, makes_arity: Any = _OWN_ARITY, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "operands_of" in vars(cls) or "operands" in vars(cls):
            raise TypeError(
                f"{cls.__name__}: a shape keeps its operands where its arity says (OPERAND_LAYOUT), "
                "which backward()'s topological sort reads directly; it cannot define operands_of or operands"
            )
        if cls.arity not in OPERAND_LAYOUT:
            raise TypeError(f"{cls.__name__}: arity must be 1, 2 or None, got {cls.arity!r}")
        cls.operands_of = staticmethod(OPERAND_LAYOUT[cls.arity])
        if makes_arity is not _OWN_ARITY:
            _SHAPES[makes_arity] = cls  # Operation(..., arity=makes_arity) makes this shape

    def __new__(cls, name: str, forward: Callable[..., Any], vjp: Any, arity: Any = _OWN_ARITY, **kw: Any) -> Any:
        if cls is Operation:
            if arity is _OWN_ARITY:
                arity = 1
            if arity not in _SHAPES:
                raise ValueError(f"Operation {name!r}: arity must be 1, 2 or None, got {arity!r}")
            cls = _SHAPES[arity]
        return object.__new__(cls)

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        vjp: Any,
        arity: Any = _OWN_ARITY,
        *,
        check: bool = True,
    ) -> None:
        if arity is not _OWN_ARITY and arity != self.arity:
            raise ValueError(f"{type(self).__name__} {name!r}: arity is {self.arity!r}, got {arity!r}")
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.check = check

    def __repr__(self) -> str:
        return f"Operation({self.name!r}, arity={self.arity})"

    # -- a node made by this operation (overridden by each shape) -------------------------

    def operands(self, node: Value) -> tuple[Value, ...]:
        """``node``'s operands, in order."""
        return self.operands_of(node)

    def symbol(self, node: Value) -> str:
        """How pictures and explanations name the operation of ``node``."""
        return self.name

    def constants(self, node: Value) -> tuple[Any, ...]:
        """The numbers ``node`` keeps besides its operands."""
        return ()

    def __call__(self, *args: Any) -> Any:  # pragma: no cover - every shape has its own
        """On Values: record a node; on numbers: the float result."""
        raise NotImplementedError

    def step(self, node: Value) -> None:  # pragma: no cover - every shape has its own
        """Backpropagation's local step on floats: add ``node.grad`` times each local derivative to its operands."""
        raise NotImplementedError

    def vjp_at(self, g: Any, data: Sequence[Any], out: Any, constants: tuple[Any, ...] = ()) -> Sequence[Any]:
        """The vjp at operand values ``data`` (floats or Values), as a sequence aligned with the operands."""
        return (self.vjp(g, data[0], out),)

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        """The checked forward at operand values ``data`` (raises the operation's domain errors)."""
        return float(self.forward(data[0]))

    def derivatives(self, data: Sequence[float], out: float, constants: tuple[Any, ...] = ()) -> tuple[float, ...]:
        """The local partial derivatives d out / d operand_i at ``data``, aligned with the operands.

        ``out`` is the value of the operation at ``data``.  The chain rule is then
        ``operand_i.grad += out.grad * derivatives[i]``.
        """
        with grad_mode.no_grad():
            grads = self.vjp_at(1.0, data, out, constants)
        if len(grads) != len(data):
            raise wrong_count(self, grads, data)
        return tuple(real_grad(d, self) for d in grads)

    def assigned_step(self, node: Value) -> Callable[[], None] | None:
        """The ``_backward`` a user assigned to ``node`` (only a micrograd-style node takes one)."""
        return None

    def assign_step(self, node: Value, closure: Callable[[], None]) -> None:
        """``node._backward = closure``: refused, the local step of ``node`` is this operation's."""
        raise TypeError(
            f"_backward: the local step of a value made by {self.symbol(node)!r} is its operation's, which "
            "backward() runs; for a step of your own make the value micrograd style, "
            "Value(data, _children, _op), or define a micrograd.Operation"
        )

    def contributions(self, node: Value, g: Any, value: Callable[[Value], Any]) -> Sequence[Any]:
        """``node``'s contributions to its operands' gradients; ``value`` maps a Value to its float, or itself."""
        operands = self.operands(node)
        grads = self.vjp_at(g, [value(a) for a in operands], value(node), self.constants(node))
        if len(grads) != len(operands):
            raise wrong_count(self, grads, operands)
        return grads

    def _attach(self, name: str, method: Callable[..., Any]) -> None:
        method.__name__ = name
        method.__qualname__ = f"Value.{name}"  # so pickle finds Value.relu by name (a Neuron keeps it)
        setattr(Value, name, method)


# -- operands and results ----------------------------------------------------------------


def values(operands: Iterable[Any], where: str) -> tuple[Value, ...]:
    """Each operand as a Value (a number becomes a constant leaf), or a TypeError naming ``where``."""
    found = []
    for x in operands:
        v = as_value(x)
        if v is None:
            raise TypeError(f"{where}: operand must be a real number or Value, got {type(x).__name__}")
        found.append(v)
    return tuple(found)


def constant(x: object, rule: Operation) -> Value | None:
    """A number as a constant leaf (None for anything else), for ``rule``'s error messages."""
    try:
        return leaf(float(x)) if type(x) is float or type(x) is int else as_value(x)  # type: ignore[arg-type]
    except OverflowError:
        raise OverflowError(f"{rule.name}: the operand {x!r:.60} is too large for a float") from None


def unsupported(rule: Operation, left: object, right: object) -> Any:
    """NotImplemented, so another type can handle the operation, except for sequences:
    for those Python would fall back to repetition or concatenation and blame the Value."""
    other = right if isinstance(left, Value) else left
    if isinstance(other, (str, bytes, bytearray, list, tuple)):
        raise TypeError(
            f"unsupported operand type(s) for {rule.name}: '{type(left).__name__}' and '{type(right).__name__}'"
        )
    return NotImplemented


def expect(rule: Operation, args: tuple[Any, ...], count: int) -> None:
    if len(args) != count:
        raise TypeError(f"{rule.name}: expects {count} operand(s), got {len(args)}")


def real_grad(x: Any, rule: Operation) -> float:
    """A gradient a user's vjp returned, as a float, or a TypeError naming the operation."""
    if type(x) is float:
        return x  # type: ignore[no-any-return]
    number = as_real(x)  # numpy scalars and other real numbers become floats
    if number is None:
        raise TypeError(f"{rule.name}: the vjp returned {type(x).__name__} {x!r:.60}, expected a real number")
    return number


def wrong_count(rule: Operation, grads: Sequence[Any], operands: Sequence[Any]) -> ValueError:
    """The error for a vjp that returned a different number of gradients than there are operands."""
    return ValueError(f"{rule.name}: the vjp returned {len(grads)} gradients for {len(operands)} operands")
