"""The demo's training run: data, model, optimizer, the steps, and the checks that stop a diverging run.

:func:`train` trains an MLP as a :class:`~micrograd.demo.config.DemoConfig` says
and returns a :class:`DemoResult` with the model and its loss and accuracy curves.
A loss that is not finite, or that rises a hundredfold above its first value,
stops the run with a :class:`~micrograd.demo.config.DemoError` that suggests a
smaller learning rate.  Everything random comes from ``random.Random(seed)``, so
the same configuration gives the same numbers.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from micrograd import choices, data, losses, optim
from micrograd.autograd import Value, no_grad
from micrograd.demo.config import DemoConfig, DemoError
from micrograd.nn import MLP

__all__ = [
    "DIVERGED",
    "DemoResult",
    "accuracy",
    "eager_step_seconds",
    "format_loss",
    "make_dataset",
    "predict",
    "train",
]

DIVERGED = 100.0  # a loss this many times its first value (or 1, if larger) means training diverged


def format_loss(x: float) -> str:
    """A loss for people: 0.3105 or 4.487e+06 (scientific notation when large or tiny), never 160 digits."""
    if not math.isfinite(x) or x == 0 or 1e-4 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


@dataclass
class DemoResult:
    """What :func:`train` produced: the model, its data and the curves."""

    config: DemoConfig
    model: MLP
    X: list[list[float]]
    y: list[int]
    loss_history: list[float] = field(default_factory=list)
    accuracy_history: list[float] = field(default_factory=list)
    accuracy: float = 0.0  # on the whole training set, after the last step
    seconds: float = 0.0
    step_seconds: list[float] = field(default_factory=list)  # each step's forward and backward


def make_dataset(config: DemoConfig) -> tuple[list[list[float]], list[int]]:
    """The training data of a (resolved) configuration."""
    options: dict[str, Any] = {"seed": config.seed}
    if config.samples is not None:
        options["n"] = config.samples
    if config.noise is not None:
        options["spread" if config.dataset == "blobs" else "noise"] = config.noise
    if config.dataset in ("spirals", "blobs"):
        options["classes"] = config.classes
    try:
        return data.DATASETS[config.dataset](**options)
    except ValueError as error:
        raise DemoError(str(error)) from None


def _hits(config: DemoConfig, outputs: list[Any], labels: Sequence[int]) -> int:
    """How many examples of a batch are classified right (outputs as Values, or as numbers)."""
    if config.loss == "cross-entropy":
        return sum(_argmax(row) == label for row, label in zip(outputs, labels, strict=True))
    return sum((_number(score) > 0) == (label == 1) for score, label in zip(outputs, labels, strict=True))


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else x  # type: ignore[no-any-return]


def _step_loss(
    config: DemoConfig, model: MLP, parameters: list[Value], Xb: Sequence[Any], yb: Sequence[int]
) -> tuple[Value, list[Any]]:
    """The loss of a batch (with the L2 penalty) and the model's outputs."""
    outputs = [model(x) for x in Xb]
    data_loss = choices.data_loss(str(config.loss), outputs, yb)
    return (data_loss + losses.l2_penalty(parameters, config.alpha) if config.alpha else data_loss), outputs


def _compiled_step(
    config: DemoConfig, model: MLP, parameters: list[Value], optimizer: optim.Optimizer
) -> Callable[..., tuple[float, list[Any]]]:
    """The whole training step compiled (``micrograd.compile_step``, see docs/compile.md): it returns
    the loss and the model's outputs as numbers, and has already updated the weights.

    The labels go in as floats, data of the trace, so a new batch replays the same trace; the
    class indices of cross-entropy are structure instead (a new trace per pattern of labels).
    """
    from micrograd.compiler import compile_step

    floats = config.loss != "cross-entropy"
    step = compile_step(lambda Xb, yb: _step_loss(config, model, parameters, Xb, yb), optimizer)
    return lambda Xb, yb: step(Xb, [float(label) for label in yb] if floats else yb)  # type: ignore[no-any-return]


