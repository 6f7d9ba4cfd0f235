"""Serving a class: which hosts and sites the playground answers, and how it refuses the rest.

Every refusal is one line of JSON, including the standard library's own (400, 414, 431,
501, 505); a page on another site cannot drive the API (checked in Chromium too); the
listen backlog takes a whole class connecting at once.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from micrograd.playground.api import Api
from micrograd.playground.hosts import host_is_allowed, is_local_address
from micrograd.playground.server import BACKLOG, PlaygroundServer, make_server


def serve(server: PlaygroundServer) -> Iterator[PlaygroundServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[PlaygroundServer]:
    yield from serve(make_server("127.0.0.1", 0, sessions=3))


@pytest.fixture(scope="module")
def everywhere() -> Iterator[PlaygroundServer]:
    yield from serve(make_server("0.0.0.0", 0))


def ask(
    server: PlaygroundServer, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, dict[str, Any], http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    assert response.getheader("Content-Type") == "application/json"
    assert content.count(b"\n") == 0
    return response.status, json.loads(content), response


def local(server: PlaygroundServer, **extra: str) -> dict[str, str]:
    return {"Host": f"127.0.0.1:{server.server_address[1]}", "Content-Type": "application/json", **extra}


def raw(server: PlaygroundServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def other_local_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        candidates = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        return None
    return next((a for a in sorted(candidates) if not a.startswith("127.") and is_local_address(a)), None)


def test_a_wildcard_server_answers_to_this_machine_and_refuses_other_names(everywhere: PlaygroundServer) -> None:
    port = everywhere.server_address[1]
    names = ["127.0.0.1", "localhost", socket.gethostname(), "127.0.0.2"]
    if (address := other_local_address()) is not None:
        names.append(address)
    for name in names:
        status, _, _ = ask(everywhere, "GET", "/api/info", {"Host": f"{name}:{port}"})
        assert status == 200, name
    for host in ("evil.example", "8.8.8.8", "0.0.0.0", "localhost.evil.example", "127.0.0.1.nip.io"):
        status, document, _ = ask(everywhere, "GET", "/api/info", {"Host": f"{host}:{port}"})
        assert status == 403 and "is not this server" in document["error"], host
    assert ask(everywhere, "GET", "/api/info", {"Host": f"127.0.0.1:{port + 1}"})[0] == 403


def test_a_wildcard_server_opens_its_loopback_address(everywhere: PlaygroundServer) -> None:
    from micrograd.playground.server import url_of

    url = url_of(everywhere)
    assert url == f"http://127.0.0.1:{everywhere.server_address[1]}/"
    assert ask(everywhere, "GET", "/api/info", {"Host": url.split("/")[2]})[0] == 200


def test_host_rules_by_binding() -> None:
    assert host_is_allowed("[::1]:80", "127.0.0.1", 80)
    assert host_is_allowed("LOCALHOST:80", "127.0.0.1", 80)
    assert not host_is_allowed(f"{socket.gethostname()}:80", "127.0.0.1", 80)  # loopback only stays loopback
    assert host_is_allowed("teacher.lan:80", "teacher.lan", 80)
    assert not host_is_allowed("teacher.lan", "teacher.lan", 80)


def test_the_session_cap_is_a_setting(server: PlaygroundServer) -> None:
    made = []
    for _ in range(3):
        status, document, _ = ask(server, "POST", "/api/sessions", local(server), b"{}")
        assert status == 201
        made.append(document["id"])
    status, document, _ = ask(server, "POST", "/api/sessions", local(server), b"{}")
    assert status == 503 and "too many training sessions (3)" in document["error"]
    for key in made:
        assert ask(server, "DELETE", f"/api/sessions/{key}", local(server))[0] == 200


@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [
        ({"Content-Type": "text/plain"}, 415, "Content-Type: application/json"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "Content-Type: application/json"),
        ({"Origin": "http://evil.example"}, 403, "evil.example"),
        ({"Origin": "null"}, 403, "null"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "another site"),
    ],
)
def test_cross_site_requests_are_refused(
    server: PlaygroundServer, extra: dict[str, str], status: int, words: str
) -> None:
    answer, document, _ = ask(server, "POST", "/api/expression", local(server, **extra), b'{"expression": "a"}')
    assert answer == status and words in document["error"]


def test_the_page_itself_may_call_and_no_site_may_frame_it(server: PlaygroundServer) -> None:
    port = server.server_address[1]
    headers = local(server, Origin=f"http://127.0.0.1:{port}", **{"Sec-Fetch-Site": "same-origin"})
    status, _, response = ask(server, "POST", "/api/expression", headers, b'{"expression": "a"}')
    assert status == 200
    assert "frame-ancestors 'none'" in (response.getheader("Content-Security-Policy") or "")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n", 431),
        (b"PUT /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
    ],
)
def test_every_refusal_is_one_line_of_json(server: PlaygroundServer, request_bytes: bytes, status: int) -> None:
    answer = raw(server, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert re.match(rb"HTTP/1\.[01] %d " % status, head), head[:80]
    assert b"Content-Type: application/json" in head
    assert body.count(b"\n") == 0 and json.loads(body)["error"].startswith(str(status))


def test_a_hundred_connections_at_once_all_get_answers(server: PlaygroundServer) -> None:
    assert server.request_queue_size == BACKLOG >= 128
    port = server.server_address[1]
    request = f"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(100)]
    answers: list[bytes] = [b""] * 100

    def talk(index: int) -> None:
        with sockets[index] as connection:
            connection.sendall(request)
            while chunk := connection.recv(65536):
                answers[index] += chunk

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert sum(answer.startswith(b"HTTP/1.1 200") for answer in answers) == 100


@pytest.mark.parametrize(("dataset", "activation"), [("moons", "tanh"), ("xor", "relu")])
def test_a_diverged_model_answers_every_request_clearly(dataset: str, activation: str) -> None:
    api = Api()
    settings = {"dataset": dataset, "loss": "mse", "lr": 10, "activation": activation}
    status, state = api.handle("POST", "/api/sessions", settings)
    key = state["id"]
    for _ in range(20):
        status, state = api.handle("POST", f"/api/sessions/{key}/step", {"steps": 100})
        if state["diverged"]:
            break
    assert state["diverged"] and "try a smaller learning rate" in state["diverged"]
    for method, path, body in [
        ("POST", f"/api/sessions/{key}/point", {"index": 0}),
        ("POST", f"/api/sessions/{key}/step", {"steps": 1}),
        ("GET", f"/api/sessions/{key}", None),
    ]:
        status, document = api.handle(method, path, body)
        json.dumps(document, allow_nan=False)
        assert status in (200, 409), (path, document)
        assert status == 200 or "diverged" in document["error"]


def test_too_much_work_for_one_step_is_refused_with_the_batch_that_fits() -> None:
    status, document = Api().handle("POST", "/api/sessions", {"hidden": [32] * 6, "points": 500, "batch_size": 500})
    assert status == 400 and "use a batch of at most 36" in document["error"]
    assert Api().handle("POST", "/api/sessions", {"hidden": [32] * 6, "points": 500, "batch_size": 36})[0] == 201


class _Foreign(BaseHTTPRequestHandler):
    """Another site: one page that tries to use the playground's API."""

    def do_GET(self) -> None:
        content = b"<!doctype html><title>another site</title><p>hello</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_page_on_another_origin_cannot_drive_the_api(browser: Any, server: PlaygroundServer) -> None:
    foreign = ThreadingHTTPServer(("127.0.0.1", 0), _Foreign)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    before = len(server.api.store.sessions)
    page = browser.new_page()
    try:
        page.goto(f"http://localhost:{foreign.server_address[1]}/")
        target = f"http://127.0.0.1:{server.server_address[1]}/api/sessions"
        outcome = page.evaluate(
            """async (target) => {
                const results = [];
                for (const type of ["text/plain", "application/json"]) {
                  try {
                    const options = { method: "POST", mode: "no-cors", headers: { "Content-Type": type }, body: "{}" };
                    const r = await fetch(target, options);
                    results.push(r.type);
                  } catch (error) { results.push("failed"); }
                }
                const json = { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" };
                try { await fetch(target, json); results.push("read"); }
                catch (error) { results.push("blocked"); }
                return results;
            }""",
            target,
        )
        assert outcome[-1] == "blocked"
        assert len(server.api.store.sessions) == before, "a page on another origin started a session"
    finally:
        page.close()
        foreign.shutdown()
        foreign.server_close()


