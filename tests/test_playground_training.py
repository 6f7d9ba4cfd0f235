"""Training sessions with input features (x1², sin x1, ...): what the model is given, drawn and trained on."""

from __future__ import annotations

import math
from typing import Any

import pytest

from micrograd import data
from micrograd.playground import maps
from micrograd.playground.api import Api
from micrograd.playground.settings import read_settings
from micrograd.playground.training import NEURON_SIZE, Session


def new_session(api: Api, settings: dict[str, Any]) -> dict[str, Any]:
    status, state = api.handle("POST", "/api/sessions", settings)
    assert status == 201, state
    return state


def test_the_info_lists_the_features_of_micrograd_data() -> None:
    status, info = Api().handle("GET", "/api/info")
    assert status == 200 and info["features"] == list(data.FEATURES)
    assert info["defaults"]["features"] == ["x1", "x2"]


def test_squared_features_let_a_linear_model_separate_circles() -> None:
    """No hidden layer: a line in (x1, x2) cannot separate the circles; in (x1², x2²) it can."""
    accuracy = {}
    for features in (["x1", "x2"], ["x1^2", "x2^2"]):
        settings = {"dataset": "circles", "hidden": [], "features": features, "lr": 0.3, "l2": 0, "seed": 3}
        session = Session(read_settings(settings))
        session.step(300, seconds=math.inf)
        accuracy[features[0]] = session.history[-1]["train_accuracy"]
    assert accuracy["x1"] < 0.8
    assert accuracy["x1^2"] >= 0.95, accuracy


def test_the_model_takes_the_chosen_features_in_the_order_of_micrograd_data() -> None:
    api = Api()
    state = new_session(api, {"features": ["sin(x2)", "x1", "x1*x2"], "hidden": [3]})
    assert state["settings"]["features"] == ["x1", "x1*x2", "sin(x2)"]
    assert state["layers"] == [3, 3, 1]
    assert [len(row) for row in state["weights"][0]["w"]] == [3, 3, 3]
    session = api.store.get(state["id"])
    for (x1, x2), row in zip(session.X_train, session.inputs_train, strict=True):
        assert row == [x1, x1 * x2, math.sin(x2)]


def test_every_features_map_is_its_value_over_the_plane_sent_with_a_fresh_state_only() -> None:
    api = Api()
    state = new_session(api, {"hidden": [2]})
    assert set(state["features"]) == set(data.FEATURES)
    points = maps.grid_points(tuple(state["extent"]), NEURON_SIZE)  # type: ignore[arg-type]
    for name, feature in data.FEATURES.items():
        values = [feature(x1, x2) for x1, x2 in points]
        scale = max(abs(v) for v in values)
        drawn = state["features"][name]
        assert drawn["scale"] == pytest.approx(scale)
        assert drawn["values"] == [round(v / scale * 100) for v in values], name
    status, later = api.handle("POST", f"/api/sessions/{state['id']}/step", {"steps": 3, "since": 0})
    assert status == 200 and "features" not in later  # they change only with the data


def test_a_point_graph_starts_from_the_features_of_the_point() -> None:
    api = Api()
    state = new_session(api, {"features": ["x1", "x2^2", "sin(x1)"], "hidden": [2]})
    status, point = api.handle("POST", f"/api/sessions/{state['id']}/point", {"index": 4})
    assert status == 200, point
    session = api.store.get(state["id"])
    x1, x2 = session.X_train[4]
    for name, value in (("x1", x1), ("x2^2", x2 * x2), ("sin(x1)", math.sin(x1))):
        assert f'"{{ {name} | data {value:.4f} |' in point["dot"], name  # the graph's inputs, named
    score = session.model([x1, x2 * x2, math.sin(x1)])
    target = 2 * session.y_train[4] - 1
    assert point["loss"] == pytest.approx(max(0.0, 1 - target * score.data))  # the hinge loss of this point


def test_features_need_a_new_model_and_a_reset_gives_it() -> None:
    api = Api()
    key = new_session(api, {"hidden": [2]})["id"]
    status, refused = api.handle(
        "POST", f"/api/sessions/{key}/settings", {"settings": {"hidden": [2], "features": ["x1"]}}
    )
    assert status == 409 and "features: a new model is needed" in refused["error"]
    status, state = api.handle("POST", f"/api/sessions/{key}/reset", {"hidden": [2], "features": ["x1"]})
    assert status == 200 and state["layers"] == [1, 2, 1] and state["step"] == 0


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["x3"], "features: no feature 'x3'; the features are x1, x2, x1^2"),
        ([], "features must be a non-empty list"),
        ("x1", "features must be a non-empty list"),
        (["x1", "x1"], "each feature at most once"),
    ],
)
def test_bad_features_are_refused_in_one_line(features: Any, message: str) -> None:
    status, result = Api().handle("POST", "/api/sessions", {"features": features})
    assert status == 400 and message in result["error"]


