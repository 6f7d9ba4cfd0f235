"""The scalar autograd engine: ``Value``, its operations, ``backward`` and ``grad``.

``from micrograd.engine import Value`` is the import karpathy's code uses; this
module gathers the engine's public names from the files that define them, which a
newcomer can read top to bottom in this order:

1. ``micrograd.reverse``: the topological order and the backward loop;
2. ``micrograd.value``: the ``Value`` class and the numbers it accepts;
3. ``micrograd.grad_mode``: ``no_grad`` and ``enable_grad``, per thread;
4. ``micrograd.operation``: what every operation is (``Operation``);
5. ``micrograd.shapes``: one class per node shape (``Unary``, ``Binary``,
   ``ConstantPower``, ``Nary``, ``Linear``, ``Recorded``);
6. ``micrograd.rules``: the rule table, one row per operation, forward and local
   derivative side by side;
7. ``micrograd.gradients``: ``grad``, ``derivative``, ``local_gradients``.

Every operation's vector-Jacobian product (``vjp``) serves two purposes:
``Value.backward()`` calls it with plain floats, the fast path for training, and
``grad(..., create_graph=True)`` calls it with ``Value`` objects, so the
derivative is itself a graph that can be differentiated again.
"""

from __future__ import annotations

from micrograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from micrograd.gradients import derivative, grad, local_gradients
from micrograd.operation import Operation
from micrograd.reverse import GraphOrder, graph_order
from micrograd.rules import (
    ABS,
    ADD,
    DIV,
    EXP,
    LINEAR,
    LOG,
    MUL,
    NEG,
    POW,
    POW_CONST,
    RELU,
    SIGMOID,
    SUB,
    TANH,
    exp,
    linear,
    linear_layer,
    log,
    relu,
    sigmoid,
    tanh,
)
from micrograd.shapes import Binary, ConstantPower, Linear, Nary, Recorded, Unary
from micrograd.value import Value, as_real

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
    "Binary",
    "ConstantPower",
    "GraphOrder",
    "Linear",
    "Nary",
    "Operation",
    "Recorded",
    "Unary",
    "Value",
    "as_real",
    "derivative",
    "enable_grad",
    "exp",
    "grad",
    "graph_order",
    "is_grad_enabled",
    "linear",
    "linear_layer",
    "local_gradients",
    "log",
    "no_grad",
    "relu",
    "sigmoid",
    "tanh",
]
