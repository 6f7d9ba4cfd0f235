"""micrograd.nn: compatibility with karpathy's micrograd, neurons, layers, MLPs, no_grad, model files."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import random
import sys
from pathlib import Path

import pytest

from micrograd import Value, no_grad
from micrograd.nn import MLP, Layer, ModelFileError, Neuron


def _expected_uniform_weights(seed: int, sizes: list[int]) -> list[float]:
    """The weights karpathy's MLP draws, in his order: layer by layer, neuron by neuron."""
    random.seed(seed)
    return [random.uniform(-1, 1) for nin, nout in itertools.pairwise(sizes) for _ in range(nout) for _ in range(nin)]


def test_random_seed_reproduces_karpathys_initialisation() -> None:
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    weights = [n_w.data for layer in model.layers for n in layer.neurons for n_w in n.w]
    assert weights == _expected_uniform_weights(1337, [2, 16, 16, 1])
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)


def test_same_model_and_outputs_as_karpathys_micrograd(karpathy_micrograd: Path) -> None:
    # load his package under another name, next to ours
    spec = importlib.util.spec_from_file_location(
        "karpathy_micrograd", karpathy_micrograd / "__init__.py", submodule_search_locations=[str(karpathy_micrograd)]
    )
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] == "micrograd"}
    try:
        sys.modules["micrograd"] = package  # his nn.py does `from micrograd.engine import Value`
        spec.loader.exec_module(package)
        his_nn = importlib.import_module("micrograd.nn")
        random.seed(7)
        his = his_nn.MLP(3, [4, 4, 1])
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "micrograd"]:
            del sys.modules[name]
        sys.modules.update(saved)
    random.seed(7)
    ours = MLP(3, [4, 4, 1])
    assert repr(ours) == repr(his)
    assert [p.data for p in ours.parameters()] == [p.data for p in his.parameters()]
    x = [0.5, -1.5, 2.0]
    his_out, our_out = his(x), ours(x)
    assert our_out.data == pytest.approx(his_out.data, rel=1e-12)
    his_out.backward()
    our_out.backward()
    assert [p.grad for p in ours.parameters()] == pytest.approx([p.grad for p in his.parameters()], rel=1e-12)


def test_reprs_are_micrographs() -> None:
    model = MLP(2, [3, 1])
    assert repr(model) == "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]"
    assert str(model) == repr(model)
    assert repr(Neuron(4, nonlin=False)) == "LinearNeuron(4)"
    assert repr(Neuron(4, activation="tanh")) == "TanhNeuron(4)"
    assert repr(Layer(2, 2, activation="sigmoid")) == "Layer of [SigmoidNeuron(2), SigmoidNeuron(2)]"


def test_parameters_in_karpathys_order_with_dotted_names() -> None:
    model = MLP(2, [2, 1])
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == [
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.w.2",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.1",
    ]
    assert names[-1] == "layers.1.neurons.0.b"
    expected = [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    assert model.parameters() == expected
    assert [p for _, p in model.named_parameters()] == expected
    assert model.num_parameters() == len(expected) == (2 * 2 + 2) + (2 + 1)


def test_neuron_computes_activation_of_w_dot_x_plus_b() -> None:
    n = Neuron(3, activation="tanh", rng=random.Random(0))
    n.b.data = 0.25
    x = [1.0, -2.0, 0.5]
    out = n(x)
    expected = math.tanh(sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + 0.25)
    assert out.data == pytest.approx(expected, rel=1e-15)
    out.backward()
    assert [w.grad for w in n.w] == pytest.approx([(1 - expected**2) * xi for xi in x], rel=1e-12)
    assert n.b.grad == pytest.approx(1 - expected**2)
    # one node for w·x + b, then the activation
    assert out._op == "tanh" and out._prev[0]._op == "linear"


@pytest.mark.parametrize(
    ("activation", "function"),
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_activations_recorded_and_under_no_grad(activation: str, function: object) -> None:
    layer = Layer(2, 4, activation=activation, rng=random.Random(3))
    x = [0.7, -0.4]
    recorded = layer(x)
    with no_grad():
        fast = layer(x)
    assert isinstance(recorded, list) and isinstance(fast, list)
    for n, r, f in zip(layer.neurons, recorded, fast, strict=True):
        z = n.w[0].data * x[0] + n.w[1].data * x[1]
        assert r.data == pytest.approx(function(z), rel=1e-14)  # type: ignore[operator]
        assert f.data == pytest.approx(r.data, rel=1e-14)
        assert f._prev == ()


def test_layer_of_one_neuron_returns_a_value_and_one_neuron_hidden_layers_work() -> None:
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    model = MLP(2, [16, 1, 1], rng=random.Random(0))  # micrograd raises TypeError here
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    with no_grad():
        assert model([1.0, -1.0]).data == out.data


def test_no_grad_forward_matches_recorded_forward_and_builds_no_graph() -> None:
    model = MLP(2, [8, 8, 3], activation="tanh", rng=random.Random(5))
    x = [Value(0.3), Value(-1.2)]
    recorded = model(x)
    with no_grad():
        fast = model(x)
    assert [v.data for v in fast] == pytest.approx([v.data for v in recorded], rel=1e-13)  # type: ignore[union-attr]
    assert all(v._prev == () for v in fast)  # type: ignore[union-attr]


def test_inputs_may_be_plain_numbers_or_values_and_their_count_is_checked() -> None:
    model = MLP(2, [3, 1], rng=random.Random(1))
    assert model([1, 2.0]).data == model([Value(1.0), Value(2.0)]).data  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="3 inputs but 2 weights"):
        model([1.0, 2.0, 3.0])
    with no_grad(), pytest.raises(ValueError, match="3 inputs but 2 weights"):
        model([1.0, 2.0, 3.0])


def test_initialisations_draw_from_the_given_generator_within_their_bounds() -> None:
    def weights(init: str, seed: int) -> list[float]:
        return [p.data for p in Layer(50, 30, init=init, rng=random.Random(seed)).parameters()[:-1]]

    assert weights("uniform", 1) == weights("uniform", 1) != weights("uniform", 2)
    assert max(map(abs, weights("uniform", 1))) <= 1
    xavier, he = weights("xavier", 1), weights("he", 1)
    assert max(map(abs, xavier)) <= math.sqrt(6 / 80) < max(map(abs, weights("uniform", 1)))
    assert max(map(abs, he)) <= math.sqrt(6 / 50)
    assert max(map(abs, he)) > 0.9 * math.sqrt(6 / 50)  # and they fill their range
    assert weights("glorot", 4) == weights("xavier", 4)
    with pytest.raises(ValueError, match="init must be one of"):
        Neuron(2, init="zeros")
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, [1], activation="gelu")


