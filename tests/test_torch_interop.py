"""micrograd.nn.torch_interop: an MLP as a torch module and back, same weights, outputs and gradients."""

from __future__ import annotations

import math
import random
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import MLP, Layer, Neuron, Value
from micrograd.losses import mse_loss
from micrograd.nn.torch_interop import to_torch

from_torch = MLP.from_torch

torch = pytest.importorskip("torch")  # the optional extra; CI installs it

ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"]
TOLERANCE = 1e-12


def _torch_parameters(module: Any) -> list[float]:
    """A torch Sequential's weights in micrograd's order: layer by layer, neuron by neuron, w then b."""
    numbers: list[float] = []
    for stage in module:
        if isinstance(stage, torch.nn.Linear):
            for row, bias in zip(stage.weight.tolist(), stage.bias.tolist(), strict=True):
                numbers += [*row, bias]
    return numbers


def _torch_gradients(module: Any) -> list[float]:
    numbers: list[float] = []
    for stage in module:
        if isinstance(stage, torch.nn.Linear):
            for row, bias in zip(stage.weight.grad.tolist(), stage.bias.grad.tolist(), strict=True):
                numbers += [*row, bias]
    return numbers


def _same_loss_both_ways(model: MLP, module: Any, xs: list[list[float]], ys: list[float]) -> None:
    """Outputs, loss and every gradient of micrograd and torch agree to 1e-12."""
    outputs = [model(x) for x in xs]
    loss = mse_loss(outputs, ys)  # type: ignore[arg-type]
    model.zero_grad()
    loss.backward()
    predictions = module(torch.tensor(xs, dtype=torch.float64)).squeeze(1)
    torch_loss = torch.nn.functional.mse_loss(predictions, torch.tensor(ys, dtype=torch.float64))
    torch_loss.backward()
    assert [o.data for o in outputs] == pytest.approx(predictions.tolist(), abs=TOLERANCE, rel=0)  # type: ignore[union-attr]
    assert loss.data == pytest.approx(torch_loss.item(), abs=TOLERANCE, rel=0)
    assert [p.grad for p in model.parameters()] == pytest.approx(_torch_gradients(module), abs=TOLERANCE, rel=0)


LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def test_the_lectures_network_in_torch_has_its_weights_outputs_and_gradients() -> None:
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", rng=random.Random(3))
    module = model.to_torch()
    assert [type(stage).__name__ for stage in module] == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Tanh"]
    assert all(p.dtype == torch.float64 and p.requires_grad for p in module.parameters())
    assert _torch_parameters(module) == [p.data for p in model.parameters()]  # exactly: float64 both sides
    _same_loss_both_ways(model, module, LECTURE_XS, LECTURE_YS)
    assert all(p.grad != 0 for p in model.parameters())  # tanh everywhere: every weight has a say
    model.parameters()[0].data += 1.0  # the module's tensors are copies
    assert _torch_parameters(module)[0] != model.parameters()[0].data


@settings(max_examples=20, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    nin=st.integers(1, 3),
    activation=st.sampled_from(ACTIVATIONS),
    output_activation=st.sampled_from(ACTIVATIONS),
    seed=st.integers(0, 2**16),
)
def test_any_mlp_matches_its_torch_module(
    sizes: list[int], nin: int, activation: str, output_activation: str, seed: int
) -> None:
    rng = random.Random(seed)
    model = MLP(nin, [*sizes, 1], activation=activation, output_activation=output_activation, rng=rng)
    for p in model.parameters():
        p.data = rng.uniform(-1, 1)  # biases too, so that they are tested
    xs = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(3)]
    ys = [rng.uniform(-1, 1) for _ in range(3)]
    _same_loss_both_ways(model, to_torch(model), xs, ys)


def test_a_torch_model_comes_back_with_its_weights_outputs_and_gradients() -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1)
    ).double()
    model = MLP.from_torch(module)
    assert model.describe() == "MLP(2 -> 5 -> 3 -> 1, relu)"
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "sigmoid", "linear"]
    assert [p.data for p in model.parameters()] == _torch_parameters(module)
    xs = [[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]]
    _same_loss_both_ways(model, module, xs, [1.0, 0.0, -1.0])


