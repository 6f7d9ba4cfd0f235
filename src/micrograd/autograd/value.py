"""The ``Value``: a scalar in a computation graph, and the numbers it accepts.

A Value holds ``data``, ``grad`` and how it was made: its ``operation`` (None for
a leaf), whose shape stores the operands in the node (see ``micrograd.autograd.operation``).
The arithmetic operators and methods (``a * b``, ``a.tanh()``) are attached to the
class by each operation of the rule table (``micrograd.autograd.rules``), next to its row.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Union

from micrograd.autograd import grad_mode
from micrograd.autograd.display import value_html
from micrograd.autograd.reverse import backpropagate, reverse_topological

if TYPE_CHECKING:
    from micrograd.autograd.operation import Operation

__all__ = ["Scalar", "Value", "as_real", "as_value", "data_of", "leaf", "real"]

Scalar = Union["Value", int, float]
anyone_guards = False  # kept equal to grad_mode.anyone_guards: whether some thread traces (see __lt__)
grad_mode.share_flag(globals(), "anyone_guards")


class Value:
    """A scalar in a computation graph: its ``data``, its ``grad`` and how it was made.

    >>> a = Value(2.0, label='a')
    >>> b = Value(-3.0, label='b')
    >>> e = a * b
    >>> e.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """

    # Fields a value does not need stay unset (a leaf has no _a, _b; a one-operand
    # result no _b; an unlabelled value no _label): fewer stores, and fewer
    # references for the garbage collector to visit, which is much of a graph's cost.
    # Keep it at six fields: a seventh makes every Value a size class larger, and
    # graphs slower to build and backpropagate (bench/README.md).
    __slots__ = ("_a", "_b", "_label", "data", "grad", "operation")

    data: float  # the number this value holds
    grad: float  # d(output)/d(this value), filled in by backward()
    operation: Operation | None  # the operation that made this value; None for a leaf
    # The operands, where OPERAND_LAYOUT (micrograd.autograd.operation) says, by the arity of
    # `operation`: one operand in _a; two in _a and _b; any number as a tuple in _a.  Short,
    # fixed names because the hot loops (reverse_topological, each shape's step) read them
    # directly; read them through `operands` anywhere else.
    _a: Any  # the first operand, or the tuple of all operands (unset on a leaf)
    _b: Any  # the second operand; or ConstantPower's exponent; or a _backward a user assigned (unset otherwise)
    _label: str  # the name pictures show (unset: no name)
    # the operation of a node made micrograd style, by its symbol (set by micrograd.autograd.operation)
    _recorded: ClassVar[Callable[[str], Operation]]

    def __init__(
        self,
        data: float,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data = data if type(data) is float else real(data, "Value")
        self.grad = 0.0
        if label:
            self.label = label
        if not _children:
            self.operation = None
        else:
            # micrograd's way to add an operation: Value(data, _children, _op), then set
            # out._backward to a closure that adds to the children's grads; backward()
            # calls it (without it, no gradient flows back, as in micrograd).  grad() and
            # explain() need a vjp: for those, define an Operation instead.
            children = tuple(_children)
            for child in children:
                if not isinstance(child, Value):
                    raise TypeError(f"Value: _children must be Values, got {type(child).__name__}")
            self._a = children
            self.operation = Value._recorded(_op)

    # -- how it was made: the public node protocol, and micrograd's names ---------------

    @property
    def operands(self) -> tuple[Value, ...]:
        """The operands this value was computed from, in order (``a*a`` has two); ``()`` for a leaf."""
        operation = self.operation
        return () if operation is None else operation.operands(self)

    _prev = operands  # micrograd's name

    @property
    def op(self) -> str:
        """The display symbol of the operation (``'*'``, ``'**2'`` for a constant power; ``''`` for a leaf)."""
        operation = self.operation
        return "" if operation is None else operation.symbol(self)

    _op = op  # micrograd's name
    _operator = op  # the name in this package's first versions

    @property
    def constants(self) -> tuple[Any, ...]:
        """The numbers the node keeps besides its operands: ``(k,)`` for ``x ** k`` with a number k, else ``()``."""
        operation = self.operation
        return () if operation is None else operation.constants(self)

    @property
    def is_leaf(self) -> bool:
        """True for a value that was not computed from other values."""
        return self.operation is None

    @property
    def label(self) -> str:
        """A name for pictures and explanations ('' if none was given)."""
        return getattr(self, "_label", "")

    @label.setter
    def label(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"label must be a str, got {type(name).__name__}")
        self._label = name

    @property
    def gradient(self) -> float:
        """``grad`` by the name of this package's first versions."""
        return self.grad

    @gradient.setter
    def gradient(self, value: float) -> None:
        self.grad = value

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: name, data, grad and operation, in one line."""
        return value_html(self)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def item(self) -> float:
        """The plain float, as PyTorch's ``Tensor.item()``."""
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from the graph."""
        return leaf(self.data)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and deepcopy a leaf (data, grad, label); a computed value refuses, as in PyTorch."""
        if self.operation is not None:
            raise TypeError(
                f"cannot pickle or copy a computed Value (made by {self.op!r}): only leaves can be, "
                "as in PyTorch; copy value.detach(), or the leaves, and compute again"
            )
        state: dict[str, Any] = {"grad": self.grad}
        if self.label:
            state["_label"] = self.label
        return (self.__class__, (self.data,), (None, state))

    # comparisons look at data (so max() and sorted() work); == stays identity,
    # as in micrograd, so a Value can be a dict key or a set member.  While a thread
    # traces (micrograd.compile), its data guard may refuse them (grad_mode.check_data).
    def __lt__(self, other: Scalar) -> bool:
        if anyone_guards:
            grad_mode.check_data("a comparison (<)")
        return self.data < data_of(other, "<")

    def __le__(self, other: Scalar) -> bool:
        if anyone_guards:
            grad_mode.check_data("a comparison (<=)")
        return self.data <= data_of(other, "<=")

    def __gt__(self, other: Scalar) -> bool:
        if anyone_guards:
            grad_mode.check_data("a comparison (>)")
        return self.data > data_of(other, ">")

    def __ge__(self, other: Scalar) -> bool:
        if anyone_guards:
            grad_mode.check_data("a comparison (>=)")
        return self.data >= data_of(other, ">=")

    def __bool__(self) -> bool:
        """Always true, as in micrograd (a Value is an object, not its number), except where a data guard refuses."""
        if anyone_guards:
            grad_mode.check_data("a truth test (if, and, or, not)")
        return True

    __hash__ = object.__hash__

    def __pos__(self) -> Value:
        return self

    # -- backpropagation ------------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Fill in ``grad`` of every value this one depends on (reverse mode).

        As in PyTorch, gradients of leaves *accumulate* over calls (call
        ``zero_grad`` between steps), while gradients of intermediate values are
        recomputed from zero on every call.
        """
        backpropagate(self._start_backward(real(gradient, "backward")))

    def backward_steps(self, gradient: float = 1.0) -> Iterator[Value]:
        """Backpropagate one node at a time, yielding each node after its local step.

        When a node is yielded its own gradient is final and has just been passed
        on to its operands (``node.operands``), so a learner can watch the gradients
        fill in.  Exhausting the iterator gives the same result as ``backward()``.
        """
        return self._steps(real(gradient, "backward_steps"))

    def _steps(self, seed: float) -> Iterator[Value]:
        for node in self._start_backward(seed):
            node.operation.step(node)  # type: ignore[union-attr]
            yield node

    def _start_backward(self, seed: float) -> list[Value]:
        """Seed this value's gradient; return the values to backpropagate through, in order."""
        if self.operation is None:
            self.grad += seed  # a leaf: its gradient accumulates like any other leaf's
            return []
        order = reverse_topological(self)
        for node in order:
            node.grad = 0.0  # intermediate gradients are recomputed, never accumulated
        self.grad = seed
        return order

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's local step of backpropagation, as in micrograd and the lecture.

        Calling it adds ``self.grad`` times each local derivative to the operands'
        grads (a leaf's does nothing).  Calling it on every node in reverse
        topological order, after setting the root's grad to 1, is ``backward()``:

        >>> a, b = Value(2.0), Value(-3.0)
        >>> c = a * b
        >>> c.grad = 1.0
        >>> c._backward()
        >>> a.grad, b.grad
        (-3.0, 2.0)

        A node made micrograd style (``Value(data, _children, _op)``) gets its step
        by assignment, ``out._backward = closure``, as in micrograd (a leaf may take
        one too).  A node an operation made has the operation's step, which
        ``backward()`` runs: assigning another is a TypeError rather than ignored.
        """
        operation = self.operation
        closure = getattr(self, "_b", None) if operation is None else operation.assigned_step(self)
        return self._local_step if closure is None else closure

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"_backward must be a function of no arguments, got {type(closure).__name__}")
        if self.operation is None:
            self._b = closure  # a leaf keeps no operand there
        else:
            self.operation.assign_step(self, closure)

    def _local_step(self) -> None:
        if self.operation is not None:
            self.operation.step(self)

    if TYPE_CHECKING:  # the methods the rule table attaches, for type checkers

        def __add__(self, other: Scalar) -> Value: ...
        def __radd__(self, other: Scalar) -> Value: ...
        def __sub__(self, other: Scalar) -> Value: ...
        def __rsub__(self, other: Scalar) -> Value: ...
        def __mul__(self, other: Scalar) -> Value: ...
        def __rmul__(self, other: Scalar) -> Value: ...
        def __truediv__(self, other: Scalar) -> Value: ...
        def __rtruediv__(self, other: Scalar) -> Value: ...
        def __pow__(self, other: Scalar) -> Value: ...
        def __rpow__(self, other: Scalar) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def abs(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...


# -- numbers: what an operation accepts besides Values ------------------------------------

_new = object.__new__


def leaf(data: float) -> Value:
    """A new leaf holding ``data`` (a float that is already checked)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.operation = None
    return out


def as_real(x: object) -> float | None:
    """``x`` as a float if it is a real number (int, float, Fraction, numpy scalar...), else None.

    The engine's idea of a number: what an operation accepts as a constant operand.
    """
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{x!r:.60} is too large for a float") from None
    return None


def real(x: object, where: str) -> float:
    """``x`` as a float, or a TypeError that names ``where`` and the type."""
    number = as_real(x)
    if number is None:
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__}: {x!r:.60}")
    return number


def data_of(x: object, where: str) -> float:
    """The float of a Value or a number (for comparisons and local derivatives)."""
    if isinstance(x, Value):
        return x.data
    return real(x, f"comparison {where}")


def as_value(x: object) -> Value | None:
    """``x`` if it is a Value, a constant leaf if it is a number, else None."""
    if isinstance(x, Value):
        return x
    number = as_real(x)
    return None if number is None else leaf(number)
