"""One benchmark workload, run in a fresh interpreter: ``python workloads.py NAME SIZE``.

The same code runs against karpathy's micrograd 0.1.0 and against this package:
whichever ``micrograd`` the interpreter imports.  Prints one JSON object.
Only the standard library and the micrograd API that both share are used here,
except where a workload is marked as ours only.
"""

from __future__ import annotations

import gc
import json
import math
import random
import sys
import threading
import time
import tracemalloc
from typing import Any

import micrograd
from micrograd.engine import Value
from micrograd.nn import MLP


def moons(n: int, noise: float, seed: int) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, labels -1 and +1 (the demo's data, without scikit-learn)."""
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        upper = i < n // 2
        t = math.pi * rng.random()
        if upper:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1 - math.cos(t), 0.5 - math.sin(t)
        points.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        labels.append(1 if upper else -1)
    return points, labels


def demo_step(steps: int) -> dict[str, Any]:
    """karpathy's demo loop: MLP(2, [16, 16, 1]), 100 moons points, full batch, hinge + L2, SGD."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    X, y = moons(100, 0.1, seed=1)
    times, accuracy = [], 0.0
    for k in range(steps):
        start = time.perf_counter()
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = sum((yi > 0) == (s.data > 0) for yi, s in zip(y, scores, strict=True)) / len(y)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        times.append(time.perf_counter() - start)
    return {"seconds": median(times), "accuracy": accuracy, "loss": total_loss.data}


def _wide_graph(n: int, xs: list[float], ys: list[float]) -> tuple[Value, list[Value]]:
    """Sum of n products of Value pairs, the sum taken pairwise (a wide, shallow tree)."""
    a = [Value(v) for v in xs]
    b = [Value(v) for v in ys]
    level = [p * q for p, q in zip(a, b, strict=True)]
    while len(level) > 1:
        paired = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0], a


def wide(n: int) -> dict[str, Any]:
    """Forward and backward of a wide graph: 2n leaves, n products, n - 1 sums.

    Also reports the time spent in the cyclic garbage collector (observed through
    ``gc.callbacks``; its settings are untouched).
    """
    rng = random.Random(0)
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    ys = [rng.uniform(-1, 1) for _ in range(n)]
    with GarbageCollectorTimer() as collector:
        start = time.perf_counter()
        root, a = _wide_graph(n, xs, ys)
        root.backward()
        seconds = time.perf_counter() - start
    assert abs(a[0].grad - ys[0]) < 1e-12
    return {"seconds": seconds, "gc_seconds": collector.seconds}


class GarbageCollectorTimer:
    """Adds up the time the cyclic garbage collector runs while the block runs."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> GarbageCollectorTimer:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def memory(n: int) -> dict[str, Any]:
    """Per graph node: the bytes the wide graph holds after backward, and the objects the
    cyclic garbage collector tracks (each one it must walk in every full collection)."""
    rng = random.Random(0)
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    ys = [rng.uniform(-1, 1) for _ in range(n)]
    gc.collect()
    tracked_before = len(gc.get_objects())
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root, a = _wide_graph(n, xs, ys)
    root.backward()
    del a  # the leaves stay reachable from the graph
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    gc.collect()
    tracked = len(gc.get_objects()) - tracked_before
    nodes = 2 * n + n + (n - 1)
    return {"bytes_per_node": held / nodes, "tracked_per_node": tracked / nodes}


def chain(depth: int) -> dict[str, Any]:
    """A chain ``depth`` operations deep: forward and backward."""
    start = time.perf_counter()
    x = Value(0.5)
    y = x
    try:
        for _ in range(depth):
            y = y * 1.0000001
        y.backward()
    except RecursionError:
        return {"error": "RecursionError"}
    seconds = time.perf_counter() - start
    expected = 1.0000001**depth
    assert abs(x.grad - expected) < 1e-6 * expected
    return {"seconds": seconds}


def forward(points: int) -> dict[str, Any]:
    """Evaluate MLP(2, [16, 16, 1]) on a grid of points, graph recorded (the demo's boundary plot)."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    side = int(points**0.5)
    grid = [[-1.5 + 3.5 * i / side, -1.0 + 2.0 * j / side] for i in range(side) for j in range(side)]
    recorded = _time_forward(model, grid)
    result = {"seconds": recorded}
    no_grad = getattr(micrograd, "no_grad", None)  # ours only
    if no_grad is not None:
        with no_grad():
            result["no_grad_seconds"] = _time_forward(model, grid)
    return result


def _time_forward(model: Any, grid: list[list[float]]) -> float:
    start = time.perf_counter()
    inputs = [list(map(Value, xrow)) for xrow in grid]
    scores = list(map(model, inputs))
    seconds = time.perf_counter() - start
    assert len(scores) == len(grid)
    return seconds


def grad_mode(n: int) -> dict[str, Any]:
    """Nanoseconds per ``a * b`` recorded: alone, and (ours only, grad mode is per thread)
    while another thread sits inside ``no_grad``, when each operation looks up its own
    thread's mode."""
    result = {"ns": _ns_per_product(n)}
    no_grad = getattr(micrograd, "no_grad", None)
    if no_grad is not None:
        inside, leave = threading.Event(), threading.Event()

        def evaluate() -> None:
            with no_grad():
                inside.set()
                leave.wait()

        other = threading.Thread(target=evaluate)
        other.start()
        inside.wait()
        try:
            result["ns_other_thread_no_grad"] = _ns_per_product(n)
        finally:
            leave.set()
            other.join()
    return result


def _ns_per_product(n: int) -> float:
    """The best of five runs of ``n`` products, per product."""
    a, b = Value(1.5), Value(-0.5)
    best = math.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            a * b
        best = min(best, time.perf_counter() - start)
    return best / n * 1e9


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


WORKLOADS = {
    "demo_step": demo_step,
    "wide": wide,
    "memory": memory,
    "chain": chain,
    "forward": forward,
    "grad_mode": grad_mode,
}

if __name__ == "__main__":
    name, size = sys.argv[1], int(sys.argv[2])
    # start every workload from the same point of the collector's schedule, whatever the
    # imports left behind (settings untouched): otherwise whether a full collection falls
    # inside the timed part depends on how many objects an engine's import made
    gc.collect()
    result = WORKLOADS[name](size)
    result["engine"] = "ours" if hasattr(micrograd, "grad") else "micrograd 0.1.0"
    print(json.dumps(result))
