"""micrograd.optim: update rules, schedules and clipping against hand computation and PyTorch."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from micrograd import Value
from micrograd.optim import (
    SGD,
    Adam,
    AdamW,
    ConstantLR,
    CosineAnnealingLR,
    LinearLR,
    Optimizer,
    clip_grad_norm_,
    clip_grad_value_,
)

START = [0.5, -1.5, 2.0]


def _loss(p: list[Any]) -> Any:
    """A small non-quadratic problem, written so it works on Values and on torch tensors."""
    a, b, c = p
    return (a * b - 1) ** 2 + (b + c) ** 2 * 0.5 + (c - 0.3) ** 4 + a * a * 0.1


def _trajectory(make: Callable[[list[Value]], Optimizer], steps: int) -> list[list[float]]:
    params = [Value(x) for x in START]
    optimizer = make(params)
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(params).backward()
        optimizer.step()
        path.append([p.data for p in params])
    return path


# -- by hand: these run without torch ---------------------------------------------------------


def test_sgd_is_p_minus_lr_times_grad() -> None:
    p = Value(1.0)
    optimizer = SGD([p], lr=0.1)
    p.grad = 2.0
    optimizer.step()
    assert p.data == pytest.approx(0.8)
    optimizer.zero_grad()
    assert p.grad == 0.0


def test_sgd_momentum_and_nesterov_by_hand() -> None:
    p, q = Value(1.0), Value(1.0)
    heavy, nesterov = SGD([p], lr=0.1, momentum=0.9), SGD([q], lr=0.1, momentum=0.9, nesterov=True)
    for g in (1.0, 1.0):
        p.grad = q.grad = g
        heavy.step()
        nesterov.step()
    # heavy ball: b1 = 1, b2 = 0.9 + 1 = 1.9;  p = 1 - 0.1 - 0.19
    assert p.data == pytest.approx(1 - 0.1 * 1 - 0.1 * 1.9)
    # nesterov: steps g + 0.9 b: 1 + 0.9 = 1.9, then 1 + 0.9 * 1.9 = 2.71
    assert q.data == pytest.approx(1 - 0.1 * 1.9 - 0.1 * 2.71)


def test_adam_first_step_moves_every_parameter_by_lr() -> None:
    # bias correction makes the first step exactly lr * sign(grad) (up to eps)
    params = [Value(1.0), Value(-1.0), Value(0.0)]
    optimizer = Adam(params, lr=0.01)
    for p, g in zip(params, (3.0, -0.001, 50.0), strict=True):
        p.grad = g
    optimizer.step()
    assert [p.data for p in params] == pytest.approx([0.99, -0.99, -0.01], rel=1e-6)


def test_adamw_decays_the_weights_apart_from_the_gradient() -> None:
    p = Value(2.0)
    optimizer = AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = 0.0  # no gradient: only the decay acts (and Adam's step is 0/(0+eps) = 0)
    optimizer.step()
    assert p.data == pytest.approx(2.0 * (1 - 0.1 * 0.5))


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.05),
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: Adam(ps, lr=0.05),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_optimizers_decrease_the_loss(make: Callable[[list[Value]], Optimizer]) -> None:
    path = _trajectory(make, 60)
    assert _loss([Value(x) for x in path[-1]]).data < 0.2 * _loss([Value(x) for x in START]).data


def test_bad_settings_raise() -> None:
    with pytest.raises(ValueError, match="lr must be"):
        SGD([Value(1.0)], lr=-1)
    with pytest.raises(ValueError, match="nesterov momentum needs momentum"):
        SGD([Value(1.0)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        Adam([Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty list of parameters"):
        Adam([])
    with pytest.raises(TypeError, match="parameters must be Values"):
        SGD([1.0], lr=0.1)  # type: ignore[list-item]


def test_linear_schedule_is_micrographs_learning_rate_decay() -> None:
    optimizer = SGD([Value(0.0)], lr=1.0)
    schedule = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
    rates = []
    for _ in range(100):
        rates.append(optimizer.lr)
        schedule.step()
    assert rates == [1.0 - 0.9 * k / 100 for k in range(100)]  # exactly the notebook's numbers
    assert schedule.get_last_lr() == pytest.approx(0.1)
    schedule.step()
    assert optimizer.lr == pytest.approx(0.1)  # and it stays at the end


def test_cosine_and_constant_schedules() -> None:
    optimizer = SGD([Value(0.0)], lr=0.5)
    schedule = CosineAnnealingLR(optimizer, T_max=10, eta_min=0.1)
    rates = [optimizer.lr]
    for _ in range(12):
        schedule.step()
        rates.append(optimizer.lr)
    assert rates[0] == 0.5 and rates[5] == pytest.approx(0.3) and rates[10] == pytest.approx(0.1)
    assert rates[12] > rates[11] > rates[10]  # after T_max the cosine rises again, as in PyTorch
    assert all(a >= b for a, b in itertools.pairwise(rates[:11]))
    constant = ConstantLR(SGD([Value(0.0)], lr=0.2))
    constant.step()
    assert constant.get_last_lr() == 0.2


def test_clip_grad_norm_by_hand() -> None:
    params = [Value(0.0), Value(0.0)]
    params[0].grad, params[1].grad = 3.0, 4.0
    assert clip_grad_norm_(params, 1.0) == 5.0
    assert [p.grad for p in params] == pytest.approx([0.6, 0.8], rel=1e-6)
    assert clip_grad_norm_(params, 10.0) == pytest.approx(1.0, rel=1e-6)
    assert [p.grad for p in params] == pytest.approx([0.6, 0.8], rel=1e-6)  # under the limit: unchanged


def test_clip_grad_value_by_hand() -> None:
    params = [Value(0.0), Value(0.0), Value(0.0)]
    for p, g in zip(params, (-5.0, 0.5, 2.0), strict=True):
        p.grad = g
    clip_grad_value_(params, 1.0)
    assert [p.grad for p in params] == [-1.0, 0.5, 1.0]


# -- PyTorch as the reference -------------------------------------------------------------------

CASES: list[tuple[str, Callable[[list[Value]], Optimizer], Callable[[Any, list[Any]], Any]]] = [
    ("sgd", lambda ps: SGD(ps, lr=0.05), lambda torch, ps: torch.optim.SGD(ps, lr=0.05)),
    (
        "sgd-momentum-decay",
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
        lambda torch, ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
    ),
    (
        "sgd-nesterov",
        lambda ps: SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
        lambda torch, ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    ),
    ("adam", lambda ps: Adam(ps, lr=0.05), lambda torch, ps: torch.optim.Adam(ps, lr=0.05)),
    (
        "adam-l2",
        lambda ps: Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda torch, ps: torch.optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
    ("adamw", lambda ps: AdamW(ps, lr=0.05), lambda torch, ps: torch.optim.AdamW(ps, lr=0.05)),
    (
        "adamw-decay",
        lambda ps: AdamW(ps, lr=0.03, weight_decay=0.3),
        lambda torch, ps: torch.optim.AdamW(ps, lr=0.03, weight_decay=0.3),
    ),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[case[0] for case in CASES])
def test_trajectory_matches_torch(name: str, ours: Callable[..., Optimizer], theirs: Callable[..., Any]) -> None:
    torch = pytest.importorskip("torch")
    steps = 25
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    optimizer = theirs(torch, tensors)
    expected = []
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(tensors).backward()
        optimizer.step()
        expected.append([t.item() for t in tensors])
    path = _trajectory(ours, steps)
    assert path[0] != START  # it moved
    for k, (mine, reference) in enumerate(zip(path, expected, strict=True)):
        assert mine == pytest.approx(reference, rel=1e-10, abs=1e-12), f"{name}: step {k + 1}"


def test_schedules_match_torch() -> None:
    torch = pytest.importorskip("torch")
    for ours_schedule, torch_schedule in (
        (
            lambda o: LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20),
            lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20),
        ),
        (
            lambda o: LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=7),
            lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=7),
        ),
        (
            lambda o: CosineAnnealingLR(o, T_max=20, eta_min=0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.01),
        ),
    ):
        optimizer = SGD([Value(0.0)], lr=0.7)
        schedule = ours_schedule(optimizer)
        reference = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.7)
        reference_schedule = torch_schedule(reference)
        for _ in range(25):
            assert optimizer.lr == pytest.approx(reference.param_groups[0]["lr"], rel=1e-9)
            reference.step()
            reference_schedule.step()
            schedule.step()


def test_clipping_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    grads = [0.3, -2.5, 1.25, 4.0]
    for max_norm in (0.5, 100.0):
        params = [Value(0.0) for _ in grads]
        tensors = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in grads]
        for p, t, g in zip(params, tensors, grads, strict=True):
            p.grad = g
            t.grad = torch.tensor([g], dtype=torch.float64)
        norm = clip_grad_norm_(params, max_norm)
        reference = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
        assert norm == pytest.approx(reference.item(), rel=1e-12)
        assert [p.grad for p in params] == pytest.approx([t.grad.item() for t in tensors], rel=1e-12)
    params = [Value(0.0) for _ in grads]
    tensors = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in grads]
    for p, t, g in zip(params, tensors, grads, strict=True):
        p.grad = g
        t.grad = torch.tensor([g], dtype=torch.float64)
    clip_grad_value_(params, 1.0)
    torch.nn.utils.clip_grad_value_(tensors, 1.0)
    assert [p.grad for p in params] == [t.grad.item() for t in tensors]


def test_adam_needs_a_positive_eps() -> None:
    with pytest.raises(ValueError, match="eps must be positive"):
        Adam([Value(1.0)], eps=0.0)


# -- gaps a mutation run found -----------------------------------------------------------------


def test_plain_sgd_applies_weight_decay_by_hand_and_as_torch() -> None:
    p = Value(2.0)
    p.grad = 0.5
    SGD([p], lr=0.1, weight_decay=0.3).step()  # momentum 0: p -= lr * (grad + weight_decay * p)
    assert p.data == pytest.approx(2.0 - 0.1 * (0.5 + 0.3 * 2.0), abs=1e-15)
    torch = pytest.importorskip("torch")
    ours = [Value(x) for x in START]
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    optimizer, reference = SGD(ours, lr=0.05, weight_decay=0.2), torch.optim.SGD(tensors, lr=0.05, weight_decay=0.2)
    for _ in range(10):
        for o, params in ((optimizer, ours), (reference, tensors)):
            o.zero_grad()
            _loss(params).backward()
            o.step()
    assert [p.data for p in ours] == pytest.approx([t.item() for t in tensors], rel=1e-12)
