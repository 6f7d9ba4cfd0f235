"""Neural-network modules: ``Neuron``, ``Layer`` and ``MLP``, built on ``Module``.

Compatible with karpathy's micrograd (``MLP(nin, nouts)``, ``Neuron(nin,
nonlin=True)``, weights drawn with ``random.uniform(-1, 1)``, the same reprs and the
same order of ``parameters()``), plus a choice of activation and initialisation;
``Module`` (:mod:`micrograd.nn.module`, also importable from here) adds named
parameters, ``state_dict`` and saving to a JSON file.

A neuron's ``w·x + b`` is a single graph node (:func:`micrograd.linear`), which keeps
graphs small and training fast.  Under :func:`micrograd.no_grad` a layer computes
with plain floats and makes Values only for its outputs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter, mul
from typing import Any, ClassVar

from micrograd.autograd import (
    DENSE,
    Operation,
    Value,
    as_real,
    block_cache,
    block_parts,
    is_grad_enabled,
    layer_block,
    linear,
    linear_layer,
    relu,
    sigmoid,
    tanh,
)
from micrograd.autograd.deferred import pending, settle
from micrograd.nn import torch_interop  # torch itself is imported on use
from micrograd.nn.model_file import ModelFileError
from micrograd.nn.module import Module

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLP",
    "Layer",
    "ModelFileError",
    "Module",
    "Neuron",
]

Input = Value | float | int
Inputs = Input | Sequence[Input]

_data = attrgetter("data")

# -- activations: the Value method for training, the float function for no_grad ---------

# name -> (Value method or None for linear, float function, repr prefix); the float
# functions are the engine's own forwards, so both paths compute the same numbers.
ACTIVATIONS: dict[str, tuple[Callable[[Value], Value] | None, Callable[[float], float], str]] = {
    "relu": (Value.relu, relu.forward, "ReLU"),
    "tanh": (Value.tanh, tanh.forward, "Tanh"),
    "sigmoid": (Value.sigmoid, sigmoid.forward, "Sigmoid"),
    "linear": (None, float, "Linear"),
}

# -- initialisation ------------------------------------------------------------------------


def _init_bound(init: str, fan_in: int, fan_out: int) -> float:
    """Half-width of the uniform distribution the weights are drawn from."""
    if init == "uniform":  # karpathy's micrograd: U(-1, 1)
        return 1.0
    if init in ("xavier", "glorot"):  # Glorot & Bengio 2010, keeps variance for tanh/sigmoid
        return math.sqrt(6.0 / (fan_in + fan_out))
    if init in ("he", "kaiming"):  # He et al. 2015, keeps variance for relu
        return math.sqrt(6.0 / fan_in)
    raise ValueError(f"init must be one of {', '.join(INITS)}; got {init!r}")


INITS = ("uniform", "xavier", "glorot", "he", "kaiming")


# -- Neuron, Layer, MLP ------------------------------------------------------------------


class Neuron(Module):
    """One neuron: ``activation(w·x + b)``.

    As in karpathy's micrograd, ``nonlin=True`` means relu and ``False`` linear, and
    the weights are drawn with ``random.uniform(-1, 1)`` from the global ``random``
    module, so ``random.seed(1337)`` reproduces his models.  ``activation`` (relu,
    tanh, sigmoid, linear) overrides ``nonlin``; ``init`` chooses the weights'
    distribution (uniform, xavier/glorot, he/kaiming; ``fan_out`` is the width of the
    layer, used by xavier); pass ``rng`` (a ``random.Random``) to draw from it instead.
    """

    first_index: ClassVar[Mapping[str, int]] = {"w": 1}  # named_parameters: w.1 goes with input x1

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        init: str = "uniform",
        rng: random.Random | None = None,
        fan_out: int = 1,
    ) -> None:
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron: nin must be a positive integer, got {nin!r}")
        self.activation = ("relu" if nonlin else "linear") if activation is None else activation
        bound = _init_bound(init, nin, fan_out)
        draw = rng.uniform if rng is not None else random.uniform
        # labels name them in pictures, numbered like the inputs x1, x2; Layer and MLP prefix them
        self.w = [Value(draw(-bound, bound), label=f"w{i}") for i in range(1, nin + 1)]
        self.b = Value(0, label="b")

    @property
    def activation(self) -> str:
        """The activation's name: relu, tanh, sigmoid or linear."""
        return self._activation

    @activation.setter
    def activation(self, name: str) -> None:
        if name not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
        self._activation = name
        self._activate, self._activate_float, self._kind = ACTIVATIONS[name]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the activation by name: the functions it picks are internal and may move."""
        state = dict(self.__dict__)
        for derived in ("_activate", "_activate_float", "_kind"):
            state.pop(derived, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.activation = state["_activation"]
        weights = state.get("w", [])
        if weights and weights[0].label.endswith("w0"):  # pickled before weights were numbered from 1
            for number, weight in enumerate(weights):
                if weight.label.endswith(f"w{number}"):
                    weight.label = f"{weight.label[: -len(str(number))]}{number + 1}"

    @property
    def nonlin(self) -> bool:
        """karpathy's flag: True for a relu neuron, False for a linear one (settable, as in micrograd)."""
        return self._activation != "linear"

    @nonlin.setter
    def nonlin(self, value: bool) -> None:
        self.activation = "relu" if value else "linear"

    def __call__(self, x: Inputs) -> Value:
        if pending:  # a compiled training step holds newer weights: they go to the Values first
            settle()
        inputs = (x,) if isinstance(x, (Value, float, int)) else x
        out = linear(inputs, self.w, self.b)
        activate = self._activate
        return out if activate is None else activate(out)

    def __repr__(self) -> str:
        return f"{self._kind}Neuron({len(self.w)})"

    def describe(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; a layer of one neuron returns a Value.

    ``kwargs`` go to each :class:`Neuron` (``nonlin``, ``activation``, ``init``, ``rng``).
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        if isinstance(nout, bool) or not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer: nout must be a positive integer, got {nout!r}")
        kwargs.setdefault("fan_out", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        _prefix_labels([(*n.w, n.b) for n in self.neurons], "N")

    def __call__(self, x: Inputs) -> Value | list[Value]:
        if pending:  # a compiled training step holds newer weights: they go to the Values first
            settle()
        # the inputs become one tuple, shared by every neuron; a single Value is one input
        inputs = (x,) if isinstance(x, (Value, float, int)) else tuple(x)
        neurons = self.neurons
        if not self._plain_neurons():
            out = [n(inputs) for n in neurons]  # a Neuron subclass computes its own way
        elif not is_grad_enabled():
            floats = self._forward_floats([_as_float(v) for v in inputs])
            out = [n(inputs) for n in neurons] if floats is None else [Value(y) for y in floats]
        elif block_cache() is not None and (block := self._block(inputs)) is not None:
            out = block_parts(block)  # compile traces: the layer is one node (micrograd.autograd.blocks)
        else:
            # Neuron.__call__ for every neuron: the layer's linear nodes, then the activations
            # numbers among the inputs become constants once, shared by every neuron: a
            # picture then draws each input once, and its grad is the loss's derivative by it
            zs = linear_layer(inputs, [n.w for n in neurons], [n.b for n in neurons])
            out = [z if (activate := n._activate) is None else activate(z) for n, z in zip(neurons, zs, strict=True)]
        return out[0] if len(out) == 1 else out

    def _block(self, x: Any) -> Value | None:
        """This layer on ``x`` (inputs, or the block of the layer before) as one block node, while compile
        traces; None if it must compute the usual way."""
        neurons = self.neurons
        activations = set(map(_ACTIVATION_NAME, neurons))
        if len(activations) != 1 or not self._plain_neurons() or not is_grad_enabled():
            return None
        inputs = x if _is_block(x) else ((x,) if isinstance(x, (Value, float, int)) else tuple(x))
        if not _is_block(inputs) and not _all_values(inputs):
            return None
        weights, biases = [n.w for n in neurons], [n.b for n in neurons]
        return layer_block(inputs, weights, biases, _OPERATIONS[activations.pop()])

    def _plain_neurons(self) -> bool:
        """Whether every neuron computes as Neuron.__call__ does, so the layer may do it for them."""
        # by class, not by neuron: the set is built in C and almost always is {Neuron}
        classes = set(map(type, self.neurons))
        return classes == _JUST_NEURON or all(cls.__call__ is _NEURON_CALL for cls in classes)

    def _forward_floats(self, inputs: Sequence[float]) -> list[float] | None:
        """The layer on plain floats: what ``__call__`` computes under ``no_grad``.

        None if a neuron computes its own way (a Neuron subclass with its own ``__call__``).
        """
        nin = len(inputs)
        many = nin > 8  # a list comprehension reads many weights faster than map(attrgetter), few slower
        out = []
        for n in self.neurons:
            if n.__class__ is not Neuron and n.__class__.__call__ is not _NEURON_CALL:
                return None
            w = n.w
            if len(w) != nin:
                raise ValueError(f"linear: {nin} inputs but {len(w)} weights")
            weights = [v.data for v in w] if many else map(_data, w)
            out.append(n._activate_float(sum(map(mul, weights, inputs)) + n.b.data))
        return out

    def forward_rows(self, rows: Sequence[Sequence[float]]) -> list[list[float]] | None:
        """The layer on plain floats at many input rows: for each row, what ``__call__`` gives under ``no_grad``.

        The weights are read once for all rows (the playground's heat maps evaluate
        a layer at thousands of points).  None if a neuron computes its own way.
        """
        if not self._plain_neurons():
            return None
        table = [([v.data for v in n.w], n.b.data, n._activate_float) for n in self.neurons]
        nin = len(table[0][0])
        wrong = {len(row) for row in rows} - {nin}
        if wrong:
            raise ValueError(f"linear: {min(wrong)} inputs but {nin} weights")
        return [[activate(sum(map(mul, w, row)) + b) for w, b, activate in table] for row in rows]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"

    def describe(self) -> str:
        first = self.neurons[0]
        return f"Layer({len(first.w)} -> {len(self.neurons)}, {first.activation})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs to 1 output.

    The hidden layers use ``activation`` (relu by default, as karpathy's micrograd)
    and the last layer ``output_activation`` (linear by default, as his package; the
    lecture's network is ``activation='tanh', output_activation='tanh'``, as a torch
    ``Sequential`` ending in ``Tanh()``).  ``init`` and ``rng`` go to every neuron.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        rng: random.Random | None = None,
    ) -> None:
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        for name, value in (("activation", activation), ("output_activation", output_activation)):
            if value not in ACTIVATIONS:
                raise ValueError(f"{name} must be one of {', '.join(ACTIVATIONS)}; got {value!r}")
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=activation if i != last else output_activation, init=init, rng=rng)
            for i in range(len(nouts))
        ]
        _prefix_labels([[p for n in layer.neurons for p in (*n.w, n.b)] for layer in self.layers], "L")

    def __call__(self, x: Inputs) -> Value | list[Value]:
        if pending:  # a compiled training step holds newer weights: they go to the Values first
            settle()
        if not isinstance(x, (Value, float, int, list, tuple)):
            x = tuple(x)  # an iterator is read once: the float path may give up and hand x to the layers
        if not is_grad_enabled():
            floats = self._forward_floats(x)
            if floats is not None:
                return Value(floats[0]) if len(floats) == 1 else [Value(y) for y in floats]
        if block_cache() is not None:  # compile is tracing: each layer one block, the next reading it whole
            return self._blocks(x)
        out: Any = x
        for layer in self.layers:
            out = layer(out)
        return out  # type: ignore[no-any-return]

    def _blocks(self, x: Any) -> Value | list[Value]:
        """``__call__`` while compile traces: each layer hands the next its block node, not its parts (a
        layer that cannot be one block, such as a subclass or mixed activations, gets the parts)."""
        out: Any = x
        for layer in self.layers:
            block = layer._block(out) if layer.__class__ is Layer else None
            out = layer(block_parts(out) if _is_block(out) else out) if block is None else block
        out = block_parts(out) if _is_block(out) else out
        return out[0] if isinstance(out, list) and len(out) == 1 else out  # type: ignore[no-any-return]

    def _forward_floats(self, x: Inputs) -> list[float] | None:
        """The network on plain floats, layer to layer (under ``no_grad``: Values only for the output).

        None if a layer or a neuron computes its own way.
        """
        if isinstance(x, (Value, float, int)):
            floats = [_as_float(x)]
        else:  # a Value's data read here, anything else checked by _as_float
            floats = [v.data if v.__class__ is Value else _as_float(v) for v in x]
        for layer in self.layers:
            if layer.__class__ is not Layer and layer.__class__.__call__ is not _LAYER_CALL:
                return None
            computed = layer._forward_floats(floats)
            if computed is None:
                return None
            floats = computed
        return floats

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    def to_torch(self) -> Any:
        """This network as a float64 ``torch.nn.Sequential`` with the same weights (needs the ``torch`` extra)."""
        return torch_interop.to_torch(self)

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """An MLP with the weights of a torch ``Sequential`` of ``Linear`` layers and activations."""
        return torch_interop.from_torch(module, cls)

    def describe(self) -> str:
        sizes = [len(self.layers[0].neurons[0].w), *(len(layer.neurons) for layer in self.layers)]
        output = self.layers[-1].neurons[0].activation
        more = "" if output == "linear" or len(self.layers) == 1 else f", output {output}"
        return f"MLP({' -> '.join(map(str, sizes))}, {self.layers[0].neurons[0].activation}{more})"


