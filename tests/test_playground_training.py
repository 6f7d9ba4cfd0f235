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
