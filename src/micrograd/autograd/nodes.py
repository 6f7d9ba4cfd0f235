"""The node shapes: one ``Operation`` subclass per way a node stores its operands.

A node stores its operands directly (``_a``, ``_b``) and a reference to its
operation, never a closure, so a graph has no reference cycles and is freed the
moment the last reference to its output goes away.

=================  ==============================  =====================================
shape              operands in the node            ``vjp``
=================  ==============================  =====================================
``Unary``          ``_a``                          ``vjp(g, x, out) -> gx``
``Binary``         ``_a``, ``_b``                  ``vjp(g, a, b, out) -> (ga, gb)``
``ConstantPower``  ``_a``; the number k in ``_b``  ``vjp(g, x, out, k) -> gx``
``Nary``           ``_a``: a tuple                 ``vjp(g, xs, out) -> [gx, ...]``
``Linear``         ``_a``: inputs, weights, bias   as ``Nary``, with its steps written out
``Recorded``       ``_a``: a tuple                 none: the ``_backward`` closure, in ``_b``
=================  ==============================  =====================================

The layout follows the arity (``micrograd.autograd.operation.OPERAND_LAYOUT``: one operand
in ``_a``, two in ``_a`` and ``_b``, any number as a tuple in ``_a``), which
``reverse_topological`` reads directly; a shape cannot change it.  Each shape owns
its symbol, its float backward step (``step``, what ``backward()`` runs), its vjp
with Values (``vjp_at``, what ``grad(create_graph=True)`` runs), its recomputation
(``evaluate``) and the inlined Value methods of the hot path (``attach``).
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from micrograd.autograd import grad_mode
from micrograd.autograd.grad_mode import thread_mode
from micrograd.autograd.operation import Operation, constant, expect, real_grad, unsupported, values, wrong_count
from micrograd.autograd.recorded import Recorded
from micrograd.autograd.value import Value, as_real, leaf, real

__all__ = ["Binary", "ConstantPower", "Linear", "Nary", "Recorded", "Unary", "new_node", "recording_nodes"]

_new: Any = object.__new__  # how every node is made: swapped for _noting_new while a thread notes them
_data = operator.attrgetter("data")
everyone_records = True  # kept equal to grad_mode.everyone_records: one global read per operation
grad_mode.share_flag(globals())


def _node(operation: Operation, data: float, a: Any, b: Any = None) -> Value:
    """The result of ``operation``: a graph node holding ``a`` (and ``b``), or a leaf when not recording.

    What calling an operation as a function does; the Value methods of the hot path
    (``a * b``, ``x.tanh()``) write the same lines out inline, to save this call.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    if everyone_records or thread_mode.enabled:
        out._a = a
        if b is not None:
            out._b = b
        out.operation = operation
    else:
        out.operation = None
    return out


def new_node() -> Value:
    """A bare new Value, noted by ``recording_nodes`` as every operation's result is (fields unset)."""
    return _new(Value)  # type: ignore[no-any-return]


_noting = threading.local()  # .nodes: the list this thread notes the nodes it makes in (recording_nodes)
_threads_noting = 0
_switch = threading.Lock()


def _noting_new(cls: type[Value]) -> Value:
    node = object.__new__(cls)
    nodes = getattr(_noting, "nodes", None)
    if nodes is not None:
        nodes.append(node)
    return node


@contextmanager
def recording_nodes() -> Iterator[list[Value]]:
    """A list of every node this thread makes inside the block (operations' results, constants).

    For ``micrograd.compile``, which must also check the forward of the nodes the traced
    function made and dropped.  While no thread notes nodes, making one costs nothing more;
    while one does, the others pay one thread-local read per node.
    """
    global _new, _threads_noting
    nodes: list[Value] = []
    saved = getattr(_noting, "nodes", None)
    with _switch:
        _threads_noting += 1
        _new = _noting_new
    _noting.nodes = nodes
    try:
        yield nodes
    finally:
        _noting.nodes = saved
        with _switch:
            _threads_noting -= 1
            if not _threads_noting:
                _new = object.__new__


