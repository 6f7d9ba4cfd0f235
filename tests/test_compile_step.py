"""micrograd.compile_step: a compiled training step moves the weights as the eager loop does."""

from __future__ import annotations

import importlib.util
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import micrograd
from micrograd import MLP, Value, optim
from micrograd.losses import hinge_loss, l2_penalty, mse_loss

BACKENDS = ("numpy", "python")
OPTIMIZERS: dict[str, Callable[[list[Value]], optim.Optimizer]] = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD weight decay": lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.01),
    "SGD momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "SGD Nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.02),
    "Adam L2": lambda ps: optim.Adam(ps, lr=0.02, weight_decay=0.01),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.02, weight_decay=0.05),
}


def data(points: int = 24, seed: int = 3) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(points)]
    return X, [1.0 if x[0] * x[1] > 0 else -1.0 for x in X]


def model() -> MLP:
    return MLP(2, [8, 8, 1], rng=random.Random(7))


def assert_same_weights(a: list[Value], b: list[Value], tolerance: float = 1e-12) -> None:
    """Equal to ``tolerance`` relative (numpy's matrix products and sums round their own way)."""
    assert len(a) == len(b)
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        assert math.isclose(x.data, y.data, rel_tol=tolerance, abs_tol=tolerance), f"parameter {k}: {x.data} {y.data}"


def hinge_with_l2(net: MLP) -> Callable[..., Value]:
    def loss_fn(X: list[list[float]], y: list[float]) -> Value:
        return hinge_loss([net(x) for x in X], y) + l2_penalty(net.parameters(), 1e-3)

    return loss_fn


def train_both(
    make_optimizer: Callable[[list[Value]], optim.Optimizer],
    backend: str,
    batches: list[tuple[Any, Any]],
    **clip: float,
) -> tuple[MLP, MLP, list[float], list[float], Any]:
    """The eager loop and the compiled step side by side, from the same weights; their losses."""
    eager, compiled = model(), model()
    eager_optimizer, compiled_optimizer = make_optimizer(eager.parameters()), make_optimizer(compiled.parameters())
    eager_loss, compiled_loss = hinge_with_l2(eager), hinge_with_l2(compiled)
    step = micrograd.compile_step(compiled_loss, compiled_optimizer, backend=backend, **clip)
    eager_losses, compiled_losses = [], []
    for X, y in batches:
        eager_optimizer.zero_grad()
        loss = eager_loss(X, y)
        loss.backward()
        if "clip_grad_norm" in clip:
            optim.clip_grad_norm_(eager.parameters(), clip["clip_grad_norm"])
        if "clip_grad_value" in clip:
            optim.clip_grad_value_(eager.parameters(), clip["clip_grad_value"])
        eager_optimizer.step()
        eager_losses.append(loss.data)
        compiled_losses.append(step(X, y))
    return eager, compiled, eager_losses, compiled_losses, step


def step_beside_eager(
    make_loss: Callable[[MLP], Callable[..., Value]],
    make_optimizer: Callable[[list[Value]], optim.Optimizer],
    backend: str,
) -> tuple[MLP, MLP, Any]:
    """Six minibatches through the eager loop and a compiled step, each loss checked: (eager, compiled, step)."""
    eager, compiled = model(), model()
    eager_optimizer = make_optimizer(eager.parameters())
    step = micrograd.compile_step(make_loss(compiled), make_optimizer(compiled.parameters()), backend=backend)
    eager_loss = make_loss(eager)
    for X, y in minibatches(6):
        eager_optimizer.zero_grad()
        expected = eager_loss(X, y)
        expected.backward()
        eager_optimizer.step()
        assert math.isclose(step(X, y), expected.data, rel_tol=1e-12)
    return eager, compiled, step