# -- state_dict and files --------------------------------------------------------------


def _model(seed: int) -> MLP:
    return MLP(2, [4, 3], rng=random.Random(seed))


def test_file_round_trip_is_exact_json(tmp_path: Path) -> None:
    source, target = _model(1), _model(2)
    path = tmp_path / "model.json"
    source.save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "micrograd-state" and document["version"] == 2
    assert document["parameters"] == source.state_dict()
    target.load(path)
    assert [p.data for p in target.parameters()] == [p.data for p in source.parameters()]
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left behind


def _good_file(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    _model(1).save(path)
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda good: good[: len(good) // 2], "invalid JSON"),  # truncated
        (lambda good: b"", "invalid JSON"),  # empty
        (lambda good: b"\x80\x04\x95 pickle bytes", "not UTF-8"),  # a pickle, say
        (lambda good: b'{"weights": [1, 2, 3]}', "not a micrograd model file"),  # someone else's JSON
        (lambda good: b"[1, 2]", "not a micrograd model file"),
        (lambda good: good.replace(b'"version": 2', b'"version": 7'), "unsupported model file version 7"),
        (lambda good: good.replace(b'"parameters": {', b'"parameters": [{', 1), "invalid JSON"),
        (lambda good: good.replace(b"layers.0.neurons.0.b", b"layers.0.neurons.0.bias"), "does not fit this model"),
        (lambda good: good.replace(b'"layers.1.neurons.2.b": ', b'"layers.1.neurons.2.b": NaN, "x": '), "NaN"),
    ],
    ids=["truncated", "empty", "binary", "foreign", "list", "version", "broken", "renamed", "nan"],
)
def test_bad_files_give_a_clear_error_and_leave_the_model_unchanged(
    tmp_path: Path, content: object, message: str
) -> None:
    good = _good_file(tmp_path).read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_bytes(content(good))  # type: ignore[operator]
    model = _model(2)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ModelFileError, match=message) as caught:
        model.load(bad)
    assert str(bad) in str(caught.value)
    assert [p.data for p in model.parameters()] == before


def test_a_file_of_another_architecture_or_no_file(tmp_path: Path) -> None:
    path = _good_file(tmp_path)
    other = MLP(2, [5, 3])
    with pytest.raises(
        ModelFileError, match=r"does not fit this model: missing .*the file holds MLP\(2 -> 4 -> 3, relu\)"
    ):
        other.load(path)
    with pytest.raises(ModelFileError, match="no such file"):
        other.load(tmp_path / "absent.json")
    assert issubclass(ModelFileError, ValueError)


