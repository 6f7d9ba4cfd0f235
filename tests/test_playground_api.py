"""The playground's JSON API, through a real server on port 0 in this process."""

from __future__ import annotations

import http.client
import json
import math
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import autograd
import autograd.numpy as anp
import pytest

from micrograd import MLP, Value
from micrograd.playground import maps, points
from micrograd.playground.api import Api
from micrograd.playground.server import IDLE_SECONDS, MAX_BODY, Handler, PlaygroundServer, make_server
from micrograd.playground.settings import read_settings
from micrograd.playground.training import Session, SessionStore


@pytest.fixture(scope="module")
def server() -> Iterator[PlaygroundServer]:
    running = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def call(
    server: PlaygroundServer,
    method: str,
    path: str,
    body: Any = None,
    host: str | None = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    port = server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": f"127.0.0.1:{port}" if host is None else host, "Content-Type": "application/json"}
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    kind = response.getheader("Content-Type", "")
    return response.status, json.loads(content) if kind.startswith("application/json") else content.decode()


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["name"]: node for node in result["nodes"]}


# -- the expression lab --------------------------------------------------------------------


def test_the_example_is_the_default_with_its_gradients(server: PlaygroundServer) -> None:
    status, result = call(server, "POST", "/api/expression", {})
    assert status == 200
    assert result["expression"] == "e = a*b; d = e + c; L = d*f"
    assert result["variables"] == {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
    nodes = by_name(result)
    assert {name: nodes[name]["grad"] for name in "abcdefL"} == {
        "a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0
    }  # fmt: skip
    assert result["value"] == -8.0 and result["step"] == result["steps"] == 3
    assert all(node["ready"] for node in result["nodes"])
    assert result["svg"].startswith("<svg") and "grad 6.0000" in result["svg"]
    assert result["explanation"][3][-2].strip() == "dL/da = dL/de · ∂e/∂a = (-2) · (-3) = 6"


def test_gradients_agree_with_autograd_for_another_expression(server: PlaygroundServer) -> None:
    source = "u = x*y + exp(x)/y; L = tanh(u) * log(y) - x**3"
    status, result = call(server, "POST", "/api/expression", {"expression": source, "variables": {"x": 0.3, "y": 1.7}})
    assert status == 200 and list(result["variables"]) == ["x", "y"]

    def f(x: float, y: float) -> Any:
        return anp.tanh(x * y + anp.exp(x) / y) * anp.log(y) - x**3

    nodes = by_name(result)
    assert math.isclose(nodes["x"]["grad"], autograd.grad(f, 0)(0.3, 1.7), rel_tol=1e-12)
    assert math.isclose(nodes["y"]["grad"], autograd.grad(f, 1)(0.3, 1.7), rel_tol=1e-12)
    assert math.isclose(result["value"], f(0.3, 1.7), rel_tol=1e-12)


def test_new_names_are_variables_with_value_one(server: PlaygroundServer) -> None:
    status, result = call(server, "POST", "/api/expression", {"expression": "q = p*p; r = q + s", "variables": {}})
    assert status == 200 and result["variables"] == {"p": 1.0, "s": 1.0}
    assert by_name(result)["p"]["grad"] == 2.0


def test_steps_walk_backprop_one_node_at_a_time(server: PlaygroundServer) -> None:
    seen = []
    for step in range(5):
        status, result = call(server, "POST", "/api/expression", {"steps": step})
        assert status == 200
        seen.append(result)
    ids = {node["id"]: node["name"] for node in seen[0]["nodes"]}
    assert [ids[i] for i in seen[0]["order"]] == ["L", "d", "e"]
    assert seen[0]["current"] is None
    assert [name for name, node in by_name(seen[0]).items() if node["ready"]] == ["L"]
    assert ids[seen[1]["current"]] == "L"
    ready_after_one = {name for name, node in by_name(seen[1]).items() if node["ready"]}
    assert ready_after_one == {"L", "d", "f"}
    assert by_name(seen[1])["a"]["grad"] == 0.0 and by_name(seen[1])["a"]["final_grad"] == 6.0
    assert ids[seen[3]["current"]] == "e" and all(node["ready"] for node in seen[3]["nodes"])
    assert seen[4]["step"] == 3  # a step past the end is the end
    assert "grad 0.0000" in seen[1]["svg"]


def test_each_step_highlights_the_explanation_of_the_node_it_steps(server: PlaygroundServer) -> None:
    # two branches: the page highlights group `step` of the explanation while the graph marks `current`
    body = {"expression": "tanh(a*b + c*d)", "variables": {"a": 1, "b": 2, "c": 3, "d": 4}}
    status, result = call(server, "POST", "/api/expression", body)
    assert status == 200
    names = {node["id"]: node["name"] for node in result["nodes"]}
    stepped = [names[i] for i in result["order"]]
    headers = [group[0].split(":")[1].split("=")[0].strip() for group in result["explanation"][1:]]
    assert headers == stepped and len(stepped) == 4


def test_nudge_compares_the_difference_with_grad_times_h(server: PlaygroundServer) -> None:
    status, result = call(server, "POST", "/api/expression", {"nudge": {"variable": "b", "h": 1e-4}})
    assert status == 200
    nudge = result["nudge"]
    assert nudge["grad"] == -4.0 and math.isclose(nudge["predicted"], -4e-4)
    assert math.isclose(nudge["difference"], -4e-4, rel_tol=1e-6)
    assert math.isclose(nudge["after"] - nudge["before"], nudge["difference"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"expression": "a*2", "variables": {"a": "two"}}, "the value of a must be a number"),
        ({"expression": "a*2", "variables": [1]}, "variables must be an object"),
        ({"expression": 7}, "expression must be text"),
        ({"nudge": {"variable": "a", "h": 0}}, "must not be 0"),
        ({"nudge": "a"}, "nudge must be an object"),
        ({"steps": -1}, "steps must be between"),
        ({"steps": 1.5}, "steps must be a whole number"),
    ],
)
def test_a_bad_expression_request_is_one_clear_line(server: PlaygroundServer, body: Any, message: str) -> None:
    status, result = call(server, "POST", "/api/expression", body)
    assert status == 400, result
    assert message in result["error"] and "\n" not in result["error"]
    assert call(server, "POST", "/api/expression", {})[0] == 200  # and the server goes on


