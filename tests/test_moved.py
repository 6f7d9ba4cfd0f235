"""The module paths from before the subpackages still work, and so do pickles made then."""

from __future__ import annotations

import importlib
import pickle
import pickletools
import subprocess
import sys
from pathlib import Path

import pytest

import micrograd
from micrograd.moved import MOVED

FIXTURE = Path(__file__).parent / "fixtures" / "mlp_0.2.0.pickle"


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_path_forwards_every_public_name(old: str, new: str) -> None:
    forwarded = importlib.import_module(old)
    target = importlib.import_module(new)
    names = getattr(target, "__all__", None) or [name for name in vars(target) if not name.startswith("_")]
    assert names, new
    for name in names:
        assert getattr(forwarded, name) is getattr(target, name), f"{old}.{name}"
    assert getattr(micrograd, old.rpartition(".")[2]) is forwarded


def test_an_old_path_says_where_a_missing_name_is_missing() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        importlib.import_module("micrograd.visualize").no_such_name  # noqa: B018


def test_karpathys_imports_and_the_old_from_imports_run_in_a_fresh_interpreter() -> None:
    code = (
        "from micrograd.engine import Value\n"
        "from micrograd.nn import Neuron, Layer, MLP\n"
        "from micrograd.visualize import save_picture, find_renderer\n"
        "from micrograd.graphview import view_graph\n"
        "from micrograd.torch_interop import to_torch\n"
        "from micrograd.grad_mode import data_guard\n"
        "import micrograd.model_file\n"
        "print(Value(2.0) * 3, micrograd.model_file.ModelFileError.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "Value(data=6.0, grad=0.0) ModelFileError\n"


def test_a_model_pickled_by_micrograd_0_2_0_loads_and_computes_the_same() -> None:
    # made by micrograd 0.2.0 before the split: MLP(2, [3, 1]) with random.seed(0), and a labelled leaf;
    # it names micrograd.value, micrograd.shapes, micrograd.rules and micrograd.nn
    loaded = pickle.loads(FIXTURE.read_bytes())
    assert loaded["version"] == "0.2.0"
    model = loaded["model"]
    assert isinstance(model, micrograd.MLP)
    assert model([0.5, -1.0]).data == pytest.approx(-0.16785395881655138, abs=0, rel=1e-15)
    assert repr(loaded["value"]) == "Value(data=1.5, grad=0.0, label='a')"
    # its weights were labelled from w0; they are numbered like the inputs now, as a new model's
    assert [p.label for p in model.layers[0].neurons[0].parameters()] == ["L0.N0.w1", "L0.N0.w2", "L0.N0.b"]
    out = model([0.5, -1.0])
    out.backward()
    assert all(p.grad == p.grad for p in model.parameters())
    assert pickle.loads(pickle.dumps(model))([0.5, -1.0]).data == out.data


def test_a_pickled_model_names_no_internal_function() -> None:
    # a Neuron pickles its activation by name, so moving the engine's functions never breaks a pickle
    model = micrograd.MLP(2, [3, 1], activation="tanh")
    data = pickle.dumps(model, protocol=4)
    strings = {str(arg) for op, arg, _ in pickletools.genops(data) if isinstance(arg, str)}
    assert "micrograd.autograd.rules" not in strings and "Value.tanh" not in strings
    assert {"micrograd.nn.layers", "micrograd.autograd.value"} <= strings
    back = pickle.loads(data)
    assert back([0.3, -0.2]).data == model([0.3, -0.2]).data
    assert back.layers[0].neurons[0].activation == "tanh"
