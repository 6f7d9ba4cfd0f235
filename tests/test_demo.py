"""The training demo: it learns, it is reproducible, and ``micrograd demo`` works end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from micrograd import is_grad_enabled
from micrograd.cli import main
from micrograd.demo import DemoConfig, DemoError, DemoResult, plot_decision_boundary, train
from micrograd.nn import MLP

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_default_demo_reaches_100_percent_on_moons() -> None:
    result = train()  # micrograd's notebook: MLP(2, [16, 16, 1]), hinge + L2, SGD 1.0 -> 0.1, 100 steps
    assert result.accuracy == 1.0
    assert len(result.loss_history) == 100
    assert result.loss_history[-1] < 0.1 * result.loss_history[0]
    assert repr(result.model).startswith("MLP of [Layer of [ReLUNeuron(2)")
    assert result.model.num_parameters() == 337


def test_three_class_spiral_is_learned_with_softmax_cross_entropy() -> None:
    result = train(DemoConfig(dataset="spirals", samples=90, optimizer="adam", steps=100))
    assert result.config.loss == "cross-entropy" and result.config.outputs == 3
    assert result.accuracy >= 0.95


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    config = DemoConfig(steps=4, batch_size=30)
    first, again, other = train(config), train(config), train(DemoConfig(steps=4, batch_size=30, seed=2))
    assert first.loss_history == again.loss_history
    assert first.model.state_dict() == again.model.state_dict()
    assert other.loss_history != first.loss_history


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (DemoConfig(dataset="mnist"), "unknown dataset 'mnist'"),
        (DemoConfig(dataset="spirals", loss="hinge"), "the hinge loss is for two classes; spirals has 3"),
        (DemoConfig(steps=0), "steps must be at least 1"),
        (DemoConfig(hidden=(16, 0)), "hidden layer sizes must be at least 1"),
        (DemoConfig(optimizer="rmsprop"), "unknown optimizer"),
        (DemoConfig(lr=-1.0), "learning rate must be a positive number"),
    ],
)
def test_bad_configurations_raise_demo_error(config: DemoConfig, message: str) -> None:
    with pytest.raises(DemoError, match=message):
        train(config)


def test_divergence_is_reported_not_a_traceback() -> None:
    with pytest.raises(DemoError, match=r"training diverged at step .*smaller learning rate"):
        train(DemoConfig(loss="mse", lr=50.0, steps=30))


def test_decision_boundary_is_evaluated_under_no_grad(tmp_path: Path) -> None:
    result = train(DemoConfig(steps=1))
    modes = []

    class Watched(MLP):
        def __call__(self, x: Any) -> Any:
            modes.append(is_grad_enabled())
            return super().__call__(x)

    watched = Watched(2, [16, 16, 1])
    watched.load_state_dict(result.model.state_dict())
    plot_decision_boundary(DemoResult(result.config, watched, result.X, result.y), tmp_path / "b.png", resolution=20)
    assert len(modes) == 400 and not any(modes)


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pictures"
    status, stdout, stderr = _run_cli(["demo", "--steps", "3", "--out", str(out)], capsys)
    assert status == 0, stderr
    assert "training MLP(2, [16, 16, 1]) relu on moons: hinge loss" in stdout
    assert "training accuracy" in stdout and "/100 points)" in stdout
    for name in ("decision_boundary.png", "training_curves.png"):
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)
        assert f"wrote {out / name}" in stdout
    svg = ElementTree.parse(out / "neuron.svg").getroot()
    assert svg.tag.endswith("svg")
    text = (out / "neuron.svg").read_text()
    for label in ("x1", "w2", "x1*w1", "ReLU"):  # one neuron is drawn expanded, as in the lecture
        assert label in text
    model = MLP(2, [16, 16, 1])
    model.load(out / "model.json")  # the trained parameters, in the JSON model format
    assert json.loads((out / "model.json").read_text())["format"] == "micrograd-state"
    assert "3/3" in stderr or "step 3/3" in stdout  # tqdm's bar, or the plain progress lines


def test_cli_demo_options_change_the_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["demo", "--dataset", "blobs", "--classes", "4", "--hidden", "8", "--activation", "tanh"]
    argv += ["--optimizer", "adam", "--steps", "30", "--batch-size", "25", "--seed", "3", "--no-progress"]
    status, stdout, stderr = _run_cli([*argv, "--out", str(tmp_path)], capsys)
    assert status == 0, stderr
    assert "MLP(2, [8, 4]) tanh on blobs: cross-entropy loss, adam lr 0.05" in stdout
    assert "batches of 25" in stdout
    accuracy = float(stdout.split("training accuracy ")[1].split("%")[0])
    assert accuracy >= 90.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dataset", "nope"], "unknown dataset 'nope'; choose from moons, circles"),
        (["--steps", "0"], "steps must be at least 1"),
        (["--hidden", "16,x"], "--hidden 16,x: expected sizes separated by commas"),
        (["--dataset", "yin-yang", "--loss", "bce"], "the bce loss is for two classes; yin_yang has 3"),
        (["--activation", "gelu"], "unknown activation 'gelu'"),
        (["--dataset", "yin_yang", "--noise", "0.1"], "the yin_yang dataset has no noise setting"),
        (["--dataset", "spirals", "--classes", "9", "--samples", "5"], "spirals: n must be an integer >= 9, got 5"),
    ],
)
def test_cli_user_errors_are_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stdout, stderr = _run_cli(["demo", *argv, "--out", str(tmp_path / "out")], capsys)
    assert status == 1
    assert stderr.startswith("micrograd: error: ") and stderr.count("\n") == 1  # before any progress bar
    assert message in stderr
    assert "Traceback" not in stderr + stdout


def test_cli_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    taken = tmp_path / "file.txt"
    taken.write_text("hello")
    status, _, stderr = _run_cli(["demo", "--steps", "1", "--out", str(taken)], capsys)
    assert status == 1 and "exists and is not a folder" in stderr


def test_without_optional_packages_the_demo_still_trains_and_says_what_to_install(tmp_path: Path) -> None:
    # matplotlib, graphviz and tqdm made unimportable: each output is skipped with one line
    code = (
        "import sys\n"
        "for name in ('matplotlib', 'graphviz', 'tqdm'):\n"
        "    sys.modules[name] = None\n"
        "from micrograd.cli import main\n"
        "sys.exit(main(['demo', '--steps', '4', '--out', 'out']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    hint = 'pip install "micrograd-lab[demo]"'
    assert f"skipped decision_boundary.png: matplotlib is not installed; {hint}" in result.stdout
    assert f"skipped training_curves.png: matplotlib is not installed; {hint}" in result.stdout
    assert "skipped neuron.svg:" in result.stdout and "graphviz" in result.stdout
    assert "step 4/4" in result.stdout  # plain progress lines instead of the bar
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model.json"]


def test_python_dash_m_micrograd_demo(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "micrograd", "demo", "--steps", "2", "--no-progress", "--out", "o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, MPLBACKEND="Agg"),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "decision_boundary.png").exists()