@pytest.mark.parametrize(
    ("source", "variables", "message"),
    [
        ("log(a", {}, "not a valid expression"),
        ("L = log(a) * 2", {"a": -1}, "log: operand must be positive"),
        ("open('x')", {}, "calls of 'open' are not allowed"),
        ("a.b", {}, "attribute access"),
        ("a" * 1001, {}, "too long"),
        (" + ".join(f"v{i}" for i in range(30)), {}, "30 variables; the limit is 26"),
        ("x = 1; x = 2", {}, "'x' already has a value"),
        ("a*1e300*1e300", {"a": 1}, "the expression's value is inf"),
        ("1/(a*1e300*1e300)", {"a": 1}, "a step of the expression is inf"),
    ],
)
def test_an_expression_not_valid_yet_is_answered_with_its_error_and_no_http_error(
    server: PlaygroundServer, source: str, variables: dict[str, float], message: str
) -> None:
    """A page sends what is typed, key by key: a half-typed expression is no bad request (no 400 in the console)."""
    status, result = call(server, "POST", "/api/expression", {"expression": source, "variables": variables})
    assert status == 200 and set(result) == {"expression", "error"}, result
    assert result["expression"] == source and message in result["error"] and "\n" not in result["error"]


def test_a_nudge_of_a_name_the_expression_lost_is_said_beside_the_graph(server: PlaygroundServer) -> None:
    body = {"expression": "L = b*c", "variables": {"b": 2, "c": 3}, "nudge": {"variable": "a", "h": 0.01}}
    status, result = call(server, "POST", "/api/expression", body)
    assert status == 200 and result["value"] == 6
    assert result["nudge"] == {"variable": "a", "error": "nudge: 'a' is not a variable"}


def test_a_large_expression_is_computed_whole_and_drawn_in_part(server: PlaygroundServer) -> None:
    source = "L = " + " + ".join(["a*b"] * 124)
    status, result = call(server, "POST", "/api/expression", {"expression": source, "variables": {"a": 2, "b": 5}})
    assert status == 200 and len(result["nodes"]) == 249
    assert result["value"] == 124 * 10 and by_name(result)["a"]["grad"] == 124 * 5
    assert "showing 60 of 249 values" in result["svg"]


