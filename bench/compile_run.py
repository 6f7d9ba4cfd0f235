"""Benchmark micrograd.compile against the eager engine and PyTorch, side by side.

    python bench/compile_run.py            # the full run (a few minutes)
    python bench/compile_run.py --quick    # small sizes, one repeat: a smoke test

Workloads: karpathy's demo step (MLP(2, [16, 16, 1]) on 100 moons points, hinge loss
+ L2, backward, SGD update) and the same step for MLP(2, [64, 64, 1]) on 500 points
and MLP(2, [128, 128, 1]) on 1000.  Engines: the eager engine; compile with numpy
and in pure Python (a Value result, backward and the SGD loop in Python);
compile_step with numpy (the batch given as numpy arrays, as PyTorch and jax are given
theirs, and as nested lists) and in pure Python (the whole step compiled), and with
numpy's BLAS free to start its threads, pinned to one inside the replay
(threadpoolctl) or not; PyTorch
float64 and float32 on one thread (``torch.set_num_threads(1)``); the step written
by hand in numpy; ``jax.jit`` in float64 if jax is installed (``pip install jax
jaxlib``; it is not a dependency).  All start from the same weights, BLAS and XLA
on one thread.  Each measurement runs in a fresh interpreter, the engines
alternating, and the table shows medians of the repeats.  Also measured: the
first call (tracing and preparing, or jax's compilation) and the peak memory of
a compiled step (tracemalloc), also for MLP(2, [128, 128, 1]) on 100 points.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "src"
ENGINES = (
    "eager",
    "numpy",
    "python",
    "step",
    "step-lists",
    "step-python",
    "step-blas-pinned",
    "step-blas-default",
    "torch",
    "torch-f32",
    "numpy-hand",
    "jax",
)
NAMES = {
    "eager": "eager",
    "numpy": "compile, numpy",
    "python": "compile, Python",
    "step": "compile_step, numpy",
    "step-lists": "compile_step, numpy, batch as lists",
    "step-python": "compile_step, Python",
    "step-blas-pinned": "compile_step, numpy, BLAS free, pinned in the replay",
    "step-blas-default": "compile_step, numpy, BLAS free, not pinned",
    "torch": "PyTorch f64, 1 thread",
    "torch-f32": "PyTorch f32, 1 thread",
    "numpy-hand": "hand-written numpy",
    "jax": "jax.jit f64",
}


def moons(n: int, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, labels -1 and +1 (as bench/workloads.py)."""
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        upper = i < n // 2
        t = math.pi * rng.random()
        x, y = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        points.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        labels.append(1 if upper else -1)
    return points, labels


def micrograd_step(engine: str, width: int, points: int, steps: int) -> dict[str, Any]:
    """The demo loop with the eager engine or with micrograd.compile; median step time."""
    import micrograd
    from micrograd import MLP, Value

    random.seed(1337)
    model = MLP(2, [width, width, 1])
    X, y = moons(points)
    parameters = model.parameters()

    def loss_fn(X: list[list[float]], y: list[int]) -> tuple[Value, list[Value]]:  # karpathy's demo loss
        scores = list(map(model, X))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in parameters)
        return data_loss + reg_loss, scores

    step_fn = loss_fn if engine == "eager" else micrograd.compile(loss_fn, backend=engine)
    result: dict[str, Any] = {}
    began = time.perf_counter()
    step_fn(X, y)
    result["first_call_seconds"] = time.perf_counter() - began
    times = []
    for k in range(steps):
        began = time.perf_counter()
        total, _ = step_fn(X, y)
        model.zero_grad()
        total.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in parameters:
            p.data -= learning_rate * p.grad
        times.append(time.perf_counter() - began)
    result["seconds"] = statistics.median(times)
    result["loss"] = total.data
    if engine != "eager":
        result.update(_memory(step_fn, model, X, y))
    return result


