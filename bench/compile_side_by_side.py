"""compile_step, PyTorch and jax side by side in one process, step by step.

    python bench/compile_side_by_side.py            # three workloads, a few minutes
    python bench/compile_side_by_side.py --quick    # small sizes: a smoke test

bench/compile_run.py measures each engine in a fresh interpreter, one after the
other; on a shared machine whose speed changes from minute to minute its ratios
move by tens of percent.  Here the engines take turns in one interpreter (BLAS,
PyTorch and XLA on one thread), in blocks of 20 steps each, so a slow stretch
slows them all alike.  The first 5 steps of each block are not counted: taking
turns step by step left each engine's caches (and jax's and PyTorch's runtimes)
cold, which made jax up to 70% and PyTorch up to 40% slower than alone, and
compile_step hardly at all; after 5 steps each runs at its own speed.  The step is the one
of bench/compile_run.py (karpathy's demo loss: hinge and L2, backward, SGD
update), from the same weights: ``micrograd.compile_step`` with numpy, given
the batch as numpy arrays; PyTorch float64 and float32; the step written by
hand in numpy; and ``jax.jit`` in float64 if jax is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from compile_run import jax_trainer, moons, numpy_trainer, torch_trainer  # noqa: E402

Step = Callable[[float], float]  # one training step at a learning rate; its loss
RATE = 0.05


def micrograd_step(width: int, points: int) -> Step:
    import numpy as np

    import micrograd
    from micrograd import MLP, optim

    random.seed(1337)
    model = MLP(2, [width, width, 1])
    parameters = model.parameters()

    def loss_fn(X: Any, y: Any) -> Any:
        scores = list(map(model, X))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in parameters)

    optimizer = optim.SGD(parameters, lr=RATE)
    step = micrograd.compile_step(loss_fn, optimizer)
    X, y = moons(points)
    Xa, ya = np.array(X), np.array(y, dtype=float)

    def run(rate: float) -> float:
        optimizer.lr = rate
        return step(Xa, ya)  # type: ignore[no-any-return]

    return run


ENGINES: dict[str, Callable[[int, int], Step]] = {
    "compile_step, numpy": micrograd_step,
    "PyTorch f64, 1 thread": torch_trainer,
    "PyTorch f32, 1 thread": lambda width, points: torch_trainer(width, points, f32=True),
    "hand-written numpy": numpy_trainer,
    "jax.jit f64": jax_trainer,
}


BLOCK, WARM = 20, 5  # steps per turn, and the first ones of a turn not counted


def worker(width: int, points: int, rounds: int) -> None:
    """Each engine's median step time, the engines taking turns of BLOCK steps (``rounds`` turns each)."""
    steps = {}
    for name, make in ENGINES.items():
        try:
            steps[name] = make(width, points)
        except ImportError:
            continue  # jax (or PyTorch) is not installed
    for run in steps.values():  # first calls: tracing, compiling
        run(RATE)
        run(RATE)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, run in steps.items():
            for k in range(BLOCK):
                began = time.perf_counter()
                run(RATE)
                if k >= WARM:
                    times[name].append(time.perf_counter() - began)
    print(json.dumps({name: statistics.median(seconds) for name, seconds in times.items()}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, few steps (a smoke test)")
    parser.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    workloads = [(16, 20, 2)] if args.quick else [(16, 100, 20), (64, 500, 12), (128, 1000, 6)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    print(f"load average at the start: {os.getloadavg()[0]:.2f}", flush=True)
    columns: list[tuple[str, dict[str, float]]] = []
    for width, points, rounds in workloads:
        command = [sys.executable, __file__, "--worker", str(width), str(points), str(rounds)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            print((done.stderr.strip().splitlines() or ["no output"])[-1])
            return 1
        columns.append((f"{width} wide, {points} points", json.loads(done.stdout.strip().splitlines()[-1])))
    print(f"load average at the end: {os.getloadavg()[0]:.2f}\n")
    print("| step | " + " | ".join(name for name, _ in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for engine in ENGINES:
        cells = []
        for _, medians in columns:
            seconds, torch_seconds = medians.get(engine), medians.get("PyTorch f64, 1 thread")
            cells.append(
                "not installed"
                if seconds is None
                else f"{seconds * 1e6:,.0f} µs ({torch_seconds / seconds:.2f}x)"
                if torch_seconds
                else f"{seconds * 1e6:,.0f} µs"
            )
        print(f"| {engine} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