def test_a_nudge_into_a_domain_error_says_so(server: PlaygroundServer) -> None:
    body = {"expression": "L = log(a)", "variables": {"a": 0.5}, "nudge": {"variable": "a", "h": -1}}
    status, result = call(server, "POST", "/api/expression", body)
    assert status == 200 and result["nudge"]["after"] is None
    assert "log: operand must be positive" in result["nudge"]["error"]


# -- HTTP: safety and routes ----------------------------------------------------------------


def test_a_foreign_host_header_is_refused(server: PlaygroundServer) -> None:
    port = server.server_address[1]
    for host in ("evil.example:80", f"evil.example:{port}", "127.0.0.1:1", ""):
        status, result = call(server, "GET", "/api/info", host=host)
        assert status == 403 and "is not this server" in result["error"]
    assert call(server, "GET", "/api/info", host=f"localhost:{port}")[0] == 200


def test_bad_bodies_routes_and_methods(server: PlaygroundServer) -> None:
    status, result = call(server, "POST", "/api/expression", raw=b"{not json")
    assert status == 400 and "not JSON" in result["error"]
    status, result = call(server, "POST", "/api/expression", raw=b"[1, 2]")
    assert status == 400 and "JSON object" in result["error"]
    status, result = call(server, "POST", "/api/expression", raw=b"[" * (MAX_BODY - 1))
    assert status == 400 and "nested too deeply" in result["error"]
    status, result = call(server, "POST", "/api/expression", raw=b'{"expression": "' + b"a" * MAX_BODY + b'"}')
    assert status == 413 and "too large" in result["error"]
    assert call(server, "GET", "/api/nothing")[0] == 404
    assert call(server, "GET", "/api/expression")[0] == 405
    assert call(server, "GET", "/etc/passwd")[0] == 404
    assert call(server, "GET", "/../pyproject.toml")[0] == 404
    assert call(server, "GET", "/api/sessions/nope")[0] == 404
    status, page = call(server, "GET", "/")
    assert status == 200 and "micrograd playground" in page
    assert call(server, "GET", "/api/info")[0] == 200


