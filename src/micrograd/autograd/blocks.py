"""Blocks: a layer of neurons on one input recorded as one node, while a compile trace asks for it.

A layer (``micrograd.nn.Layer``) makes one ``linear`` node and one activation per
neuron, except while its thread records blocks (:func:`recording_blocks`, which
``micrograd.compile``'s tracing switches on).  Then ``rules.layer_block`` makes one
*block* node (the ``Dense`` shape) for the whole layer call, and ``rules.block_parts``
one *part* node (``Part``) per output (an MLP hands its next layer the block itself),
so a trace of a 128-wide layer on 1,000 points holds 1,000 blocks rather than
128,000 ``linear`` nodes of 257 operands, and the plan turns the blocks of one
layer into one matrix product.

All are ordinary operations: ``backward()`` and ``grad()`` work through them (a
block's gradient is a :class:`Cotangent`, one number per output that was used), so
a traced function that differentiates inside itself still can.  A block's operands
are its inputs and one node for its layer's parameters (the ``Weights`` shape,
made once per layer and trace), whose operands are the weights row by row and the
biases: so a block holds a few references more than its inputs, not the layer's
16,000 weights.  Weights and biases must be leaves (``record`` checks, else the layer makes
the scalar nodes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter, mul
from typing import Any

from micrograd.autograd.nodes import new_node
from micrograd.autograd.operation import Operation
from micrograd.autograd.value import Value

__all__ = [
    "BlockInfo",
    "Cotangent",
    "Dense",
    "LayerWeights",
    "Part",
    "Weights",
    "block_cache",
    "floats",
    "forward",
    "no_result",
    "parts",
    "record",
    "recording_blocks",
    "source_block",
]

# .cache: this thread's LayerWeights by key while it records blocks, else unset; .sums: how it computes them
_state = threading.local()
# (xs, layer, activation) -> (sums, outputs), sequences of floats, or None
Sums = Callable[[Sequence[float], "LayerWeights", "Operation | None"], "tuple[Any, Any] | None"]
_operation = attrgetter("operation")
_part_index = attrgetter("_b")
_block_of = attrgetter("_a")


@contextmanager
def recording_blocks(sums: Sums | None = None) -> Iterator[None]:
    """While inside, a layer in this thread makes block nodes (see the module's docstring).

    ``sums(xs, layer, activation)``, if given, computes a block's sums ``w . x + b`` and outputs in
    place of :func:`forward` (compile's tracing passes numpy's, much faster on wide layers: a trace's
    numbers are its own, the replays compute every call's results; it may keep what it needs in
    ``layer.matrix``, give sequences of its own with ``tolist()``, and return None to leave a layer
    to :func:`forward`).
    """
    saved = getattr(_state, "cache", None), getattr(_state, "sums", None)
    _state.cache, _state.sums = {}, sums
    try:
        yield
    finally:
        _state.cache, _state.sums = saved


def block_cache() -> dict[Any, list[LayerWeights]] | None:
    """This thread's layers seen so far, while it records blocks; None when it does not."""
    return getattr(_state, "cache", None)  # type: ignore[no-any-return]


class LayerWeights:
    """The weights and biases of one layer, shared by all the blocks of that layer in one trace.

    ``suffix`` is the weights row by row and then the biases: the operands of ``node``, the one
    node for them all that each block has as its last operand (its operation is ``weights``).
    ``rows`` and ``bias_data`` are the numbers at the layer's first block, for the blocks' forwards.
    """

    __slots__ = ("bias_data", "biases", "matrix", "node", "rows", "suffix", "units", "weights", "width")

    def __init__(self, weights: Sequence[Sequence[Value]], biases: Sequence[Value], operation: Operation) -> None:
        self.weights = [list(row) for row in weights]
        self.biases = list(biases)
        self.units = len(self.biases)
        self.width = len(self.weights[0]) if self.weights else 0
        self.suffix: tuple[Value, ...] = (*(w for row in self.weights for w in row), *self.biases)
        self.rows = [[w.data for w in row] for row in self.weights]
        self.bias_data = [b.data for b in self.biases]
        self.matrix: Any = None  # for the sums of recording_blocks, if it wants to keep something
        node = self.node = Value.__new__(Value)
        node.data = 0.0
        node.grad = 0.0
        node._a = self.suffix
        node.operation = operation


class BlockInfo:
    """What a block node keeps besides its operands: its layer, activation, sums and outputs."""

    __slots__ = ("activation", "layer", "outputs", "part", "source", "sums")

    def __init__(
        self,
        layer: LayerWeights,
        activation: Operation | None,
        sums: Sequence[float],
        outputs: Sequence[float],
        source: Value | None,
        part: Operation,
    ) -> None:
        self.part = part  # the operation of its parts
        self.layer = layer
        self.activation = activation  # None: linear, the outputs are the sums
        self.sums = sums  # w . x + b of each unit
        self.outputs = outputs  # the activation of each sum
        self.source = source  # the block whose outputs are this block's inputs, all in order (else None)


class Cotangent(dict[int, Any]):
    """A block's gradient: output index -> the gradient of that output (only the outputs used)."""

    def __add__(self, other: Any) -> Cotangent:  # type: ignore[override]
        total = Cotangent(self)
        for k, g in other.items():
            total[k] = total[k] + g if k in total else g
        return total

    def add(self, k: int, g: Any) -> None:
        self[k] = self[k] + g if k in self else g


def no_result(*args: Any) -> Any:
    """The forward of a block and a part on numbers: they have none of their own (see ``forward``)."""
    raise TypeError("a block has one result per unit: its parts are the numbers")


class Dense(Operation):
    """A layer of neurons on one input: operands ``(*inputs, weights)`` in ``_a``, where ``weights`` is
    the layer's :class:`Weights` node; a :class:`BlockInfo` in ``_b``.  Its data means nothing: its
    parts hold the outputs."""

    __slots__ = ()
    arity = None

    def symbol(self, node: Value) -> str:
        info: BlockInfo = node._b
        activation = "" if info.activation is None else f", {info.activation.name}"
        return f"{self.name}({info.layer.width} -> {info.layer.units}{activation})"

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        return no_result()  # type: ignore[no-any-return]

    def step(self, node: Value) -> None:
        g = node.grad
        if not isinstance(g, Cotangent):
            return  # no part of it was used
        *inputs, weights = node._a
        *grads, to_weights = self.contributions(node, g, _data)
        for x, c in zip(inputs, grads, strict=True):
            if isinstance(c, Cotangent):
                _accumulate(x, c)  # the block before, read as a whole
            else:
                x.grad += c
        _accumulate(weights, to_weights)

    def contributions(self, node: Value, g: Any, value: Callable[[Value], Any]) -> Sequence[Any]:
        info: BlockInfo = node._b
        n, inputs = info.layer.width, node._a[:-1]
        whole = len(inputs) == 1 and inputs[0].operation is self  # the block before, not its parts
        if not isinstance(g, Cotangent):
            return [0.0] * (len(inputs) + 1)
        if isinstance(value(node), Value):  # grad(..., create_graph=True): sums and outputs as Values
            values = parts(inputs[0], info.part) if whole else [value(x) for x in inputs]
            grads = self.vjp(g, [*values, *info.layer.suffix], n, info.activation, None, None)
        else:
            source = info.source
            xs = floats(source._b.outputs) if whole and source is not None else [x.data for x in inputs]
            weights = [w.data for w in info.layer.suffix]
            grads = self.vjp(g, [*xs, *weights], n, info.activation, floats(info.sums), floats(info.outputs))
        to_inputs = [Cotangent(enumerate(grads[:n]))] if whole else grads[:n]
        return [*to_inputs, Cotangent(enumerate(grads[n:]))]


class Weights(Operation):
    """A layer's weights (row by row) and biases as one operand of its blocks: operands in ``_a``.
    Its gradient is a :class:`Cotangent` by operand, which its step hands on to them."""

    __slots__ = ()
    arity = None

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        return no_result()  # type: ignore[no-any-return]

    def step(self, node: Value) -> None:
        g = node.grad
        if isinstance(g, Cotangent):
            operands = node._a
            for k, gk in g.items():
                operands[k].grad += gk

    def contributions(self, node: Value, g: Any, value: Callable[[Value], Any]) -> Sequence[Any]:
        count = len(node._a)
        if not isinstance(g, Cotangent):
            return [0.0] * count
        return [g.get(k, 0.0) for k in range(count)]


def _accumulate(node: Value, g: Cotangent) -> None:
    total = node.grad
    if not isinstance(total, Cotangent):
        total = node.grad = Cotangent()  # type: ignore[assignment]
    for k, gk in g.items():
        total.add(k, gk)  # type: ignore[attr-defined]


class Part(Operation):
    """Output ``k`` of a block: the block in ``_a``, k in ``_b``; its data is that output."""

    __slots__ = ()
    arity = 1

    def symbol(self, node: Value) -> str:
        return f"[{node._b}]"

    def constants(self, node: Value) -> tuple[Any, ...]:
        return (node._b,)

    def evaluate(self, data: Sequence[float], constants: tuple[Any, ...] = ()) -> float:
        return no_result()  # type: ignore[no-any-return]

    def step(self, node: Value) -> None:
        _accumulate(node._a, Cotangent({node._b: node.grad}))

    def contributions(self, node: Value, g: Any, value: Callable[[Value], Any]) -> Sequence[Any]:
        return [Cotangent({node._b: g})]


def _data(v: Value) -> float:
    return v.data


def source_block(inputs: Sequence[Value], part: Operation) -> Value | None:
    """The block whose parts are exactly ``inputs``, in order, all of them (else None)."""
    first = inputs[0] if inputs else None
    if first is None or first.operation is not part:
        return None
    block = first._a
    info: BlockInfo = block._b
    if len(info.outputs) != len(inputs) or set(map(_operation, inputs)) != {part}:
        return None
    if set(map(_block_of, inputs)) != {block} or list(map(_part_index, inputs)) != list(range(len(inputs))):
        return None
    return block  # type: ignore[no-any-return]


def forward(xs: Sequence[float], layer: LayerWeights, activation: Operation | None) -> tuple[Any, Any]:
    """Each unit's sum ``w . x + b`` and output: ``linear``'s arithmetic (``sum(map(mul, ...)) + b``) and
    the activation's forward, the engine's bits; or the ``sums`` this thread's ``recording_blocks`` was given."""
    sums: Sums | None = getattr(_state, "sums", None)
    computed = None if sums is None else sums(xs, layer, activation)
    if computed is not None:
        return computed
    xs = floats(xs)
    zs = [sum(map(mul, xs, row)) + b for row, b in zip(layer.rows, layer.bias_data, strict=True)]
    return zs, zs if activation is None else list(map(activation.forward, zs))


def floats(numbers: Sequence[float]) -> list[float]:
    """A block's numbers as a list of floats (a ``recording_blocks`` sums may keep them its own way)."""
    return numbers if type(numbers) is list else numbers.tolist()  # type: ignore[attr-defined, no-any-return]


def parts(block: Value, part: Operation) -> list[Value]:
    """One part node per output of ``block`` (new ones at each call)."""
    made = []
    for k, y in enumerate(floats(block._b.outputs)):
        node = Value.__new__(Value)
        node.data = y
        node.grad = 0.0
        node._a = block
        node._b = k
        node.operation = part
        made.append(node)
    return made


def record(
    x: Value | Sequence[Value],
    weights: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    activation: Operation | None,
    kinds: tuple[Operation, Operation, Operation],
) -> Value | None:
    """A block node for ``activation(W x + b)`` (``rules.layer_block``; ``kinds``: the dense, part and
    weights operations), or None where the scalar nodes must be made instead."""
    cache = block_cache()
    if cache is None:
        return None
    dense, part, weights_kind = kinds
    if isinstance(x, Value):  # a block: its outputs are the inputs
        source: Value | None = x
        inputs: tuple[Value, ...] = (x,)
        xs = x._b.outputs
    else:
        inputs = tuple(x)
        if not inputs or not _just_values(inputs):
            return None
        source = source_block(inputs, part)
        xs = source._b.outputs if source is not None else [v.data for v in inputs]
    layer = _layer(cache, weights, biases, len(xs), weights_kind)
    if layer is None:
        return None
    sums, outputs = forward(xs, layer, activation)
    block = new_node()
    block.data = 0.0
    block.grad = 0.0
    block._a = (*inputs, layer.node)
    block._b = BlockInfo(layer, activation, sums, outputs, source, part)
    block.operation = dense
    return block


def _layer(
    cache: dict[Any, list[LayerWeights]],
    weights: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    width: int,
    kind: Operation,
) -> LayerWeights | None:
    """The layer's LayerWeights in this trace (made at its first block), or None if it cannot be a block.

    Looked up by a short key (the first row and bias, the number of units), then compared in full (by
    identity, in C): a layer whose weights changed between two calls gets one more LayerWeights."""
    key = (id(weights[0]) if weights else 0, id(biases[0]) if biases else 0, len(biases))
    for layer in cache.get(key, ()):
        if layer.weights == weights and layer.biases == biases:
            return layer if layer.width == width else None
    if not weights or len(weights) != len(biases) or set(map(len, weights)) != {width}:
        return None
    if not _just_values(biases) or not all(map(_just_values, weights)):
        return None
    layer = LayerWeights(weights, biases, kind)
    if set(map(_operation, layer.suffix)) != {None}:
        return None  # a computed weight: scalar nodes, which differentiate through it
    cache.setdefault(key, []).append(layer)
    return layer


def _just_values(items: Any) -> bool:
    types = set(map(type, items))
    return types == {Value} or all(issubclass(t, Value) for t in types)