def test_setting_nonlin_after_construction_changes_the_activation_as_in_micrograd() -> None:
    neuron = Neuron(2)
    x = [Value(-1.0), Value(-1.0)]
    neuron.w[0].data, neuron.w[1].data = 1.0, 1.0  # w·x + b = -2
    assert (neuron.nonlin, repr(neuron), neuron(x).data) == (True, "ReLUNeuron(2)", 0.0)
    neuron.nonlin = False
    assert (neuron.activation, repr(neuron), neuron(x).data) == ("linear", "LinearNeuron(2)", -2.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        neuron.activation = "swish"


def test_a_model_file_with_a_number_too_large_for_a_float_is_refused(tmp_path: Path) -> None:
    model = MLP(2, [2, 1])
    path = tmp_path / "model.json"
    model.save(path)
    before = model.state_dict()
    text = path.read_text(encoding="utf-8").replace(repr(model.layers[0].neurons[0].w[0].data), "1" + "0" * 400, 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"layers\.0\.neurons\.0\.w\.1 must be finite"):
        model.load(path)
    assert model.state_dict() == before


def test_a_layer_honours_a_neuron_subclasss_own_call() -> None:
    class Doubled(Neuron):
        def __call__(self, x: object) -> Value:
            return super().__call__(x) * 2  # type: ignore[arg-type]

    random.seed(0)
    layer = Layer(2, 3)
    plain = [y.data for y in layer([1.0, -2.0])]  # type: ignore[union-attr]
    for neuron in layer.neurons:
        neuron.__class__ = Doubled
    doubled = layer([1.0, -2.0])
    assert [y.data for y in doubled] == [2 * y for y in plain]  # type: ignore[union-attr]
    with no_grad():
        assert [y.data for y in layer([1.0, -2.0])] == [2 * y for y in plain]  # type: ignore[union-attr]
    model = MLP(2, [3, 1])
    model.layers[0] = layer
    with no_grad():
        evaluated = model([1.0, -2.0]).data  # type: ignore[union-attr]
        # an iterator is read once, though the float path reads it before it gives up
        from_iterator = model(iter([1.0, -2.0])).data  # type: ignore[union-attr]
    assert evaluated == from_iterator == model([1.0, -2.0]).data  # type: ignore[union-attr]

    class Own(Layer):
        def __call__(self, x: object) -> Value | list[Value]:
            return super().__call__(x)  # type: ignore[arg-type]

    second = MLP(2, [3, 1])
    second.layers[1].__class__ = Own
    with no_grad():
        assert second(iter([1.0, -2.0])).data == second((1.0, -2.0)).data  # type: ignore[union-attr]


def test_a_layer_builds_the_graph_its_neurons_would_one_by_one() -> None:
    random.seed(4)
    layer = Layer(3, 4, activation="tanh")
    for x in ([Value(0.5), Value(-1.0), Value(2.0)], [0.5, -1.0, 2]):
        together = layer(x)
        apart = [n(x) for n in layer.neurons]
        assert [y.data for y in together] == [y.data for y in apart]  # type: ignore[union-attr]
        for y, z in zip(together, apart, strict=True):  # type: ignore[arg-type]
            assert y.op == z.op == "tanh"
            (linear_y,), (linear_z,) = y.operands, z.operands
            # Values are shared operands; numbers become each neuron's own constants, as one by one
            same = [
                a is b if isinstance(x[0], Value) else a.data == b.data
                for a, b in zip(linear_y.operands, linear_z.operands, strict=True)
            ]
            assert all(same) and len(same) == 2 * 3 + 1

    # one neuron of its own kind in a layer of plain ones: every neuron computes its own way
    class Halved(Neuron):
        def __call__(self, x: object) -> Value:
            return super().__call__(x) * 0.5  # type: ignore[arg-type]

    plain = [y.data for y in layer([1.0, 2.0, 3.0])]  # type: ignore[union-attr]
    layer.neurons[2].__class__ = Halved
    expected = [plain[0], plain[1], plain[2] * 0.5, plain[3]]
    assert [y.data for y in layer([1.0, 2.0, 3.0])] == expected  # type: ignore[union-attr]
    with no_grad():
        assert [y.data for y in layer([1.0, 2.0, 3.0])] == expected  # type: ignore[union-attr]


def test_modules_and_leaves_survive_pickle_and_deepcopy_and_computed_values_refuse() -> None:
    import copy
    import pickle

    random.seed(3)
    model = MLP(2, [4, 4, 1], activation="tanh")
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert [p.data for p in clone.parameters()] == [p.data for p in model.parameters()]
        assert clone([0.5, -1.0]).data == model([0.5, -1.0]).data  # type: ignore[union-attr]
        assert repr(clone) == repr(model)
        assert all(a is not b for a, b in zip(clone.parameters(), model.parameters(), strict=True))
    leaf = Value(1.5, label="w")
    leaf.grad = -2.0
    for copied in (pickle.loads(pickle.dumps(leaf)), copy.deepcopy(leaf)):
        assert (copied.data, copied.grad, copied.label, copied.is_leaf) == (1.5, -2.0, "w", True)
    shared = [leaf, leaf]
    again = copy.deepcopy(shared)
    assert again[0] is again[1]
    computed = leaf * 2
    with pytest.raises(TypeError, match=r"cannot pickle or copy a computed Value \(made by '\*'\).*detach"):
        pickle.dumps(computed)
    with pytest.raises(TypeError, match="cannot pickle or copy a computed Value"):
        copy.deepcopy(computed)


# -- the lecture's network: tanh in every layer, the output included -------------------

LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def _float_forward(model: MLP, x: list[float]) -> float:
    """The lecture's network written out with floats: tanh(w·x + b) in every neuron."""
    for layer in model.layers:
        x = [math.tanh(sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data) for n in layer.neurons]
    return x[0]


def test_output_activation_builds_the_lectures_network_and_the_default_stays_karpathys() -> None:
    lecture = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", rng=random.Random(0))
    assert [n.activation for layer in lecture.layers for n in layer.neurons] == ["tanh"] * 9
    assert lecture.describe() == "MLP(3 -> 4 -> 4 -> 1, tanh, output tanh)"
    assert repr(lecture.layers[-1]) == "Layer of [TanhNeuron(4)]"
    for x in LECTURE_XS:
        out = lecture(x)
        assert isinstance(out, Value)
        assert out.data == pytest.approx(_float_forward(lecture, x), abs=1e-15)
        assert out._op == "tanh"
        with no_grad():
            assert lecture(x).data == out.data  # type: ignore[union-attr]
    default = MLP(3, [4, 4, 1])
    assert [layer.neurons[0].activation for layer in default.layers] == ["relu", "relu", "linear"]
    assert default.describe() == "MLP(3 -> 4 -> 4 -> 1, relu)"
    assert MLP(3, [1], output_activation="sigmoid").layers[0].neurons[0].activation == "sigmoid"
    with pytest.raises(ValueError, match="output_activation must be one of relu, tanh, sigmoid, linear; got 'softmax'"):
        MLP(3, [4, 1], output_activation="softmax")


def test_the_lectures_training_loop_lowers_the_loss_at_every_step() -> None:
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", rng=random.Random(1))
    losses = []
    for _ in range(30):
        ypred = [model(x) for x in LECTURE_XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(LECTURE_YS, ypred, strict=True))
        assert isinstance(loss, Value)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data += -0.05 * p.grad
        losses.append(loss.data)
    assert all(later < earlier for earlier, later in itertools.pairwise(losses)), losses
    assert losses[-1] < 0.1 * losses[0]
    predictions = [model(x).data for x in LECTURE_XS]  # type: ignore[union-attr]
    assert [math.copysign(1.0, p) for p in predictions] == LECTURE_YS
    assert all(-1.0 < p < 1.0 for p in predictions)  # tanh bounds every output


def test_a_layer_under_no_grad_keeps_its_biases() -> None:
    # a fresh model's biases are 0, so only a model with trained (non-zero) biases tells
    model = MLP(3, [4, 4, 2], activation="tanh", rng=random.Random(5))
    for k, neuron in enumerate(n for layer in model.layers for n in layer.neurons):
        neuron.b.data = 0.3 * (k - 4)
    layer = model.layers[0]
    x = [0.5, -1.0, 2.0]
    recorded = [v.data for v in layer(x)]  # type: ignore[union-attr]
    whole = [v.data for v in model(x)]  # type: ignore[union-attr]
    expected = [math.tanh(sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data) for n in layer.neurons]
    with no_grad():
        assert [v.data for v in layer(x)] == pytest.approx(expected, abs=1e-15) == recorded  # type: ignore[union-attr]
        assert [v.data for v in model(x)] == pytest.approx(whole, abs=1e-15)  # type: ignore[union-attr]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_forward_rows_is_the_layer_under_no_grad_at_each_row(activation: str) -> None:
    layer = Layer(3, 4, activation=activation, rng=random.Random(2))
    rows = [[0.5, -1.0, 2.0], [0.0, 0.0, 0.0], [-3.0, 1e3, 0.25]]
    computed = layer.forward_rows(rows)
    assert computed is not None
    with no_grad():
        expected = [[y.data for y in layer(row)] for row in rows]  # type: ignore[union-attr]
    assert computed == expected  # the same float arithmetic: the same bits
    assert layer.forward_rows([]) == []
    with pytest.raises(ValueError, match="linear: 2 inputs but 3 weights"):
        layer.forward_rows([[1.0, 2.0]])

    class Own(Neuron):
        def __call__(self, x: object) -> Value:
            return super().__call__(x) * 2  # type: ignore[arg-type]

    layer.neurons[1].__class__ = Own
    assert layer.forward_rows(rows) is None  # a neuron with its own way: the caller must ask the layer