def minibatches(steps: int = 8, size: int = 8) -> list[tuple[Any, Any]]:
    X, y = data()
    return [(X[k * size % 24 : k * size % 24 + size], y[k * size % 24 : k * size % 24 + size]) for k in range(steps)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("batching", ["minibatches", "all points"])
def test_the_weights_equal_the_eager_loops_for_every_optimizer(backend: str, name: str, batching: str) -> None:
    batches = minibatches() if batching == "minibatches" else [data()] * 6
    eager, compiled, eager_losses, compiled_losses, step = train_both(OPTIMIZERS[name], backend, batches)
    assert step.traces == 1
    assert_same_weights(eager.parameters(), compiled.parameters())
    for a, b in zip(eager_losses, compiled_losses, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("clip", [{"clip_grad_norm": 0.05}, {"clip_grad_value": 0.01}])
def test_gradient_clipping_inside_the_step_is_the_eager_clipping(backend: str, clip: dict[str, float]) -> None:
    eager, compiled, _, _, _ = train_both(OPTIMIZERS["SGD momentum"], backend, minibatches(), **clip)
    assert_same_weights(eager.parameters(), compiled.parameters())
    assert_same_weights([Value(p.grad) for p in eager.parameters()], [Value(p.grad) for p in compiled.parameters()])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "schedule",
    [
        lambda o: optim.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=5),
        lambda o: optim.CosineAnnealingLR(o, T_max=6),
    ],
    ids=["LinearLR", "CosineAnnealingLR"],
)
def test_a_learning_rate_schedule_stepped_after_each_call_is_followed(backend: str, schedule: Any) -> None:
    eager, compiled = model(), model()
    eager_optimizer = optim.Adam(eager.parameters(), lr=0.05)
    compiled_optimizer = optim.Adam(compiled.parameters(), lr=0.05)
    eager_schedule, compiled_schedule = schedule(eager_optimizer), schedule(compiled_optimizer)
    step = micrograd.compile_step(hinge_with_l2(compiled), compiled_optimizer, backend=backend)
    eager_loss = hinge_with_l2(eager)
    for X, y in minibatches():
        eager_optimizer.zero_grad()
        eager_loss(X, y).backward()
        eager_optimizer.step()
        eager_schedule.step()
        step(X, y)
        compiled_schedule.step()
    assert compiled_optimizer.lr == eager_optimizer.lr != 0.05
    assert_same_weights(eager.parameters(), compiled.parameters())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_loss_that_also_reads_a_hidden_layers_relu_results_moves_the_weights_as_eagerly(backend: str) -> None:
    # the pure-Python replay does a hidden layer's relu backward inside the layer's own: the gradient that
    # reaches the relu's results from the loss directly must count as much as the next layer's
    def make_loss(net: MLP) -> Callable[..., Value]:
        def loss_fn(X: list[list[float]], y: list[float]) -> Value:
            total: list[Value] = []
            for x, t in zip(X, y, strict=True):
                hidden = net.layers[0](x)
                out = net.layers[2](net.layers[1](hidden))
                total.append((out - t) ** 2 + 0.05 * sum(hidden))  # type: ignore[operator, arg-type]
            return sum(total) * (1.0 / len(X))  # type: ignore[return-value]

        return loss_fn

    eager, compiled, step = step_beside_eager(make_loss, lambda ps: optim.SGD(ps, lr=0.05), backend)
    assert step.traces == 1
    assert_same_weights(eager.parameters(), compiled.parameters())
    assert max(abs(p.data - q.data) for p, q in zip(compiled.parameters(), model().parameters(), strict=True)) > 0.01


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_demos_l2_term_written_as_p_times_p_moves_the_weights_as_eagerly(backend: str) -> None:
    # karpathy's demo writes the L2 term as sum(p * p for p in parameters): every p * p is one group, whose
    # backward adds g * p to p's gradient twice (the pure-Python replay does both in one pass)
    def make_loss(net: MLP) -> Callable[..., Value]:
        def loss_fn(X: list[list[float]], y: list[float]) -> Value:
            return hinge_loss([net(x) for x in X], y) + 1e-2 * sum(p * p for p in net.parameters())

        return loss_fn

    eager, compiled, step = step_beside_eager(make_loss, lambda ps: optim.Adam(ps, lr=0.05), backend)
    assert_same_weights(eager.parameters(), compiled.parameters())
    step.sync()
    assert_same_weights([Value(p.grad) for p in eager.parameters()], [Value(p.grad) for p in compiled.parameters()])


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_documented_way_to_read_the_model_sees_the_current_weights(backend: str, tmp_path: Any) -> None:
    eager, compiled, _, _, step = train_both(OPTIMIZERS["Adam"], backend, minibatches())
    point = [0.3, -0.7]
    assert math.isclose(compiled(point).data, eager(point).data, rel_tol=1e-12)  # calling it
    readers: list[Callable[[], Any]] = [
        lambda: [p.data for p in compiled.parameters()],
        lambda: [p.data for _, p in compiled.named_parameters()],
        lambda: list(compiled.state_dict().values()),
    ]
    if importlib.util.find_spec("torch") is not None:  # the optional extra, which CI installs
        readers.append(lambda: [x for t in compiled.to_torch().parameters() for x in t.detach().flatten().tolist()])
    for read in readers:
        step(*minibatches()[1])
        before = [p.data for p in step.params]  # raw reads: stale until something syncs
        seen = sorted(read())  # to_torch's tensors hold them in another order
        assert seen == sorted(p.data for p in step.params) and seen != sorted(before)
    step(*minibatches()[2])
    compiled.save(tmp_path / "model.json")
    loaded = model()
    loaded.load(tmp_path / "model.json")
    assert [p.data for p in loaded.parameters()] == [p.data for p in step.params]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_raw_read_needs_sync_and_with_syncs_on_exit(backend: str) -> None:
    net = model()
    optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    step = micrograd.compile_step(hinge_with_l2(net), optimizer, backend=backend)
    first = net.parameters()[0]
    before = first.data
    step(*data())
    assert first.data == before  # the arrays hold the new weights; the Value has the old ones
    step.sync()
    assert first.data != before and first.grad != 0.0
    assert optimizer.state_dict()["velocity"] is not None  # the momentum went back to the optimizer too
    with step:
        step(*data())
        inside = first.data
    assert first.data != inside  # synced on leaving the block


