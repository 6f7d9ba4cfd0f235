"""Module paths from before micrograd was split into subpackages, forwarded to their new homes.

``from micrograd.visualize import save_picture`` and a model pickled by micrograd
0.2.0 (which names ``micrograd.value.Value``) keep working: each old path is a
module whose ``__getattr__`` reads the name from the new module, imported on first
use.  New code imports the new paths (docs/architecture.md lists them).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

__all__ = ["MOVED", "install"]

# old path -> new path
MOVED = {
    "micrograd.value": "micrograd.autograd.value",
    "micrograd.grad_mode": "micrograd.autograd.grad_mode",
    "micrograd.reverse": "micrograd.autograd.reverse",
    "micrograd.operation": "micrograd.autograd.operation",
    "micrograd.shapes": "micrograd.autograd.nodes",
    "micrograd.rules": "micrograd.autograd.rules",
    "micrograd.gradients": "micrograd.autograd.gradients",
    "micrograd.gradient_check": "micrograd.autograd.gradient_check",
    "micrograd.module": "micrograd.nn.module",
    "micrograd.model_file": "micrograd.nn.model_file",
    "micrograd.torch_interop": "micrograd.nn.torch_interop",
    "micrograd.tracing": "micrograd.compiler.tracing",
    "micrograd.plan": "micrograd.compiler.plan",
    "micrograd.replay_layer": "micrograd.compiler.replay_layer",
    "micrograd.replay_numpy": "micrograd.compiler.replay_numpy",
    "micrograd.replay_python": "micrograd.compiler.replay_python",
    "micrograd.graph_text": "micrograd.pictures.graph_text",
    "micrograd.graphview": "micrograd.pictures.graphview",
    "micrograd.visualize": "micrograd.pictures.visualize",
    "micrograd.rendering": "micrograd.pictures.rendering",
    "micrograd.formula": "micrograd.pictures.formula",
    "micrograd.derivative_formulas": "micrograd.pictures.derivative_formulas",
    "micrograd.explainer": "micrograd.pictures.explainer",
    "micrograd.demo_config": "micrograd.demo.config",
    "micrograd.demo_training": "micrograd.demo.training",
    "micrograd.demo_pictures": "micrograd.demo.pictures",
}


class MovedModule(ModuleType):
    """An old module path: every attribute is read from the module that now holds it."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, f"Moved to {target}; this path forwards to it.")
        self.__moved_to__ = target

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self.__moved_to__), attribute)

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(self.__moved_to__))


def install(package: ModuleType) -> None:
    """Make every old path importable (``sys.modules``) and an attribute of ``package``."""
    for old, new in MOVED.items():
        if old not in sys.modules:
            sys.modules[old] = MovedModule(old, new)
        short = old.rpartition(".")[2]
        if not hasattr(package, short):
            setattr(package, short, sys.modules[old])
