"""Neural networks: ``Module``, ``Neuron``, ``Layer``, ``MLP``, model files and PyTorch interop.

``from micrograd.nn import Neuron, Layer, MLP`` is the import karpathy's code uses.
Read in this order: ``module`` (the ``Module`` base class: parameters, state dicts,
files), ``layers`` (``Neuron``, ``Layer``, ``MLP``), ``model_file`` (the JSON file
format) and ``torch_interop`` (to and from PyTorch).
"""

from __future__ import annotations

from micrograd.nn.layers import ACTIVATIONS, INITS, MLP, Layer, Neuron
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
