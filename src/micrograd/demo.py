"""The training demo behind ``micrograd demo``: train an MLP on a toy dataset and draw it.

The default is micrograd's demo notebook: 100 "moons" points, ``MLP(2, [16, 16,
1])`` with relu, the max-margin loss plus an L2 penalty (alpha 1e-4), plain SGD
with the learning rate falling linearly from 1.0 to 0.1 over 100 full-batch steps.
It reaches 100% training accuracy.

:func:`train` does the training and returns a :class:`DemoResult`;
:func:`plot_decision_boundary`, :func:`plot_training_curves` and
:func:`draw_neuron` write the pictures.  Plots need matplotlib (imported only
when drawing, with the non-interactive Agg canvas); the neuron's graph needs the
``viz`` extra.  Everything random comes from ``random.Random(seed)``, so the same
configuration gives the same numbers.
"""

from __future__ import annotations

import itertools
import math
import random
import subprocess
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from micrograd import data, losses, optim
from micrograd.engine import Value, linear, no_grad
from micrograd.model_file import ModelFileError
from micrograd.nn import ACTIVATIONS, INITS, MLP
from micrograd.visualize import RendererNotFound

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "DemoConfig",
    "DemoError",
    "DemoResult",
    "accuracy",
    "decision_boundary_figure",
    "draw_neuron",
    "plot_decision_boundary",
    "plot_training_curves",
    "predict",
    "train",
    "training_curves_figure",
]

INSTALL_HINT = 'pip install "micrograd-lab[demo]"'

LOSSES = ("hinge", "mse", "bce", "cross-entropy")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULES = ("linear", "cosine", "constant")
DEFAULT_LR = {"sgd": 1.0, "momentum": 0.1, "adam": 0.05, "adamw": 0.05}

# the allowed range of every number the demo takes (sizes bound the time a run takes)
MAX_LR = 10_000.0
MAX_LAYERS, MAX_WIDTH, MAX_PARAMETERS = 10, 1000, 20_000
LIMITS: dict[str, tuple[float, float]] = {
    "samples": (4, 10_000),
    "noise": (0, 10),
    "classes": (2, 8),  # one color per class
    "steps": (1, 100_000),
    "batch_size": (1, 10_000),
    "alpha": (0, 10),
}
DIVERGED = 100.0  # a loss this many times its first value (or 1, if larger) means training diverged


class DemoError(ValueError):
    """A configuration that cannot be trained, with a message for the user."""


def _option(name: str) -> str:
    """The command-line option of a configuration field: ``batch_size`` is ``--batch-size``."""
    return "--" + name.replace("_", "-")


def _number(x: float) -> str:
    """A loss for people: 0.3105 or 4.487e+06 (scientific notation when large or tiny), never 160 digits."""
    if not math.isfinite(x) or x == 0 or 1e-4 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


