"""The model over the input plane, without building a graph: heat maps for the page.

Training builds graphs of Values; drawing the decision boundary and one map per
hidden neuron evaluates the model at a few thousand points, which needs only the
forward pass.  :func:`layer_outputs` reads the weights (``w.data``) and computes
every layer's outputs with numpy when it is installed (the ``playground`` extra
brings it) and with plain floats otherwise.  Maps go to the page as whole numbers
from -100 to 100, with the scale to multiply them back.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from itertools import repeat
from operator import add, mul
from typing import Any

from micrograd import data
from micrograd.autograd import Value, no_grad
from micrograd.nn import ACTIVATIONS, MLP, Neuron

try:  # numpy is optional: the plain-float path below computes the same numbers
    import numpy
except ImportError:  # pragma: no cover - numpy is part of the test extras
    numpy = None  # type: ignore[assignment]

__all__ = [
    "BOUNDARY_SIZE",
    "HAVE_NUMPY",
    "NEURON_SIZE",
    "PREVIEW_SIZE",
    "XY",
    "Extent",
    "boundary_map",
    "feature_maps",
    "grid_points",
    "heat_maps",
    "layer_outputs",
    "model_grid",
    "neuron_maps",
    "output_map",
]

HAVE_NUMPY = numpy is not None
BOUNDARY_SIZE = 40  # the decision boundary: 40 x 40 cells
NEURON_SIZE = 20  # each hidden neuron's map: 20 x 20 cells
PREVIEW_SIZE = 20  # both, in a preview
Extent = tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
XY = ("x1", "x2")  # the plain inputs: a model given no other features (data.FEATURES)

_NUMPY_ACTIVATIONS: dict[str, Any] = {
    "relu": lambda z: numpy.maximum(z, 0.0),
    "tanh": lambda z: numpy.tanh(z),
    "sigmoid": lambda z: 0.5 * (numpy.tanh(0.5 * z) + 1.0),  # sigmoid without overflow in exp
    "linear": lambda z: z,
}


def grid_points(extent: Extent, size: int) -> list[tuple[float, float]]:
    """``size`` x ``size`` points covering ``extent``, row by row from the top (largest y) down."""
    x_min, x_max, y_min, y_max = extent
    xs = [x_min + (x_max - x_min) * (i + 0.5) / size for i in range(size)]
    ys = [y_max - (y_max - y_min) * (j + 0.5) / size for j in range(size)]
    return [(x, y) for y in ys for x in xs]


def layer_outputs(model: MLP, points: Sequence[Sequence[float]]) -> list[list[list[float]]]:
    """For each layer, for each of its neurons, its output at every point (``[layer][neuron][point]``)."""
    if numpy is not None:
        return [[list(row) for row in layer] for layer in _numpy_outputs(model, points)]
    if points and all(type(n) is Neuron for layer in model.layers for n in layer.neurons):
        return _column_outputs(model, points)
    outputs = []
    rows = [list(map(float, p)) for p in points]
    for layer in model.layers:
        computed = layer.forward_rows(rows)  # nn's own float forward: the rule table's activations
        if computed is None:  # a neuron that computes its own way: ask the layer, without a graph
            with no_grad():
                computed = [[v.data for v in _as_list(layer(row))] for row in rows]
        rows = computed
        outputs.append([list(column) for column in zip(*rows, strict=True)])
    return outputs


def _column_outputs(model: MLP, points: Sequence[Sequence[float]]) -> list[list[list[float]]]:
    """``layer_outputs`` in plain Python, a whole column of points per operation.

    Each neuron's sum is built input by input over every point at once with ``map``,
    whose loops run in C: what numpy's arrays do, without numpy.  The terms are added
    in the neuron's order, then the bias, then its activation (nn's own float function).
    """
    columns = [list(map(float, column)) for column in zip(*points, strict=True)]
    outputs = []
    for layer in model.layers:
        computed = []
        for neuron in layer.neurons:
            if len(neuron.w) != len(columns):
                raise ValueError(f"linear: {len(columns)} inputs but {len(neuron.w)} weights")
            total = [0.0] * len(points)
            for weight, column in zip(neuron.w, columns, strict=True):
                total = list(map(add, total, map(mul, column, repeat(weight.data))))
            activate = ACTIVATIONS[neuron.activation][1]
            computed.append(list(map(activate, map(add, total, repeat(neuron.b.data)))))
        outputs.append(computed)
        columns = computed
    return outputs


def _as_list(out: Value | list[Value]) -> list[Value]:
    return out if isinstance(out, list) else [out]


def _numpy_outputs(model: MLP, points: Sequence[Sequence[float]]) -> list[Any]:
    """``layer_outputs`` as numpy arrays of shape (neurons, points)."""
    x = numpy.asarray(points, dtype=float).reshape(-1, len(model.layers[0].neurons[0].w))
    outputs = []
    for layer in model.layers:
        w = numpy.array([[v.data for v in n.w] for n in layer.neurons])
        b = numpy.array([n.b.data for n in layer.neurons])
        with numpy.errstate(over="ignore", invalid="ignore"):
            x = _NUMPY_ACTIVATIONS[layer.neurons[0].activation](x @ w.T + b)
        outputs.append(x.T)
    return outputs


def _quantize(values: Any) -> dict[str, Any]:
    """A map as ``{"scale": s, "values": [ints in -100..100]}``: value ≈ int / 100 * s."""
    if numpy is not None:
        array = numpy.nan_to_num(numpy.asarray(values, dtype=float), nan=0.0, posinf=1e300, neginf=-1e300)
        scale = float(numpy.abs(array).max()) if array.size else 0.0
        ints = numpy.rint(array / scale * 100).astype(int).tolist() if scale > 0 else [0] * array.size
        return {"scale": scale, "values": ints}
    finite = [v if math.isfinite(v) else math.copysign(1e300, v) if not math.isnan(v) else 0.0 for v in values]
    scale = max(map(abs, finite), default=0.0)
    return {"scale": scale, "values": [round(v / scale * 100) if scale > 0 else 0 for v in finite]}


def model_grid(extent: Extent, size: int, features: tuple[str, ...] = XY) -> Any:
    """The model's inputs at ``grid_points(extent, size)``: each point's ``features``.

    Kept per grid, so maps drawn step after step never compute the features again
    (a numpy array when numpy is there, read only; else a tuple of rows).
    """
    return _grid(extent, size, features, numpy is not None)


@functools.lru_cache(maxsize=32)
def _grid(extent: Extent, size: int, features: tuple[str, ...], as_array: bool) -> Any:
    points = grid_points(extent, size)
    rows = points if features == XY else data.features(points, features)
    if not as_array:
        return tuple(map(tuple, rows))
    array = numpy.asarray(rows, dtype=float)
    array.flags.writeable = False
    return array


def neuron_maps(model: MLP, extent: Extent, size: int, features: tuple[str, ...] = XY) -> list[list[dict[str, Any]]]:
    """One quantized ``size`` x ``size`` map per hidden neuron, layer by layer, for a model given ``features``."""
    hidden = layer_outputs_fast(model, model_grid(extent, size, features))[:-1]
    return [[_quantize(neuron) for neuron in layer] for layer in hidden]


def boundary_map(model: MLP, extent: Extent, size: int, features: tuple[str, ...] = XY) -> dict[str, Any]:
    """The predicted class and the confidence (0..100) at each of ``size`` x ``size`` points.

    One output: class 1 where the score is positive, confidence ``|tanh(score)|``.
    Several outputs: the largest wins, confidence is its softmax probability.
    """
    return _boundary(layer_outputs_fast(model, model_grid(extent, size, features))[-1], size)


def output_map(model: MLP, extent: Extent, size: int, features: tuple[str, ...] = XY) -> dict[str, Any]:
    """A regression's boundary: its one output over the plane, quantized like the neurons' maps, and ``size``."""
    return _output(layer_outputs_fast(model, model_grid(extent, size, features))[-1], size)


def _output(scores: Any, size: int) -> dict[str, Any]:
    return {"size": size, **_quantize(scores[0])}


def heat_maps(
    model: MLP, extent: Extent, preview: bool = False, features: tuple[str, ...] = XY, regression: bool = False
) -> dict[str, Any]:
    """The page's maps: ``{"boundary": ..., "neurons": ...}`` (a regression's boundary is its output).

    In full, the boundary has :data:`BOUNDARY_SIZE` cells a side and each neuron
    :data:`NEURON_SIZE`.  A preview, which a page asks for while training runs where
    maps are dear (plain Python in the browser), has :data:`PREVIEW_SIZE` cells a side
    for both, from one pass over one grid: about a sixth of the work.
    """
    if not preview:
        drawn = output_map if regression else boundary_map
        return {
            "boundary": drawn(model, extent, BOUNDARY_SIZE, features),
            "neurons": neuron_maps(model, extent, NEURON_SIZE, features),
        }
    outputs = layer_outputs_fast(model, model_grid(extent, PREVIEW_SIZE, features))
    return {
        "boundary": (_output if regression else _boundary)(outputs[-1], PREVIEW_SIZE),
        "neurons": [[_quantize(neuron) for neuron in layer] for layer in outputs[:-1]],
    }


def _boundary(scores: Any, size: int) -> dict[str, Any]:
    """``boundary_map`` from the output layer's scores at the grid's points."""
    if numpy is not None:
        s = numpy.asarray(scores, dtype=float)
        if s.shape[0] == 1:
            classes = (s[0] > 0).astype(int)
            confidence = numpy.abs(numpy.tanh(s[0]))
        else:
            classes = s.argmax(axis=0)
            shifted = numpy.exp(s - s.max(axis=0))
            confidence = shifted.max(axis=0) / shifted.sum(axis=0)
        confidence = numpy.nan_to_num(confidence, nan=0.0)
        percent = numpy.rint(confidence * 100).astype(int)
        return {"size": size, "classes": classes.tolist(), "confidence": percent.tolist()}
    if len(scores) == 1:
        return {
            "size": size,
            "classes": [int(s > 0) for s in scores[0]],
            "confidence": [round(abs(math.tanh(s)) * 100) for s in scores[0]],
        }
    classes, confidence = [], []
    for column in zip(*scores, strict=True):
        top = max(column)
        exps = [math.exp(s - top) for s in column]
        classes.append(column.index(top))
        confidence.append(round(100 / sum(exps)))
    return {"size": size, "classes": classes, "confidence": confidence}


def feature_maps(extent: Extent, size: int) -> dict[str, dict[str, Any]]:
    """Every feature of data.FEATURES over the plane: quantized ``size`` x ``size`` maps, for the input units."""
    points = grid_points(extent, size)
    return {name: _quantize([feature(x1, x2) for x1, x2 in points]) for name, feature in data.FEATURES.items()}


def layer_outputs_fast(model: MLP, points: Sequence[Sequence[float]]) -> list[Any]:
    """``layer_outputs``, as numpy arrays when numpy is there (no conversion to lists)."""
    return _numpy_outputs(model, points) if numpy is not None else layer_outputs(model, points)
