"""Optimizers, learning-rate schedules and gradient clipping, with PyTorch's update rules.

An optimizer holds a list of parameters (Values) and changes their ``data`` using
their ``grad``::

    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        loss = ...
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

A schedule changes ``optimizer.lr`` each time its ``step()`` is called (once per
training step, after ``optimizer.step()``), like ``torch.optim.lr_scheduler``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from micrograd.autograd import Value

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "ConstantLR",
    "CosineAnnealingLR",
    "LRScheduler",
    "LinearLR",
    "Optimizer",
    "clip_grad_norm_",
    "clip_grad_value_",
]


def _check(name: str, value: float, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < high:
        interval = f"[{low}, {high})" if high != math.inf else f">= {low}"
        raise ValueError(f"{name} must be a number {interval}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: the parameters, the learning rate ``lr``, and ``zero_grad``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameters must be Values, got {type(p).__name__}")
        self.lr = _check("lr", lr)

    def zero_grad(self) -> None:
        """Set the gradients to zero before the next ``backward()``."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current gradient."""
        raise NotImplementedError

    def update_rule(self) -> dict[str, Any] | None:
        """The rule ``step()`` follows and its settings, for code that runs it elsewhere (a compiled
        training step runs it on arrays); None when ``step()`` is not one this module defines."""
        return None

    def state_dict(self) -> dict[str, Any]:
        """What the optimizer carries from step to step (momentum, Adam's averages), as plain data."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take up the carried state ``state`` (as :meth:`state_dict` gives it)."""
        if state:
            raise ValueError(f"{type(self).__name__}: carries no state, got {sorted(state)}")

    def _state_list(self, state: dict[str, Any], name: str) -> list[float]:
        values = [float(x) for x in state[name]]
        if len(values) != len(self.params):
            count = len(self.params)
            raise ValueError(f"{type(self).__name__}: {name} has {len(values)} entries for {count} parameters")
        return values

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k != "params" and not k.startswith("_"))
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, Nesterov momentum and weight decay.

    With ``g = grad + weight_decay * p``: plain SGD does ``p -= lr * g``; with
    momentum ``b = momentum * b + g`` (``b = g`` on the first step) and
    ``p -= lr * b``, or ``p -= lr * (g + momentum * b)`` with ``nesterov=True``.
    The same rules as ``torch.optim.SGD`` (without dampening).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.01,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check("momentum", momentum)
        self.weight_decay = _check("weight_decay", weight_decay)
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov momentum needs momentum > 0")
        self.nesterov = nesterov
        self._velocity: list[float] | None = None

    def step(self) -> None:
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        if momentum == 0:
            for p in self.params:
                p.data -= lr * (p.grad + weight_decay * p.data if weight_decay else p.grad)
            return
        first = self._velocity is None
        velocity = self._velocity if self._velocity is not None else [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = p.grad + weight_decay * p.data if weight_decay else p.grad
            b = g if first else momentum * velocity[i] + g
            velocity[i] = b
            p.data -= lr * (g + momentum * b if self.nesterov else b)
        self._velocity = velocity

    def update_rule(self) -> dict[str, Any] | None:
        if type(self).step is not SGD.step:
            return None
        return {
            "rule": "sgd",
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "nesterov": self.nesterov,
        }

    def state_dict(self) -> dict[str, Any]:
        return {"velocity": None if self._velocity is None else list(self._velocity)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._velocity = None if state["velocity"] is None else self._state_list(state, "velocity")


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): steps scaled by running averages of the gradient and its square.

    ``m`` and ``v`` average ``g`` and ``g*g`` with rates ``betas``; both start at
    zero, so they are divided by ``1 - beta**t`` (bias correction).  Then
    ``p -= lr * m_hat / (sqrt(v_hat) + eps)``.  ``weight_decay`` adds
    ``weight_decay * p`` to the gradient (L2), as ``torch.optim.Adam``.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        beta1, beta2 = betas
        self.betas = (_check("betas[0]", beta1, 0.0, 1.0), _check("betas[1]", beta2, 0.0, 1.0))
        self.eps = _check("eps", eps)
        if self.eps == 0:
            raise ValueError("eps must be positive (it keeps the step finite where a gradient is 0), got 0")
        self.weight_decay = _check("weight_decay", weight_decay)
        self._steps = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    _decoupled = False  # Adam: weight decay is added to the gradient; AdamW: applied to p directly

    def step(self) -> None:
        l2 = self.weight_decay
        if self._decoupled:
            if l2:
                shrink = 1 - self.lr * l2
                for p in self.params:
                    p.data *= shrink
            l2 = 0.0
        self._steps += 1
        t = self._steps
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1**t)
        correction2 = math.sqrt(1 - beta2**t)
        eps = self.eps
        m, v = self._m, self._v
        for i, p in enumerate(self.params):
            g = p.grad + l2 * p.data if l2 else p.grad
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / correction2 + eps)

    def update_rule(self) -> dict[str, Any] | None:
        if type(self).step is not Adam.step:
            return None
        return {
            "rule": "adam",
            "lr": self.lr,
            "betas": self.betas,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "decoupled": self._decoupled,
        }

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self._steps, "m": list(self._m), "v": list(self._v)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        m, v = self._state_list(state, "m"), self._state_list(state, "v")
        self._steps, self._m, self._v = int(state["steps"]), m, v


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``.

    Each step first shrinks the parameters, ``p *= 1 - lr * weight_decay``, and then
    takes an Adam step on the plain gradient.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)

    _decoupled = True


