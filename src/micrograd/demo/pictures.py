"""The pictures the demo writes: the decision boundary, the training curves and one neuron's graph.

Plots need matplotlib (imported only when drawing, on the non-interactive Agg
canvas, without pyplot); the neuron's graph needs the ``viz`` extra.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from micrograd.autograd import Value, linear
from micrograd.demo.training import DemoResult, predict
from micrograd.nn import ACTIVATIONS

__all__ = [
    "CAPTION_CHARACTERS",
    "COLORS",
    "INSTALL_HINT",
    "decision_boundary_figure",
    "draw_neuron",
    "neuron_graph",
    "plot_decision_boundary",
    "plot_training_curves",
    "training_curves_figure",
]

INSTALL_HINT = "pip install matplotlib graphviz graphviz-pure tqdm"  # the demo extra's packages

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
    from micrograd.pictures.visualize import draw_dot

    svg = draw_dot(neuron_graph(result), format="svg", rankdir="LR").pipe(format="svg")
    target = Path(path)
    target.write_bytes(svg)
    return target
