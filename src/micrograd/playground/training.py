"""Training sessions: one model, its data and its optimizer per browser tab.

A :class:`Session` trains an MLP with the library's ``nn``, ``losses`` and
``optim`` (every gradient comes from ``Value.backward``); :meth:`Session.train_step`
is the one function that does a step.  :class:`SessionStore` keeps a bounded
number of sessions and forgets idle ones.  Each session has its own lock, so two
tabs never see each other's half-done steps.
"""

from __future__ import annotations

import math
import operator
import random
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from micrograd import choices, data, losses
from micrograd.autograd import Value, no_grad
from micrograd.compiler import compile as compile_function
from micrograd.compiler import compile_step
from micrograd.nn import MLP
from micrograd.playground.errors import RequestError
from micrograd.playground.maps import BOUNDARY_SIZE, NEURON_SIZE, Extent, feature_maps, heat_maps, layer_outputs_fast
from micrograd.playground.settings import Settings

__all__ = [
    "BOUNDARY_SIZE",
    "CPU_CLOCK",
    "DEFAULT_SESSIONS",
    "MAX_HISTORY",
    "METRICS_EVERY",
    "NEURON_SIZE",
    "STEP_SECONDS",
    "Session",
    "SessionStore",
]

MAX_HISTORY = 2000  # curve points kept; older ones are thinned out
METRICS_EVERY = 10  # steps between two points of the curves (and the last step of every request)
DEFAULT_SESSIONS = 8  # training sessions kept at once (micrograd playground --sessions N)
STEP_SECONDS = 1.0  # CPU seconds one request trains at most, plus one step (bounded by settings.MAX_STEP_WORK)


def _cpu_clock() -> Callable[[], float]:
    """This thread's CPU time, where the platform has it (not in Pyodide): else the wall clock."""
    try:
        time.thread_time()
    except (OSError, AttributeError):
        return time.perf_counter
    return time.thread_time


CPU_CLOCK = _cpu_clock()


_DATA = operator.attrgetter("data")


def _short(x: float) -> float | None:
    """``x`` to 6 significant digits, which is all a page shows (None for inf and nan, as JSON has neither)."""
    return float(f"{x:.6g}") if math.isfinite(x) else None