def compiled_training_step(engine: str, width: int, points: int, steps: int) -> dict[str, Any]:
    """The demo loop as one ``micrograd.compile_step``: loss, backward and SGD update compiled."""
    import micrograd
    from micrograd import MLP, optim

    random.seed(1337)
    model = MLP(2, [width, width, 1])
    X, y = moons(points)
    labels = [float(label) for label in y]
    parameters = model.parameters()

    def loss_fn(X: list[list[float]], y: list[float]) -> Any:  # karpathy's demo loss
        scores = list(map(model, X))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in parameters)

    optimizer = optim.SGD(parameters, lr=1.0)
    if engine == "step-blas-default":  # the replay leaves BLAS at numpy's own thread count
        from micrograd.compiler import step_arrays

        step_arrays._blas_limits = lambda plan: step_arrays._NoLimit
    step = micrograd.compile_step(loss_fn, optimizer, backend="python" if engine == "step-python" else "numpy")
    batch: tuple[Any, Any] = (X, labels)
    if engine not in ("step-python", "step-lists"):  # arrays in, as PyTorch and jax are given theirs
        import numpy as np

        batch = (np.array(X), np.array(labels))
    began = time.perf_counter()
    step(*batch)
    result: dict[str, Any] = {"first_call_seconds": time.perf_counter() - began}
    times = []
    for k in range(steps):
        began = time.perf_counter()
        optimizer.lr = 1.0 - 0.9 * k / 100
        loss = step(*batch)
        times.append(time.perf_counter() - began)
    result.update(seconds=statistics.median(times), loss=loss)
    tracemalloc.start()
    step(*batch)
    result["peak_bytes"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result


def _memory(step_fn: Any, model: Any, X: list[list[float]], y: list[int]) -> dict[str, Any]:
    """Peak bytes allocated by one compiled step, and the Values it leaves alive with its result."""
    from micrograd import Value

    gc.collect()
    before = sum(isinstance(o, Value) for o in gc.get_objects())
    tracemalloc.start()
    total, _ = step_fn(X, y)
    model.zero_grad()
    total.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    made = sum(isinstance(o, Value) for o in gc.get_objects()) - before
    return {"peak_bytes": peak, "values_made": made}


Trainer = Callable[[float], float]  # one training step at a learning rate; the loss before it


def torch_trainer(width: int, points: int, f32: bool = False) -> Trainer:
    """The step in PyTorch float64 (or float32) on one thread, with micrograd's initial weights."""
    import torch

    torch.set_num_threads(1)
    dtype = torch.float32 if f32 else torch.float64
    layers = [
        (torch.tensor(w, dtype=dtype, requires_grad=True), torch.tensor(b, dtype=dtype, requires_grad=True))
        for w, b in initial_weights(width)
    ]
    parameters = [t for pair in layers for t in pair]
    X, y = moons(points)
    Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y, dtype=dtype)

    def step(learning_rate: float) -> float:
        h = Xt
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if i < len(layers) - 1:
                h = torch.relu(h)
        total = torch.relu(1 - yt * h[:, 0]).mean() + 1e-4 * sum((p * p).sum() for p in parameters)
        for p in parameters:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in parameters:
                p -= learning_rate * p.grad
        return float(total.detach())

    return step


