"""The playground's heat maps compute with nn's own float forward, so they draw what the model computes."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from micrograd import MLP, Value, no_grad
from micrograd.nn import Layer, Neuron
from micrograd.playground import maps


class ShiftedNeuron(Neuron):
    """A neuron that computes its own way: nn cannot take its float shortcut, so the map must ask it."""

    def __call__(self, x: Any) -> Value:
        return super().__call__(x) + 0.25


def _model() -> MLP:
    model = MLP(2, [4, 3, 1], activation="tanh", rng=random.Random(5))
    rng = random.Random(6)
    model.layers[1] = Layer(4, 3, activation="tanh", rng=rng)
    model.layers[1].neurons[0] = ShiftedNeuron(4, activation="tanh", rng=rng)
    return model


def test_the_plain_maps_draw_a_neuron_that_computes_its_own_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maps, "numpy", None)
    model = _model()
    points = maps.grid_points((-1.0, 1.0, -1.0, 1.0), 4)
    outputs = maps.layer_outputs(model, points)
    assert [len(layer) for layer in outputs] == [4, 3, 1]
    for index, point in enumerate(points):
        with no_grad():
            hidden = model.layers[0](list(point))
            second = model.layers[1](hidden)
        assert isinstance(hidden, list) and isinstance(second, list)
        for k, value in enumerate(second):
            assert math.isclose(outputs[1][k][index], value.data, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(outputs[2][0][index], model(list(point)).data, rel_tol=1e-12, abs_tol=1e-12)
