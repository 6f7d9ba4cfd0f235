"""micrograd: a scalar autograd engine and a small neural-network library.

A drop-in replacement for karpathy's micrograd (``from micrograd.engine import
Value``; ``from micrograd.nn import MLP``) that adds operations, gradients of any
order, gradient checks, pictures of the graph, losses, optimizers and datasets.
"""

import sys

from micrograd import data, losses, moved, nn, optim  # neural networks: modules, losses, optimizers, toy data
from micrograd.autograd import (
    GradcheckError,
    Operation,
    Value,
    derivative,
    enable_grad,
    exp,
    grad,
    gradcheck,
    is_grad_enabled,
    linear,
    linear_layer,
    local_gradients,
    log,
    no_grad,
    numerical_grad,
    relu,
    sigmoid,
    tanh,
)
from micrograd.checker import check  # check a Value class a learner wrote (micrograd check)
from micrograd.compiler import compile, compile_step
from micrograd.nn import MLP, Layer, Module, Neuron
from micrograd.pictures import draw_dot, draw_steps, explain, to_mermaid, to_text

__version__ = "0.2.0"

moved.install(sys.modules[__name__])  # the module paths from before the subpackages keep working

__all__ = [
    "MLP",
    "GradcheckError",
    "Layer",
    "Module",
    "Neuron",
    "Operation",
    "Value",
    "__version__",
    "check",
    "compile",
    "compile_step",
    "data",
    "derivative",
    "draw_dot",
    "draw_steps",
    "enable_grad",
    "exp",
    "explain",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "linear",
    "linear_layer",
    "local_gradients",
    "log",
    "losses",
    "nn",
    "no_grad",
    "numerical_grad",
    "optim",
    "relu",
    "sigmoid",
    "tanh",
    "to_mermaid",
    "to_text",
]