def test_compiled_training_with_features_computes_what_the_engine_computes() -> None:
    settings = read_settings({"features": list(data.FEATURES), "hidden": [5], "optimizer": "adam", "lr": 0.01})
    compiled, plain = Session(settings, compiled=True), Session(settings, compiled=False)
    compiled.step(10, seconds=math.inf)
    plain.step(10, seconds=math.inf)
    for a, b in zip(compiled.parameters, plain.parameters, strict=True):
        assert math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)


# -- regression: plane and multi_gaussian ------------------------------------------------------------


def test_the_info_lists_the_regressions_and_their_losses() -> None:
    info = Api().handle("GET", "/api/info")[1]
    assert info["regressions"] == list(data.REGRESSIONS) and info["regression_losses"] == ["mse"]
    assert not set(info["regressions"]) & set(info["datasets"])


@pytest.mark.parametrize("dataset", sorted(data.REGRESSIONS))
def test_a_regression_trains_with_mse_and_reports_losses_without_accuracy(dataset: str) -> None:
    settings = {"dataset": dataset, "hidden": [8, 8], "activation": "tanh", "optimizer": "adam", "lr": 0.03}
    session = Session(read_settings(settings))  # no loss given: a regression's is mse
    assert session.settings.loss == "mse" and session.model.layers[-1].neurons[0].activation == "linear"
    first = session.history[-1]
    assert first["train_accuracy"] is None and first["test_accuracy"] is None
    session.step(600, seconds=math.inf)
    last = session.history[-1]
    assert last["train_accuracy"] is None and last["test_loss"] is not None
    assert last["train_loss"] < first["train_loss"] / 4 and last["train_loss"] < 0.06, (first, last)
    # the loss is the mean squared error of the model's outputs against the targets themselves
    outputs = [session.model(row).data for row in session.inputs_test]
    errors = [(o - t) ** 2 for o, t in zip(outputs, session.y_test, strict=True)]
    assert last["test_loss"] == pytest.approx(sum(errors) / len(errors))


def test_a_regressions_boundary_is_its_output_over_the_plane() -> None:
    session = Session(read_settings({"dataset": "plane", "hidden": [3]}))
    state = session.state()
    boundary = state["boundary"]
    assert set(boundary) == {"size", "scale", "values"} and boundary["size"] == 40
    outputs = [session.model(row).data for row in data.features(maps.grid_points(session.extent, 40))]
    scale = max(abs(o) for o in outputs)
    assert boundary["scale"] == pytest.approx(scale)
    assert boundary["values"] == [round(o / scale * 100) for o in outputs]
    assert state["train"]["labels"] == session.y_train and isinstance(state["train"]["labels"][0], float)


@pytest.mark.parametrize("loss", ["hinge", "bce", "cross-entropy"])
def test_a_regression_refuses_a_classification_loss(loss: str) -> None:
    status, result = Api().handle("POST", "/api/sessions", {"dataset": "multi_gaussian", "loss": loss})
    assert status == 400
    assert result["error"] == "multi_gaussian is a regression (a number to predict, not a class): its loss is mse"


def test_a_regressions_point_graph_is_the_squared_error_of_its_target() -> None:
    api = Api()
    state = new_session(api, {"dataset": "plane", "hidden": [2]})
    status, point = api.handle("POST", f"/api/sessions/{state['id']}/point", {"set": "test", "index": 1})
    assert status == 200, point
    session = api.store.get(state["id"])
    assert point["label"] == session.y_test[1] == state["test"]["labels"][1]
    output = session.model(session.inputs_test[1]).data
    assert point["loss"] == pytest.approx((output - session.y_test[1]) ** 2)


def test_compiled_regression_computes_what_the_engine_computes() -> None:
    settings = read_settings({"dataset": "multi_gaussian", "hidden": [6], "optimizer": "momentum", "l2": 1e-3})
    compiled, plain = Session(settings, compiled=True), Session(settings, compiled=False)
    compiled.step(12, seconds=math.inf)
    plain.step(12, seconds=math.inf)
    assert compiled.compiled_step is not None and compiled.compiled_step.traces == 1  # float targets are data
    for a, b in zip(compiled.parameters, plain.parameters, strict=True):
        assert math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)
    assert compiled.history[-1]["train_loss"] == pytest.approx(plain.history[-1]["train_loss"], rel=1e-9)