def initial_weights(width: int) -> list[tuple[list[list[float]], list[float]]]:
    from micrograd import MLP

    random.seed(1337)
    model = MLP(2, [width, width, 1])
    return [
        ([[p.data for p in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]) for layer in model.layers
    ]


def numpy_trainer(width: int, points: int) -> Trainer:
    """The step written by hand in numpy (forward, backward and update), float64, one thread."""
    import numpy as np

    layers = [(np.array(w), np.array(b)) for w, b in initial_weights(width)]
    X, y = moons(points)
    Xa, ya = np.array(X), np.array(y, dtype=float)

    def step(learning_rate: float) -> float:
        hs, h = [Xa], Xa
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if i < len(layers) - 1:
                h = np.maximum(h, 0.0)
            hs.append(h)
        margins = 1 - ya * hs[-1][:, 0]
        total = np.maximum(margins, 0.0).mean() + 1e-4 * sum((w * w).sum() + (b * b).sum() for w, b in layers)
        g = np.where(margins > 0, -ya, 0.0)[:, None] / points
        for i in range(len(layers) - 1, -1, -1):
            w, b = layers[i]
            gw, gb = g.T @ hs[i] + 2e-4 * w, g.sum(axis=0) + 2e-4 * b
            if i:
                g = (g @ w) * (hs[i] > 0)
            w -= learning_rate * gw
            b -= learning_rate * gb
        return float(total)

    return step


def jax_trainer(width: int, points: int) -> Trainer:
    """The step with ``jax.jit`` (value_and_grad and the SGD update in one jitted function), float64."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    state = [[(jnp.array(w), jnp.array(b)) for w, b in initial_weights(width)]]
    X, y = moons(points)
    Xa, ya = jnp.array(X), jnp.array(y, dtype=jnp.float64)

    def loss(params: Any) -> Any:
        h = Xa
        for i, (w, b) in enumerate(params):
            h = h @ w.T + b
            if i < len(params) - 1:
                h = jax.nn.relu(h)
        return jax.nn.relu(1 - ya * h[:, 0]).mean() + 1e-4 * sum((w * w).sum() + (b * b).sum() for w, b in params)

    @jax.jit
    def update(params: Any, learning_rate: Any) -> Any:
        value, grads = jax.value_and_grad(loss)(params)
        return value, jax.tree_util.tree_map(lambda p, g: p - learning_rate * g, params, grads)

    def step(learning_rate: float) -> float:
        value, state[0] = update(state[0], learning_rate)
        return float(value)  # waits for the result

    return step


def timed(trainer: Trainer, steps: int) -> dict[str, Any]:
    """Median time of ``steps`` steps of ``trainer``, at the demo's decaying learning rate, and the last loss."""
    times = []
    for k in range(steps):
        began = time.perf_counter()
        loss = trainer(1.0 - 0.9 * k / 100)
        times.append(time.perf_counter() - began)
    return {"seconds": statistics.median(times), "loss": loss}


def jax_step(width: int, points: int, steps: int) -> dict[str, Any]:
    """The jax step timed, and its first call (jax's tracing and compiling) apart."""
    trainer = jax_trainer(width, points)
    began = time.perf_counter()
    trainer(1.0)
    first = time.perf_counter() - began
    return {**timed(trainer, steps), "first_call_seconds": first}


def worker(engine: str, width: int, points: int, steps: int) -> None:
    if engine not in ("torch", "torch-f32", "numpy-hand", "jax"):
        # the replays' modules are imported on a first call: imported here, so that a first call measures
        # tracing, not compiling their source (this environment writes no .pyc files)
        import micrograd.compiler.replay_numpy
        import micrograd.compiler.replay_python
        import micrograd.compiler.step_arrays  # noqa: F401

    if engine in ("torch", "torch-f32"):
        result = timed(torch_trainer(width, points, engine == "torch-f32"), steps)
    elif engine.startswith("step"):
        result = compiled_training_step(engine, width, points, steps)
    elif engine == "numpy-hand":
        result = timed(numpy_trainer(width, points), steps)
    elif engine == "jax":
        result = jax_step(width, points, steps)
    else:
        result = micrograd_step(engine, width, points, steps)
    print(json.dumps(result))


def measure(engine: str, width: int, points: int, steps: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])))
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if engine.startswith("step-blas"):
            env.pop(variable, None)  # BLAS starts with its own thread count (one per core)
        else:
            env[variable] = "1"  # numpy's BLAS on one thread too, as PyTorch
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"  # jax on one thread
    command = [sys.executable, __file__, "--worker", engine, str(width), str(points), str(steps)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout)  # type: ignore[no-any-return]