def test_the_page_is_es_modules_with_relative_links_only(server: PlaygroundServer) -> None:
    """Every module is sent with a JavaScript type, and no link starts at the root (a sub-path site works)."""
    port = server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    page = call(server, "GET", "/")[1]
    modules = ["main.js"]
    seen: set[str] = set()
    while modules:
        name = modules.pop()
        seen.add(name)
        connection.request("GET", f"/{name}", headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        source = response.read().decode()
        assert response.status == 200 and response.getheader("Content-Type", "").startswith("text/javascript")
        imported = re.findall(r'^import .* from "(.*)";$', source, re.MULTILINE)
        assert all(path.startswith("./") for path in imported), imported
        modules += [path[2:] for path in imported if path[2:] not in seen]
        assert "fetch(" not in source or name == "transport.js", f"{name} bypasses the transport"
    connection.close()
    assert {"main.js", "common.js", "lab.js", "training.js", "transport.js", "site.js"} <= seen
    assert not re.search(r'(href|src)="/', page), "the page links from the root"
    assert 'type="module"' in page


def send_raw(server: PlaygroundServer, request: bytes) -> list[bytes]:
    """The status lines of every answer to ``request`` on one connection, read until the server closes it."""
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return re.findall(rb"HTTP/1.1 \d+", received)


def test_a_body_where_none_is_wanted_is_not_taken_for_the_next_request(server: PlaygroundServer) -> None:
    host = f"Host: 127.0.0.1:{server.server_address[1]}\r\n".encode()
    smuggled = b"GET /etc HTTP/1.1\r\n\r\n"
    request = b"DELETE /api/sessions/nope HTTP/1.1\r\n" + host + f"Content-Length: {len(smuggled)}\r\n\r\n".encode()
    last = b"GET /api/info HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n"
    assert send_raw(server, request + smuggled + last) == [b"HTTP/1.1 404", b"HTTP/1.1 200"]


@pytest.mark.parametrize("path", ["/", "/api/info"])
def test_a_negative_content_length_is_answered_and_the_connection_closed(server: PlaygroundServer, path: str) -> None:
    host = f"Host: 127.0.0.1:{server.server_address[1]}\r\n".encode()
    request = f"GET {path} HTTP/1.1\r\n".encode() + host + b"Content-Length: -1\r\n\r\n"
    assert send_raw(server, request) == [b"HTTP/1.1 200"]  # not a thread waiting for the client to hang up


def test_a_client_that_resets_its_connection_leaves_no_traceback(
    server: PlaygroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import struct
    import time

    threads = threading.active_count()
    port = server.server_address[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(f"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    assert client.recv(65536).startswith(b"HTTP/1.1 200")
    # keep-alive: the server now waits for the next request; reset the connection under it
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
    deadline = time.monotonic() + 10
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() <= threads  # the connection's thread is gone (others may end meanwhile)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""
    assert call(server, "GET", "/api/info")[0] == 200


def test_an_unexpected_connection_failure_is_one_line(
    server: PlaygroundServer, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise OSError("something odd")
    except OSError:
        server.handle_error(None, ("127.0.0.1", 5))
    err = capsys.readouterr().err
    assert err == "micrograd playground: a connection from 127.0.0.1:5 failed: OSError: something odd\n"


def test_a_stalled_connection_is_closed_and_its_thread_freed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Handler.timeout == IDLE_SECONDS and 0 < IDLE_SECONDS <= 120  # the server's own idle limit
    monkeypatch.setattr(Handler, "timeout", 0.5)  # the same limit, shortened for the test
    running = make_server("127.0.0.1", 0)
    threading.Thread(target=running.serve_forever, daemon=True).start()
    try:
        host = f"Host: 127.0.0.1:{running.server_address[1]}\r\n".encode()
        idle = b""  # a connection opened and never used
        half_a_body = b"POST /api/expression HTTP/1.1\r\n" + host + b"Content-Length: 100\r\n\r\n{"
        for request in (idle, half_a_body):
            with socket.create_connection(("127.0.0.1", running.server_address[1]), timeout=10) as connection:
                connection.sendall(request)
                assert connection.recv(65536) == b""  # closed by the server, long before our 10 s
    finally:
        running.shutdown()
        running.server_close()


# -- training sessions ----------------------------------------------------------------------


def test_a_session_trains_moons_to_95_percent(server: PlaygroundServer) -> None:
    status, state = call(server, "POST", "/api/sessions", {})
    assert status == 201 and state["step"] == 0 and state["layers"] == [2, 16, 16, 1]
    assert len(state["train"]["points"]) == 80 and len(state["test"]["points"]) == 20
    for _ in range(2):
        status, state = call(server, "POST", f"/api/sessions/{state['id']}/step", {"steps": 50, "maps": False})
        assert status == 200
    assert state["step"] == 100 and state["train_accuracy"] >= 0.95
    assert "boundary" not in state  # the curves: every 10th step, and each request's last
    assert [entry["step"] for entry in state["history"]] == list(range(0, 101, 10))
    status, state = call(server, "GET", f"/api/sessions/{state['id']}?since=99")
    assert [entry["step"] for entry in state["history"]] == [100]
    boundary = state["boundary"]
    assert len(boundary["classes"]) == len(boundary["confidence"]) == boundary["size"] ** 2
    assert [len(layer) for layer in state["neurons"]] == [16, 16]
    assert call(server, "DELETE", f"/api/sessions/{state['id']}")[0] == 200
    assert call(server, "GET", f"/api/sessions/{state['id']}")[0] == 404


def test_two_sessions_do_not_disturb_each_other(server: PlaygroundServer) -> None:
    settings = {"hidden": [8], "points": 60, "batch_size": 6}
    reference = Session(read_settings(settings))
    for _ in range(6):
        reference.step(2)  # as the requests below: the curves have each request's last step
    ids = [call(server, "POST", "/api/sessions", settings)[1]["id"] for _ in range(2)]
    other = call(server, "POST", "/api/sessions", {**settings, "optimizer": "adam", "lr": 0.05})[1]["id"]

    def train(key: str) -> None:
        for _ in range(6):
            assert call(server, "POST", f"/api/sessions/{key}/step", {"steps": 2, "maps": False})[0] == 200

    threads = [threading.Thread(target=train, args=(key,)) for key in [*ids, other]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for key in ids:
        state = call(server, "GET", f"/api/sessions/{key}")[1]
        assert state["step"] == 12
        assert state["weights"] == reference.weights()
        assert state["history"] == reference.history
    for key in [*ids, other]:
        assert call(server, "DELETE", f"/api/sessions/{key}")[0] == 200


def test_a_point_graph_leaves_the_training_gradients_alone(server: PlaygroundServer) -> None:
    key = call(server, "POST", "/api/sessions", {"hidden": [4]})[1]["id"]
    before = call(server, "POST", f"/api/sessions/{key}/step", {"steps": 3})[1]
    status, point = call(server, "POST", f"/api/sessions/{key}/point", {"set": "test", "index": 2, "max_nodes": 12})
    assert status == 200 and point["label"] in (0, 1) and len(point["point"]) == 2
    assert "loss" in point["svg"] and "showing 12 of" in point["svg"]
    after = call(server, "GET", f"/api/sessions/{key}")[1]
    assert after["weights"] == before["weights"]
    # the picture shows this point's own gradients: compare with a fresh backward of its loss
    point = call(server, "POST", f"/api/sessions/{key}/point", {"set": "test", "index": 2})[1]
    session = server.api.store.get(key)
    loss, _, _ = points.point_graph(session, "test", 2)
    for p in session.parameters:
        p.grad = 0.0
    loss.backward()
    last = session.model.layers[-1].neurons[0]
    for p in (*last.w, last.b):
        assert f">{p.label}</text>" in point["svg"]
        assert f"grad {p.grad:.4f}".replace("-", "&#45;") in point["svg"]
    status, result = call(server, "POST", f"/api/sessions/{key}/point", {"set": "test", "index": 999})
    assert status == 400 and "does not exist" in result["error"]
    assert call(server, "DELETE", f"/api/sessions/{key}")[0] == 200


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"points": 501}, "points must be between 4 and 500"),
        ({"hidden": [4] * 7}, "the limit is 6 hidden layers"),
        ({"hidden": [33]}, "each layer has 1 to 32 neurons"),
        ({"hidden": "16,16"}, "hidden must be a list"),
        ({"dataset": "mnist"}, "dataset must be one of moons"),
        ({"lr": 0}, "learning rate (lr) must be between"),
        ({"noise": math.inf}, "noise must be"),
        ({"batch_size": 101}, "batch_size must be between 1 and 100"),
        ({"dataset": "spirals"}, "the hinge loss is for two classes; spirals has 3: use cross-entropy"),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_settings_beyond_the_limits_are_refused(server: PlaygroundServer, settings: Any, message: str) -> None:
    raw = json.dumps(settings).replace("Infinity", "1e999").encode()
    status, result = call(server, "POST", "/api/sessions", raw=raw)
    assert status == 400 and message in result["error"], result
    key = call(server, "POST", "/api/sessions", {"hidden": [2]})[1]["id"]
    status, result = call(server, "POST", f"/api/sessions/{key}/step", {"steps": 1001})
    assert status == 400 and "steps must be between 0 and 1000" in result["error"]
    status, result = call(server, "POST", f"/api/sessions/{key}/reset", settings)
    assert status == 400 and message in result["error"]
    assert call(server, "DELETE", f"/api/sessions/{key}")[0] == 200


@pytest.mark.parametrize(
    "settings", [{}, {"dataset": "spirals", "loss": "cross-entropy", "optimizer": "adam", "lr": 0.01}]
)
def test_compiled_training_computes_what_the_engine_computes(settings: dict[str, Any]) -> None:
    compiled = Session(read_settings(settings), compiled=True)
    plain = Session(read_settings(settings), compiled=False)
    compiled.step(15, seconds=math.inf)  # no time limit: a busy machine must not cut the plain run short
    plain.step(15, seconds=math.inf)
    assert compiled.step_count == plain.step_count == 15
    for a, b in zip(compiled.parameters, plain.parameters, strict=True):
        assert math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(a.grad, b.grad, rel_tol=1e-9, abs_tol=1e-12)
    assert compiled.history[-1]["train_accuracy"] == plain.history[-1]["train_accuracy"]


@pytest.mark.parametrize("loss", ["hinge", "mse", "bce"])
def test_compiled_training_compiles_the_whole_step_once_for_every_batch(loss: str) -> None:
    settings = read_settings({"loss": loss, "optimizer": "momentum", "l2": 1e-3, "batch_size": 8})
    compiled, plain = Session(settings, compiled=True), Session(settings, compiled=False)
    compiled.step(12, seconds=math.inf)
    plain.step(12, seconds=math.inf)
    assert compiled.compiled_step is not None and compiled.compiled_step.traces == 1  # new batches replay
    for a, b in zip(compiled.parameters, plain.parameters, strict=True):  # p.data read raw: synced each step
        assert math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)
    assert compiled.history[-1]["train_accuracy"] == plain.history[-1]["train_accuracy"]


def test_every_dataset_and_loss_trains_a_step() -> None:
    api = Api()
    pairs = [("circles", "mse"), ("xor", "bce"), ("spirals", "cross-entropy"), ("yin_yang", "cross-entropy")]
    for dataset, loss in [*pairs, ("blobs", "cross-entropy"), ("moons", "cross-entropy")]:
        status, state = api.handle("POST", "/api/sessions", {"dataset": dataset, "loss": loss, "hidden": [3]})
        assert status == 201, state
        status, state = api.handle("POST", f"/api/sessions/{state['id']}/step", {"steps": 2})
        assert status == 200 and state["step"] == 2 and state["train_loss"] > 0


def test_the_store_is_bounded_and_forgets_idle_sessions() -> None:
    api = Api(SessionStore(limit=2, idle_seconds=600, busy_seconds=600))
    first = api.handle("POST", "/api/sessions", {"hidden": [1]})[1]["id"]
    api.handle("POST", "/api/sessions", {"hidden": [1]})
    status, result = api.handle("POST", "/api/sessions", {"hidden": [1]})
    assert status == 503 and "too many training sessions (2)" in result["error"]
    api.store.idle_seconds = 0.0
    assert api.handle("GET", f"/api/sessions/{first}")[0] == 404
    assert api.handle("POST", "/api/sessions", {"hidden": [1]})[0] == 201


def test_a_request_trains_for_a_bounded_time() -> None:
    session = Session(read_settings({"hidden": [32, 32], "points": 500, "batch_size": 150}), compiled=False)
    session.step(100, seconds=0.0)  # the first step always runs; then the time is up
    assert session.step_count == 1


def test_a_play_request_says_where_its_time_went_and_can_ask_for_a_preview() -> None:
    api = Api()
    key = api.handle("POST", "/api/sessions", {})[1]["id"]
    body = {"steps": 25, "seconds": 1.0, "maps": "preview", "metrics_every": 0, "since": 0}
    status, state = api.handle("POST", f"/api/sessions/{key}/step", body)
    assert status == 200 and state["step"] == 25
    assert [entry["step"] for entry in state["history"]] == [25]  # the curves: only the request's last step
    assert state["boundary"]["size"] == maps.PREVIEW_SIZE and len(state["neurons"][0][0]["values"]) == 20 * 20
    assert set(state["seconds"]) == {"training", "curves", "state", "maps"}
    assert all(seconds >= 0 for seconds in state["seconds"].values()) and state["seconds"]["maps"] > 0
    state = api.handle("POST", f"/api/sessions/{key}/step", {"steps": 5, "maps": False, "since": 25})[1]
    assert "boundary" not in state and state["seconds"]["maps"] < 0.01
    assert [entry["step"] for entry in state["history"]] == [30]
    state = api.handle("POST", f"/api/sessions/{key}/step", {"steps": 20, "metrics_every": 10, "since": 30})[1]
    assert [entry["step"] for entry in state["history"]] == [40, 50] and state["boundary"]["size"] == maps.BOUNDARY_SIZE
    refused = (({"maps": "small"}, 'maps must be true, false or "preview"'), ({"metrics_every": -1}, "metrics_every"))
    for bad, message in refused:
        status, answer = api.handle("POST", f"/api/sessions/{key}/step", bad)
        assert status == 400 and message in answer["error"]


def test_diverging_training_stops_with_a_message() -> None:
    api = Api()
    key = api.handle("POST", "/api/sessions", {"loss": "mse", "lr": 10, "batch_size": 80, "l2": 0})[1]["id"]
    state = api.handle("POST", f"/api/sessions/{key}/step", {"steps": 100, "maps": False})[1]
    assert state["diverged"] and "try a smaller learning rate" in state["diverged"]
    assert state["step"] < 100


# -- heat maps ------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_maps_compute_what_the_model_computes(activation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    model = MLP(2, [5, 4, 3], activation=activation, rng=random.Random(3))
    points = maps.grid_points((-2.0, 1.0, -1.5, 2.5), 6)
    with_numpy = maps.layer_outputs(model, points)
    monkeypatch.setattr(maps, "numpy", None)
    plain = maps.layer_outputs(model, points)
    for index, point in enumerate(points):
        out = model([Value(point[0]), Value(point[1])])
        assert isinstance(out, list)
        for k, value in enumerate(out):
            assert math.isclose(plain[-1][k][index], value.data, rel_tol=1e-12, abs_tol=1e-12)
            assert math.isclose(with_numpy[-1][k][index], value.data, rel_tol=1e-9, abs_tol=1e-12)
    boundary = maps.boundary_map(model, (-2.0, 1.0, -1.5, 2.5), 6)
    monkeypatch.undo()
    assert maps.boundary_map(model, (-2.0, 1.0, -1.5, 2.5), 6) == boundary


# -- the command ----------------------------------------------------------------------------


def test_the_command_prints_its_address_and_stops_cleanly_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "micrograd", "playground", "--port", "0", "--no-browser"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("micrograd playground: http://127.0.0.1:") and line.endswith("/\n")
        port = int(line.rsplit(":", 1)[1].strip("/\n"))
        assert port > 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/api/info")
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Traceback" not in err and "Traceback" not in out


def test_live_settings_keep_the_model_and_a_new_model_is_refused_there() -> None:
    api = Api()
    state = api.handle("POST", "/api/sessions", {"hidden": [4]})[1]
    key = state["id"]
    state = api.handle("POST", f"/api/sessions/{key}/step", {"steps": 5})[1]
    weights = state["weights"]
    live = {"hidden": [4], "lr": 0.01, "l2": 0.001, "optimizer": "adam", "batch_size": 20}
    status, state = api.handle("POST", f"/api/sessions/{key}/settings", {"settings": live, "since": 5})
    assert status == 200 and state["step"] == 5 and state["weights"] == weights
    session = api.store.get(key)
    assert session.optimizer.lr == 0.01 and type(session.optimizer).__name__ == "Adam"
    assert session.settings.batch_size == 20 and session.settings.l2 == 0.001
    status, state = api.handle("POST", f"/api/sessions/{key}/settings", {"settings": {**live, "hidden": [5]}})
    assert status == 409 and "hidden: a new model is needed" in state["error"]


def test_weights_seed_draws_other_weights_on_the_same_data() -> None:
    one = Session(read_settings({}))
    two = Session(read_settings({"weights_seed": 7}))
    assert one.X_train == two.X_train
    assert [p.data for p in one.parameters] != [p.data for p in two.parameters]
    again = Session(read_settings({"weights_seed": 7}))
    assert [p.data for p in again.parameters] == [p.data for p in two.parameters]


def test_a_weight_can_be_set() -> None:
    api = Api()
    key = api.handle("POST", "/api/sessions", {"hidden": [3]})[1]["id"]
    status, state = api.handle(
        "POST", f"/api/sessions/{key}/weight", {"layer": 1, "neuron": 0, "input": 2, "value": -1.5}
    )
    assert status == 200 and state["weights"][1]["w"][0][2] == -1.5
    status, state = api.handle("POST", f"/api/sessions/{key}/weight", {"layer": 1, "neuron": 0, "input": 3, "value": 1})
    assert status == 400 and "has 3 weights" in state["error"]


def test_before_the_first_step_the_result_has_its_seed_gradient_of_one() -> None:
    status, lab = Api().handle("POST", "/api/expression", {"steps": 0})
    assert status == 200 and lab["step"] == 0
    assert by_name(lab)["L"]["grad"] == 1.0 and by_name(lab)["L"]["ready"]
    assert all(node["grad"] == 0.0 for node in lab["nodes"] if node["name"] != "L")
    assert "grad 1.0000" in lab["svg"]


def test_l1_adds_rate_times_sign_to_every_gradient() -> None:
    plain = Session(read_settings({"hidden": [3], "l2": 0, "l1": 0}), compiled=False)
    with_l1 = Session(read_settings({"hidden": [3], "l2": 0, "l1": 0.05}), compiled=False)
    start = [p.data for p in plain.parameters]
    assert start == [p.data for p in with_l1.parameters]
    plain.train_step()
    with_l1.train_step()
    for a, b, w in zip(plain.parameters, with_l1.parameters, start, strict=True):
        sign = (w > 0) - (w < 0)  # abs's derivative: 0 at 0 (the biases start there)
        assert b.grad == pytest.approx(a.grad + 0.05 * sign, abs=1e-12)
