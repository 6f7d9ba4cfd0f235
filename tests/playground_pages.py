"""The playground page behind either transport, for browser tests that run the same bodies on both.

``http``: the local server (``micrograd playground``).  ``pyodide``: the static site
``micrograd playground --export`` writes, with Pyodide and Graphviz copied from the
npm packages that .ci/run installs into build/web-deps, served by a plain static
file server on 127.0.0.1 under a sub-path (as a GitHub Pages project site is).

A test module parametrises its ``base_url`` fixture with :data:`TRANSPORTS`
(``@both_transports``); without it a test runs on the local server alone.  Under
``CI=true`` a missing Pyodide copy fails instead of skipping.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from micrograd.playground.export import PYODIDE_VERSION, export_site
from micrograd.playground.server import make_server

TRANSPORTS = ("http", "pyodide")
both_transports = pytest.mark.parametrize("base_url", TRANSPORTS, indirect=True)
WEB_DEPS = Path(__file__).resolve().parent.parent / "build" / "web-deps" / "node_modules"
SUB_PATH = "course/playground/"  # the static site is served below the server's root
PYODIDE_START_SECONDS = 120  # a cold Pyodide start on a loaded 2-core machine takes 10-20 s; this is the limit


def pyodide_copy() -> Path:
    """The local npm copy of Pyodide (``MICROGRAD_PYODIDE`` overrides), or a skip (a failure under CI)."""
    folder = Path(os.environ.get("MICROGRAD_PYODIDE", WEB_DEPS / "pyodide"))
    if not (folder / "pyodide.asm.wasm").is_file():
        message = (
            f"no local Pyodide at {folder}: npm install --prefix build/web-deps pyodide@{PYODIDE_VERSION} "
            "@viz-js/viz (as .ci/run does)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder


def node_program() -> str:
    """Node.js, which runs Pyodide outside a browser in the export's tests; a skip (a failure under CI) without it."""
    found = shutil.which("node")
    if found is None:
        message = "node is not installed (apt-get install nodejs npm, as .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


class QuietFiles(SimpleHTTPRequestHandler):
    """A static file server that says nothing on the terminal."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    """``server`` answering in a thread of its own until the block ends; yields its address."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """``root`` served on 127.0.0.1 at a free port; yields the server's address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietFiles, directory=str(root)))
    server.daemon_threads = True
    with serving(server) as address:
        yield address


@contextmanager
def playground_site(transport: str, scratch: Path) -> Iterator[str]:
    """The page's address behind ``transport``: the local server, or the exported site under a sub-path."""
    if transport == "http":
        with serving(make_server("127.0.0.1", 0)) as address:
            yield address
        return
    if transport != "pyodide":
        raise ValueError(f"no such transport: {transport!r}")
    export_site(scratch / SUB_PATH, pyodide=str(pyodide_copy()))
    with static_server(scratch) as root:
        yield root + SUB_PATH