WORKLOADS = [
    ("16 wide, 100 points", 16, 100),
    ("64 wide, 500 points", 64, 500),
    ("128 wide, 1000 points", 128, 1000),
    ("128 wide, 100 points", 128, 100),  # for the peak memory of a compiled step
]
STEPS = {"eager": 3, "python": 5, "numpy": 30, "step": 30, "step-python": 5, "torch": 30, "torch-f32": 30}
STEPS.update({"numpy-hand": 30, "jax": 30, "step-blas-pinned": 30, "step-blas-default": 30, "step-lists": 30})
# what the 128-wide runs leave out: the eager step takes seconds at 1,000 points, and so does a step of the
# pure-Python replays; at 100 points only the compiled steps are measured, for their memory (and PyTorch)
SKIPPED = {
    (128, 1000): {"eager", "python", "step-python"},
    (128, 100): set(ENGINES) - {"step", "step-python", "torch"},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (a smoke test)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each engine (the table shows medians)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine, width, points, steps = args.worker
        worker(engine, int(width), int(points), int(steps))
        return 0
    repeats = 1 if args.quick else args.repeats
    workloads = [("16 wide, 20 points", 16, 20), ("8 wide, 20 points", 8, 20)] if args.quick else WORKLOADS
    print(f"load average at the start: {os.getloadavg()[0]:.2f}", flush=True)
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for repeat in range(repeats):
        print(f"repeat {repeat + 1}/{repeats}", flush=True)
        for name, width, points in workloads:
            for engine in ENGINES:
                if engine not in SKIPPED.get((width, points), ()):
                    n = STEPS[engine] * (3 if width == 16 and engine == "eager" else 1)
                    results.setdefault((name, engine), []).append(measure(engine, width, points, n))
    print(f"load average at the end: {os.getloadavg()[0]:.2f}\n")
    print(table(results, workloads))
    if args.quick:
        print("\n--quick: the sizes are too small for the targets to mean anything")
    return 0


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if key in run]
    return statistics.median(values) if values else None


def _time(seconds: float) -> str:
    return (
        f"{seconds * 1e6:.0f} µs"
        if seconds < 1e-3
        else f"{seconds * 1e3:.3g} ms"
        if seconds < 1
        else f"{seconds:.2f} s"
    )


def table(results: dict[tuple[str, str], list[dict[str, Any]]], workloads: list[tuple[str, int, int]]) -> str:
    """Time per step of each engine (medians), and in brackets its speed relative to PyTorch f64 on one thread."""
    lines = [
        "| step | " + " | ".join(name for name, _, _ in workloads) + " |",
        "|---|" + "---:|" * len(workloads),
    ]
    errors = []
    for engine in ENGINES:
        cells = []
        for name, _, _ in workloads:
            runs = results.get((name, engine), [])
            seconds, torch_s = _median(runs, "seconds"), _median(results.get((name, "torch"), []), "seconds")
            errors += [f"{NAMES[engine]}, {name}: {run['error']}" for run in runs if "error" in run]
            if seconds is None:
                cells.append("not run" if not runs else "fails")
            else:
                cells.append(f"{_time(seconds)} ({torch_s / seconds:.2f}x)" if torch_s else _time(seconds))
        lines.append(f"| {NAMES[engine]} | " + " | ".join(cells) + " |")
    for label, engines, key, shown in (
        ("first call", ("step", "step-python", "numpy", "python", "jax"), "first_call_seconds", _time),
        ("peak memory of a step", ("step", "step-python"), "peak_bytes", lambda b: f"{b / 1e6:.2f} MB"),
    ):
        for engine in engines:
            cells = []
            for name, _, _ in workloads:
                value = _median(results.get((name, engine), []), key)
                cells.append("-" if value is None else shown(value))
            lines.append(f"| {label}: {NAMES[engine]} | " + " | ".join(cells) + " |")
    return "\n".join(lines + [f"\nerror: {error}" for error in errors])


if __name__ == "__main__":
    sys.exit(main())
