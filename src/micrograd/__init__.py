"""micrograd: a scalar autograd engine and a small neural-network library.

A drop-in replacement for karpathy's micrograd (``from micrograd.engine import
Value``; ``from micrograd.nn import MLP``) that adds operations, gradients of any
order, gradient checks, pictures of the graph, losses, optimizers and datasets.
"""

from micrograd import data, losses, nn, optim  # neural networks: modules, losses, optimizers, toy data
from micrograd.compiler import compile
from micrograd.engine import (
    Operation,
    Value,
    derivative,
    enable_grad,
    exp,
    grad,
    is_grad_enabled,
    linear,
    linear_layer,
    local_gradients,
    log,
    no_grad,
    relu,
    sigmoid,
    tanh,
)
from micrograd.explainer import explain
from micrograd.gradient_check import GradcheckError, gradcheck, numerical_grad
from micrograd.nn import MLP, Layer, Module, Neuron
from micrograd.visualize import draw_dot, draw_steps, to_mermaid, to_text

__version__ = "0.2.0"

__all__ = [
    "MLP",
    "GradcheckError",
    "Layer",
    "Module",
    "Neuron",
    "Operation",
    "Value",
    "__version__",
    "compile",
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
