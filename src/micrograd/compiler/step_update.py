"""The optimizers' updates for a compiled training step, on arrays (numpy) or lists (pure Python).

Each is the arithmetic of ``micrograd.optim``'s ``step()`` (described by the optimizer's
``update_rule()``), operation for operation in the same order, so a compiled step
moves the weights to the same bits as ``optimizer.step()`` given the same gradients.
``state`` is what the optimizer carries (``state_dict()``): ``velocity`` for SGD with
momentum, ``steps``, ``m`` and ``v`` for Adam and AdamW.  Gradient clipping is
``micrograd.optim.clip_grad_norm_`` and ``clip_grad_value_``, the same way.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["clip_numpy", "clip_python", "update_numpy", "update_python"]


def update_numpy(rule: dict[str, Any], p: Any, g: Any, state: dict[str, Any]) -> None:
    """``p -= ...`` in place, as the optimizer's ``step()`` with gradients ``g`` (a numpy array)."""
    if rule["rule"] == "sgd":
        _sgd_numpy(rule, p, g, state)
        return
    import numpy as np

    lr, l2 = rule["lr"], rule["weight_decay"]
    if rule["decoupled"]:
        if l2:
            p *= 1 - lr * l2
        l2 = 0.0
    state["steps"] += 1
    t = state["steps"]
    beta1, beta2 = rule["betas"]
    step_size = lr / (1 - beta1**t)
    correction2 = math.sqrt(1 - beta2**t)
    if l2:
        g = g + l2 * p
    m, v = state["m"], state["v"]
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    p -= step_size * m / (np.sqrt(v) / correction2 + rule["eps"])


def _sgd_numpy(rule: dict[str, Any], p: Any, g: Any, state: dict[str, Any]) -> None:
    lr, momentum, weight_decay = rule["lr"], rule["momentum"], rule["weight_decay"]
    if weight_decay:
        g = g + weight_decay * p
    if momentum == 0:
        p -= lr * g
        return
    velocity = state["velocity"]
    if velocity is None:
        state["velocity"] = velocity = g.copy()  # b = g on the first step
    else:
        velocity *= momentum
        velocity += g
    p -= lr * (g + momentum * velocity if rule["nesterov"] else velocity)


def update_python(rule: dict[str, Any], p: list[float], g: list[float], state: dict[str, Any]) -> None:
    """The same on lists of floats, in place."""
    lr = rule["lr"]
    n = len(p)
    if rule["rule"] == "sgd":
        momentum, weight_decay, nesterov = rule["momentum"], rule["weight_decay"], rule["nesterov"]
        if weight_decay:
            g = [gi + weight_decay * pi for gi, pi in zip(g, p, strict=True)]
        if momentum == 0:
            p[:] = [pi - lr * gi for pi, gi in zip(p, g, strict=True)]
            return
        old = state["velocity"]
        b = list(g) if old is None else [momentum * bi + gi for bi, gi in zip(old, g, strict=True)]
        state["velocity"] = b
        step = [gi + momentum * bi for gi, bi in zip(g, b, strict=True)] if nesterov else b
        p[:] = [pi - lr * si for pi, si in zip(p, step, strict=True)]
        return
    l2 = rule["weight_decay"]
    if rule["decoupled"]:
        if l2:
            shrink = 1 - lr * l2
            p[:] = [pi * shrink for pi in p]
        l2 = 0.0
    state["steps"] += 1
    t = state["steps"]
    beta1, beta2 = rule["betas"]
    step_size = lr / (1 - beta1**t)
    correction2 = math.sqrt(1 - beta2**t)
    eps, m, v, sqrt = rule["eps"], state["m"], state["v"], math.sqrt
    for i in range(n):
        gi = g[i] + l2 * p[i] if l2 else g[i]
        m[i] = beta1 * m[i] + (1 - beta1) * gi
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
        p[i] -= step_size * m[i] / (sqrt(v[i]) / correction2 + eps)


def clip_numpy(g: Any, max_norm: float | None, clip_value: float | None) -> None:
    """``clip_grad_norm_`` then ``clip_grad_value_`` on the gradients ``g``, in place."""
    import numpy as np

    if max_norm is not None:
        total = math.sqrt(math.fsum((g * g).tolist()))
        factor = max_norm / (total + 1e-6)
        if factor < 1.0:
            g *= factor
    if clip_value is not None:
        np.maximum(g, -clip_value, out=g)
        np.minimum(g, clip_value, out=g)


def clip_python(g: list[float], max_norm: float | None, clip_value: float | None) -> None:
    """The same on a list of floats."""
    if max_norm is not None:
        total = math.sqrt(math.fsum(x * x for x in g))
        factor = max_norm / (total + 1e-6)
        if factor < 1.0:
            g[:] = [x * factor for x in g]
    if clip_value is not None:
        g[:] = [min(max(x, -clip_value), clip_value) for x in g]
