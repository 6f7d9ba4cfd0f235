"""Every script in examples/ runs (with few steps) and its loss goes down."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# a few steps each, enough to see learning; the scripts take the count as their argument
STEPS = {
    "karpathy_demo.py": 40,
    "moons.py": 25,
    "circles.py": 20,
    "xor.py": 40,
    "spirals.py": 12,
    "blobs.py": 15,
    "yin_yang.py": 30,
}
ACCURACY = re.compile(r"accuracy (\d+(?:\.\d+)?)%")


def _run(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(STEPS[name])], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(STEPS)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_example_trains(name: str) -> None:
    output = _run(name)
    losses = [float(x) for x in re.findall(r"loss ([0-9.e+-]+)", output)]
    assert len(losses) >= 2, output
    assert losses[-1] < 0.6 * losses[0], f"{name}: the loss did not go down:\n{output}"
    accuracies = [float(x) for x in ACCURACY.findall(output)]
    assert accuracies[-1] >= 80.0, f"{name}: final accuracy {accuracies[-1]}%:\n{output}"


def test_karpathys_loop_prints_his_lines_and_learns_moons() -> None:
    lines = _run("karpathy_demo.py").splitlines()
    assert lines[0].startswith("MLP of [Layer of [ReLUNeuron(2), ")
    assert lines[1] == "number of parameters 337"
    assert lines[2].startswith("Value(data=")
    steps = [line for line in lines if line.startswith("step ")]
    assert len(steps) == 40
    assert re.fullmatch(r"step 0 loss [0-9.]+, accuracy [0-9.]+%", steps[0])
    assert float(ACCURACY.findall(steps[-1])[0]) >= 95.0