@dataclass(frozen=True)
class DemoConfig:
    """Everything that decides a demo run; the defaults are micrograd's demo notebook.

    ``loss=None`` picks hinge for two classes and cross-entropy for more; ``lr=None``
    picks a learning rate that suits the optimizer (1.0 for sgd, 0.1 for sgd with mse
    or for momentum, 0.05 for adam);
    ``samples``/``noise`` None use the dataset's defaults; ``batch_size=None``
    trains on the whole dataset at every step.
    """

    dataset: str = "moons"
    samples: int | None = None
    noise: float | None = None
    classes: int = 3
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    init: str = "uniform"
    loss: str | None = None
    optimizer: str = "sgd"
    lr: float | None = None
    schedule: str = "linear"
    steps: int = 100
    batch_size: int | None = None
    alpha: float = 1e-4
    seed: int = 1
    compile: bool = False  # train with micrograd.compile: trace the step once, replay it

    def resolved(self) -> DemoConfig:
        """This configuration checked, with the automatic choices filled in (raises DemoError)."""
        if self.dataset not in data.DATASETS:
            raise DemoError(f"unknown dataset {self.dataset!r}; choose from {', '.join(data.DATASETS)}")
        if self.activation not in ACTIVATIONS or self.activation == "linear":
            raise DemoError(f"unknown activation {self.activation!r}; choose from relu, tanh, sigmoid")
        if self.init not in INITS:
            raise DemoError(f"unknown init {self.init!r}; choose from {', '.join(INITS)}")
        if self.optimizer not in OPTIMIZERS:
            raise DemoError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise DemoError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")
        if self.loss is not None and self.loss not in LOSSES:
            raise DemoError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high:  # nan fails too
                raise DemoError(f"{_option(name)} {value:g}: must be from {low:,} to {high:,}")
        if self.lr is not None and not 0 < self.lr <= MAX_LR:
            raise DemoError(f"--lr {self.lr:g}: the learning rate must be above 0 and at most {MAX_LR:,g}")
        if not self.hidden or len(self.hidden) > MAX_LAYERS or not all(1 <= w <= MAX_WIDTH for w in self.hidden):
            raise DemoError(
                f"--hidden {','.join(map(str, self.hidden))}: 1 to {MAX_LAYERS} layers of 1 to {MAX_WIDTH:,} neurons"
            )
        if self.noise is not None and self.dataset == "yin_yang":
            raise DemoError("the yin_yang dataset has no noise setting")
        classes = 3 if self.dataset == "yin_yang" else self.classes if self.dataset in ("spirals", "blobs") else 2
        if classes < 2:
            raise DemoError(f"a classification needs at least 2 classes, got {classes}")
        loss = self.loss or ("hinge" if classes == 2 else "cross-entropy")
        if loss != "cross-entropy" and classes > 2:
            raise DemoError(f"the {loss} loss is for two classes; {self.dataset} has {classes}: use cross-entropy")
        lr = self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]
        if self.lr is None and loss == "mse" and self.optimizer == "sgd":
            lr = 0.1  # squared errors have steeper gradients: 1.0 diverges
        resolved = replace(self, classes=classes, loss=loss, lr=lr)
        sizes = [2, *self.hidden, resolved.outputs]
        parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))
        if parameters > MAX_PARAMETERS:
            raise DemoError(
                f"--hidden {','.join(map(str, self.hidden))}: {parameters:,} parameters; the demo trains at most "
                f"{MAX_PARAMETERS:,} (pure Python takes about a second per step for that many on 100 points)"
            )
        return resolved

    def describe(self) -> str:
        """A one-line summary, for titles and logs."""
        sizes = ", ".join(map(str, [*self.hidden, self.outputs]))
        lr = float(self.lr or 0.0)
        rate = f"lr {lr:g}" if self.schedule == "constant" else f"lr {lr:g} to {0.1 * lr:g} ({self.schedule})"
        batch = f"batches of {self.batch_size}" if self.batch_size else "full batch"
        return (
            f"MLP(2, [{sizes}]) {self.activation} on {self.dataset}: {self.loss} loss, "
            f"{self.optimizer} {rate}, {self.steps} steps, {batch}, seed {self.seed}"
            + (", compiled" if self.compile else "")
        )

    @property
    def outputs(self) -> int:
        """Number of output neurons: one score for two classes, one per class for cross-entropy."""
        return self.classes if self.loss == "cross-entropy" else 1


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


def _data_loss(config: DemoConfig, outputs: list[Any], labels: Sequence[int]) -> Value:
    """The data loss of a batch."""
    if config.loss == "cross-entropy":
        return losses.cross_entropy(outputs, labels)
    if config.loss == "hinge":
        return losses.hinge_loss(outputs, [2 * label - 1 for label in labels])
    if config.loss == "mse":
        return losses.mse_loss(outputs, [2 * label - 1 for label in labels])
    return losses.binary_cross_entropy_with_logits(outputs, labels)


def _hits(config: DemoConfig, outputs: list[Any], labels: Sequence[int]) -> int:
    """How many examples of a batch are classified right."""
    if config.loss == "cross-entropy":
        return sum(_argmax(row) == label for row, label in zip(outputs, labels, strict=True))
    return sum((score.data > 0) == (label == 1) for score, label in zip(outputs, labels, strict=True))


