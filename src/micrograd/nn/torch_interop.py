"""PyTorch, both ways: a micrograd model as a ``torch.nn.Module``, and back.

:func:`to_torch` turns an :class:`~micrograd.nn.MLP` (or a ``Layer`` or a ``Neuron``)
into a ``torch.nn.Sequential`` of ``Linear`` layers and activations, in float64, with
the same weights: it computes the same outputs and, after ``backward`` on the same
loss, the same gradients.  :func:`from_torch` brings such a ``Sequential`` back as an
``MLP``, so a torch model's gradients can be checked by hand.

A layer of micrograd neurons is one ``Linear``: neuron ``j``'s weights are row ``j``
of its ``weight`` (shape ``out x in``) and its bias is ``bias[j]``.  A neuron's
activation becomes the module after the ``Linear`` (``ReLU``, ``Tanh``, ``Sigmoid``;
nothing for linear).  torch is optional (``pip install torch``,
or the ``torch`` extra); it is imported only when these functions run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from micrograd.autograd.deferred import settle
from micrograd.nn.module import Module

__all__ = ["from_torch", "to_torch"]

# micrograd's activation name <-> the torch.nn class name that computes the same
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}
SUPPORTED = "Linear, ReLU, Tanh, Sigmoid, Identity (and Sequentials of them)"


def _import_torch(where: str) -> Any:
    """torch, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{where} needs PyTorch, an optional extra: pip install torch") from error
    return torch


def _layers_of(module: Module) -> list[list[Any]]:
    """The neurons of each layer: an MLP's layers, a Layer alone, or a Neuron as a layer of one.

    Read by their attributes (``layers``, ``neurons``, ``w``), so this module needs
    no import of :mod:`micrograd.nn.layers`, which imports it.
    """
    if isinstance(module, Module):
        if isinstance(getattr(module, "layers", None), list):
            return [layer.neurons for layer in module.layers]  # type: ignore[attr-defined]
        if isinstance(getattr(module, "neurons", None), list):
            return [module.neurons]  # type: ignore[attr-defined]
        if hasattr(module, "w") and hasattr(module, "b"):
            return [[module]]
    raise TypeError(f"to_torch: expected an MLP, a Layer or a Neuron, got {type(module).__name__}")


def to_torch(module: Module) -> Any:
    """A float64 ``torch.nn.Sequential`` computing what ``module`` computes, with the same weights.

    It takes a batch (a tensor of shape ``batch x nin``) and returns ``batch x nout``;
    its parameters are new tensors (``requires_grad=True``), not shared with ``module``.
    """
    torch = _import_torch("to_torch")
    settle()  # a compiled training step's newer weights go to the Values first
    stages = []
    for index, neurons in enumerate(_layers_of(module)):
        activations = sorted({n.activation for n in neurons})
        if len(activations) > 1:
            raise ValueError(
                f"to_torch: layer {index} mixes activations ({', '.join(activations)}); "
                "a torch layer applies one activation to all its outputs"
            )
        weights = [[w.data for w in n.w] for n in neurons]
        linear = torch.nn.Linear(len(weights[0]), len(weights), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        stages.append(linear)
        if activations[0] != "linear":
            stages.append(getattr(torch.nn, TORCH_ACTIVATIONS[activations[0]])())
    return torch.nn.Sequential(*stages)


def _flatten(module: Any, torch: Any, where: str) -> Iterator[tuple[str, Any]]:
    """``(position, submodule)`` for every stage, nested Sequentials opened, Identity dropped."""
    if isinstance(module, torch.nn.Sequential):
        for name, child in module.named_children():
            yield from _flatten(child, torch, f"{where}.{name}" if where else name)
    elif not isinstance(module, torch.nn.Identity):
        yield where or "the module", module


def _short(stage: Any) -> str:
    """A stage's repr on one line, at most 60 characters."""
    text = " ".join(repr(stage).split())
    return text if len(text) <= 60 else text[:59] + "…"


def from_torch(module: Any, mlp_class: Any) -> Any:
    """An ``mlp_class`` (``MLP.from_torch`` passes ``MLP``) with the weights of a torch ``Sequential``.

    A lone ``Linear`` is taken too.

    The module must be ``Linear`` layers, each optionally followed by one of ``ReLU``,
    ``Tanh``, ``Sigmoid`` (``Identity`` is skipped), such as :func:`to_torch` makes.
    Anything else raises ``ValueError`` naming the stage and what is supported; a
    ``Linear`` without bias comes back with biases 0.
    """
    torch = _import_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(module, (torch.nn.Sequential, torch.nn.Linear)):
        raise ValueError(
            f"from_torch: {type(module).__name__} is not an nn.Sequential, so what its forward() computes is unknown;"
            f" write the network as an nn.Sequential of {SUPPORTED}"
        )
    activation_names = {v: k for k, v in TORCH_ACTIVATIONS.items()}
    linears: list[Any] = []
    activations: list[str] = []
    for position, stage in _flatten(module, torch, ""):
        kind = type(stage).__name__
        if type(stage) is torch.nn.Linear:
            if linears and stage.in_features != linears[-1].out_features:
                raise ValueError(
                    f"from_torch: stage {position} takes {stage.in_features} inputs but the stage before it"
                    f" gives {linears[-1].out_features}"
                )
            linears.append(stage)
            activations.append("linear")
        elif kind in activation_names and type(stage) is getattr(torch.nn, kind):
            if not linears or activations[-1] != "linear":
                after = "at the start" if not linears else "right after another activation"
                raise ValueError(
                    f"from_torch: stage {position} is {kind} {after}; a micrograd neuron applies one activation"
                    " to its own w·x + b, so each activation must follow a Linear"
                )
            activations[-1] = activation_names[kind]
        else:
            raise ValueError(
                f"from_torch: stage {position} is {_short(stage)}, which an MLP cannot represent;"
                f" supported: {SUPPORTED}"
            )
    if not linears:
        raise ValueError(f"from_torch: no Linear layer in {type(module).__name__}; supported: {SUPPORTED}")
    model = mlp_class(linears[0].in_features, [linear.out_features for linear in linears])
    for index, (layer, linear, activation) in enumerate(zip(model.layers, linears, activations, strict=True)):
        weights = linear.weight.detach().to(torch.float64).tolist()
        biases = [0.0] * linear.out_features if linear.bias is None else linear.bias.detach().to(torch.float64).tolist()
        if not all(math.isfinite(x) for x in [*biases, *(x for row in weights for x in row)]):
            raise ValueError(f"from_torch: Linear layer {index} has a weight or bias that is not finite (nan or inf)")
        for neuron, row, bias in zip(layer.neurons, weights, biases, strict=True):
            for w, number in zip(neuron.w, row, strict=True):
                w.data = number
            neuron.b.data = bias
            neuron.activation = activation
    return model