def _prefix_labels(parameters: Sequence[Sequence[Value]], letter: str) -> None:
    """Label the parameters of each submodule with its place: ``w1`` of neuron 2 becomes ``N2.w1``.

    Given the parameters of the modules just made, not the modules: ``parameters()``
    reads an instance's ``vars()``, after which CPython 3.11 looks its attributes up
    more slowly (bench/README.md).  Training calls ``parameters()`` anyway; a model
    that is only evaluated need not pay it.
    """
    for index, group in enumerate(parameters):
        for p in group:
            p.label = f"{letter}{index}.{p.label}"


_OPERATIONS: dict[str, Operation | None] = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid, "linear": None}
_ACTIVATION_NAME = attrgetter("_activation")
_NEURON_CALL = Neuron.__call__
_JUST_NEURON = {Neuron}
_JUST_VALUE = {Value}
_LAYER_CALL = Layer.__call__


def _is_block(x: Any) -> bool:
    return isinstance(x, Value) and x.operation is DENSE


def _all_values(inputs: Sequence[Any]) -> bool:
    """Whether every input is a Value (a subclass too: compile's arguments while it traces)."""
    types = set(map(type, inputs))
    return types == _JUST_VALUE or all(issubclass(t, Value) for t in types)


def _as_float(x: Input) -> float:
    if isinstance(x, Value):
        return x.data
    number = as_real(x)  # the engine's idea of a number, so no_grad accepts what recording does
    if number is None:
        raise TypeError(f"expected a number or a Value as input, got {type(x).__name__}")
    return number