class Unary(Operation, makes_arity=1):
    """One operand, in ``_a``: ``forward(x)``, ``vjp(g, x, out) -> gx``."""

    __slots__ = ()
    arity = 1

    def step(self, node: Value) -> None:
        a = node._a
        ga = self.vjp(node.grad, a.data, node.data)
        a.grad += real_grad(ga, self) if self.check else ga

    def __call__(self, *args: Any) -> Any:
        expect(self, args, 1)
        (x,) = args
        if not isinstance(x, Value):
            return self.forward(real(x, self.name))
        return _node(self, self.forward(x.data), x)

    def method(self) -> Callable[[Value], Value]:
        """The Value method behind ``x.tanh()``: the hot path, kept inline."""
        rule = self
        forward = self.forward

        def method(self: Value) -> Value:
            out = _new(Value)
            out.data = forward(self.data)
            out.grad = 0.0
            if everyone_records or thread_mode.enabled:
                out._a = self
                out.operation = rule
            else:
                out.operation = None
            return out

        return method

    def attach(self, *names: str) -> Unary:
        """Provide this operation as Value methods (``__neg__``, ``tanh``, ...)."""
        for name in names:
            self._attach(name, self.method())
        return self


class Binary(Operation, makes_arity=2):
    """Two operands, in ``_a`` and ``_b``: ``forward(a, b)``, ``vjp(g, a, b, out) -> (ga, gb)``."""

    __slots__ = ()
    arity = 2

    def step(self, node: Value) -> None:
        a = node._a
        b = node._b
        ga, gb = self.vjp(node.grad, a.data, b.data, node.data)
        if self.check:
            ga, gb = real_grad(ga, self), real_grad(gb, self)
        a.grad += ga
        b.grad += gb

    def vjp_at(self, g: Any, data: Sequence[Any], out: Any, constants: tuple[Any, ...] = ()) -> Sequence[Any]:
        return self.vjp(g, data[0], data[1], out)  # type: ignore[no-any-return]

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        return float(self.forward(data[0], data[1]))

    def __call__(self, *args: Any) -> Any:
        expect(self, args, 2)
        a, b = args
        if not isinstance(a, Value) and not isinstance(b, Value):
            return self.forward(real(a, self.name), real(b, self.name))
        x, y = values((a, b), self.name)
        return _node(self, self.forward(x.data, y.data), x, y)

    def method(self, reflected: bool = False) -> Callable[[Value, Any], Value]:
        """The Value method behind ``a * b`` (or ``2 * a``, reflected): the hot path, kept inline."""
        rule = self
        forward = self.forward

        def method(self: Value, other: Any) -> Value:
            if other.__class__ is not Value and not isinstance(other, Value):
                if type(other) is float:  # the commonest constant (x * 0.5): its leaf made inline
                    number = other
                    other = _new(Value)
                    other.data = number
                    other.grad = 0.0
                    other.operation = None
                else:
                    operand = other
                    other = constant(other, rule)
                    if other is None:
                        return unsupported(rule, self, operand)
            out = _new(Value)
            out.data = forward(self.data, other.data)
            out.grad = 0.0
            if everyone_records or thread_mode.enabled:
                out._a = self
                out._b = other
                out.operation = rule
            else:
                out.operation = None
            return out

        def reflected_method(self: Value, other: Any) -> Value:
            # number * self (Python calls this only when the left operand is not a Value)
            operand = other
            other = leaf(other) if type(other) is float else constant(other, rule)
            if other is None:
                return unsupported(rule, operand, self)
            return method(other, self)

        return reflected_method if reflected else method

    def attach(self, name: str, reflected: str) -> Binary:
        """Provide this operation as the Value methods ``name`` and its ``reflected`` twin."""
        self._attach(name, self.method())
        self._attach(reflected, self.method(reflected=True))
        return self


