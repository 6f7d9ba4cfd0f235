"""One notion of detail for every picture: operations, a neuron expanded as in the lecture, one box per neuron."""

from __future__ import annotations

import math
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_example import lecture_loss, lecture_neuron
from micrograd import MLP, Layer, Neuron, Value, draw_dot, draw_steps, explain, linear, to_mermaid, to_text
from micrograd.pictures.graphview import AUTO_LIMIT, DETAILS, Box, view_graph


def by_name(boxes: list[Box]) -> dict[str, Box]:
    return {box.name: box for box in boxes}


def test_a_neurons_parameters_are_labelled_and_layers_and_mlps_say_where_they_are() -> None:
    neuron = Neuron(3)
    assert [p.label for p in neuron.parameters()] == ["w1", "w2", "w3", "b"]
    layer = Layer(2, 2)
    assert [p.label for p in layer.parameters()] == ["N0.w1", "N0.w2", "N0.b", "N1.w1", "N1.w2", "N1.b"]
    model = MLP(2, [3, 1])
    labels = [p.label for p in model.parameters()]
    assert labels[:3] == ["L0.N0.w1", "L0.N0.w2", "L0.N0.b"]
    assert labels[-1] == "L1.N0.b"
    assert len(set(labels)) == len(labels) == model.num_parameters()


def test_a_single_neuron_is_expanded_as_in_the_lecture_with_exact_numbers() -> None:
    out, (x1, x2), neuron = lecture_neuron()
    out.backward()
    view = view_graph(out)
    assert view.detail == "expanded"
    boxes = by_name(view.boxes)
    assert set(boxes) == {"x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n1", "out"}
    # each product and the sum: data from the operands, gradient the linear's own
    z = neuron.w[0] * x1 + neuron.w[1] * x2 + neuron.b  # the lecture's graph, built by hand
    o = z.tanh()
    o.backward()
    assert boxes["x1*w1"].data == 2.0 * -3.0
    assert boxes["x2*w2"].data == 0.0
    assert boxes["x1*w1 + x2*w2"].data == -6.0
    assert boxes["n1"].data == z.data and boxes["n1"].op == "+"
    for name in ("x1*w1", "x2*w2", "x1*w1 + x2*w2", "n1"):
        assert boxes[name].grad == pytest.approx(z.grad, abs=1e-15) == pytest.approx(0.5, abs=1e-12)
    assert [b.name for b in boxes["n1"].operands] == ["x1*w1 + x2*w2", "b"]
    assert [b.name for b in boxes["x1*w1"].operands] == ["x1", "w1"]
    assert boxes["x1*w1"].local_derivatives() == (-3.0, 2.0)
    # the recorded graph, as it is: one linear box
    recorded = by_name(view_graph(out, "operations").boxes)
    assert recorded["n1"].op == "linear" and len(recorded) == 7


def test_a_network_loss_collapses_to_one_box_per_neuron() -> None:
    loss, model = lecture_loss()
    loss.backward()
    operations = view_graph(loss, "operations")
    view = view_graph(loss)
    assert operations.values > AUTO_LIMIT and view.detail == "neurons"
    neurons = [box for box in view.drawn if box.kind == "neuron"]
    assert len(neurons) == 4 * 9  # every neuron, once per example
    # one copy per example: ex1.L0.N0 ... ex4.L2.N0
    expected = {f"L{i}.N{j}" for i, size in enumerate((4, 4, 1)) for j in range(size)}
    assert {box.name for box in neurons} == {f"ex{k}.{name}" for k in range(1, 5) for name in expected}
    # weights and biases are inside the boxes: 61 boxes instead of 138
    assert len(view.drawn) == 36 + 4 * 3 + 4 + 4 + 4 + 1 < 100 < len(operations.boxes)
    assert not any(box.value in model.parameters() for box in view.drawn)
    # a neuron box holds its output's data and grad, and is fed by the neurons before it,
    # or, in the first layer, by its example's inputs: each drawn once, shared by the layer
    for box in neurons:
        assert box.value is not None and (box.data, box.grad) == (box.value.data, box.value.grad)
        example, name = box.name.split(".", 1)
        assert box.op == ("w*x+b" if name == "L2.N0" else "tanh(w*x+b)")  # the output layer is linear
        if name.startswith("L0."):
            assert [x.name for x in box.drawn_operands] == [f"{example}.x1", f"{example}.x2", f"{example}.x3"]
        else:
            assert len(box.drawn_operands) == 4
            assert all(operand.kind == "neuron" for operand in box.drawn_operands)
    # an input's grad is the loss's derivative by that number of the example
    inputs = by_name(view.drawn)
    assert inputs["ex2.x3"].data == 0.5
    assert inputs["ex2.x3"].grad == pytest.approx(_derivative_by_input(model, 1, 2), rel=1e-6)
    # the sum over the examples is one box adding the four squared errors (sum()'s start, 0, inside it)
    assert view.root.kind == "total" and len(view.root.operands) == 5 and len(view.root.drawn_operands) == 4
    assert view.root.operands[0].hidden and view.root.operands[0].data == 0.0
    assert view.root.local_derivatives() == (1.0,) * 5
    assert [box.name for box in view.drawn if box.name.endswith("target")] == [f"ex{k}.target" for k in range(1, 5)]
    # a neuron's local derivatives: tanh' times the linear's, exact
    first = neurons[0]
    outer = 1 - first.data**2
    n = len(first.operands) // 2
    assert first.local_derivatives()[:n] == tuple(outer * w.data for w in first.operands[n : 2 * n])
    # and it still expands on request
    expanded = view_graph(loss, "expanded")
    assert sum(box.kind == "product" for box in expanded.boxes) == 4 * (4 * 3 + 4 * 4 + 4)