def test_a_page_from_another_local_port_can_neither_post_to_the_api_nor_frame_the_page(
    browser: Any, server: PlaygroundServer
) -> None:
    """Chromium, two local servers: the playground, and another origin (another port) whose page tries both."""
    foreign = ThreadingHTTPServer(("127.0.0.1", 0), _Foreign)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    playground = f"http://127.0.0.1:{server.server_address[1]}/"
    before = len(server.api.store.sessions)
    page = browser.new_page()
    answers: list[tuple[str, int]] = []
    console: list[str] = []
    page.on("response", lambda response: answers.append((response.request.method, response.status)))
    page.on("console", lambda message: console.append(message.text))
    try:
        page.goto(f"http://127.0.0.1:{foreign.server_address[1]}/")
        outcome = page.evaluate(
            """async (target) => {
                const tried = {};
                try {  // a request a page may send without asking (a "simple" one): sent, its answer opaque
                  const headers = { "Content-Type": "text/plain" };
                  const simple = { method: "POST", mode: "no-cors", headers, body: "{}" };
                  tried.simple = (await fetch(target + "api/sessions", simple)).type;
                } catch (error) { tried.simple = "failed"; }
                try {  // the JSON request the API wants: the browser asks first (CORS), and is not allowed
                  const json = { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" };
                  tried.json = (await fetch(target + "api/sessions", json)).status;
                } catch (error) { tried.json = "blocked"; }
                const frame = document.createElement("iframe");
                frame.src = target;
                await new Promise((resolve) => { frame.onload = resolve; document.body.append(frame); });
                return tried;
            }""",
            playground,
        )
        assert outcome == {"simple": "opaque", "json": "blocked"}, outcome
        posts = [status for method, status in answers if method == "POST"]
        assert posts and all(status == 403 for status in posts), answers  # refused: the Origin is another site
        framed = next(frame for frame in page.frames if frame != page.main_frame)
        assert framed.url.startswith("chrome-error://"), framed.url  # Chromium's error page, not the playground
        assert framed.get_by_role("heading", name="micrograd playground").count() == 0
        assert any("frame-ancestors 'none'" in line for line in console), console
        assert len(server.api.store.sessions) == before, "a page on another origin started a session"
    finally:
        page.close()
        foreign.shutdown()
        foreign.server_close()