@pytest.mark.parametrize("backend", BACKENDS)
def test_weights_set_between_steps_are_the_ones_the_next_step_starts_from(backend: str) -> None:
    eager, compiled = model(), model()
    eager_optimizer, compiled_optimizer = (
        optim.SGD(eager.parameters(), lr=0.1),
        optim.SGD(compiled.parameters(), lr=0.1),
    )
    step = micrograd.compile_step(hinge_with_l2(compiled), compiled_optimizer, backend=backend)
    step(*data())
    state = model().state_dict()  # fresh weights, loaded over the trained ones
    compiled.load_state_dict(state)
    eager.load_state_dict(state)
    eager_optimizer.zero_grad()
    hinge_with_l2(eager)(*data()).backward()
    eager_optimizer.step()
    step(*data())
    assert_same_weights(eager.parameters(), compiled.parameters())


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_optimizer_of_your_own_runs_its_step_on_the_compiled_gradients(backend: str) -> None:
    class HalfSGD(optim.SGD):
        def step(self) -> None:
            for p in self.params:
                p.data -= 0.5 * self.lr * p.grad

    eager, compiled, _, _, _ = train_both(lambda ps: HalfSGD(ps, lr=0.2), backend, minibatches(4))
    assert_same_weights(eager.parameters(), compiled.parameters())


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_step_works_with_mse_and_a_new_batch_size_traces_again(backend: str) -> None:
    net = model()
    optimizer = optim.SGD(net.parameters(), lr=0.05)

    def loss_fn(X: list[list[float]], y: list[float]) -> Value:
        return mse_loss([net(x) for x in X], y)

    step = micrograd.compile_step(loss_fn, optimizer, backend=backend)
    X, y = data()
    losses = [step(X, y) for _ in range(20)]
    assert losses[-1] < losses[0] and step.traces == 1
    step(X[:5], y[:5])
    assert step.traces == 2


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="the optional numpy extra")
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numpy_arrays_as_the_batch_give_the_weights_of_lists(backend: str, dtype: str) -> None:
    """A batch of float arrays is read as the nested lists of its numbers (a float32 array's numbers are
    its float32 values): the weights after several steps are the eager loop's on those lists."""
    import numpy as np

    X, y = data()
    Xa, ya = np.array(X, dtype=dtype), np.array(y, dtype=dtype)
    as_lists = (Xa.tolist(), ya.tolist())
    eager, compiled, eager_losses, _, _ = train_both(OPTIMIZERS["Adam"], backend, [as_lists] * 4)
    again = model()
    optimizer = OPTIMIZERS["Adam"](again.parameters())
    step = micrograd.compile_step(hinge_with_l2(again), optimizer, backend=backend)
    losses = [step(Xa, ya) for _ in range(4)]
    assert all(type(loss) is float for loss in losses)
    for a, b in zip(eager_losses, losses, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    assert_same_weights(eager.parameters(), again.parameters())
    assert_same_weights(compiled.parameters(), again.parameters())
    assert step.traces == 1
    # a new shape traces once; a copy, another memory order and a transposed view are the same rows
    twin_net = model()
    twin_optimizer = OPTIMIZERS["Adam"](twin_net.parameters())
    twin_optimizer.load_state_dict(optimizer.state_dict())
    twin_net.load_state_dict(again.state_dict())
    twin = micrograd.compile_step(hinge_with_l2(twin_net), twin_optimizer, backend=backend)
    for batch in (Xa[:5], Xa[:5].copy(), np.asfortranarray(Xa[:5]), np.ascontiguousarray(Xa[:5].T).T):
        assert step(batch, ya[:5]) == twin(batch.tolist(), ya[:5].tolist())
    assert_same_weights(again.parameters(), twin_net.parameters(), tolerance=0.0)
    assert step.traces == 2


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="the optional numpy extra")
def test_a_number_of_an_array_the_loss_reads_as_data_traces_again_when_it_changes() -> None:
    """A branch on a number of the batch makes that number part of the trace: arrays of the same shape
    with another number there trace again, and each call gives the eager loss."""
    import numpy as np

    def loss_of(net: MLP) -> Callable[..., Value]:
        def loss_fn(X: list[list[Value]], y: list[Value]) -> Value:
            loss = mse_loss([net(x) for x in X], y)
            return loss * 2.0 if X[0][0].data > 0 else loss

        return loss_fn

    net, eager = model(), model()
    step = micrograd.compile_step(loss_of(net), optim.SGD(net.parameters(), lr=0.05))
    eager_loss, eager_optimizer = loss_of(eager), optim.SGD(eager.parameters(), lr=0.05)
    X, y = data(points=6)
    for sign in (1.0, -1.0, 1.0, -1.0):
        X[0][0] = sign * abs(X[0][0])
        got = step(np.array(X), np.array(y))
        eager_optimizer.zero_grad()
        expected = eager_loss([[Value(a) for a in x] for x in X], [Value(t) for t in y])
        expected.backward()
        eager_optimizer.step()
        assert math.isclose(got, expected.data, rel_tol=1e-12)
    assert step.traces == 2
    assert_same_weights(eager.parameters(), net.parameters())


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="the optional numpy extra")
def test_int_arrays_are_labels_and_arrays_mix_with_numbers() -> None:
    """An int array is structure, as a list of ints (new labels trace again); a float array, an int array
    and a float in one call work together."""
    import numpy as np

    net = model()
    optimizer = optim.SGD(net.parameters(), lr=0.05)

    def loss_fn(X: list[list[Value]], y: list[int], scale: float) -> Value:
        return hinge_loss([net(x) for x in X], [2 * label - 1 for label in y]) * scale

    step = micrograd.compile_step(loss_fn, optimizer)
    X, y = data(points=6)
    labels = np.array([1 if t > 0 else 0 for t in y])
    first = step(np.array(X), labels, 1.0)
    eager = model()
    expected = hinge_loss([eager(x) for x in X], [2 * int(label) - 1 for label in labels]) * 1.0
    assert math.isclose(first, expected.data, rel_tol=1e-12)
    step(np.array(X), labels, 0.5)
    assert step.traces == 1
    step(np.array(X), 1 - labels, 0.5)
    assert step.traces == 2


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="the optional numpy extra")
def test_blas_runs_on_one_thread_inside_a_big_replay_and_gets_its_threads_back(monkeypatch: Any) -> None:
    """BLAS left at two threads: inside the replay of a plan big enough to use them it has one, and it has
    two again after each step."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from micrograd.compiler.replay_numpy import NumpyReplay

    def blas_threads() -> list[int]:
        return [library["num_threads"] for library in threadpool_info() if library["user_api"] == "blas"]

    seen: list[list[int]] = []
    forward_table = NumpyReplay.forward_table

    def spy(self: NumpyReplay, v: Any) -> None:
        seen.append(blas_threads())
        forward_table(self, v)

    monkeypatch.setattr(NumpyReplay, "forward_table", spy)
    net = MLP(2, [64, 64, 1], rng=random.Random(2))
    step = micrograd.compile_step(hinge_with_l2(net), optim.SGD(net.parameters(), lr=0.01))
    X, y = data(points=100)
    with threadpool_limits(limits=2, user_api="blas"):
        after = []
        for _ in range(3):
            step(X, y)
            after.append(blas_threads())
    assert seen and seen[0], "numpy has a BLAS library"
    assert all(threads == [1] * len(seen[0]) for threads in seen)
    assert all(threads == [2] * len(seen[0]) for threads in after)


def test_bad_arguments_are_refused_clearly() -> None:
    net = model()
    optimizer = optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="compile_step: expected a loss function, got int"):
        micrograd.compile_step(3, optimizer)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"compile_step: expected an optimizer from micrograd\.optim, got list"):
        micrograd.compile_step(hinge_with_l2(net), [1.0])
    with pytest.raises(ValueError, match="clip_grad_norm must be a number >= 0, got -1"):
        micrograd.compile_step(hinge_with_l2(net), optimizer, clip_grad_norm=-1)
    twice = optim.SGD([*net.parameters(), net.parameters()[3]], lr=0.1)
    with pytest.raises(ValueError, match="compile_step: the optimizer lists a parameter twice, at 3 and 105"):
        micrograd.compile_step(hinge_with_l2(net), twice)
    step = micrograd.compile_step(lambda X: [net(x) for x in X], optimizer)
    with pytest.raises(TypeError, match=r"must return the loss, a Value, or a tuple"):
        step([[1.0, 2.0], [0.5, 0.5]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reader_in_another_thread_waits_for_a_step_to_finish(backend: str, monkeypatch: Any) -> None:
    """A reader in another thread settles the step's write-back: it must see the weights and gradients of
    a whole step, never the new gradients with the old weights (the step paused inside its update)."""
    import threading

    from micrograd.compiler import step as step_module

    X, y = data()
    eager = model()
    eager_optimizer = optim.SGD(eager.parameters(), lr=0.1)
    after: list[list[tuple[float, float]]] = []
    for _ in range(2):
        eager_optimizer.zero_grad()
        hinge_with_l2(eager)(X, y).backward()
        eager_optimizer.step()
        after.append([(p.data, p.grad) for p in eager.parameters()])

    net = model()
    step = micrograd.compile_step(hinge_with_l2(net), optim.SGD(net.parameters(), lr=0.1), backend=backend)
    name = "update_numpy" if backend == "numpy" else "update_python"
    real = getattr(step_module, name)
    inside, read = threading.Event(), threading.Event()
    calls = []

    def paused_update(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the second step: let the reader in before the update
            inside.set()
            read.wait(timeout=0.5)  # with the fix the reader waits for this step, so this times out
        real(*args)

    monkeypatch.setattr(step_module, name, paused_update)
    seen: list[tuple[float, float]] = []

    def reader() -> None:
        inside.wait(timeout=10)
        seen.extend((p.data, p.grad) for p in net.parameters())  # parameters() settles the step first
        read.set()

    thread = threading.Thread(target=reader)
    thread.start()
    step(X, y)
    step(X, y)
    thread.join(timeout=10)
    assert len(seen) == len(after[1])
    for (data_seen, grad_seen), (data_eager, grad_eager) in zip(seen, after[1], strict=True):
        assert math.isclose(data_seen, data_eager, rel_tol=1e-12, abs_tol=1e-15)
        assert math.isclose(grad_seen, grad_eager, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reader_that_comes_during_another_threads_write_back_waits_for_it(backend: str) -> None:
    """One reader is writing a step back (slowly: the step's lock is held meanwhile); a second reader
    must wait for that write-back, not find nothing pending and read the weights from before the step."""
    import threading
    import time

    X, y = data()
    net = model()
    step = micrograd.compile_step(hinge_with_l2(net), optim.SGD(net.parameters(), lr=0.1), backend=backend)
    step(X, y)
    with step:
        before = [p.data for p in net.parameters()]
    step(X, y)  # its weights are pending, not yet in the Values
    hold, release = threading.Event(), threading.Event()

    def slow_write_back() -> None:  # stands for a write-back under way: it holds the step's lock
        with step._lock:
            hold.set()
            release.wait(timeout=10)

    seen: dict[str, list[float]] = {}

    def read(name: str) -> None:
        seen[name] = [p.data for p in net.parameters()]  # parameters() settles the pending write-back

    holder = threading.Thread(target=slow_write_back)
    holder.start()
    hold.wait(timeout=10)
    first = threading.Thread(target=read, args=("first",))
    first.start()
    time.sleep(0.2)  # the first reader is inside the write-back, waiting for the lock
    second = threading.Thread(target=read, args=("second",))
    second.start()
    time.sleep(0.2)
    release.set()
    for thread in (holder, first, second):
        thread.join(timeout=10)
    after = [p.data for p in net.parameters()]
    assert after != before  # the second step changed the weights
    assert seen["first"] == after
    assert seen["second"] == after  # not the weights from before the second step
