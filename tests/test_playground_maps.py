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


@pytest.mark.parametrize("plain", [False, True])
def test_a_preview_is_both_maps_on_one_coarser_grid(plain: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if plain:
        monkeypatch.setattr(maps, "numpy", None)
    model = MLP(2, [6, 5, 1], activation="tanh", rng=random.Random(8))
    extent = (-1.5, 2.0, -1.0, 1.5)
    preview = maps.heat_maps(model, extent, preview=True)
    assert preview["boundary"] == maps.boundary_map(model, extent, maps.PREVIEW_SIZE)
    assert preview["neurons"] == maps.neuron_maps(model, extent, maps.PREVIEW_SIZE)
    full = maps.heat_maps(model, extent)
    assert full["boundary"]["size"] == maps.BOUNDARY_SIZE > maps.PREVIEW_SIZE
    assert full["neurons"] == maps.neuron_maps(model, extent, maps.NEURON_SIZE)
    assert [len(layer) for layer in full["neurons"]] == [6, 5]


def test_the_plain_maps_agree_with_numpy_to_rounding() -> None:
    pytest.importorskip("numpy")
    model = MLP(2, [7, 7, 3], activation="relu", rng=random.Random(9))
    points = maps.grid_points((-1.0, 1.0, -2.0, 2.0), 9)
    with_numpy = maps.layer_outputs(model, points)
    original = maps.numpy
    try:
        maps.numpy = None  # type: ignore[assignment]
        plain = maps.layer_outputs(model, points)
    finally:
        maps.numpy = original
    for numpy_layer, plain_layer in zip(with_numpy, plain, strict=True):
        for numpy_row, plain_row in zip(numpy_layer, plain_layer, strict=True):
            pairs = zip(numpy_row, plain_row, strict=True)
            assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) for a, b in pairs)


@pytest.mark.parametrize("plain", [False, True])
def test_maps_of_a_model_given_features_evaluate_it_on_the_features_of_the_grid(
    plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if plain:
        monkeypatch.setattr(maps, "numpy", None)
    features = ("x1", "x1^2", "sin(x2)")
    model = MLP(3, [4, 1], activation="tanh", rng=random.Random(5))
    extent = (-1.5, 2.0, -1.0, 1.5)
    drawn = maps.heat_maps(model, extent, features=features, regression=True)
    grid = maps.grid_points(extent, maps.BOUNDARY_SIZE)
    outputs = [model([x1, x1 * x1, math.sin(x2)]).data for x1, x2 in grid]
    scale = max(map(abs, outputs))
    assert drawn["boundary"]["size"] == maps.BOUNDARY_SIZE
    assert drawn["boundary"]["scale"] == pytest.approx(scale)
    assert drawn["boundary"]["values"] == [round(o / scale * 100) for o in outputs]
    assert maps.model_grid(extent, maps.BOUNDARY_SIZE, features) is maps.model_grid(
        extent, maps.BOUNDARY_SIZE, features
    )
