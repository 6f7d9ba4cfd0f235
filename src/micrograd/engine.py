"""The scalar autograd engine: ``Value``, its operations, ``backward`` and ``grad``.

Every operation is one row of the rule table below: a name, a forward function on
floats and its vector-Jacobian product (``vjp``), the local derivative multiplied by
the gradient ``g`` arriving from above.  The same ``vjp`` serves two purposes:

* ``Value.backward()`` calls it with plain floats, the fast path for training;
* ``grad(..., create_graph=True)`` calls it with ``Value`` objects, so the
  derivative is itself a graph that can be differentiated again.

A graph node holds its operands directly (``_a``, ``_b``) and a reference to its
operation, never a closure, so a graph has no reference cycles and is freed the
moment the last reference to its output goes away.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ContextDecorator
from typing import TYPE_CHECKING, Any, NamedTuple, Union

__all__ = [
    "ABS",
    "ADD",
    "DIV",
    "EXP",
    "LINEAR",
    "LOG",
    "MUL",
    "NEG",
    "POW",
    "POW_CONST",
    "RELU",
    "SIGMOID",
    "SUB",
    "TANH",
    "GraphOrder",
    "Operation",
    "Value",
    "as_real",
    "derivative",
    "enable_grad",
    "exp",
    "grad",
    "graph_order",
    "is_grad_enabled",
    "linear",
    "local_gradients",
    "log",
    "no_grad",
    "relu",
    "sigmoid",
    "tanh",
]

Scalar = Union["Value", int, float]

# Operation kinds: how a node stores its operands and how its vjp is called.
_UNARY = 1  # _a: operand;            vjp(g, x, out) -> gx
_BINARY = 2  # _a, _b: operands;      vjp(g, a, b, out) -> (ga, gb)
_PARAM = 3  # _a: operand, _b: number; vjp(g, x, out, k) -> gx   (x ** k)
_NARY = 4  # _a: tuple of operands;   vjp(g, xs, out) -> sequence of grads
_RECORDED = 5  # _a: tuple of operands; micrograd style: no vjp, an optional _backward closure

# Grad mode is per thread (see no_grad at the end).  Every operation reads it, so the
# common case costs one global read: _everyone_records is True while no thread has
# switched recording off, and only then is this thread's own mode looked up.
_everyone_records = True


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
    __slots__ = ("_a", "_b", "_closure", "_label", "_rule", "data", "grad")

    data: float
    grad: float
    _a: Any  # first operand, or the tuple of operands of an n-ary operation
    _b: Any  # second operand, or the constant exponent of x ** k
    _rule: Any  # the Operation that made this value; None for a leaf
    _label: str
    _closure: Callable[[], None]  # micrograd style: the _backward a user set (see __init__)

    def __init__(
        self,
        data: float,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self.data = data if type(data) is float else _real(data, "Value")
        self.grad = 0.0
        if label:
            self.label = label
        if not _children:
            self._rule = None
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
            self._rule = _recorded_operation(_op)

    # -- the seed's and micrograd's names -------------------------------------------

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
        """The seed's name for ``grad``."""
        return self.grad

    @gradient.setter
    def gradient(self, value: float) -> None:
        self.grad = value

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The operands this value was computed from, in order (``a*a`` has two)."""
        rule = self._rule
        if rule is None:
            return ()
        kind = rule._kind
        if kind == _BINARY:
            return (self._a, self._b)
        if kind >= _NARY:
            return self._a
        return (self._a,)

    @property
    def _op(self) -> str:
        """The symbol of the operation that made this value ('' for a leaf)."""
        rule = self._rule
        if rule is None:
            return ""
        if rule._kind == _PARAM:
            return f"{rule.name}{self._b}"
        return rule.name

    _operator = _op  # the seed's name

    @property
    def operands(self) -> tuple[Value, ...]:
        """The operands this value was computed from, in order (``a*a`` has two); ``()`` for a leaf."""
        return self._prev

    @property
    def operation(self) -> Operation | None:
        """The operation that made this value; None for a leaf."""
        return self._rule  # type: ignore[no-any-return]

    @property
    def op(self) -> str:
        """The display symbol of the operation (``'*'``, ``'**2'`` for a constant power; ``''`` for a leaf)."""
        return self._op

    @property
    def constants(self) -> tuple[Any, ...]:
        """The numbers the node keeps besides its operands: ``(k,)`` for ``x ** k`` with a number k, else ``()``."""
        rule = self._rule
        if rule is not None and rule._kind == _PARAM:
            return (self._b,)
        return ()

    @property
    def is_leaf(self) -> bool:
        """True for a value that was not computed from other values."""
        return self._rule is None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and deepcopy a leaf (data, grad, label); a computed value refuses, as in PyTorch."""
        if self._rule is not None:
            raise TypeError(
                f"cannot pickle or copy a computed Value (made by {self._op!r}): only leaves can be, "
                "as in PyTorch; copy value.detach(), or the leaves, and compute again"
            )
        state = {"grad": self.grad}
        if self.label:
            state["_label"] = self.label  # type: ignore[assignment]
        return (self.__class__, (self.data,), (None, state))

    def _repr_html_(self) -> str:
        """Jupyter's rich display: name, data, grad and operation, in one line."""
        from micrograd.visualize import value_html  # imported here: the engine needs no pictures

        return value_html(self)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def item(self) -> float:
        """The plain float, as PyTorch's ``Tensor.item()``."""
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from the graph."""
        return _leaf(self.data)

    # comparisons look at data (so max() and sorted() work); == stays identity,
    # as in micrograd, so a Value can be a dict key or a set member.
    def __lt__(self, other: Scalar) -> bool:
        return self.data < _data_of(other, "<")

    def __le__(self, other: Scalar) -> bool:
        return self.data <= _data_of(other, "<=")

    def __gt__(self, other: Scalar) -> bool:
        return self.data > _data_of(other, ">")

    def __ge__(self, other: Scalar) -> bool:
        return self.data >= _data_of(other, ">=")

    __hash__ = object.__hash__

    # -- backpropagation ------------------------------------------------------------

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
        by assignment, ``out._backward = closure``, as in micrograd.
        """
        closure = getattr(self, "_closure", None)
        return self._local_step if closure is None else closure

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"_backward must be a function of no arguments, got {type(closure).__name__}")
        self._closure = closure

    def _local_step(self) -> None:
        if self._rule is not None:
            _backpropagate((self,))

    def backward(self, gradient: float = 1.0) -> None:
        """Fill in ``grad`` of every value this one depends on (reverse mode).

        As in PyTorch, gradients of leaves *accumulate* over calls (call
        ``zero_grad`` between steps), while gradients of intermediate values are
        recomputed from zero on every call.
        """
        _backpropagate(self._start_backward(_real(gradient, "backward")))

    def backward_steps(self, gradient: float = 1.0) -> Iterator[Value]:
        """Backpropagate one node at a time, yielding each node after its local step.

        When a node is yielded its own gradient is final and has just been passed
        on to its operands (``node._prev``), so a learner can watch the gradients
        fill in.  Exhausting the iterator gives the same result as ``backward()``.
        """
        return self._steps(_real(gradient, "backward_steps"))

    def _steps(self, seed: float) -> Iterator[Value]:
        for node in self._start_backward(seed):
            _backpropagate((node,))
            yield node

    def _start_backward(self, seed: float) -> list[Value]:
        """Seed this value's gradient; return the values to backpropagate through, in order."""
        if self._rule is None:
            self.grad += seed  # a leaf: its gradient accumulates like any other leaf's
            return []
        order = _reverse_topological(self)
        for node in order:
            node.grad = 0.0  # intermediate gradients are recomputed, never accumulated
        self.grad = seed
        return order

    # The arithmetic operators and methods are made from the rule table at the end
    # of this module (see _binary_method and _unary_method).

    def __pow__(self, other: Scalar) -> Value:
        if isinstance(other, Value):
            return _apply2(POW, self, other)
        exponent = as_real(other)
        if exponent is None:
            return NotImplemented
        # A constant exponent is kept in the node: no gradient is computed for it.
        return _record(_power(self.data, exponent), self, other if type(other) is int else exponent, POW_CONST)

    def __rpow__(self, other: Scalar) -> Value:
        return _apply2(POW, other, self)

    def __pos__(self) -> Value:
        return self

    if TYPE_CHECKING:  # the methods made from the rule table, for type checkers

        def __add__(self, other: Scalar) -> Value: ...
        def __radd__(self, other: Scalar) -> Value: ...
        def __sub__(self, other: Scalar) -> Value: ...
        def __rsub__(self, other: Scalar) -> Value: ...
        def __mul__(self, other: Scalar) -> Value: ...
        def __rmul__(self, other: Scalar) -> Value: ...
        def __truediv__(self, other: Scalar) -> Value: ...
        def __rtruediv__(self, other: Scalar) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def abs(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...


_new = object.__new__
_data = operator.attrgetter("data")


def _leaf(data: float) -> Value:
    """A new leaf holding ``data`` (a float that is already checked)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._rule = None
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


def _real(x: object, where: str) -> float:
    """``x`` as a float, or a TypeError that names ``where`` and the type."""
    number = as_real(x)
    if number is None:
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__}: {x!r:.60}")
    return number


def _data_of(x: object, where: str) -> float:
    if isinstance(x, Value):
        return x.data
    return _real(x, f"comparison {where}")


def _as_value(x: object) -> Value | None:
    """``x`` if it is a Value, a constant leaf if it is a number, else None."""
    if isinstance(x, Value):
        return x
    number = as_real(x)
    return None if number is None else _leaf(number)


# -- applying an operation ---------------------------------------------------------------


def _values(operands: Iterable[Any], where: str) -> tuple[Value, ...]:
    """Each operand as a Value (a number becomes a constant leaf), or a TypeError naming ``where``."""
    values = []
    for x in operands:
        v = _as_value(x)
        if v is None:
            raise TypeError(f"{where}: operand must be a real number or Value, got {type(x).__name__}")
        values.append(v)
    return tuple(values)


def _record(data: float, a: Any, b: Any, rule: Operation) -> Value:
    """The result of ``rule`` on operands ``a`` (and ``b``): a graph node, or a leaf under no_grad."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    if _everyone_records or _mode.enabled:
        out._a = a
        if b is not None:
            out._b = b
        out._rule = rule
    else:
        out._rule = None
    return out


def _apply1(rule: Operation, x: Value) -> Value:
    return _record(rule.forward(x.data), x, None, rule)


def _apply2(rule: Operation, a: object, b: object) -> Value:
    """``rule`` on two operands, one of them a Value; NotImplemented for a non-number."""
    if not isinstance(a, Value):
        a = _as_value(a)
        if a is None:
            return NotImplemented
    if not isinstance(b, Value):
        b = _as_value(b)
        if b is None:
            return NotImplemented
    return _record(rule.forward(a.data, b.data), a, b, rule)  # type: ignore[union-attr]


def _applyn(rule: Operation, operands: tuple[Value, ...]) -> Value:
    return _record(rule.forward(list(map(_data, operands))), operands, None, rule)


# The hottest code of the library: the methods behind ``a * b`` and ``a.tanh()``.  They
# do what _apply2 and _apply1 do, inlined, which halves the cost of an operation.


def _binary_method(rule: Operation, reflected: bool = False) -> Callable[[Value, Any], Value]:
    forward = rule.forward

    def method(self: Value, other: Any) -> Value:
        if other.__class__ is not Value and not isinstance(other, Value):
            operand = other
            other = _leaf(other) if type(other) is float else _constant(other, rule)
            if other is None:
                return _unsupported(rule, self, operand)
        out = _new(Value)
        out.data = forward(self.data, other.data)
        out.grad = 0.0
        if _everyone_records or _mode.enabled:
            out._a = self
            out._b = other
            out._rule = rule
        else:
            out._rule = None
        return out

    def reflected_method(self: Value, other: Any) -> Value:
        # number + self (Python calls this only when the left operand is not a Value)
        operand = other
        other = _leaf(other) if type(other) is float else _constant(other, rule)
        if other is None:
            return _unsupported(rule, operand, self)
        return _record(forward(other.data, self.data), other, self, rule)

    return reflected_method if reflected else method


def _constant(x: object, rule: Operation) -> Value | None:
    """A number as a constant leaf (None for anything else), for ``rule``'s error messages."""
    try:
        return _leaf(float(x)) if type(x) is float or type(x) is int else _as_value(x)  # type: ignore[arg-type]
    except OverflowError:
        raise OverflowError(f"{rule.name}: the operand {x!r:.60} is too large for a float") from None


def _unsupported(rule: Operation, left: object, right: object) -> Any:
    """NotImplemented, so another type can handle the operation, except for sequences:
    for those Python would fall back to repetition or concatenation and blame the Value."""
    other = right if isinstance(left, Value) else left
    if isinstance(other, (str, bytes, bytearray, list, tuple)):
        raise TypeError(
            f"unsupported operand type(s) for {rule.name}: '{type(left).__name__}' and '{type(right).__name__}'"
        )
    return NotImplemented


def _unary_method(rule: Operation) -> Callable[[Value], Value]:
    forward = rule.forward

    def method(self: Value) -> Value:
        out = _new(Value)
        out.data = forward(self.data)
        out.grad = 0.0
        if _everyone_records or _mode.enabled:
            out._a = self
            out._rule = rule
        else:
            out._rule = None
        return out

    return method


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

    Calling an operation on Values records a node; on plain numbers it returns a float.

    >>> import math
    >>> softplus = Operation('softplus', lambda x: math.log1p(math.exp(x)),
    ...                      lambda g, x, out: g * sigmoid(x))
    >>> x = Value(0.0)
    >>> y = softplus(x)
    >>> y.backward()
    >>> round(y.data, 4), x.grad
    (0.6931, 0.5)
    """

    __slots__ = ("_check", "_kind", "arity", "forward", "name", "vjp")

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        vjp: Callable[..., Any],
        arity: int | None = 1,
    ) -> None:
        if arity not in (1, 2, None):
            raise ValueError(f"Operation {name!r}: arity must be 1, 2 or None, got {arity!r}")
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.arity = arity
        self._kind = {1: _UNARY, 2: _BINARY, None: _NARY}[arity]
        self._check = True  # a user's vjp: backward checks that it returns real numbers

    def __repr__(self) -> str:
        return f"Operation({self.name!r}, arity={self.arity})"

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        """The checked forward at operand values ``data`` (and the node's ``constants``).

        Raises the operation's domain errors (log of a negative number, ...).
        """
        kind = self._kind
        if kind == _BINARY:
            return float(self.forward(data[0], data[1]))
        if kind == _UNARY:
            return float(self.forward(data[0]))
        if kind == _PARAM:
            return float(self.forward(data[0], *constants))
        return float(self.forward(list(data)))

    def derivatives(self, data: Sequence[float], out: float, constants: tuple[Any, ...] = ()) -> tuple[float, ...]:
        """The local partial derivatives d out / d operand_i at ``data``, aligned with the operands.

        ``out`` is the value of the operation at ``data``.  The chain rule is then
        ``operand_i.grad += out.grad * derivatives[i]``.
        """
        kind = self._kind
        with no_grad():
            if kind == _BINARY:
                grads: Sequence[Any] = self.vjp(1.0, data[0], data[1], out)
            elif kind == _UNARY:
                grads = (self.vjp(1.0, data[0], out),)
            elif kind == _PARAM:
                grads = (self.vjp(1.0, data[0], out, *constants),)
            elif kind == _RECORDED:
                raise _no_local_derivative(self)
            else:
                grads = self.vjp(1.0, list(data), out)
                if len(grads) != len(data):
                    raise ValueError(f"{self.name}: the vjp returned {len(grads)} gradients for {len(data)} operands")
        return tuple(_real_grad(d, self) for d in grads)

    def __call__(self, *args: Any) -> Any:
        kind = self._kind
        if kind == _NARY:
            if len(args) != 1:
                raise TypeError(f"{self.name}: expects one sequence of operands")
            operands = tuple(args[0])
            if any(isinstance(x, Value) for x in operands):
                return _applyn(self, _values(operands, self.name))
            return self.forward([_real(x, self.name) for x in operands])
        expected = 1 if kind == _UNARY else 2
        if len(args) != expected:
            raise TypeError(f"{self.name}: expects {expected} operand(s), got {len(args)}")
        if not any(isinstance(x, Value) for x in args):
            return self.forward(*(_real(x, self.name) for x in args))
        if kind == _UNARY:
            return _apply1(self, args[0])
        return _apply2(self, *_values(args, self.name))


# -- forward functions: checked, so bad input raises instead of returning nonsense -------


def _divide(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"division: cannot divide {a!r} by zero")
    return a / b


def _power(base: float, exponent: float) -> float:
    if base == 0 and exponent < 0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {exponent!r}")
    if base < 0 and not float(exponent).is_integer():
        raise ValueError(f"pow: negative base {base!r} with non-integer exponent {exponent!r} has no real result")
    try:
        return float(base**exponent)
    except OverflowError:
        raise OverflowError(f"pow: {base!r} ** {exponent!r} is too large for a float") from None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({x!r}) is too large for a float (the limit is x < 709.78)") from None


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log: operand must be positive, got {x!r}")
    return math.log(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # x < 0: never overflows
    return z / (1.0 + z)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan stays nan, as in PyTorch


def _pow_vjp(g: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
    """d(a**b)/da = b * a**(b-1);  d(a**b)/db = a**b * log(a), as PyTorch at the edges:
    0 where a == 0 and b >= 0 (0**b does not change with b), nan for a negative base."""
    base = _data_of(a, "**")
    if base < 0:
        gb = g * math.nan  # a**b is real only at integer b: no derivative in b, as in PyTorch
    elif base == 0:
        gb = 0.0 if _data_of(b, "**") >= 0 else g * math.nan
    else:
        gb = g * out * log(a)
    return _base_derivative(g, a, b), gb


def _base_derivative(g: Any, base: Any, exponent: Any) -> Any:
    """g * d(base**exponent)/d(base) = g * exponent * base**(exponent - 1).

    On floats, as PyTorch: inf where that power is infinite (x**0.5 at 0), never an
    overflow error.  A graph of the derivative (``create_graph``) cannot hold an
    infinite step, so there it is an error.
    """
    k = _data_of(exponent, "**")
    if k == 0 and not isinstance(exponent, Value):
        return 0.0  # base**0 is constant (a Value exponent still varies, so its derivatives don't vanish)
    if not isinstance(base, Value) and not isinstance(exponent, Value) and not isinstance(g, Value):
        return g * exponent * _float_power(base, exponent - 1)
    if k < 1 and _data_of(base, "**") == 0:
        kind = "infinite" if k > 0 else "undefined"
        raise ZeroDivisionError(
            f"pow: the derivative of x**{k!r} with respect to x at x = 0 is {kind}: it cannot be part of a graph"
        )
    return g * exponent * base ** (exponent - 1)


def _float_power(x: float, y: float) -> float:
    """``x ** y`` as IEEE floats (and PyTorch) give it: inf where it overflows or divides
    by zero, nan where it is not real; never an exception."""
    try:
        return math.pow(x, y)
    except OverflowError:
        pass
    except ValueError:
        if x != 0:
            return math.nan  # a negative base to a fractional power
    odd = y % 2 == 1
    return math.copysign(math.inf, x) if odd else math.inf


def _undefined_forward(*args: Any) -> float:
    raise TypeError("this operation was recorded with Value(data, _children, _op) and cannot be recomputed")


@functools.cache
def _recorded_operation(symbol: str) -> Operation:
    """The operation of nodes made micrograd style: a name for display, and no rule."""
    rule = Operation(symbol, _undefined_forward, _undefined_forward, arity=None)
    rule._kind = _RECORDED
    return rule


def _linear_forward(xs: Sequence[float]) -> float:
    n = len(xs) // 2
    return sum(map(operator.mul, xs[:n], xs[n : 2 * n])) + xs[-1]


def _linear_vjp(g: Any, xs: Sequence[Any], out: Any) -> list[Any]:
    n = len(xs) // 2
    return [g * w for w in xs[n : 2 * n]] + [g * x for x in xs[:n]] + [g]


# -- the rule table: one row per operation, forward and local derivative together -------

ADD = Operation("+", operator.add, lambda g, a, b, out: (g, g), arity=2)
SUB = Operation("-", operator.sub, lambda g, a, b, out: (g, -g), arity=2)
MUL = Operation("*", operator.mul, lambda g, a, b, out: (g * b, g * a), arity=2)
DIV = Operation("/", _divide, lambda g, a, b, out: (g / b, -g * out / b), arity=2)
POW = Operation("**", _power, _pow_vjp, arity=2)
POW_CONST = Operation("**", _power, lambda g, x, out, k: _base_derivative(g, x, k))
NEG = Operation("neg", operator.neg, lambda g, x, out: -g)
ABS = Operation("abs", abs, lambda g, x, out: g * (1.0 if x > 0 else (-1.0 if x < 0 else 0.0)))
EXP = Operation("exp", _exp, lambda g, x, out: g * out)
LOG = Operation("log", _log, lambda g, x, out: g / x)
TANH = Operation("tanh", math.tanh, lambda g, x, out: g * (1 - out * out))
SIGMOID = Operation("sigmoid", _sigmoid, lambda g, x, out: g * out * (1 - out))
RELU = Operation("ReLU", _relu, lambda g, x, out: 0.0 if x <= 0 else g)  # a mask, as PyTorch's
LINEAR = Operation("linear", _linear_forward, _linear_vjp, arity=None)
POW_CONST._kind = _PARAM  # the exponent is a number kept in the node, not an operand
for _rule in (ADD, SUB, MUL, DIV, POW, POW_CONST, NEG, ABS, EXP, LOG, TANH, SIGMOID, RELU, LINEAR):
    _rule._check = False  # the rule table's vjps return floats on floats

for _name, _rule in (("add", ADD), ("sub", SUB), ("mul", MUL), ("truediv", DIV)):
    setattr(Value, f"__{_name}__", _binary_method(_rule))
    setattr(Value, f"__r{_name}__", _binary_method(_rule, reflected=True))
for _name, _rule in (
    ("__neg__", NEG),
    ("__abs__", ABS),
    ("abs", ABS),
    ("exp", EXP),
    ("log", LOG),
    ("tanh", TANH),
    ("sigmoid", SIGMOID),
    ("relu", RELU),
):
    setattr(Value, _name, _unary_method(_rule))
for _name in ("add", "sub", "mul", "truediv", "radd", "rsub", "rmul", "rtruediv", "neg", "abs"):
    _method = getattr(Value, f"__{_name}__")
    _method.__name__ = f"__{_name}__"
for _name in ("abs", "exp", "log", "tanh", "sigmoid", "relu"):
    getattr(Value, _name).__name__ = _name
for _name, _method in vars(Value).items():
    if callable(_method) and getattr(_method, "__qualname__", "").startswith("_"):
        _method.__qualname__ = f"Value.{_name}"  # so pickle finds Value.relu by name (a Neuron keeps it)
del _name, _rule, _method

# The operations as functions: on Values they record a node, on numbers they compute.
exp = EXP
log = LOG
tanh = TANH
sigmoid = SIGMOID
relu = RELU


def linear(inputs: Sequence[Scalar], weights: Sequence[Scalar], bias: Scalar = 0.0) -> Value:
    """``sum(w * x for w, x in zip(weights, inputs)) + bias`` as one node.

    One node instead of ``2n`` keeps a neuron's graph small and its backward fast;
    the gradients are the same as for the expanded sum.
    """
    n = len(inputs)
    if len(weights) != n:
        raise ValueError(f"linear: {n} inputs but {len(weights)} weights")
    operands: tuple[Any, ...] = (*inputs, *weights, bias)
    if set(map(type, operands)) != _JUST_VALUES:  # the usual case (all Values) checked in one pass in C
        operands = _values(operands, "linear")
    return _applyn(LINEAR, operands)


_JUST_VALUES = {Value}


# -- reverse mode ----------------------------------------------------------------------


class GraphOrder(NamedTuple):
    """The values some roots depend on, in order, and how often each is used."""

    nodes: list[Value]  # every value (leaves included), each after all its operands
    consumers: dict[Value, int]  # how many times each value is an operand in the graph (a*a: twice)


def graph_order(*roots: Value) -> GraphOrder:
    """Every value the ``roots`` depend on (the roots included), each after all its operands.

    A depth-first search that visits operands in order (deterministic) without
    recursion, so any depth works.  ``backward()`` runs through the same order,
    reversed (leaves have nothing to pass on, so it skips them).

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b
    >>> order = graph_order(c)
    >>> order.nodes == [a, b, c], order.consumers[a], order.consumers[c]
    (True, 1, 0)
    """
    nodes: list[Value] = []
    consumers: dict[Value, int] = {}
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"graph_order: roots must be Values, got {type(root).__name__}")
        if root in consumers:
            continue
        consumers[root] = 0
        stack: list[tuple[Value, tuple[Value, ...], int]] = [(root, root._prev, 0)]
        while stack:
            node, operands, next_operand = stack[-1]
            if next_operand < len(operands):
                stack[-1] = (node, operands, next_operand + 1)
                operand = operands[next_operand]
                if operand in consumers:
                    consumers[operand] += 1
                else:
                    consumers[operand] = 1
                    stack.append((operand, operand._prev, 0))
            else:
                stack.pop()
                nodes.append(node)
    return GraphOrder(nodes, consumers)


def _reverse_topological(root: Value) -> list[Value]:
    """The non-leaf values ``root`` depends on, each before every value it uses.

    The order of :func:`graph_order` reversed, without its leaves: the same
    depth-first search (operands visited in order), made lean for ``backward``.
    A ``None`` on the stack marks that the node beneath it has all its operands
    ordered; operands are pushed last to first, so the first is visited first.
    """
    post: list[Value] = []
    finish = post.append
    expanded: set[Value] = set()
    expand = expanded.add
    stack: list[Any] = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        if node is None:
            finish(pop())
            continue
        if node in expanded:
            continue
        expand(node)
        kind = node._rule._kind
        if kind == _BINARY:
            a = node._a
            b = node._b
            if a._rule is None and b._rule is None:
                finish(node)  # operands are leaves: nothing to order first
                continue
            push(node)
            push(None)
            if b._rule is not None:
                push(b)
            if a._rule is not None:
                push(a)
        elif kind >= _NARY:
            push(node)
            push(None)
            for a in reversed(node._a):
                if a._rule is not None:
                    push(a)
        else:
            a = node._a
            if a._rule is None:
                finish(node)
                continue
            push(node)
            push(None)
            push(a)
    post.reverse()
    return post


def _backpropagate(order: Iterable[Value]) -> None:
    """Pass each node's ``grad`` on to its operands, in the given (reverse topological) order."""
    for node in order:
        rule = node._rule
        g = node.grad
        kind = rule._kind
        if kind == _BINARY:
            a = node._a
            b = node._b
            ga, gb = rule.vjp(g, a.data, b.data, node.data)
            if rule._check:
                ga, gb = _real_grad(ga, rule), _real_grad(gb, rule)
            a.grad += ga
            b.grad += gb
        elif kind == _UNARY:
            a = node._a
            ga = rule.vjp(g, a.data, node.data)
            a.grad += _real_grad(ga, rule) if rule._check else ga
        elif kind == _PARAM:
            a = node._a
            a.grad += rule.vjp(g, a.data, node.data, node._b)
        elif kind == _NARY:
            operands = node._a
            grads = rule.vjp(g, list(map(_data, operands)), node.data)
            if len(grads) != len(operands):
                raise _wrong_count(rule, grads, operands)
            for a, ga in zip(operands, grads):  # noqa: B905 - lengths checked above
                a.grad += _real_grad(ga, rule) if rule._check else ga
        else:
            backward = getattr(node, "_closure", None)  # micrograd style, see Value.__init__
            if backward is not None:
                backward()


def _real_grad(x: Any, rule: Operation) -> float:
    """A gradient a user's vjp returned, as a float, or a TypeError naming the operation."""
    if type(x) is float:
        return x  # type: ignore[no-any-return]
    number = as_real(x)  # numpy scalars and other real numbers become floats
    if number is None:
        raise TypeError(f"{rule.name}: the vjp returned {type(x).__name__} {x!r:.60}, expected a real number")
    return number


def _node_vjp(node: Value, g: Any, value: Callable[[Value], Any]) -> Sequence[Any]:
    """The contributions of ``node`` to its operands' gradients, aligned with ``node._prev``.

    ``value`` maps a Value to what the rule computes with: its float, or itself.
    """
    rule = node._rule
    assert rule is not None
    kind = rule._kind
    if kind == _BINARY:
        return rule.vjp(g, value(node._a), value(node._b), value(node))  # type: ignore[no-any-return]
    if kind == _UNARY:
        return (rule.vjp(g, value(node._a), value(node)),)
    if kind == _PARAM:
        return (rule.vjp(g, value(node._a), value(node), node._b),)
    if kind == _RECORDED:
        raise _no_local_derivative(rule)
    operands = node._a
    grads = rule.vjp(g, [value(a) for a in operands], value(node))
    if len(grads) != len(operands):
        raise _wrong_count(rule, grads, operands)
    return grads  # type: ignore[no-any-return]


def _no_local_derivative(rule: Operation) -> TypeError:
    return TypeError(
        f"the operation {rule.name!r} was made micrograd style, with Value(data, _children, _op) and "
        "_backward: grad() and explain() need its local derivative; define it with micrograd.Operation"
    )


def _wrong_count(rule: Operation, grads: Sequence[Any], operands: Sequence[Value]) -> ValueError:
    return ValueError(f"{rule.name}: the vjp returned {len(grads)} gradients for {len(operands)} operands")


def local_gradients(node: Value) -> tuple[float, ...]:
    """The partial derivatives of ``node`` with respect to each operand (``node._prev``).

    >>> a, b = Value(2.0), Value(-3.0)
    >>> local_gradients(a * b)
    (-3.0, 2.0)
    """
    rule = node._rule
    if rule is None:
        return ()
    return rule.derivatives([v.data for v in node._prev], node.data, node.constants)  # type: ignore[no-any-return]


def grad(
    output: Value,
    inputs: Value | Sequence[Value],
    create_graph: bool = False,
) -> Any:
    """The derivatives of ``output`` with respect to ``inputs``, as Values.

    Unlike ``backward()`` this leaves every ``.grad`` untouched.  A single Value in
    gives a single Value out; a sequence gives a tuple.  An input that ``output``
    does not depend on gets a derivative of zero.  With ``create_graph=True`` the
    derivatives are graphs themselves, so they can be differentiated again:

    >>> x = Value(2.0)
    >>> y = x ** 3
    >>> dy = grad(y, x, create_graph=True)
    >>> d2y = grad(dy, x, create_graph=True)
    >>> d3y = grad(d2y, x)
    >>> dy.data, d2y.data, d3y.data
    (12.0, 12.0, 6.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    single = isinstance(inputs, Value)
    targets: tuple[Value, ...] = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for t in targets:
        if not isinstance(t, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(t).__name__}")
    adjoint: dict[Value, Any] = {output: 1.0}
    order = _reverse_topological(output) if output._rule is not None else []
    value: Callable[[Value], Any] = _identity if create_graph else _data
    with enable_grad() if create_graph else no_grad():
        for node in order:
            g = adjoint[node]
            for operand, contribution in zip(node._prev, _node_vjp(node, g, value), strict=True):
                previous = adjoint.get(operand)
                adjoint[operand] = contribution if previous is None else previous + contribution
    results = []
    for t in targets:
        d = adjoint.get(t, 0.0)
        results.append(d if isinstance(d, Value) else _leaf(float(d)))
    return results[0] if single else tuple(results)


def _identity(v: Value) -> Value:
    return v


def derivative(f: Callable[..., Any], argnum: int = 0) -> Callable[..., Any]:
    """The derivative of ``f`` as a function, in the style of HIPS autograd's ``grad``.

    ``f`` takes numbers or Values and returns a Value.  The result takes the same
    arguments and returns the derivative with respect to argument ``argnum``: a float
    when called with numbers, a Value (a graph) when called with Values, so
    ``derivative`` nests to any order.

    >>> f = lambda x: x ** 3
    >>> derivative(f)(2.0), derivative(derivative(f))(2.0), derivative(derivative(derivative(f)))(2.0)
    (12.0, 12.0, 6.0)
    """

    def df(*args: Any) -> Any:
        values = [a if isinstance(a, Value) else Value(a) for a in args]
        out = f(*values)
        if not isinstance(out, Value):
            out = Value(out)
        d = grad(out, values[argnum], create_graph=True)
        return d if isinstance(args[argnum], Value) else d.data

    df.__name__ = f"d_{getattr(f, '__name__', 'f')}"
    return df


# -- grad mode -------------------------------------------------------------------------


class _GradMode(threading.local):
    """One thread's grad mode: whether it records, and the modes to restore on exit."""

    def __init__(self) -> None:
        self.enabled = True  # a new thread records, as in PyTorch
        self.saved: list[bool] = []  # a stack, so blocks nest and one instance can be re-entered


_mode = _GradMode()
_threads_not_recording = 0  # how many threads have recording switched off
_switch = threading.Lock()


def _set_grad_enabled(enabled: bool) -> None:
    """Switch this thread's recording on or off, keeping _everyone_records true to it.

    Switching off, the global flag is cleared before this thread stops recording;
    switching on, this thread records again before the flag may be set.  So whenever
    _everyone_records is True, every thread records.
    """
    global _everyone_records, _threads_not_recording
    mode = _mode
    if enabled == mode.enabled:
        return
    if enabled:
        mode.enabled = True
        with _switch:
            _threads_not_recording -= 1
            _everyone_records = _threads_not_recording == 0
    else:
        with _switch:
            _threads_not_recording += 1
            _everyone_records = False
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
        mode = _mode
        mode.saved.append(mode.enabled)
        _set_grad_enabled(self._enabled)

    def __exit__(self, *exc: object) -> None:
        _set_grad_enabled(_mode.saved.pop())


class enable_grad(no_grad):
    """Record the graph again inside a ``no_grad`` block."""

    _enabled = True


def is_grad_enabled() -> bool:
    """Whether operations record the graph in this thread."""
    return _everyone_records or _mode.enabled