def _step_loss(
    config: DemoConfig, model: MLP, parameters: list[Value], Xb: Sequence[Any], yb: Sequence[int]
) -> tuple[Value, list[Any]]:
    """The loss of a batch (with the L2 penalty) and the model's outputs."""
    outputs = [model(x) for x in Xb]
    data_loss = _data_loss(config, outputs, yb)
    return (data_loss + losses.l2_penalty(parameters, config.alpha) if config.alpha else data_loss), outputs


def _compiled_step(config: DemoConfig, model: MLP, parameters: list[Value]) -> Callable[..., tuple[Value, list[Any]]]:
    """``_step_loss`` traced once and replayed (see docs/compile.md).

    On the full batch the whole loss is compiled (the labels never change).  With
    batches the labels change at every step, and a loss reads its labels as numbers,
    so only the model is compiled and the loss of its outputs is computed as usual.
    """
    from micrograd.compiler import compile

    if config.batch_size is None:
        return compile(lambda Xb, yb: _step_loss(config, model, parameters, Xb, yb))  # type: ignore[no-any-return]
    forward = compile(lambda Xb: [model(x) for x in Xb])

    def step(Xb: Sequence[Any], yb: Sequence[int]) -> tuple[Value, list[Any]]:
        outputs = forward(Xb)
        data_loss = _data_loss(config, outputs, yb)
        return (data_loss + losses.l2_penalty(parameters, config.alpha) if config.alpha else data_loss), outputs

    return step


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


def _argmax(row: Sequence[Value]) -> int:
    return max(range(len(row)), key=lambda k: row[k].data)


def _make_optimizer(config: DemoConfig, parameters: list[Value]) -> tuple[optim.Optimizer, optim.LRScheduler]:
    lr = float(config.lr or 0.0)
    optimizer: optim.Optimizer
    if config.optimizer == "sgd":
        optimizer = optim.SGD(parameters, lr=lr)
    elif config.optimizer == "momentum":
        optimizer = optim.SGD(parameters, lr=lr, momentum=0.9, nesterov=True)
    elif config.optimizer == "adam":
        optimizer = optim.Adam(parameters, lr=lr)
    else:
        optimizer = optim.AdamW(parameters, lr=lr)
    schedule: optim.LRScheduler
    if config.schedule == "linear":  # micrograd's demo: lr = 1.0 - 0.9 * k / steps
        schedule = optim.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=config.steps)
    elif config.schedule == "cosine":
        schedule = optim.CosineAnnealingLR(optimizer, T_max=config.steps, eta_min=0.1 * lr)
    else:
        schedule = optim.ConstantLR(optimizer)
    return optimizer, schedule


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
    step_fn = _compiled_step(config, model, parameters) if config.compile else None
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
            else:
                total, outputs = step_fn(Xb, yb)
            if step == 0:
                first_loss = total.data
            if not math.isfinite(total.data):
                raise DemoError(f"{diverged}; the loss is {total.data}")
            if total.data > DIVERGED * max(first_loss, 1.0):  # risen by orders of magnitude: it will not come back
                raise DemoError(f"{diverged}; the loss rose from {_number(first_loss)} to {_number(total.data)}")
            optimizer.zero_grad()
            total.backward()
            result.step_seconds.append(time.perf_counter() - began)
        except (OverflowError, ZeroDivisionError) as error:  # numbers too large for a float
            raise DemoError(f"{diverged}; {error}") from None
        hits = _hits(config, outputs, yb)
        optimizer.step()
        schedule.step()
        result.loss_history.append(total.data)
        result.accuracy_history.append(hits / len(yb))
        if on_step is not None:
            on_step(step + 1, total.data, hits / len(yb))
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


# -- pictures ----------------------------------------------------------------------------------

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _figure(width: float, height: float) -> Any:
    """A matplotlib Figure that draws with Agg, without pyplot (no window, no global state)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"plots need matplotlib: {INSTALL_HINT}", name="matplotlib") from None
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


CAPTION_CHARACTERS = 90  # of a 7-point caption on the 6-inch decision boundary picture


def _caption(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters, so a long caption is never cut off."""
    return textwrap.fill(text, width=width, break_long_words=True)


