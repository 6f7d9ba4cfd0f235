"""A data point's loss graph: ``POST /api/sessions/ID/point``.

The graph of one point's loss through the session's model is built with Values
(the point's features as the inputs, every weight and hidden neuron named),
backpropagated, and drawn like the lab's graphs.  The session's own gradients are
put back afterwards, so a picture never changes training.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from micrograd.autograd import Value
from micrograd.nn import MLP
from micrograd.pictures.graph_text import node_names
from micrograd.playground import lab
from micrograd.playground.errors import RequestError, number_field
from micrograd.playground.training import Session

__all__ = ["MAX_POINT_GRAPH_NODES", "POINT_GRAPH_NODES", "answer", "point_graph"]

POINT_GRAPH_NODES = 40  # the default max_nodes of a point's graph: readable at a glance
MAX_POINT_GRAPH_NODES = 100  # drawing time grows fast with the number of values


def answer(session: Session, body: Mapping[str, Any]) -> dict[str, Any]:
    """One point's loss graph for the request ``body``, or a 409 saying why it cannot be drawn."""
    which = body.get("set", "train")
    if which not in ("train", "test"):
        raise RequestError("set must be 'train' or 'test'")
    index = number_field(body, "index", 0, 0, 10**6, integer=True)
    max_nodes = number_field(body, "max_nodes", POINT_GRAPH_NODES, 1, MAX_POINT_GRAPH_NODES, integer=True)
    depth = body.get("depth")
    if depth is not None:
        depth = number_field(body, "depth", 0, 0, 100, integer=True)
    with session.lock:
        if session.diverged:
            raise RequestError(f"{session.diverged}; no point's graph can be drawn", 409)
        try:
            return _drawn(session, which, index, max_nodes, depth)
        except RequestError:
            raise
        except (OverflowError, ZeroDivisionError, ValueError) as error:
            problem = str(error).splitlines()[0][:160]
            raise RequestError(f"this point's loss cannot be computed ({problem}): reset the model", 409) from None


def _drawn(session: Session, which: str, index: int, max_nodes: int, depth: int | None) -> dict[str, Any]:
    """One point's loss graph, drawn; the parameters' gradients are put back as they were."""
    saved = [p.grad for p in session.parameters]
    try:
        loss, point, label = point_graph(session, which, index)
        for p in session.parameters:
            p.grad = 0.0  # the picture shows this point's gradients, not the last step's
        loss.backward()
        drawn = lab.picture(loss, max_nodes=max_nodes, depth=depth)
    finally:
        for p, grad in zip(session.parameters, saved, strict=True):
            p.grad = grad
    return {
        "set": which,
        "index": index,
        "point": point,
        "label": label,  # a class, or a regression's target
        "loss": loss.data if math.isfinite(loss.data) else None,
        **drawn,  # svg, svg_error and dot
    }


def point_graph(session: Session, which: str, index: int) -> tuple[Value, list[float], Any]:
    """The graph of one point's loss through the model, not yet backpropagated: loss, point and label."""
    points, inputs, labels, targets = (
        (session.X_train, session.inputs_train, session.y_train, session.targets_train)
        if which == "train"
        else (session.X_test, session.inputs_test, session.y_test, session.targets_test)
    )
    if not 0 <= index < len(points):
        raise RequestError(f"{which} point {index} does not exist: there are {len(points)}")
    row = [Value(v, label=name) for v, name in zip(inputs[index], session.settings.features, strict=True)]
    _name_parameters(session.model)
    output = session.model(row)
    outputs = output if isinstance(output, list) else [output]
    for number, out in enumerate(outputs):
        out.label = "score" if len(outputs) == 1 else f"score{number}"
    _name_hidden(session.model, outputs)
    loss = session.data_loss([output] if len(outputs) == 1 else [outputs], [targets[index]])
    loss.label = "loss"
    for node, name in node_names(loss).items():
        node.label = name  # the loss's own steps: n1, n2, ...
    return loss, points[index], labels[index]


def _name_parameters(model: MLP) -> None:
    """Label weights ``w{layer}_{neuron}_{input}`` and biases ``b{layer}_{neuron}``, counting from 1."""
    for number, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            for i, w in enumerate(neuron.w, start=1):
                w.label = w.label or f"w{number}_{j}_{i}"
            neuron.b.label = neuron.b.label or f"b{number}_{j}"


def _name_hidden(model: MLP, outputs: list[Value]) -> None:
    """Label the hidden neurons' outputs ``h{layer}_{neuron}`` and their sums ``z{layer}_{neuron}``."""
    sums = [out for out in outputs if len(out._prev) > 2]  # each output is one linear node
    for number in range(len(model.layers) - 1, 0, -1):
        if not sums:
            return
        width = len(model.layers[number - 1].neurons)
        activations = list(sums[0]._prev[:width])
        sums = []
        for j, h in enumerate(activations, start=1):
            h.label = f"h{number}_{j}"
            inner = h._prev[0] if len(h._prev) == 1 else h
            if inner is not h:
                inner.label = f"z{number}_{j}"
            sums.append(inner)
