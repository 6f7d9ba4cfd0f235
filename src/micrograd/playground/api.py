"""The playground's JSON API, without HTTP: ``Api().handle(method, path, body)``.

The server (``server.py``) turns each request into one call of :meth:`Api.handle`
and sends back the status and the JSON document it returns; tests can call it
directly.  Every refusal is a :class:`RequestError` with a status and a one-line
message.  The routes are documented in docs/playground.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from micrograd import data
from micrograd.choices import REGRESSION_LOSSES
from micrograd.expression import MAX_LENGTH
from micrograd.nn import ACTIVATIONS
from micrograd.playground import lab, points
from micrograd.playground.errors import RequestError, number_field
from micrograd.playground.maps import HAVE_NUMPY
from micrograd.playground.settings import LIMITS, LOSSES, OPTIMIZERS, Settings, read_settings
from micrograd.playground.training import CPU_CLOCK, METRICS_EVERY, STEP_SECONDS, SessionStore

__all__ = ["MAX_STEPS_PER_REQUEST", "Api"]

MAX_STEPS_PER_REQUEST = 1000  # a page asks for many and gives a time budget: as many as fit in a frame


class Api:
    """Routes a request to the expression lab or a training session."""

    def __init__(self, store: SessionStore | None = None) -> None:
        self.store = store or SessionStore()

    def handle(self, method: str, target: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        """``(status, document)`` for one request; refusals give ``{"error": message}``."""
        try:
            return self._route(method, target, {} if body is None else body)
        except RequestError as error:
            return error.status, {"error": str(error)}

    def _route(self, method: str, target: str, body: Any) -> tuple[int, dict[str, Any]]:
        url = urlsplit(target)
        parts = [part for part in url.path.split("/") if part]
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        if parts[:1] != ["api"]:
            raise RequestError(f"no such API route: {url.path}", 404)
        if method == "POST" and not isinstance(body, Mapping):
            raise RequestError("the request body must be a JSON object")
        route = parts[1:]
        if route == ["info"] and method == "GET":
            return 200, info()
        if route == ["expression"] and method == "POST":
            return 200, lab.evaluate(body)  # fresh Values: nothing shared with other threads
        if route == ["sessions"] and method == "POST":
            settings = read_settings(body)
            session = self.store.create(settings)
            with session.lock:
                return 201, session.state()
        if len(route) >= 2 and route[0] == "sessions":
            return self._session(method, route[1], route[2:], body, query)
        allowed = {"info": "GET", "expression": "POST", "sessions": "POST"}.get(route[0] if route else "")
        if allowed and len(route) == 1:
            raise RequestError(f"{url.path} takes {allowed}, not {method}", 405)
        raise RequestError(f"no such API route: {url.path}", 404)

    def _session(
        self, method: str, key: str, action: list[str], body: Any, query: Mapping[str, str]
    ) -> tuple[int, dict[str, Any]]:
        session = self.store.get(key)
        if action == [] and method == "GET":
            since = _integer(query.get("since", "-1"), "since")
            with session.lock:
                return 200, session.state(since=since)
        if action == [] and method == "DELETE":
            self.store.delete(key)
            return 200, {"deleted": key}
        if method != "POST":
            raise RequestError(f"{method} is not allowed here", 405)
        if action == ["step"]:
            steps = number_field(body, "steps", 1, 0, MAX_STEPS_PER_REQUEST, integer=True)
            seconds = number_field(body, "seconds", STEP_SECONDS, 0.0, STEP_SECONDS)
            since = number_field(body, "since", -1, -1, 10**12, integer=True)
            every = number_field(body, "metrics_every", METRICS_EVERY, 0, MAX_STEPS_PER_REQUEST, integer=True)
            maps = body.get("maps", True)
            if maps not in (True, False, "preview"):
                raise RequestError('maps must be true, false or "preview"')
            with session.lock:
                return 200, _step(session, steps, seconds, every, since, maps)
        if action == ["settings"]:
            settings = read_settings(body.get("settings", {}))
            since = number_field(body, "since", -1, -1, 10**12, integer=True)
            with session.lock:
                session.retune(settings)
                return 200, session.state(since=since)
        if action == ["weight"]:
            layer, neuron, index = (
                number_field(body, name, 0, 0, 1000, integer=True) for name in ("layer", "neuron", "input")
            )
            value = number_field(body, "value", 0.0, -1e6, 1e6)
            since = number_field(body, "since", -1, -1, 10**12, integer=True)
            with session.lock:
                session.set_weight(layer, neuron, index, value)
                return 200, session.state(since=since)
        if action == ["reset"]:
            settings = read_settings(body)
            with session.lock:
                session.reset(settings)
                return 200, session.state()
        if action == ["point"]:
            return 200, points.answer(session, body)
        raise RequestError(f"no such session action: {'/'.join(action)}", 404)


def _step(session: Any, steps: int, seconds: float, every: int, since: int, maps: bool | str) -> dict[str, Any]:
    """Train, then the state; ``"seconds"`` says where the time went, so a page can budget its requests."""
    started = CPU_CLOCK()  # the clock of the request's budget: this thread's CPU time where there is one
    session.step(steps, seconds, every)
    trained = CPU_CLOCK()
    state: dict[str, Any] = session.state(since=since, maps=False)
    described = CPU_CLOCK()
    if maps:
        state.update(session.heat_maps(preview=maps == "preview"))
    state["seconds"] = {
        "training": max(0.0, trained - started - session.curve_seconds),
        "curves": session.curve_seconds,
        "state": described - trained,
        "maps": CPU_CLOCK() - described,
    }
    return state


def _integer(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise RequestError(f"{name} must be a whole number, got {text!r:.40}") from None


def info() -> dict[str, Any]:
    """The choices, defaults and limits, for a page or a script to build its controls."""
    return {
        "datasets": list(data.DATASETS),
        "regressions": list(data.REGRESSIONS),  # datasets with a number per point: their losses are below
        "regression_losses": list(REGRESSION_LOSSES),
        "features": list(data.FEATURES),
        "activations": list(ACTIVATIONS),
        "losses": list(LOSSES),
        "optimizers": list(OPTIMIZERS),
        "defaults": Settings().as_json(),
        "limits": {
            **{name: list(bounds) for name, bounds in LIMITS.items()},
            "expression_length": MAX_LENGTH,
            "variables": lab.MAX_VARIABLES,
            "steps_per_request": MAX_STEPS_PER_REQUEST,
            "step_seconds": STEP_SECONDS,
        },
        "expression": {"expression": lab.DEFAULT_EXPRESSION, "variables": lab.DEFAULT_VARIABLES},
        "numpy": HAVE_NUMPY,
    }