def eager_step_seconds(result: DemoResult, repeats: int = 3) -> float:
    """How long one step's forward and backward takes without compile (the fastest of a few)."""
    config, model = result.config, result.model
    parameters = model.parameters()
    size = config.batch_size if config.batch_size is not None and config.batch_size < len(result.X) else len(result.X)
    Xb, yb = result.X[:size], result.y[:size]
    best = math.inf
    for _ in range(repeats):
        began = time.perf_counter()
        total, _ = _step_loss(config, model, parameters, Xb, yb)
        model.zero_grad()
        total.backward()
        best = min(best, time.perf_counter() - began)
    model.zero_grad()
    return best


def _argmax(row: Sequence[Any]) -> int:
    return max(range(len(row)), key=lambda k: _number(row[k]))


def _make_optimizer(config: DemoConfig, parameters: list[Value]) -> tuple[optim.Optimizer, optim.LRScheduler]:
    lr = float(config.lr or 0.0)
    optimizer = choices.make_optimizer(config.optimizer, parameters, lr)
    return optimizer, choices.make_schedule(config.schedule, optimizer, config.steps, lr)


def train(
    config: DemoConfig | None = None,
    on_step: Callable[[int, float, float], None] | None = None,
) -> DemoResult:
    """Train as ``config`` says; call ``on_step(step, loss, accuracy)`` after each step."""
    config = (config or DemoConfig()).resolved()
    started = time.perf_counter()
    X, y = make_dataset(config)
    rng = random.Random(config.seed)
    model = MLP(2, [*config.hidden, config.outputs], activation=config.activation, init=config.init, rng=rng)
    parameters = model.parameters()
    optimizer, schedule = _make_optimizer(config, parameters)
    result = DemoResult(config, model, X, y)
    batch_size = config.batch_size if config.batch_size is not None and config.batch_size < len(X) else None
    first_loss = math.nan
    step_fn = _compiled_step(config, model, parameters, optimizer) if config.compile else None
    for step in range(config.steps):
        if batch_size is None:
            Xb, yb = X, y
        else:
            chosen = rng.sample(range(len(X)), batch_size)
            Xb, yb = [X[i] for i in chosen], [y[i] for i in chosen]
        diverged = f"training diverged at step {step + 1}: try a smaller learning rate (--lr {config.lr:g} now)"
        try:
            began = time.perf_counter()
            if step_fn is None:
                total, outputs = _step_loss(config, model, parameters, Xb, yb)
                loss = total.data
            else:  # the compiled step also runs backward and the update
                loss, outputs = step_fn(Xb, yb)
            if step == 0:
                first_loss = loss
            if not math.isfinite(loss):
                raise DemoError(f"{diverged}; the loss is {loss}")
            if loss > DIVERGED * max(first_loss, 1.0):  # risen by orders of magnitude: it will not come back
                rose = f"the loss rose from {format_loss(first_loss)} to {format_loss(loss)}"
                raise DemoError(f"{diverged}; {rose}")
            if step_fn is None:
                optimizer.zero_grad()
                total.backward()
            result.step_seconds.append(time.perf_counter() - began)
        except (OverflowError, ZeroDivisionError) as error:  # numbers too large for a float
            raise DemoError(f"{diverged}; {error}") from None
        hits = _hits(config, outputs, yb)
        if step_fn is None:
            optimizer.step()
        schedule.step()
        result.loss_history.append(loss)
        result.accuracy_history.append(hits / len(yb))
        if on_step is not None:
            on_step(step + 1, loss, hits / len(yb))
    result.accuracy = accuracy(model, X, y, config)
    result.seconds = time.perf_counter() - started
    return result


def predict(model: MLP, X: Sequence[Sequence[float]], config: DemoConfig) -> list[int]:
    """The predicted class of every point, computed under ``no_grad`` (no graph is built)."""
    with no_grad():
        if config.outputs == 1:
            return [int(model(x).data > 0) for x in X]  # type: ignore[union-attr]
        return [_argmax(model(x)) for x in X]  # type: ignore[arg-type]


def accuracy(model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], config: DemoConfig) -> float:
    """The fraction of points classified right."""
    return sum(p == label for p, label in zip(predict(model, X, config), y, strict=True)) / len(y)