# -- learning-rate schedules ------------------------------------------------------------


class LRScheduler:
    """Base class: sets ``optimizer.lr = factor(t) * base_lr`` after ``t`` calls to ``step()``."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0  # PyTorch's name: how many times step() was called
        optimizer.lr = self.lr_at(0)

    def lr_at(self, t: int) -> float:
        """The learning rate after ``t`` steps."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance by one training step and update the optimizer's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> float:
        """The learning rate the optimizer uses now."""
        return self.optimizer.lr


class ConstantLR(LRScheduler):
    """No change: ``base_lr`` at every step (so a schedule can always be given)."""

    def lr_at(self, t: int) -> float:
        return self.base_lr


class LinearLR(LRScheduler):
    """A straight line from ``start_factor * lr`` to ``end_factor * lr`` over ``total_iters`` steps.

    micrograd's demo uses ``lr = 1.0 - 0.9 * k / 100``: that is ``LinearLR(SGD(..., lr=1.0),
    start_factor=1.0, end_factor=0.1, total_iters=100)``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = _check("start_factor", start_factor)
        self.end_factor = _check("end_factor", end_factor)
        if isinstance(total_iters, bool) or not isinstance(total_iters, int) or total_iters < 1:
            raise ValueError(f"total_iters must be a positive integer, got {total_iters!r}")
        self.total_iters = total_iters
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        t = min(t, self.total_iters)
        return self.base_lr * (self.start_factor - (self.start_factor - self.end_factor) * t / self.total_iters)


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``lr`` down to ``eta_min`` over ``T_max`` steps.

    As in PyTorch the cosine goes on after ``T_max`` (the rate rises again), so set
    ``T_max`` to the number of training steps.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"T_max must be a positive integer, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = _check("eta_min", eta_min)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


# -- gradient clipping --------------------------------------------------------------------


def clip_grad_norm_(parameters: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients down together so that their Euclidean norm is at most ``max_norm``.

    Returns the norm before clipping (useful to watch for exploding gradients).
    Same rule as ``torch.nn.utils.clip_grad_norm_``: the factor is
    ``max_norm / (norm + 1e-6)``, capped at 1.
    """
    ps = list(parameters)
    max_norm = _check("max_norm", max_norm)
    total = math.sqrt(math.fsum(p.grad * p.grad for p in ps))
    factor = max_norm / (total + 1e-6)
    if factor < 1.0:
        for p in ps:
            p.grad *= factor
    return total


def clip_grad_value_(parameters: Iterable[Value], clip_value: float) -> None:
    """Clamp every gradient to ``[-clip_value, clip_value]``."""
    clip_value = _check("clip_value", clip_value)
    for p in parameters:
        p.grad = min(max(p.grad, -clip_value), clip_value)