class Session:
    """One training run: data split in train and test, an MLP, an optimizer and the curves."""

    def __init__(self, settings: Settings, compiled: bool = True) -> None:
        self.compiled = compiled  # the batch's forward pass replayed by micrograd.compile (numpy, else plain Python)
        self.id = secrets.token_urlsafe(12)
        self.lock = threading.Lock()
        self.last_used = time.monotonic()
        self.curve_seconds = 0.0  # the time the last step() spent on the curves' points
        self.reset(settings)

    def reset(self, settings: Settings) -> None:
        """Start again: new data (from the seed), new weights, step 0."""
        options: dict[str, Any] = {"n": settings.points, "seed": settings.seed}
        if settings.dataset == "blobs":
            options["spread"] = settings.noise
        elif settings.dataset != "yin_yang":
            options["noise"] = settings.noise
        if settings.dataset in ("spirals", "blobs"):
            options["classes"] = settings.classes
        make = data.REGRESSIONS[settings.dataset] if settings.regression else data.DATASETS[settings.dataset]
        try:
            made: Any = make(**options)  # points, and their classes or a regression's numbers
        except ValueError as error:
            raise RequestError(str(error)) from None
        X, y = made
        n_train = min(max(round(settings.points * settings.train_ratio), 1), settings.points - 1)
        self.settings = settings
        self.X_train, self.y_train = X[:n_train], y[:n_train]
        self.X_test, self.y_test = X[n_train:], y[n_train:]
        # the model's inputs: each point's chosen features (data.FEATURES), computed once
        self.inputs_train = data.features(self.X_train, settings.features)
        self.inputs_test = data.features(self.X_test, settings.features)
        self.rng = random.Random(settings.weights_seed or settings.seed)
        self.model = MLP(
            len(settings.features), [*settings.hidden, settings.outputs], activation=settings.activation, rng=self.rng
        )
        self.parameters = self.model.parameters()
        # the same weights either way (to rounding); compiled, a step is many times faster: the whole
        # step (compile_step) for losses of -1/+1 or 0/1 targets, given as floats, data of the trace;
        # for cross-entropy, whose class indices would trace anew for each batch, the forward pass only
        self.forward: Callable[[list[list[float]]], list[Any]] = (
            compile_function(self._outputs) if self.compiled else self._outputs
        )
        self.optimizer = choices.make_optimizer(settings.optimizer, self.parameters, settings.lr)
        self.loss_function = choices.LOSS_FUNCTIONS[settings.loss]
        if settings.regression:  # the numbers themselves
            self.targets_train, self.targets_test = list(self.y_train), list(self.y_test)
        else:
            self.targets_train = choices.targets(settings.loss, self.y_train)
            self.targets_test = choices.targets(settings.loss, self.y_test)
        self._compile_step()
        self.step_count = 0
        self.diverged: str | None = None
        xs = [p[0] for p in X]
        ys = [p[1] for p in X]
        self.extent: Extent = (min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5)
        self.history: list[dict[str, Any]] = []
        self.history.append(self._metrics())

    def _compile_step(self) -> None:
        """Compile the whole step anew: it holds the optimizer, the rates and the weights in arrays."""
        whole_step = self.compiled and self.settings.loss != "cross-entropy"
        self.compiled_step = compile_step(self._batch_loss, self.optimizer) if whole_step else None

    def retune(self, settings: Settings) -> None:
        """Take new live settings (learning rate, L2, optimizer, batch size) at the next step.

        The model, its step count and the curves stay; a new optimizer starts with no
        momentum.  Settings that need a new model are refused with 409.
        """
        changed = self.settings.model_changes(settings)
        if changed:
            raise RequestError(f"{', '.join(changed)}: a new model is needed (reset the session)", 409)
        if settings.optimizer != self.settings.optimizer:
            self.optimizer = choices.make_optimizer(settings.optimizer, self.parameters, settings.lr)
        else:
            self.optimizer.lr = settings.lr
        self.settings = settings
        self._compile_step()  # the compiled step traced the old rates

    def set_weight(self, layer: int, neuron: int, index: int, value: float) -> None:
        """Give one weight a new value (the page's weight editor); the next step starts from it."""
        layers = self.model.layers
        if not 0 <= layer < len(layers) or not 0 <= neuron < len(layers[layer].neurons):
            raise RequestError(f"there is no neuron {neuron} in layer {layer}")
        weights = layers[layer].neurons[neuron].w
        if not 0 <= index < len(weights):
            raise RequestError(f"neuron {neuron} of layer {layer} has {len(weights)} weights, not {index + 1}")
        weights[index].data = float(value)
        self._compile_step()  # the compiled step keeps the weights in its own arrays
        self.history[-1 if self.history[-1]["step"] == self.step_count else len(self.history) :] = [self._metrics()]

    def _scores(self, rows: Sequence[Sequence[float]]) -> list[Any]:
        """The model's output for each row, without a graph: a float, or a list of floats per class."""
        if not rows:
            return []
        outputs = layer_outputs_fast(self.model, rows)[-1]
        columns = [list(map(float, column)) for column in outputs]
        return columns[0] if len(columns) == 1 else [list(row) for row in zip(*columns, strict=True)]

    def data_loss(self, outputs: Sequence[Any], targets: Sequence[Any]) -> Value:
        """The data loss (no L2), computed by the library's loss on outputs given as Values."""

        def value(o: Any) -> Value:
            return o if isinstance(o, Value) else Value(o)

        if self.settings.loss == "cross-entropy":
            return self.loss_function([[value(o) for o in row] for row in outputs], targets)
        return self.loss_function([value(o) for o in outputs], targets)

    def _evaluate(self, X: Sequence[Sequence[float]], y: Sequence[Any], targets: Sequence[Any]) -> tuple[Any, Any]:
        """Loss and accuracy on a set of points, or (None, None) for an empty set (a regression has no accuracy)."""
        if not X:
            return None, None
        scores = self._scores(X)
        if self.settings.regression:
            hits = None
        elif self.settings.outputs == 1:
            hits = sum((s > 0) == (label == 1) for s, label in zip(scores, y, strict=True))
        else:
            hits = sum(max(range(len(row)), key=row.__getitem__) == label for row, label in zip(scores, y, strict=True))
        try:
            loss: float | None = self.data_loss(scores, targets).data
        except (OverflowError, ZeroDivisionError, ValueError):  # a diverged model's numbers
            loss = None
        return (loss if loss is not None and math.isfinite(loss) else None), None if hits is None else hits / len(y)

    def _metrics(self) -> dict[str, Any]:
        with no_grad():  # the losses' Values need no graph
            train_loss, train_accuracy = self._evaluate(self.inputs_train, self.y_train, self.targets_train)
            test_loss, test_accuracy = self._evaluate(self.inputs_test, self.y_test, self.targets_test)
        return {
            "step": self.step_count,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
        }

    def _outputs(self, rows: list[list[float]]) -> list[Any]:
        """The model's outputs (Values, recording the graph) for a batch of points."""
        return [self.model(row) for row in rows]

    def train_step(self) -> float:
        """One optimisation step on a random batch of the training points; returns its loss."""
        batch_size = min(self.settings.batch_size, len(self.X_train))
        chosen = self.rng.sample(range(len(self.X_train)), batch_size)
        rows, targets = [self.inputs_train[i] for i in chosen], [self.targets_train[i] for i in chosen]
        if self.compiled_step is not None:
            with self.compiled_step:  # synced on leaving: the page reads p.data and p.grad next
                return float(self.compiled_step(rows, [float(t) for t in targets]))
        loss = self._batch_loss(rows, targets, self.forward(rows))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.data

    def _batch_loss(self, rows: list[list[float]], targets: Sequence[Any], outputs: Any = None) -> Value:
        """The loss of a batch, with the L2 and L1 penalties (what a step minimises)."""
        loss = self.data_loss(self._outputs(rows) if outputs is None else outputs, targets)
        if self.settings.l2:
            loss = loss + losses.l2_penalty(self.parameters, self.settings.l2)
        if self.settings.l1:
            loss = loss + losses.l1_penalty(self.parameters, self.settings.l1)
        return loss

    def step(self, count: int, seconds: float = STEP_SECONDS, metrics_every: int = METRICS_EVERY) -> None:
        """``count`` training steps (none once training has diverged), stopping early after ``seconds``.

        The time is this thread's CPU time: a page asking for a frame's worth of steps
        gets as many as fit, and thirty pages at once each get their share.  The curves
        get a point every ``metrics_every`` steps (0: only at the end), and at the end;
        ``curve_seconds`` says how long those points took (CPU time, as the budget).
        """
        deadline = CPU_CLOCK() + min(seconds, STEP_SECONDS)
        self.curve_seconds = 0.0
        for done in range(count):
            if self.diverged or (done and CPU_CLOCK() > deadline):
                break
            self._one_step()
            if (metrics_every and self.step_count % metrics_every == 0) or self.diverged:
                self._record()
        if self.history[-1]["step"] != self.step_count:
            self._record()  # the curves end where the status line is

    def _one_step(self) -> None:
        """One step, noting when training diverged (the loss or a weight is no longer a number)."""
        try:
            loss = self.train_step()
            # one sum in C: inf or nan in any weight makes it inf or nan
            finite = math.isfinite(loss) and math.isfinite(sum(map(_DATA, self.parameters)))
            problem = None if finite else f"the loss is {loss}"
        except (OverflowError, ZeroDivisionError, ValueError) as error:
            problem = str(error).splitlines()[0]
        self.step_count += 1
        if problem:
            self.diverged = f"training diverged at step {self.step_count} ({problem}): try a smaller learning rate"

    def _record(self) -> None:
        started = CPU_CLOCK()
        self.history.append(self._metrics())
        self.curve_seconds += CPU_CLOCK() - started
        if len(self.history) > MAX_HISTORY:
            self.history = self.history[:1] + self.history[2::2]  # keep the start, halve the rest

    def weights(self) -> list[dict[str, Any]]:
        """Every layer's weights and biases with their gradients from the last step (6 significant digits)."""
        return [
            {
                "w": [[_short(p.data) for p in n.w] for n in layer.neurons],
                "w_grad": [[_short(p.grad) for p in n.w] for n in layer.neurons],
                "b": [_short(n.b.data) for n in layer.neurons],
                "b_grad": [_short(n.b.grad) for n in layer.neurons],
            }
            for layer in self.model.layers
        ]

    def state(self, since: int = -1, maps: bool | str = True) -> dict[str, Any]:
        """What the page draws: status, curves after step ``since``, weights, maps (or their ``"preview"``), points."""
        latest = self.history[-1]
        state: dict[str, Any] = {
            "id": self.id,
            "settings": self.settings.as_json(),
            "step": self.step_count,
            "diverged": self.diverged,
            "compiled": self.compiled,
            **{key: latest[key] for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")},
            "history": [entry for entry in self.history if entry["step"] > since],
            "layers": [len(self.settings.features), *self.settings.hidden, self.settings.outputs],
            "weights": self.weights(),
            "extent": list(self.extent),
        }
        if since < 0:
            state["train"] = {"points": self.X_train, "labels": self.y_train}
            state["test"] = {"points": self.X_test, "labels": self.y_test}
            state["features"] = feature_maps(self.extent, NEURON_SIZE)  # the input units' maps: fixed
        if maps:
            state.update(self.heat_maps(preview=maps == "preview"))
        return state

    def heat_maps(self, preview: bool = False) -> dict[str, Any]:
        """The boundary (a regression's output) and the neurons' maps, in full or as a preview (maps.heat_maps)."""
        features, regression = self.settings.features, self.settings.regression
        return heat_maps(self.model, self.extent, preview=preview, features=features, regression=regression)


class SessionStore:
    """At most ``limit`` sessions; one idle for ``idle_seconds`` is forgotten."""

    def __init__(self, limit: int = DEFAULT_SESSIONS, idle_seconds: float = 600.0, busy_seconds: float = 30.0) -> None:
        self.limit = limit
        self.idle_seconds = idle_seconds
        self.busy_seconds = busy_seconds  # a session used this recently is never evicted for a new one
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()

    def _expire(self, now: float) -> None:
        for key in [k for k, s in self.sessions.items() if now - s.last_used > self.idle_seconds]:
            del self.sessions[key]

    def create(self, settings: Settings) -> Session:
        session = Session(settings)
        with self.lock:
            now = time.monotonic()
            self._expire(now)
            if len(self.sessions) >= self.limit:
                oldest = min(self.sessions.values(), key=lambda s: s.last_used)
                if now - oldest.last_used < self.busy_seconds:
                    raise RequestError(
                        f"too many training sessions ({self.limit}); close a tab or try again in a minute", 503
                    )
                del self.sessions[oldest.id]
            self.sessions[session.id] = session
        return session

    def get(self, key: str) -> Session:
        with self.lock:
            now = time.monotonic()
            self._expire(now)
            session = self.sessions.get(key)
            if session is None:
                raise RequestError("no such training session (it may have expired): start a new one", 404)
            session.last_used = now
            return session

    def delete(self, key: str) -> None:
        with self.lock:
            if self.sessions.pop(key, None) is None:
                raise RequestError("no such training session", 404)
