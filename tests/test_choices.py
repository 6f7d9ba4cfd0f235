"""micrograd.choices: the one recipe for the training choices the demo and the playground offer."""

from __future__ import annotations

import math

import pytest

from micrograd import choices, losses, optim
from micrograd.autograd import Value
from micrograd.demo import LOSSES as DEMO_LOSSES
from micrograd.demo import DemoConfig, DemoError
from micrograd.playground.errors import RequestError
from micrograd.playground.settings import LOSSES as PLAYGROUND_LOSSES
from micrograd.playground.settings import OPTIMIZERS as PLAYGROUND_OPTIMIZERS
from micrograd.playground.settings import read_settings
from micrograd.playground.training import Session


def test_the_demo_and_the_playground_offer_the_same_names() -> None:
    assert DEMO_LOSSES == PLAYGROUND_LOSSES == choices.LOSSES == tuple(choices.LOSS_FUNCTIONS)
    assert PLAYGROUND_OPTIMIZERS == choices.OPTIMIZERS == tuple(choices.DEFAULT_LR)


@pytest.mark.parametrize("loss", choices.LOSSES)
def test_data_loss_is_the_named_loss_on_its_targets(loss: str) -> None:
    labels = [0, 1, 1]
    if loss == "cross-entropy":
        outputs: list = [[Value(0.3), Value(-0.2)], [Value(1.5), Value(0.1)], [Value(-0.4), Value(0.9)]]
    else:
        outputs = [Value(0.3), Value(-1.5), Value(0.8)]
    by_hand = {
        "hinge": lambda: losses.hinge_loss(outputs, [-1, 1, 1]),
        "mse": lambda: losses.mse_loss(outputs, [-1, 1, 1]),
        "bce": lambda: losses.binary_cross_entropy_with_logits(outputs, labels),
        "cross-entropy": lambda: losses.cross_entropy(outputs, labels),
    }[loss]()
    assert choices.data_loss(loss, outputs, labels).data == by_hand.data


def test_targets() -> None:
    assert choices.targets("hinge", [0, 1, 0]) == [-1, 1, -1]
    assert choices.targets("mse", [1]) == [1]
    assert choices.targets("bce", [0, 1]) == [0, 1]
    assert choices.targets("cross-entropy", [2, 0]) == [2, 0]


@pytest.mark.parametrize("name", choices.OPTIMIZERS)
def test_make_optimizer(name: str) -> None:
    p = Value(1.0)
    optimizer = choices.make_optimizer(name, [p], 0.5)
    expected = {"sgd": optim.SGD, "momentum": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW}[name]
    assert type(optimizer) is expected
    assert optimizer.lr == 0.5
    p.grad = 2.0
    optimizer.step()
    assert p.data < 1.0
    if name == "momentum":
        assert optimizer.momentum == 0.9 and optimizer.nesterov  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", choices.SCHEDULES)
def test_make_schedule_ends_at_a_tenth_or_stays(name: str) -> None:
    optimizer = choices.make_optimizer("sgd", [Value(0.0)], 1.0)
    schedule = choices.make_schedule(name, optimizer, 10, 1.0)
    for _ in range(10):
        schedule.step()
    assert math.isclose(optimizer.lr, 1.0 if name == "constant" else 0.1)


def test_unknown_names_are_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; choose from sgd, momentum, adam, adamw"):
        choices.make_optimizer("rmsprop", [], 0.1)
    with pytest.raises(ValueError, match="unknown schedule 'step'"):
        choices.make_schedule("step", choices.make_optimizer("sgd", [Value(0.0)], 0.1), 10, 0.1)


def test_defaults() -> None:
    assert choices.default_loss(2) == "hinge"
    assert choices.default_loss(3) == "cross-entropy"
    assert choices.default_lr("sgd", "hinge") == 1.0
    assert choices.default_lr("sgd", "mse") == 0.1
    assert choices.default_lr("adam", "mse") == 0.05


def test_a_two_class_loss_on_more_classes_is_refused_alike_by_both() -> None:
    problem = choices.loss_problem("hinge", "spirals", 3)
    assert problem == "the hinge loss is for two classes; spirals has 3: use cross-entropy"
    assert choices.loss_problem("cross-entropy", "spirals", 3) is None
    assert choices.loss_problem("hinge", "moons", 2) is None
    with pytest.raises(DemoError) as demo:
        DemoConfig(dataset="spirals", classes=3, loss="hinge").resolved()
    with pytest.raises(RequestError) as playground:
        read_settings({"dataset": "spirals", "classes": 3, "loss": "hinge"})
    assert str(demo.value) == problem
    assert problem in str(playground.value)


def test_the_playground_session_uses_the_recipe() -> None:
    session = Session(read_settings({"loss": "mse", "optimizer": "momentum", "lr": 0.2}), compiled=False)
    assert session.loss_function is losses.mse_loss
    assert session.targets_train == [2 * label - 1 for label in session.y_train]
    assert type(session.optimizer) is optim.SGD and session.optimizer.lr == 0.2


def test_a_regression_takes_the_regression_losses_only() -> None:
    assert choices.REGRESSION_LOSSES == ("mse",) and set(choices.REGRESSION_LOSSES) <= set(choices.LOSSES)
    for name in ("plane", "multi_gaussian"):
        assert choices.loss_problem("mse", name, 1) is None
        for loss in ("hinge", "bce", "cross-entropy"):
            problem = choices.loss_problem(loss, name, 1)
            assert problem == f"{name} is a regression (a number to predict, not a class): its loss is mse"