def plot_decision_boundary(result: DemoResult, path: str | Path, resolution: int = 160) -> Path:
    """The classes the model predicts over the plane, with the training points on top (PNG)."""
    target = Path(path)
    decision_boundary_figure(result, resolution).savefig(target, format="png")
    return target


def decision_boundary_figure(result: DemoResult, resolution: int = 160) -> Any:
    """The matplotlib Figure :func:`plot_decision_boundary` writes."""
    figure = _figure(6, 5.4)
    from matplotlib.colors import ListedColormap

    X, y, config = result.X, result.y, result.config
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x_min, x_max = min(xs) - 0.5, max(xs) + 0.5
    y_min, y_max = min(ys) - 0.5, max(ys) + 0.5
    grid_x = [x_min + (x_max - x_min) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y_min + (y_max - y_min) * j / (resolution - 1) for j in range(resolution)]
    flat = predict(result.model, [[gx, gy] for gy in grid_y for gx in grid_x], config)
    classes = [flat[j * resolution : (j + 1) * resolution] for j in range(resolution)]
    colors = ListedColormap(COLORS[: config.classes])
    axes = figure.add_subplot()
    axes.contourf(grid_x, grid_y, classes, levels=[k - 0.5 for k in range(config.classes + 1)], cmap=colors, alpha=0.3)
    axes.scatter(xs, ys, c=[COLORS[label] for label in y], s=28, edgecolors="black", linewidths=0.6)
    axes.set_xlim(x_min, x_max)
    axes.set_ylim(y_min, y_max)
    axes.set_title(f"decision boundary after training — accuracy {result.accuracy:.0%}", fontsize=11)
    axes.set_xlabel(_caption(config.describe(), CAPTION_CHARACTERS), fontsize=7)
    return figure


def plot_training_curves(result: DemoResult, path: str | Path) -> Path:
    """Loss and accuracy at every step (PNG)."""
    target = Path(path)
    training_curves_figure(result).savefig(target, format="png")
    return target


def training_curves_figure(result: DemoResult) -> Any:
    """The matplotlib Figure :func:`plot_training_curves` writes."""
    steps = range(1, len(result.loss_history) + 1)
    figure = _figure(9, 3.6)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    loss_axes.plot(steps, result.loss_history, color=COLORS[0])
    loss_axes.set_yscale("log")
    loss_axes.set_title(f"{result.config.loss} loss (with L2)" if result.config.alpha else f"{result.config.loss} loss")
    loss_axes.set_xlabel("step")
    accuracy_axes.plot(steps, [100 * a for a in result.accuracy_history], color=COLORS[2])
    accuracy_axes.set_ylim(0, 105)
    accuracy_axes.set_title("accuracy of each step's batch (%)")
    accuracy_axes.set_xlabel("step")
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
    return figure


def neuron_graph(result: DemoResult) -> Value:
    """The first neuron of the trained model on the first training point, backpropagated.

    Built from labelled copies (``x1``, ``w1``, ``b``, ...) so the picture is readable
    and the model itself is not touched.
    """
    neuron = result.model.layers[0].neurons[0]
    point = result.X[0]
    inputs = [Value(v, label=f"x{i + 1}") for i, v in enumerate(point)]
    weights = [Value(w.data, label=f"w{i + 1}") for i, w in enumerate(neuron.w)]
    bias = Value(neuron.b.data, label="b")
    z = linear(inputs, weights, bias)
    z.label = "z"
    activate = ACTIVATIONS[neuron.activation][0]
    out = z if activate is None else activate(z)
    out.label = "out"
    out.backward()
    return out


def draw_neuron(result: DemoResult, path: str | Path) -> Path:
    """The graph of one neuron, with data and gradients (SVG); needs the ``viz`` extra."""
    from micrograd.visualize import draw_dot

    svg = draw_dot(neuron_graph(result), format="svg", rankdir="LR").pipe(format="svg")
    target = Path(path)
    target.write_bytes(svg)
    return target