def _derivative_by_input(model: MLP, example: int, position: int, h: float = 1e-6) -> float:
    """d loss / d xs[example][position] of the lecture's loss, by central differences."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def loss_at(shift: float) -> float:
        moved = [row[:] for row in xs]
        moved[example][position] += shift
        return sum((model(x).data - y) ** 2 for x, y in zip(moved, ys, strict=True))

    return (loss_at(h) - loss_at(-h)) / (2 * h)


def test_the_collapsed_network_picture_is_readable() -> None:
    loss, _ = lecture_loss()
    loss.backward()
    source = draw_dot(loss).source
    assert source.count("shape=record") == 61
    # a neuron's box stacks its name, operation, data and grad; no separate operation node
    assert 'label="ex1.L0.N0 | tanh(w*x+b) | data' in source and "style=rounded" in source
    assert "ordering=out" in source  # a layer's neurons stay in order
    recorded = draw_dot(loss, detail="operations").source
    assert recorded.count("shape=record") == 138  # the output layer is linear here


def test_auto_is_operations_for_a_small_graph_without_neurons_and_every_function_takes_detail() -> None:
    a = Value(2.0, label="a")
    L = (a * 3).tanh()
    assert view_graph(L).detail == "operations"
    out, _, _ = lecture_neuron()
    for detail in DETAILS:
        assert to_text(out, detail=detail) and to_mermaid(out, detail=detail) and explain(out, detail=detail)
        assert draw_dot(out, detail=detail).source
    with pytest.raises(ValueError, match="detail must be one of 'auto', 'operations', 'expanded', 'neurons'"):
        to_text(out, detail="all")
    with pytest.raises(ValueError, match="detail"):
        draw_dot(out, detail="everything")
    with pytest.raises(TypeError, match="expected a Value"):
        view_graph(3.0)  # type: ignore[arg-type]


def test_one_naming_across_pictures_text_mermaid_and_explain() -> None:
    x = Value(0.5, label="x")
    y = (x * 2 + 1).tanh() * x  # unlabelled values all the way
    y.backward()
    names = {box.name for box in view_graph(y).boxes}
    assert names == {"x", "n1", "n2", "n3", "n4", "n5", "out"}
    source = draw_dot(y).source
    text = to_text(y)
    chart = to_mermaid(y)
    explanation = explain(y)
    for name in names:
        assert f"{{ {name} | data" in source
        assert re.search(rf"(^|\s){re.escape(name)}( \[|  data)", text, re.MULTILINE)
        assert f'["{name} | data' in chart
        assert f"d{name}" in explanation or name == "out"


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(st.floats(-3, 3), min_size=1, max_size=5),
    seed=st.integers(0, 10_000),
    activation=st.sampled_from(["tanh", "relu", "sigmoid", "linear"]),
)
def test_the_expanded_neuron_has_the_recorded_numbers(xs: list[float], seed: int, activation: str) -> None:
    neuron = Neuron(len(xs), activation=activation, rng=random.Random(seed))
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = neuron(inputs)
    out.backward()
    view = view_graph(out, "expanded")
    z = next(box for box in view.boxes if box.value is not None and box.value.op == "linear")
    # the last sum is the linear itself: the partial sums add up to the recorded forward exactly
    assert z.operands[0].data + z.operands[1].data == z.data
    for box in view.boxes:
        if box.kind in ("product", "sum"):
            assert box.grad == z.grad
    products = [box for box in view.boxes if box.kind == "product"]
    assert [p.data for p in products] == [w.data * x.data for w, x in zip(neuron.w, inputs, strict=True)]
    # chain rule over the expanded boxes gives every leaf's gradient
    grads: dict[int, float] = {id(view.root): 1.0}
    for box in reversed(view.boxes):
        for operand, local in zip(box.operands, box.local_derivatives(), strict=True):
            grads[id(operand)] = grads.get(id(operand), 0.0) + grads.get(id(box), 0.0) * local
    for p in [*neuron.parameters(), *inputs]:
        box = next(b for b in view.boxes if b.value is p)
        assert math.isclose(grads[id(box)], p.grad, rel_tol=1e-12, abs_tol=1e-12)


def test_a_linear_used_twice_or_without_activation_is_still_a_neuron() -> None:
    xs = [Value(1.0, label="a"), Value(2.0, label="b")]
    ws = [Value(0.5), Value(-1.0)]
    z = linear(xs, ws, Value(0.25))
    out = z * z + z.relu()
    view = view_graph(out, "neurons")
    neuron = next(box for box in view.boxes if box.kind == "neuron")
    assert neuron.value is z and neuron.op == "w*x+b" and neuron.activation == ""
    assert [box.name for box in neuron.drawn_operands] == ["a", "b"]


def test_a_network_steps_one_box_per_neuron_and_ends_as_backward_does() -> None:
    loss, _ = lecture_loss()
    pictures = list(draw_steps(loss))
    assert len(pictures) > 40
    assert all(picture.source.count("shape=record") == pictures[0].source.count("shape=record") for picture in pictures)
    assert "grad 0.0000" in pictures[0].source and "grad 1.0000" not in pictures[0].source
    records = re.compile(r'label="\{ [^"]* \}"')
    assert records.findall(pictures[-1].source) == records.findall(draw_dot(loss).source)


def test_select_keeps_the_boxes_nearest_the_root_and_counts_what_it_leaves_out() -> None:
    from micrograd.pictures.graphview import Selection, more_label

    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    d = a * b
    d.label = "d"
    out = (d + c).tanh()
    out.label = "out"
    view = view_graph(out, "operations")
    assert not view.gradients_computed
    everything = view.select()
    assert isinstance(everything, Selection) and everything.kept is None
    assert [box.name for box in everything.nodes] == [box.name for box in view.drawn]
    assert all(box in everything for box in view.boxes) and everything.total == len(view.drawn)
    near = view.select(depth=1)  # out and the sum it applies tanh to
    assert [box.name for box in near.nodes] == ["n1", "out"]
    (summed,) = [box for box in near.nodes if box.name == "n1"]
    assert near.hidden_operands == {summed: 2} and view.boxes[0] not in near
    assert near.ids() == {summed: "v1", view.root: "v2"}
    three = view.select(max_nodes=3)
    assert len(three.nodes) == 3 and {box.name for box in three.nodes} == {"out", "n1", "d"}
    assert more_label(1) == "… 1 more operand" and more_label(2) == "… 2 more operands"
    with pytest.raises(ValueError, match="max_nodes must be at least 1, got 0"):
        view.select(max_nodes=0)
    with pytest.raises(ValueError, match="depth must be 0 or more, got -1"):
        view.select(depth=-1)
    out.backward()
    assert view_graph(out, "operations").gradients_computed


def test_a_loss_over_several_examples_names_each_examples_neurons_and_target() -> None:
    # the lecture's loss: four copies of the network, one per example, each minus its target
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", rng=random.Random(1337))
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    ypred = [model(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred, strict=True))
    view = view_graph(loss, "neurons")
    boxes = by_name(view.drawn)
    for k, (prediction, target) in enumerate(zip(ypred, ys, strict=True), start=1):
        assert boxes[f"ex{k}.L2.N0"].data == prediction.data
        assert boxes[f"ex{k}.target"].data == target
        assert {f"ex{k}.L0.N{i}" for i in range(4)} <= set(boxes)
    assert not [name for name in boxes if name.startswith("L")]  # no two boxes share a name
    single = view_graph(model(xs[0]), "neurons")
    assert "L0.N0" in by_name(single.drawn)  # one example: names as before


@pytest.mark.parametrize("sizes", [[1], [2, 1], [3, 1]])
def test_a_networks_inputs_are_drawn_however_many_neurons_read_them(sizes: list[int]) -> None:
    # numbers given to the first layer are its inputs x1, x2: drawn, whether one neuron reads them or three
    model = MLP(2, sizes, activation="tanh", rng=random.Random(0))
    out = model([2.0, 3.0])
    assert isinstance(out, Value)
    out.backward()
    view = view_graph(out, "neurons")
    inputs = [box for box in view.drawn if box.name in ("x1", "x2")]
    assert [(box.name, box.data) for box in inputs] == [("x1", 2.0), ("x2", 3.0)]
    first_layer = [box for box in view.drawn if box.kind == "neuron" and box.name.startswith("L0.")]
    assert len(first_layer) == sizes[0]
    assert all([x.name for x in box.drawn_operands] == ["x1", "x2"] for box in first_layer)
