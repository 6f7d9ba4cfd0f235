"""Benchmark micrograd.compile against the eager engine and PyTorch, side by side.

    python bench/compile_run.py            # the full run (a few minutes)
    python bench/compile_run.py --quick    # small sizes, one repeat: a smoke test

Workloads: karpathy's demo step (MLP(2, [16, 16, 1]) on 100 moons points, hinge loss
+ L2, backward, SGD update) and the same step for MLP(2, [64, 64, 1]) on 500 points.
Engines: the eager engine; compile with numpy; compile in pure Python; PyTorch
float64 on one thread (``torch.set_num_threads(1)``), with the same weights.  Each
measurement runs in a fresh interpreter, the engines alternating, and the table
shows medians of the repeats.  Also measured: the first compiled call (tracing,
preparing the replay and one replay), the peak memory of a compiled step
(tracemalloc) and how many Values a compiled step makes.
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "src"
ENGINES = ("eager", "numpy", "python", "torch")


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


def torch_step(width: int, points: int, steps: int) -> dict[str, Any]:
    """The same step in PyTorch float64 on one thread, with micrograd's initial weights."""
    import torch

    from micrograd import MLP

    torch.set_num_threads(1)
    random.seed(1337)
    model = MLP(2, [width, width, 1])
    layers = []
    for layer in model.layers:
        w = torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        layers.append((w, b))
    parameters = [t for pair in layers for t in pair]
    X, y = moons(points)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    times = []
    for k in range(steps):
        began = time.perf_counter()
        h = Xt
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if i < len(layers) - 1:
                h = torch.relu(h)
        scores = h[:, 0]
        total = torch.relu(1 - yt * scores).mean() + 1e-4 * sum((p * p).sum() for p in parameters)
        for p in parameters:
            p.grad = None
        total.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in parameters:
                p -= learning_rate * p.grad
        times.append(time.perf_counter() - began)
    return {"seconds": statistics.median(times), "loss": float(total)}


def worker(engine: str, width: int, points: int, steps: int) -> None:
    result = torch_step(width, points, steps) if engine == "torch" else micrograd_step(engine, width, points, steps)
    print(json.dumps(result))


def measure(engine: str, width: int, points: int, steps: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])))
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = "1"  # numpy's BLAS on one thread too, as PyTorch
    command = [sys.executable, __file__, "--worker", engine, str(width), str(points), str(steps)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (a smoke test)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine, width, points, steps = args.worker
        worker(engine, int(width), int(points), int(steps))
        return 0
    repeats = 1 if args.quick else 3
    workloads = [("demo step", 16, 100), ("MLP(2,[64,64,1]), 500 points", 64, 500)]
    if args.quick:
        workloads = [("demo step", 16, 20), ("MLP(2,[64,64,1]), 500 points", 8, 20)]
    steps = {"eager": 3, "python": 5, "numpy": 30, "torch": 30}
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for repeat in range(repeats):
        print(f"repeat {repeat + 1}/{repeats}", flush=True)
        for name, width, points in workloads:
            for engine in ENGINES:
                n = steps[engine] * (3 if name == "demo step" and engine == "eager" else 1)
                results.setdefault((name, engine), []).append(measure(engine, width, points, n))
    print()
    print(table(results, workloads))
    if args.quick:
        print("\n--quick: the sizes are too small for the targets to mean anything")
    return 0


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if key in run]
    return statistics.median(values) if values else None


def table(results: dict[tuple[str, str], list[dict[str, Any]]], workloads: list[tuple[str, int, int]]) -> str:
    lines = [
        "| workload | eager | compile, numpy | compile, Python | PyTorch float64, 1 thread |"
        " numpy vs eager | Python vs eager | numpy vs PyTorch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    extra = []
    for name, _, _ in workloads:
        seconds = {engine: _median(results[(name, engine)], "seconds") for engine in ENGINES}
        errors = [
            f"{engine}: {run['error']}" for engine in ENGINES for run in results[(name, engine)] if "error" in run
        ]
        cells = [f"{s * 1e3:.3g} ms" if s is not None else "fails" for s in seconds.values()]
        eager, numpy_s, python_s, torch_s = (seconds[e] for e in ENGINES)
        ratios = [
            f"{eager / numpy_s:.0f}x" if eager and numpy_s else "-",
            f"{eager / python_s:.1f}x" if eager and python_s else "-",
            f"{torch_s / numpy_s:.2f}x" if torch_s and numpy_s else "-",
        ]
        lines.append(f"| {name} | {' | '.join(cells)} | {' | '.join(ratios)} |")
        for engine in ("numpy", "python"):
            first = _median(results[(name, engine)], "first_call_seconds")
            peak = _median(results[(name, engine)], "peak_bytes")
            made = _median(results[(name, engine)], "values_made")
            if first is not None:
                extra.append(
                    f"| {name} | {engine} | {first:.3f} s | {peak / 1e6:.2f} MB | {made:.0f} |"  # type: ignore[operator]
                )
        extra.extend(f"| {name} | error | {error} | | |" for error in errors)
    lines += [
        "",
        "| workload | backend | first call (trace + prepare + one replay) | peak memory of a compiled step |"
        " Values a compiled step makes |",
        "|---|---|---:|---:|---:|",
        *extra,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