def test_round_trips_are_exact() -> None:
    model = MLP(3, [4, 2], activation="sigmoid", output_activation="tanh", rng=random.Random(7))
    back = from_torch(to_torch(model))
    assert back.describe() == model.describe()
    assert back.state_dict() == model.state_dict()
    x = [0.1, -0.2, 0.3]
    assert [v.data for v in back(x)] == [v.data for v in model(x)]  # type: ignore[union-attr]
    float32 = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh())
    # float32 numbers are float64 numbers too: they come back exactly
    assert [p.data for p in from_torch(float32).parameters()] == _torch_parameters(float32)


def test_a_neuron_a_layer_nested_sequentials_identity_and_a_lone_linear() -> None:
    neuron = Neuron(3, activation="tanh", rng=random.Random(1))
    module = to_torch(neuron)
    x = [1.0, -2.0, 0.5]
    assert module(torch.tensor([x], dtype=torch.float64)).item() == pytest.approx(neuron(x).data, abs=TOLERANCE)
    layer = Layer(3, 2, activation="linear", rng=random.Random(2))
    assert [type(stage).__name__ for stage in to_torch(layer)] == ["Linear"]
    assert module(torch.tensor([x], dtype=torch.float64)).shape == (1, 1)
    nested = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Identity(), torch.nn.Tanh()), torch.nn.Linear(3, 1)
    )
    assert from_torch(nested).describe() == "MLP(2 -> 3 -> 1, tanh)"
    assert from_torch(torch.nn.Linear(4, 2)).describe() == "MLP(4 -> 2, linear)"
    no_bias = from_torch(torch.nn.Linear(2, 1, bias=False))
    assert no_bias.layers[0].neurons[0].b.data == 0.0


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.5)), r"stage 1 is Dropout\(p=0.5"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GELU()), "stage 1 is GELU.*supported: Linear"),
        (lambda: torch.nn.Sequential(torch.nn.Conv1d(1, 1, 3)), "stage 0 is Conv1d"),
        (lambda: torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(2, 1)), "stage 0 is Tanh at the start"),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.ReLU()),
            "stage 2 is ReLU right after another activation",
        ),
        (
            lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)),
            "stage 1 takes 4 inputs but the stage before it gives 3",
        ),
        (lambda: torch.nn.Sequential(), "no Linear layer in Sequential"),
        (lambda: torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LSTM(2, 2))), "stage 0.1 is"),
    ],
)
def test_what_an_mlp_cannot_represent_is_refused_by_name(module: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"from_torch: {message}"):
        from_torch(module())


class _Custom(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, x: Any) -> Any:
        return torch.tanh(self.fc(x))


def test_other_refusals() -> None:
    with pytest.raises(ValueError, match=r"from_torch: _Custom is not an nn\.Sequential, so what its forward\(\)"):
        from_torch(_Custom())
    with pytest.raises(
        ValueError, match=r"stage 1 is _Custom\( \(fc\): Linear\(in_features=2, out_features=1, bias=T…, which"
    ):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), _Custom()))
    with pytest.raises(TypeError, match=r"from_torch: expected a torch\.nn\.Module, got list"):
        from_torch([torch.nn.Linear(2, 1)])
    broken = torch.nn.Linear(2, 1)
    with torch.no_grad():
        broken.weight[0, 1] = math.nan
    with pytest.raises(ValueError, match="from_torch: Linear layer 0 has a weight or bias that is not finite"):
        from_torch(broken)
    mixed = Layer(2, 2, activation="tanh")
    mixed.neurons[1].activation = "relu"
    with pytest.raises(ValueError, match=r"to_torch: layer 0 mixes activations \(relu, tanh\)"):
        to_torch(mixed)
    with pytest.raises(TypeError, match="to_torch: expected an MLP, a Layer or a Neuron, got Value"):
        to_torch(Value(1.0))  # type: ignore[arg-type]


def test_without_torch_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` sees when torch is not installed
    with pytest.raises(ImportError, match=r"to_torch needs PyTorch.*pip install torch"):
        MLP(2, [1]).to_torch()
    with pytest.raises(ImportError, match="from_torch needs PyTorch"):
        MLP.from_torch(object())