# -- the whole demo, as the command line runs it ---------------------------------------------

OUTPUT_FILES = {
    "boundary": "decision_boundary.png",
    "curves": "training_curves.png",
    "neuron": "neuron.svg",
    "model": "model.json",
}


class _PlainProgress:
    """Progress as a line every tenth of the run, when tqdm is not installed."""

    def __init__(self, steps: int, echo: Callable[[str], None]) -> None:
        self.steps = steps
        self.every = max(1, steps // 10)
        self.echo = echo

    def __call__(self, step: int, loss: float, accuracy: float) -> None:
        if step % self.every == 0 or step == self.steps:
            self.echo(
                f"step {step:>{len(str(self.steps))}}/{self.steps}  loss {_number(loss)}  batch accuracy {accuracy:.0%}"
            )


def run(config: DemoConfig, out: str | Path, echo: Callable[[str], None] = print, progress: bool = True) -> DemoResult:
    """Train, print what happens, and write the pictures and the model to the folder ``out``.

    A missing optional dependency skips only its picture, with a one-line message;
    problems the user can fix raise :class:`DemoError`.
    """
    config = config.resolved()
    make_dataset(config)  # a bad dataset option is reported before anything starts
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise DemoError(f"--out {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoError(f"cannot create the folder {folder}: {error.strerror or error}") from None
    echo(f"training {config.describe()}")
    if progress:
        echo("(each step shows its batch's loss and accuracy, measured before the step updates the weights)")
    on_step: Callable[[int, float, float], None] | None = None
    bar: Any = None
    if progress:
        try:
            from tqdm import tqdm
        except ImportError:
            echo(f"(no progress bar: tqdm is not installed; {INSTALL_HINT})")
            on_step = _PlainProgress(config.steps, echo)
        else:
            bar = tqdm(total=config.steps, desc="training", unit="step", leave=True, mininterval=0.1)

            def on_step(step: int, loss: float, accuracy: float) -> None:
                bar.set_postfix_str(f"loss {_number(loss)}, batch accuracy {accuracy:.0%}", refresh=False)
                bar.update(1)

    try:
        result = train(config, on_step)
    finally:
        if bar is not None:
            bar.close()
    right = round(result.accuracy * len(result.y))
    echo(
        f"training accuracy {result.accuracy:.1%} ({right}/{len(result.y)} points, after training); "
        f"last step's loss {_number(result.loss_history[-1])}; {result.seconds:.1f} s"
    )
    if config.compile:
        echo(_speedup(result))
    written = []
    steps: list[tuple[str, Callable[[DemoResult, Path], Path]]] = [
        ("boundary", plot_decision_boundary),
        ("curves", plot_training_curves),
        ("model", _save_model),
        ("neuron", draw_neuron),  # last: needs graphviz and a renderer
    ]
    for key, write in steps:
        path = folder / OUTPUT_FILES[key]
        try:
            written.append(write(result, path))
        except ImportError as error:
            echo(f"skipped {path.name}: {error.name or 'a package'} is not installed; {INSTALL_HINT}")
        except OSError as error:
            raise DemoError(f"cannot write {path}: {error.strerror or error}") from None
        except ModelFileError as error:  # a weight that is not finite
            raise DemoError(str(error)) from None
        except (RendererNotFound, subprocess.CalledProcessError) as error:  # no renderer, or it failed
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            echo(f"skipped {path.name}: {reason}")
    for path in written:
        echo(f"wrote {path}")
    return result


def _speedup(result: DemoResult) -> str:
    """One line: the compiled step against the same step without compile."""
    times = sorted(result.step_seconds[1:] or result.step_seconds)  # the first step traces
    compiled = times[len(times) // 2]
    eager = eager_step_seconds(result)
    return (
        f"compiled: the first step traced in {result.step_seconds[0] * 1e3:.0f} ms; a step (forward and backward) "
        f"took {compiled * 1e3:.2f} ms against {eager * 1e3:.1f} ms without compile: {eager / compiled:.0f}x faster"
    )


def _save_model(result: DemoResult, path: Path) -> Path:
    result.model.save(path)
    return path
