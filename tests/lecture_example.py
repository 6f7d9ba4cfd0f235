"""The lecture's examples: its hand-set neuron and its four examples through an MLP."""

from __future__ import annotations

import random

from micrograd import MLP, Neuron, Value


def lecture_neuron() -> tuple[Value, list[Value], Neuron]:
    """The lecture's neuron: x1 = 2, x2 = 0, w = (-3, 1), b = 6.8813735870195432, tanh."""
    neuron = Neuron(2, activation="tanh")
    for w, value in zip(neuron.w, (-3.0, 1.0), strict=True):
        w.data = value
    neuron.b.data = 6.8813735870195432
    x = [Value(2.0, label="x1"), Value(0.0, label="x2")]
    return neuron(x), x, neuron


def lecture_loss(seed: int = 1337) -> tuple[Value, MLP]:
    """The lecture's four examples through MLP(3, [4, 4, 1]), squared error summed."""
    random.seed(seed)
    model = MLP(3, [4, 4, 1], activation="tanh")
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    predictions = [model(x) for x in xs]
    loss = sum((out - y) ** 2 for y, out in zip(ys, predictions, strict=True))
    assert isinstance(loss, Value)
    return loss, model
