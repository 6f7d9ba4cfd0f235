"""micrograd.losses: values and gradients against closed forms and PyTorch (float64)."""

from __future__ import annotations

import math
import random

import pytest

from micrograd import Value, grad
from micrograd.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    logsumexp,
    max_margin_loss,
    mse_loss,
    softplus,
)

RNG = random.Random(42)
SCORES = [RNG.uniform(-3, 3) for _ in range(7)]
SIGNS = [RNG.choice([-1, 1]) for _ in range(7)]
BITS = [(s + 1) // 2 for s in SIGNS]
LOGITS = [[RNG.uniform(-4, 4) for _ in range(4)] for _ in range(5)]
CLASSES = [RNG.randrange(4) for _ in range(5)]


def _values(numbers: list[float]) -> list[Value]:
    return [Value(x) for x in numbers]


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# -- closed forms: these run without torch ----------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_hinge_loss_is_micrographs_max_margin(reduction: str) -> None:
    scores = _values(SCORES)
    loss = hinge_loss(scores, SIGNS, reduction=reduction)
    terms = [max(0.0, 1 - y * s) for y, s in zip(SIGNS, SCORES, strict=True)]
    scale = 1 / len(terms) if reduction == "mean" else 1.0
    assert loss.data == pytest.approx(sum(terms) * scale, rel=1e-14)
    loss.backward()
    for v, y, s in zip(scores, SIGNS, SCORES, strict=True):
        assert v.grad == pytest.approx((-y if 1 - y * s > 0 else 0.0) * scale, rel=1e-14)
    assert max_margin_loss is hinge_loss


def test_mse_loss_closed_form() -> None:
    predictions = _values(SCORES)
    targets = [0.5 * t for t in SIGNS]
    loss = mse_loss(predictions, targets)
    n = len(SCORES)
    assert loss.data == pytest.approx(sum((p - t) ** 2 for p, t in zip(SCORES, targets, strict=True)) / n)
    loss.backward()
    assert [v.grad for v in predictions] == pytest.approx(
        [2 * (p - t) / n for p, t in zip(SCORES, targets, strict=True)], rel=1e-13
    )


def test_bce_with_logits_closed_form_and_gradient_sigmoid_minus_target() -> None:
    logits = _values(SCORES)
    loss = binary_cross_entropy_with_logits(logits, BITS)
    n = len(SCORES)
    expected = -sum(
        y * math.log(_sigmoid(z)) + (1 - y) * math.log(1 - _sigmoid(z)) for z, y in zip(SCORES, BITS, strict=True)
    )
    assert loss.data == pytest.approx(expected / n, rel=1e-12)
    loss.backward()
    assert [v.grad for v in logits] == pytest.approx(
        [(_sigmoid(z) - y) / n for z, y in zip(SCORES, BITS, strict=True)], rel=1e-12
    )


def test_bce_gradient_at_zero_logit_is_exact() -> None:
    z = Value(0.0)
    binary_cross_entropy_with_logits([z], [1]).backward()
    assert z.grad == -0.5  # sigmoid(0) - 1; a relu/abs formulation would give -1 or 0 here


def test_cross_entropy_closed_form_and_gradient_softmax_minus_one_hot() -> None:
    rows = [_values(row) for row in LOGITS]
    loss = cross_entropy(rows, CLASSES)
    n = len(rows)
    total = 0.0
    for row, target in zip(LOGITS, CLASSES, strict=True):
        total += -math.log(math.exp(row[target]) / sum(math.exp(x) for x in row))
    assert loss.data == pytest.approx(total / n, rel=1e-12)
    loss.backward()
    for values, row, target in zip(rows, LOGITS, CLASSES, strict=True):
        softmax = [math.exp(x) / sum(math.exp(v) for v in row) for x in row]
        expected = [(p - (k == target)) / n for k, p in enumerate(softmax)]
        assert [v.grad for v in values] == pytest.approx(expected, rel=1e-10, abs=1e-15)


def test_cross_entropy_of_a_single_example() -> None:
    assert cross_entropy(_values([1.0, 2.0, 3.0]), 2).data == pytest.approx(
        -math.log(math.exp(3) / (math.exp(1) + math.exp(2) + math.exp(3)))
    )


def test_stable_for_huge_logits() -> None:
    big = [Value(1000.0), Value(-1000.0), Value(999.0)]
    loss = cross_entropy(big, 0)
    assert loss.data == pytest.approx(math.log1p(math.exp(-1)), rel=1e-12)
    loss.backward()
    assert big[0].grad == pytest.approx(_sigmoid(1) - 1, rel=1e-12)
    assert big[1].grad == 0.0
    z = Value(-800.0)
    bce = binary_cross_entropy_with_logits([z], [1])
    assert bce.data == 800.0
    bce.backward()
    assert z.grad == -1.0
    assert binary_cross_entropy_with_logits([Value(800.0)], [1]).data == 0.0


def test_softplus_and_logsumexp_work_on_numbers_and_to_any_order() -> None:
    assert softplus(0.0) == pytest.approx(math.log(2))
    assert logsumexp([0.0, 0.0]) == pytest.approx(math.log(2))
    x = Value(0.3)
    second = grad(grad(softplus(x), x, create_graph=True), x)  # sigmoid'(x)
    assert second.data == pytest.approx(_sigmoid(0.3) * (1 - _sigmoid(0.3)), rel=1e-12)
    xs = [Value(0.2), Value(-0.1)]
    d = grad(grad(logsumexp(xs), xs[0], create_graph=True), xs[0])  # p (1 - p)
    p = math.exp(0.2) / (math.exp(0.2) + math.exp(-0.1))
    assert d.data == pytest.approx(p * (1 - p), rel=1e-12)


def test_l2_penalty_is_alpha_sum_of_squares_with_gradient_2_alpha_p() -> None:
    params = _values([0.5, -2.0, 3.0])
    penalty = l2_penalty(params, 1e-2)
    assert penalty.data == pytest.approx(1e-2 * (0.25 + 4 + 9), rel=1e-15)
    penalty.backward()
    assert [p.grad for p in params] == pytest.approx([2e-2 * p for p in (0.5, -2.0, 3.0)], rel=1e-15)


def test_l1_penalty_is_alpha_sum_of_magnitudes_with_gradient_alpha_sign_p() -> None:
    values = [0.5, -2.0, 3.0, -0.25]
    params = _values(values)
    penalty = l1_penalty(params, 1e-2)
    penalty.backward()
    assert penalty.data == pytest.approx(1e-2 * sum(map(abs, values)), rel=1e-15)
    assert [p.grad for p in params] == pytest.approx([math.copysign(1e-2, v) for v in values], rel=1e-15)
    torch = pytest.importorskip("torch")  # and as PyTorch computes it (the optional extra, which CI installs)
    reference = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    expected = 1e-2 * reference.abs().sum()
    expected.backward()
    assert penalty.data == pytest.approx(expected.item(), rel=1e-15)
    assert [p.grad for p in params] == pytest.approx(reference.grad.tolist(), rel=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: hinge_loss([Value(1.0)], [0]), "targets must be -1 or \\+1"),
        (lambda: hinge_loss([Value(1.0), Value(2.0)], [1]), "2 outputs but 1 targets"),
        (lambda: mse_loss([], []), "empty batch"),
        (lambda: mse_loss([Value(1.0)], [1.0], reduction="none"), "reduction must be"),
        (lambda: binary_cross_entropy_with_logits([Value(1.0)], [2]), "targets must be in \\[0, 1\\]"),
        (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [2]), "class index in 0..1"),
    ],
)
def test_bad_arguments_raise_clear_errors(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_targets_must_be_numbers() -> None:
    with pytest.raises(TypeError, match="targets must be numbers"):
        mse_loss([Value(1.0)], ["1"])  # type: ignore[list-item]


# -- PyTorch as the reference --------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_against_torch(reduction: str) -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional

    def check(ours: Value, inputs: list[Value], theirs: object, tensor: object) -> None:
        ours.backward()
        theirs.backward()  # type: ignore[attr-defined]
        assert ours.data == pytest.approx(theirs.item(), rel=1e-12)  # type: ignore[attr-defined]
        expected = tensor.grad.flatten().tolist()  # type: ignore[attr-defined]
        assert [v.grad for v in inputs] == pytest.approx(expected, rel=1e-10, abs=1e-15)

    # hinge: torch has no per-example max-margin loss with these targets; write it with relu
    scores = _values(SCORES)
    t = torch.tensor(SCORES, dtype=torch.float64, requires_grad=True)
    signs = torch.tensor(SIGNS, dtype=torch.float64)
    reduce = torch.mean if reduction == "mean" else torch.sum
    check(hinge_loss(scores, SIGNS, reduction), scores, reduce(torch.relu(1 - signs * t)), t)

    predictions = _values(SCORES)
    t = torch.tensor(SCORES, dtype=torch.float64, requires_grad=True)
    targets = [0.3 * s for s in SIGNS]
    theirs = functional.mse_loss(t, torch.tensor(targets, dtype=torch.float64), reduction=reduction)
    check(mse_loss(predictions, targets, reduction), predictions, theirs, t)

    logits = _values([10 * s for s in SCORES])
    t = torch.tensor([10 * s for s in SCORES], dtype=torch.float64, requires_grad=True)
    soft = [0.0, 1.0, 0.25, 1.0, 0.0, 0.5, 1.0]
    theirs = functional.binary_cross_entropy_with_logits(
        t, torch.tensor(soft, dtype=torch.float64), reduction=reduction
    )
    check(binary_cross_entropy_with_logits(logits, soft, reduction), logits, theirs, t)

    rows = [_values([20 * x for x in row]) for row in LOGITS]
    t = torch.tensor([[20 * x for x in row] for row in LOGITS], dtype=torch.float64, requires_grad=True)
    theirs = functional.cross_entropy(t, torch.tensor(CLASSES), reduction=reduction)
    check(cross_entropy(rows, CLASSES, reduction), [v for row in rows for v in row], theirs, t)


def test_logsumexp_of_nothing_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="logsumexp: needs at least one operand"):
        logsumexp([])
