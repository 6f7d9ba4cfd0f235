"""The autograd core: ``Value``, its operations, ``backward``, ``grad`` and ``gradcheck``.

Standard library only; every other layer of micrograd builds on this one.  A
newcomer reads it top to bottom in this order:

1. ``reverse``: the topological order and the backward loop;
2. ``value``: the ``Value`` class and the numbers it accepts;
3. ``grad_mode``: ``no_grad`` and ``enable_grad``, per thread;
4. ``operation``: what every operation is (``Operation``);
5. ``nodes``: one class per node layout (``Unary``, ``Binary``,
   ``ConstantPower``, ``Nary``, ``Linear``; ``Recorded``, for nodes made
   micrograd style, in ``recorded``);
6. ``rules``: the rule table, one row per operation, forward and local
   derivative side by side;
7. ``gradients``: ``grad``, ``derivative``, ``local_gradients``;
8. ``gradient_check``: ``gradcheck`` and ``numerical_grad``.

Every operation's vector-Jacobian product (``vjp``) serves two purposes:
``Value.backward()`` calls it with plain floats, the fast path for training, and
``grad(..., create_graph=True)`` calls it with ``Value`` objects, so the
derivative is itself a graph that can be differentiated again.
"""

from __future__ import annotations

from micrograd.autograd import blocks, deferred
from micrograd.autograd.blocks import block_cache, recording_blocks
from micrograd.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from micrograd.autograd.gradient_check import GradcheckError, gradcheck, numerical_grad
from micrograd.autograd.gradients import derivative, grad, local_gradients
from micrograd.autograd.nodes import Binary, ConstantPower, Linear, Nary, Recorded, Unary, recording_nodes
from micrograd.autograd.operation import Operation
from micrograd.autograd.reverse import GraphOrder, graph_order
from micrograd.autograd.rules import (
    ABS,
    ADD,
    DENSE,
    DIV,
    EXP,
    LINEAR,
    LOG,
    MUL,
    NEG,
    OPERATIONS,
    PART,
    POW,
    POW_CONST,
    RELU,
    SIGMOID,
    SUB,
    TANH,
    WEIGHTS,
    block_parts,
    exp,
    layer_block,
    linear,
    linear_layer,
    log,
    relu,
    sigmoid,
    tanh,
)
from micrograd.autograd.value import Value, as_real

__all__ = [
    "ABS",
    "ADD",
    "DENSE",
    "DIV",
    "EXP",
    "LINEAR",
    "LOG",
    "MUL",
    "NEG",
    "OPERATIONS",
    "PART",
    "POW",
    "POW_CONST",
    "RELU",
    "SIGMOID",
    "SUB",
    "TANH",
    "WEIGHTS",
    "Binary",
    "ConstantPower",
    "GradcheckError",
    "GraphOrder",
    "Linear",
    "Nary",
    "Operation",
    "Recorded",
    "Unary",
    "Value",
    "as_real",
    "block_cache",
    "block_parts",
    "blocks",
    "deferred",
    "derivative",
    "enable_grad",
    "exp",
    "grad",
    "gradcheck",
    "graph_order",
    "is_grad_enabled",
    "layer_block",
    "linear",
    "linear_layer",
    "local_gradients",
    "log",
    "no_grad",
    "numerical_grad",
    "recording_blocks",
    "recording_nodes",
    "relu",
    "sigmoid",
    "tanh",
]
