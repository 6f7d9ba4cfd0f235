"""``micrograd playground``: a local HTTP server for the page and its JSON API.

The standard library's ``ThreadingHTTPServer`` serves the page (``static/``,
shipped in the package) and the API (:class:`micrograd.playground.api.Api`).  It
binds 127.0.0.1 by default, answers only requests whose ``Host`` header names the
server itself (a page on another site cannot reach it through DNS rebinding),
refuses bodies over :data:`MAX_BODY` bytes, and turns every failure into a JSON
error: a bad request never stops the server.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from micrograd.playground.api import Api

__all__ = ["IDLE_SECONDS", "MAX_BODY", "PlaygroundServer", "main", "make_server"]

MAX_BODY = 64 * 1024  # bytes of a request body
IDLE_SECONDS = 60.0  # a connection that sends or takes nothing for this long is closed, freeing its thread
STATIC_SUFFIXES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",  # ES modules: browsers load them only with a JavaScript type
}
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
# the page may load only what this server sends: nothing from elsewhere, even by mistake
CONTENT_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


@functools.cache
def static_files() -> dict[str, str]:
    """The page's files (name -> Content-Type): every file in ``static/`` with a known suffix.

    Only these names are ever read, so no request path reaches the file system.
    """
    folder = resources.files("micrograd.playground").joinpath("static")
    files = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if entry.is_file() and suffix in STATIC_SUFFIXES:
            files[entry.name] = STATIC_SUFFIXES[suffix]
    return files


class PlaygroundServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer holding the API and the host names it answers to."""

    daemon_threads = True
    api: Api

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed outside a request's answer: no traceback on the terminal.

        A client that goes away (a closed tab, a dropped keep-alive connection) is
        normal and says nothing; anything else is one line on stderr.
        """
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        where = f"{client_address[0]}:{client_address[1]}" if isinstance(client_address, tuple) else "a client"
        print(
            f"micrograd playground: a connection from {where} failed: {type(error).__name__}: {error}"[:300],
            file=sys.stderr,
        )

    def allowed_hosts(self) -> set[str]:
        host, port = self.server_address[:2]
        names = {str(host), *LOCAL_NAMES} if str(host) in ("127.0.0.1", "::1", "localhost") else {str(host)}
        return {f"{name}:{port}" for name in names}


class Handler(BaseHTTPRequestHandler):
    """One request: a static file, or an API call answered in JSON."""

    server: PlaygroundServer
    server_version = "micrograd-playground"
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS  # the socket's timeout: without it an idle keep-alive connection holds a thread forever

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows only the URL
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        try:
            self._dispatch(method)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):  # the client left or stalled mid-request
            self.close_connection = True
        except Exception as error:  # never let one request stop the server
            self._send_json(500, {"error": f"internal error: {type(error).__name__}: {error}"[:300]})

    def _dispatch(self, method: str) -> None:
        host = self.headers.get("Host", "")
        if host.lower() not in self.server.allowed_hosts():
            self._drain()
            self._send_json(403, {"error": f"refused: Host {host!r:.80} is not this server"})
            return
        path = urlsplit(self.path).path
        if not path.startswith("/api/"):
            self._drain()
            self._static(method, path)
            return
        body: Any = None
        if method == "POST":
            body, problem = self._read_body()
            if problem:
                self._send_json(problem[0], {"error": problem[1]})
                return
        else:
            self._drain()  # a GET or DELETE with a body: read it, or it would be taken for the next request
        status, document = self.server.api.handle(method, self.path, body)
        self._send_json(status, document)

    def _length(self) -> int | None:
        text = self.headers.get("Content-Length")
        try:
            return int(text) if text is not None else 0
        except ValueError:
            return None

    def _drain(self) -> None:
        """Read a small body nobody wants, so the connection stays usable; close it otherwise."""
        length = self._length()
        if length is None or length < 0 or length > MAX_BODY:  # read(-1) would wait for the client to hang up
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def _read_body(self) -> tuple[Any, tuple[int, str] | None]:
        length = self._length()
        if length is None or length < 0:
            self.close_connection = True
            return None, (400, "Content-Length must be a number of bytes")
        if length > MAX_BODY:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            return None, (413, f"the request body is too large ({length} bytes; the limit is {MAX_BODY})")
        raw = self.rfile.read(length)
        try:
            return json.loads(raw.decode("utf-8")) if raw.strip() else {}, None
        except (UnicodeDecodeError, ValueError) as error:
            return None, (400, f"the request body is not JSON: {str(error).splitlines()[0][:120]}")
        except RecursionError:  # 64 KiB of '[' nests deeper than the decoder recurses
            return None, (400, "the request body is nested too deeply")

    def _static(self, method: str, path: str) -> None:
        name = "index.html" if path == "/" else path.lstrip("/")
        if method != "GET":
            self._send_json(405, {"error": f"{path} takes GET, not {method}"})
            return
        content_type = static_files().get(name)
        if content_type is None:
            self._send_json(404, {"error": f"no such page: {path[:80]}"})
            return
        content = resources.files("micrograd.playground").joinpath("static").joinpath(name).read_bytes()
        self._send(200, content, content_type)

    def _send_json(self, status: int, document: Any) -> None:
        content = json.dumps(document, separators=(",", ":"), allow_nan=False).encode("utf-8")
        self._send(status, content, "application/json")

    def _send(self, status: int, content: bytes, content_type: str) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CONTENT_POLICY)
        self.end_headers()
        self.wfile.write(content)


def make_server(host: str = "127.0.0.1", port: int = 8000, api: Api | None = None) -> PlaygroundServer:
    """A server bound to ``host:port`` (``port=0`` picks a free one), not yet serving."""
    server = PlaygroundServer((host, port), Handler)
    server.api = api or Api()
    return server


def url_of(server: PlaygroundServer) -> str:
    """The address to open: ``http://HOST:PORT/``."""
    host, port = server.server_address[:2]
    name = str(host)
    return f"http://[{name}]:{port}/" if ":" in name else f"http://{name}:{port}/"


def main(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> int:
    """Serve until Ctrl-C; print the URL first (flushed at once)."""
    server = make_server(host, port)
    url = url_of(server)
    print(f"micrograd playground: {url}", flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("micrograd playground: stopped", file=sys.stderr, flush=True)
    finally:
        server.server_close()
    return 0
