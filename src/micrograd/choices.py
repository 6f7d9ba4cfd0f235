"""Training choices by name: the losses, optimizers and learning-rate schedules a front end offers.

``micrograd demo`` and the playground both let people pick a loss, an optimizer
and (the demo) a schedule by name.  This module is the one recipe for each name:
which function computes the loss, which targets it wants for 0/1 labels, which
optimizer with which settings, which schedule.  Both front ends use it, so a
name means the same training in both.

>>> from micrograd import choices
>>> choices.targets("hinge", [0, 1])
[-1, 1]
>>> choices.default_lr("adam", "hinge")
0.05
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from micrograd import data, losses, optim
from micrograd.autograd import Value

__all__ = [
    "DEFAULT_LR",
    "LOSSES",
    "LOSS_FUNCTIONS",
    "OPTIMIZERS",
    "REGRESSION_LOSSES",
    "SCHEDULES",
    "data_loss",
    "default_loss",
    "default_lr",
    "loss_problem",
    "make_optimizer",
    "make_schedule",
    "targets",
]

LOSS_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "hinge": losses.hinge_loss,
    "mse": losses.mse_loss,
    "bce": losses.binary_cross_entropy_with_logits,
    "cross-entropy": losses.cross_entropy,
}
LOSSES = tuple(LOSS_FUNCTIONS)
REGRESSION_LOSSES = ("mse",)  # the losses of a number to predict (data.REGRESSIONS); the others score classes
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULES = ("linear", "cosine", "constant")
DEFAULT_LR = {"sgd": 1.0, "momentum": 0.1, "adam": 0.05, "adamw": 0.05}


def default_loss(classes: int) -> str:
    """The loss for a number of classes: the max-margin (hinge) loss for two, cross-entropy for more."""
    return "hinge" if classes == 2 else "cross-entropy"


def loss_problem(loss: str, dataset: str, classes: int) -> str | None:
    """Why ``loss`` cannot train ``classes`` classes of ``dataset`` (or a regression), or None if it can."""
    if dataset in data.REGRESSIONS:
        if loss in REGRESSION_LOSSES:
            return None
        losses_named = " or ".join(REGRESSION_LOSSES)
        return f"{dataset} is a regression (a number to predict, not a class): its loss is {losses_named}"
    if loss != "cross-entropy" and classes > 2:
        return f"the {loss} loss is for two classes; {dataset} has {classes}: use cross-entropy"
    return None


def default_lr(optimizer: str, loss: str) -> float:
    """A learning rate that suits the optimizer (and the loss, for plain SGD)."""
    if loss == "mse" and optimizer == "sgd":
        return 0.1  # squared errors have steeper gradients: 1.0 diverges
    return DEFAULT_LR[optimizer]


def targets(loss: str, labels: Sequence[int]) -> list[int]:
    """The targets ``loss`` wants for 0/1 (or class) labels: -1/+1 for hinge and mse, the labels otherwise."""
    if loss in ("hinge", "mse"):
        return [2 * label - 1 for label in labels]
    return list(labels)


def data_loss(loss: str, outputs: Sequence[Any], labels: Sequence[int]) -> Value:
    """The loss named ``loss`` of a batch's outputs (Values, or rows of them) against its labels."""
    return LOSS_FUNCTIONS[loss](outputs, targets(loss, labels))


def make_optimizer(name: str, parameters: list[Value], lr: float) -> optim.Optimizer:
    """The optimizer named ``name``: plain SGD, SGD with Nesterov momentum 0.9, Adam or AdamW (their defaults)."""
    if name == "sgd":
        return optim.SGD(parameters, lr=lr)
    if name == "momentum":
        return optim.SGD(parameters, lr=lr, momentum=0.9, nesterov=True)
    if name == "adam":
        return optim.Adam(parameters, lr=lr)
    if name == "adamw":
        return optim.AdamW(parameters, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


def make_schedule(name: str, optimizer: optim.Optimizer, steps: int, lr: float) -> optim.LRScheduler:
    """The schedule named ``name`` over ``steps`` steps: linear or cosine from ``lr`` to a tenth of it, or constant."""
    if name == "linear":  # micrograd's demo: lr = 1.0 - 0.9 * k / steps
        return optim.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=steps)
    if name == "cosine":
        return optim.CosineAnnealingLR(optimizer, T_max=steps, eta_min=0.1 * lr)
    if name == "constant":
        return optim.ConstantLR(optimizer)
    raise ValueError(f"unknown schedule {name!r}; choose from {', '.join(SCHEDULES)}")