class ConstantPower(Operation):
    """``x ** k`` for a number k: the operand in ``_a``, k kept in ``_b`` (no gradient for it).

    ``forward(x, k)``, ``vjp(g, x, out, k) -> gx``; the symbol shows k (``**2``).
    """

    __slots__ = ()
    arity = 1

    def symbol(self, node: Value) -> str:
        return f"{self.name}{node._b}"

    def constants(self, node: Value) -> tuple[Any, ...]:
        return (node._b,)

    def step(self, node: Value) -> None:
        a = node._a
        a.grad += self.vjp(node.grad, a.data, node.data, node._b)

    def vjp_at(self, g: Any, data: Sequence[Any], out: Any, constants: tuple[Any, ...] = ()) -> Sequence[Any]:
        return (self.vjp(g, data[0], out, *constants),)

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        return float(self.forward(data[0], *constants))

    def __call__(self, x: Any, k: Any) -> Any:
        exponent = real(k, self.name)
        if not isinstance(x, Value):
            return self.forward(real(x, self.name), exponent)
        # an int exponent is kept as it is, so it shows as **2, not **2.0
        return _node(self, self.forward(x.data, exponent), x, k if type(k) is int else exponent)

    def attach(self, value_exponent: Binary) -> ConstantPower:
        """Provide ``**``: a number exponent is this operation, a Value exponent ``value_exponent``."""
        constant_power = self
        forward = self.forward
        with_value = value_exponent.method()

        def __pow__(self: Value, other: Any) -> Value:
            if isinstance(other, Value):
                return with_value(self, other)
            exponent = other if type(other) is float else as_real(other)
            if exponent is None:
                return NotImplemented  # type: ignore[no-any-return]
            out = _new(Value)
            out.data = forward(self.data, exponent)
            out.grad = 0.0
            if everyone_records or thread_mode.enabled:
                out._a = self
                out._b = other if type(other) is int else exponent  # an int shows as **2, not **2.0
                out.operation = constant_power
            else:
                out.operation = None
            return out

        self._attach("__pow__", __pow__)
        self._attach("__rpow__", value_exponent.method(reflected=True))
        return self


class Nary(Operation, makes_arity=None):
    """Any number of operands, in ``_a`` as a tuple: ``forward(xs)``, ``vjp(g, xs, out) -> [gx, ...]``."""

    __slots__ = ()
    arity = None

    def step(self, node: Value) -> None:
        operands = node._a
        grads = self.vjp(node.grad, [a.data for a in operands], node.data)
        if len(grads) != len(operands):
            raise wrong_count(self, grads, operands)
        if self.check:
            grads = [real_grad(ga, self) for ga in grads]
        for a, ga in zip(operands, grads):  # noqa: B905 - lengths checked above
            a.grad += ga

    def vjp_at(self, g: Any, data: Sequence[Any], out: Any, constants: tuple[Any, ...] = ()) -> Sequence[Any]:
        return self.vjp(g, list(data), out)  # type: ignore[no-any-return]

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        return float(self.forward(list(data)))

    def __call__(self, *args: Any) -> Any:
        if len(args) != 1:
            raise TypeError(f"{self.name}: expects one sequence of operands")
        operands = tuple(args[0])
        if any(isinstance(x, Value) for x in operands):
            return self.apply(values(operands, self.name))
        return self.forward([real(x, self.name) for x in operands])

    def apply(self, operands: tuple[Value, ...]) -> Value:
        """A node of this operation on ``operands`` (all Values)."""
        return _node(self, self.forward([a.data for a in operands]), operands)


class Linear(Nary):
    """``linear(inputs, weights, bias)``: operands ``inputs + weights + [bias]`` in ``_a``.

    The hot path of every neuron, so its forward and its float backward are written
    out here (the same arithmetic as ``forward`` and ``vjp``, without building lists).
    """

    __slots__ = ()

    def step(self, node: Value) -> None:
        operands = node._a
        g = node.grad
        n = len(operands) // 2
        for x, w in zip(operands[:n], operands[n : 2 * n]):  # noqa: B905 - the same length by construction
            x.grad += g * w.data
            w.grad += g * x.data
        operands[-1].grad += g

    def apply(self, operands: tuple[Value, ...]) -> Value:
        n = len(operands) // 2
        data = [v.data for v in operands]
        return _node(self, sum(map(operator.mul, data[:n], data[n : 2 * n])) + data[-1], operands)

    def apply_layer(
        self, inputs: tuple[Value, ...], weights: Sequence[Sequence[Value]], biases: Sequence[Value]
    ) -> list[Value]:
        """One node per row of ``weights``, all on the same ``inputs`` (a layer of neurons).

        The same nodes as ``apply`` row by row; the inputs' data is read once for all rows.
        """
        xs = [x.data for x in inputs]
        recording = everyone_records or thread_mode.enabled
        out = []
        for row, bias in zip(weights, biases):  # noqa: B905 - the same length, checked by the caller
            node = _new(Value)
            node.data = sum(map(operator.mul, xs, map(_data, row))) + bias.data
            node.grad = 0.0
            if recording:
                node._a = (*inputs, *row, bias)
                node.operation = self
            else:
                node.operation = None
            out.append(node)
        return out
