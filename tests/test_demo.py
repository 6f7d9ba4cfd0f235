"""The training demo: it learns, it is reproducible, and ``micrograd demo`` works end to end."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from micrograd import is_grad_enabled
from micrograd.cli import main
from micrograd.demo import (
    LIMITS,
    DemoConfig,
    DemoError,
    DemoResult,
    decision_boundary_figure,
    plot_decision_boundary,
    train,
    training_curves_figure,
)
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
        (DemoConfig(steps=0), "--steps 0: must be from 1 to 100,000"),
        (DemoConfig(hidden=(16, 0)), "--hidden 16,0: 1 to 10 layers of 1 to 1,000 neurons"),
        (DemoConfig(optimizer="rmsprop"), "unknown optimizer"),
        (DemoConfig(lr=-1.0), "--lr -1: the learning rate must be above 0 and at most 10,000"),
    ],
)
def test_bad_configurations_raise_demo_error(config: DemoConfig, message: str) -> None:
    with pytest.raises(DemoError, match=message):
        train(config)


def test_divergence_is_reported_not_a_traceback() -> None:
    with pytest.raises(DemoError, match=r"training diverged at step .*smaller learning rate"):
        train(DemoConfig(loss="mse", lr=50.0, steps=30))


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("samples", 3, "--samples 3: must be from 4 to 10,000"),
        ("samples", 10_001, "--samples 10001: must be from 4 to 10,000"),
        ("noise", 1e308, "--noise 1e+308: must be from 0 to 10"),
        ("noise", -0.1, "--noise -0.1: must be from 0 to 10"),
        ("classes", 9, "--classes 9: must be from 2 to 8"),
        ("steps", 100_001, "--steps 100001: must be from 1 to 100,000"),
        ("batch_size", 0, "--batch-size 0: must be from 1 to 10,000"),
        ("alpha", math.nan, "--alpha nan: must be from 0 to 10"),
        ("lr", 1e5, "--lr 100000: the learning rate must be above 0 and at most 10,000"),
        ("lr", 0.0, "--lr 0: the learning rate must be above 0"),
        ("hidden", (100_000,), "--hidden 100000: 1 to 10 layers of 1 to 1,000 neurons"),
        ("hidden", (4,) * 11, "--hidden 4,4,4,4,4,4,4,4,4,4,4: 1 to 10 layers"),
        ("hidden", (), "--hidden : 1 to 10 layers"),
        ("hidden", (200, 200), "--hidden 200,200: 41,001 parameters; the demo trains at most 20,000"),
    ],
)
def test_every_option_is_checked_against_its_stated_range_before_training(name: str, bad: object, message: str) -> None:
    config = replace(DemoConfig(), **{name: bad})
    with pytest.raises(DemoError) as refused:
        config.resolved()
    assert str(refused.value) == message or str(refused.value).startswith(message)


def test_the_limits_themselves_are_accepted() -> None:
    for name in ("samples", "noise", "classes", "steps", "batch_size", "alpha"):
        low, high = LIMITS[name]
        for value in (low, high):
            replace(DemoConfig(dataset="blobs"), **{name: value}).resolved()
    DemoConfig(lr=10_000.0, hidden=(1000,) * 1 + (16,)).resolved()  # 19,033 parameters


def test_divergence_is_caught_as_soon_as_the_loss_rises_by_orders_of_magnitude() -> None:
    steps: list[float] = []
    with pytest.raises(DemoError) as diverged:
        train(DemoConfig(steps=30, lr=1000.0), on_step=lambda step, loss, accuracy: steps.append(loss))
    message = str(diverged.value)
    assert message.startswith("training diverged at step 2: try a smaller learning rate (--lr 1000 now)")
    assert steps == [pytest.approx(0.6349, abs=1e-4)]  # one sensible step, then it stopped
    huge = message.rsplit(" to ", 1)[1]
    assert "e+" in huge and float(huge) > 100 * steps[0]  # scientific notation, not hundreds of digits
    assert not re.search(r"\d{12}", message)


def test_a_healthy_run_whose_loss_rises_a_little_is_not_stopped() -> None:
    result = train(DemoConfig(steps=30, lr=3.0))  # sgd at three times the notebook's rate: bumpy, but learns
    assert max(result.loss_history) > result.loss_history[0]
    assert result.accuracy > 0.8


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    outputs = []
    for hash_seed in ("1", "2"):  # separate processes, so nothing depends on hashing or on earlier state
        out = tmp_path / f"run{hash_seed}"
        command = ["demo", "--steps", "5", "--batch-size", "30", "--no-progress", "--seed", "7", "--out", str(out)]
        completed = subprocess.run(
            [sys.executable, "-m", "micrograd", *command],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, PYTHONHASHSEED=hash_seed, MPLBACKEND="Agg"),
        )
        assert completed.returncode == 0, completed.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert "model.json" in outputs[0]
    assert outputs[0]["model.json"] == outputs[1]["model.json"]
    assert outputs[0] == outputs[1]  # the pictures too


@pytest.mark.parametrize(
    "config",
    [
        DemoConfig(dataset="yin_yang", hidden=(24, 24), optimizer="adamw", batch_size=50, steps=2),
        DemoConfig(dataset="spirals", classes=8, samples=80, hidden=(9,) * 10, optimizer="momentum", steps=2),
    ],
)
def test_captions_are_never_cut_off(config: DemoConfig) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    result = train(config)
    caption = decision_boundary_figure(result, resolution=10)
    assert config.resolved().describe() in " ".join(caption.axes[0].get_xlabel().split("\n"))
    for figure in (caption, training_curves_figure(result)):
        FigureCanvasAgg(figure).draw()
        drawn = figure.get_tightbbox(figure.canvas.get_renderer())  # everything drawn, in inches
        assert drawn.x0 >= -0.01 and drawn.y0 >= -0.01
        assert drawn.x1 <= figure.get_figwidth() + 0.01 and drawn.y1 <= figure.get_figheight() + 0.01


@pytest.mark.parametrize(
    "config",
    [DemoConfig(steps=60), DemoConfig(dataset="blobs", classes=3, samples=60, steps=40, optimizer="adam")],
    ids=["two classes", "three classes"],
)
def test_the_decision_boundary_colours_each_class_like_its_points(config: DemoConfig) -> None:
    from boundary_colours import share_coloured_alike

    result = train(config)
    assert share_coloured_alike(decision_boundary_figure(result, resolution=60)) >= min(result.accuracy, 0.9)


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


def test_an_out_folder_with_a_newline_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, stdout, stderr = _run_cli(["demo", "--steps", "1", "--out", "x\ny/z"], capsys)
    assert status == 1 and stdout == ""
    assert (
        stderr
        == "micrograd: error: --out 'x\\ny/z': a file name with a control character (a newline, say) is refused\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_cli_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pictures"
    status, stdout, stderr = _run_cli(["demo", "--steps", "3", "--out", str(out)], capsys)
    assert status == 0, stderr
    assert "training MLP(2, [16, 16, 1]) relu on moons: hinge loss" in stdout
    assert "training accuracy" in stdout and "/100 points, after training); last step's loss " in stdout
    assert "measured before the step updates the weights" in stdout  # what the progress bar shows
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
        (["--steps", "0"], "--steps 0: must be from 1 to 100,000"),
        (["--noise", "1e308"], "--noise 1e+308: must be from 0 to 10"),
        (["--hidden", "100000"], "--hidden 100000: 1 to 10 layers of 1 to 1,000 neurons"),
        (["--lr", "nan"], "--lr nan: the learning rate must be above 0"),
        (["--hidden", "16,x"], "--hidden 16,x: expected sizes separated by commas"),
        (["--dataset", "yin-yang", "--loss", "bce"], "the bce loss is for two classes; yin_yang has 3"),
        (["--activation", "gelu"], "unknown activation 'gelu'"),
        (["--dataset", "yin_yang", "--noise", "0.1"], "the yin_yang dataset has no noise setting"),
        (["--dataset", "spirals", "--classes", "7", "--samples", "5"], "spirals: n must be an integer >= 7, got 5"),
    ],
)
def test_cli_user_errors_are_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stdout, stderr = _run_cli(["demo", *argv, "--out", str(tmp_path / "out")], capsys)
    assert status == 1
    assert stderr.startswith("micrograd: error: ") and stderr.count("\n") == 1  # before any progress bar
    assert stdout == "" and not (tmp_path / "out").exists()  # refused before training starts
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
    hint = "pip install matplotlib graphviz graphviz-pure tqdm"
    assert f"skipped decision_boundary.png: matplotlib is not installed; {hint}" in result.stdout
    assert f"skipped training_curves.png: matplotlib is not installed; {hint}" in result.stdout
    assert "skipped neuron.svg:" in result.stdout and "graphviz" in result.stdout
    assert "step 4/4  loss " in result.stdout and " batch accuracy " in result.stdout  # plain progress lines
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
