"""micrograd.nn.module: a module's parameters (leaves only, in order, by name), its state and its summary."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd import Value
from micrograd.nn import MLP, Module


def _model(seed: int) -> MLP:
    return MLP(2, [4, 3], rng=random.Random(seed))


def test_a_custom_module_finds_its_parameters_and_submodules() -> None:
    class Affine(Module):
        def __init__(self) -> None:
            self.scale = Value(2.0)
            self.body = MLP(1, [2, 1])
            self.extra = [Value(1.0), Value(3.0)]
            self._cache = Value(99.0)  # private: not a parameter
            self.note = "not a parameter"

        def __call__(self, x: float) -> Value:
            return self.scale * self.body([x]) + self.extra[0]  # type: ignore[operator]

    module = Affine()
    names = [name for name, _ in module.named_parameters()]
    assert names[0] == "scale"
    assert names[1] == "body.layers.0.neurons.0.w.1"
    assert names[-2:] == ["extra.0", "extra.1"]
    assert len(names) == 1 + 7 + 2
    assert [name for name, _ in module.named_modules()][:3] == ["", "body", "body.layers.0"]
    assert "body: MLP(1 -> 2 -> 1, relu)" in module.summary()


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_parameters_are_the_named_parameters_in_their_order(data: st.DataObject) -> None:
    def member(depth: int) -> object:
        kinds = ["leaf", "computed", "number", "text", "list", "tuple"] + (["module"] if depth < 3 else [])
        kind = data.draw(st.sampled_from(kinds))
        if kind == "leaf":
            return Value(data.draw(st.floats(-2, 2)))
        if kind == "computed":
            return Value(1.0) * 2
        if kind == "number":
            return 1.5
        if kind == "text":
            return "w"
        if kind in ("list", "tuple"):
            items = [member(depth + 1) for _ in range(data.draw(st.integers(0, 3)))]
            return items if kind == "list" else tuple(items)
        return built(depth + 1)

    def built(depth: int) -> Module:
        module = Module()
        for index in range(data.draw(st.integers(0, 4))):
            private = data.draw(st.booleans())
            setattr(module, f"{'_' if private else ''}m{index}", member(depth))
        return module

    root = built(0)
    named = [p for _, p in root.named_parameters()]
    assert root.parameters() == named and all(p.is_leaf for p in named)


def test_zero_grad() -> None:
    model = MLP(2, [3, 1], rng=random.Random(1))
    model([1.0, 2.0]).backward()  # type: ignore[union-attr]
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_summary_is_a_tree_with_parameter_counts() -> None:
    text = MLP(2, [16, 16, 1]).summary()
    assert text.splitlines() == [
        "MLP(2 -> 16 -> 16 -> 1, relu)  (337 parameters)",
        "  layers.0: Layer(2 -> 16, relu)  (48 parameters)",
        "  layers.1: Layer(16 -> 16, relu)  (272 parameters)",
        "  layers.2: Layer(16 -> 1, linear)  (17 parameters)",
    ]


def test_state_dict_round_trip_is_exact() -> None:
    source, target = _model(1), _model(2)
    source.parameters()[0].data = 0.1 + 0.2  # a float that needs all 17 digits
    target.load_state_dict(source.state_dict())
    assert [p.data for p in target.parameters()] == [p.data for p in source.parameters()]
    assert list(source.state_dict()) == [name for name, _ in source.named_parameters()]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda s: s.pop("layers.0.neurons.0.b"), KeyError, "missing layers.0.neurons.0.b"),
        (lambda s: s.update({"layers.9.w": 1.0}), KeyError, "unexpected layers.9.w"),
        (lambda s: s.update({"layers.1.neurons.2.b": "0.5"}), TypeError, "must be a single number, got str"),
        (lambda s: s.update({"layers.1.neurons.2.b": [0.5, 1.0]}), TypeError, "got list of size 2"),
        (lambda s: s.update({"layers.1.neurons.2.b": True}), TypeError, "got bool"),
        (lambda s: s.update({"layers.1.neurons.2.b": math.nan}), ValueError, "must be finite"),
    ],
)
def test_load_state_dict_rejects_bad_states_and_changes_nothing(change: object, error: type, message: str) -> None:
    model = _model(1)
    before = [p.data for p in model.parameters()]
    state: dict[str, object] = {name: 0.0 for name in model.state_dict()}
    change(state)  # type: ignore[operator]
    with pytest.raises(error, match=message):
        model.load_state_dict(state)  # type: ignore[arg-type]
    assert [p.data for p in model.parameters()] == before


def test_a_subclass_parameter_is_trained_and_zeroed_like_the_others() -> None:
    class ScaledMLP(MLP):
        def __init__(self) -> None:
            super().__init__(2, [3, 1])
            self.scale = Value(2.0)

        def __call__(self, x: list[float]) -> Value:
            return super().__call__(x) * self.scale  # type: ignore[operator]

    model = ScaledMLP()
    assert model.scale in model.parameters() and model.num_parameters() == 14
    assert [name for name, _ in model.named_parameters()][-1] == "scale"
    model([1.0, 2.0]).backward()
    assert model.scale.grad != 0.0
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_parameters_are_leaves_only_so_a_kept_result_is_never_trained() -> None:
    from micrograd.optim import SGD

    class Remembers(Module):
        def __init__(self) -> None:
            self.w = Value(0.5)
            self.last: Value | None = None

        def __call__(self, x: float) -> Value:
            self.last = self.w * x  # an intermediate result the module keeps
            return self.last.tanh()

    model = Remembers()
    model(2.0).backward()
    assert model.parameters() == [model.w] and [name for name, _ in model.named_parameters()] == ["w"]
    kept = model.last
    assert kept is not None
    before = kept.data
    SGD(model.parameters(), lr=0.1).step()
    assert kept.data == before and model.w.data != 0.5


def test_a_submodule_that_overrides_parameters_is_respected() -> None:
    class Frozen(Module):
        def __init__(self) -> None:
            self.trained = Value(1.0)
            self.frozen = Value(2.0)

        def parameters(self) -> list[Value]:
            return [self.trained]

    class Outer(Module):
        def __init__(self) -> None:
            self.inner = Frozen()
            self.bias = Value(0.0)

    outer = Outer()
    assert outer.parameters() == [outer.inner.trained, outer.bias]
    assert outer.num_parameters() == 2
    outer.inner.frozen.grad = 5.0
    outer.zero_grad()
    assert outer.inner.frozen.grad == 5.0
