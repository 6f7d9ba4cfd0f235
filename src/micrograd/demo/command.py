"""The ``micrograd demo`` command: train, report progress, write the pictures and the model.

:func:`run` is what ``micrograd demo`` calls; :func:`speedup_report` is its line
comparing a compiled step with the eager one.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from micrograd.demo.config import DemoConfig, DemoError
from micrograd.demo.pictures import INSTALL_HINT, draw_neuron, plot_decision_boundary, plot_training_curves
from micrograd.demo.training import DemoResult, eager_step_seconds, format_loss, make_dataset, train
from micrograd.nn.model_file import ModelFileError
from micrograd.pictures.visualize import RendererNotFound

__all__ = ["OUTPUT_FILES", "run", "speedup_report"]

OUTPUT_FILES = {
    "boundary": "decision_boundary.png",
    "curves": "training_curves.png",
    "neuron": "neuron.svg",
    "model": "model.json",
}


class _PlainProgress:
    """Progress as a line every tenth of the run, when tqdm is not installed."""

    def __init__(self, steps: int, echo: Callable[[str], None]) -> None:
        self.steps = steps
        self.every = max(1, steps // 10)
        self.echo = echo

    def __call__(self, step: int, loss: float, accuracy: float) -> None:
        if step % self.every == 0 or step == self.steps:
            self.echo(
                f"step {step:>{len(str(self.steps))}}/{self.steps}  "
                f"loss {format_loss(loss)}  batch accuracy {accuracy:.0%}"
            )


def run(config: DemoConfig, out: str | Path, echo: Callable[[str], None] = print, progress: bool = True) -> DemoResult:
    """Train, print what happens, and write the pictures and the model to the folder ``out``.

    A missing optional dependency skips only its picture, with a one-line message;
    problems the user can fix raise :class:`DemoError`.
    """
    config = config.resolved()
    make_dataset(config)  # a bad dataset option is reported before anything starts
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise DemoError(f"--out {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DemoError(f"cannot create the folder {folder}: {error.strerror or error}") from None
    echo(f"training {config.describe()}")
    if progress:
        echo("(each step shows its batch's loss and accuracy, measured before the step updates the weights)")
    on_step, bar = _progress(config, echo) if progress else (None, None)
    try:
        result = train(config, on_step)
    finally:
        if bar is not None:
            bar.close()
    right = round(result.accuracy * len(result.y))
    echo(
        f"training accuracy {result.accuracy:.1%} ({right}/{len(result.y)} points, after training); "
        f"last step's loss {format_loss(result.loss_history[-1])}; {result.seconds:.1f} s"
    )
    if config.compile:
        echo(speedup_report(result))
    written = _write_files(result, folder, echo)
    for path in written:
        echo(f"wrote {path}")
    return result


def _progress(config: DemoConfig, echo: Callable[[str], None]) -> tuple[Callable[[int, float, float], None], Any]:
    """What reports each step: a tqdm bar (returned too, to close), or a line every tenth of the run."""
    try:
        from tqdm import tqdm
    except ImportError:
        echo(f"(no progress bar: tqdm is not installed; {INSTALL_HINT})")
        return _PlainProgress(config.steps, echo), None
    bar = tqdm(total=config.steps, desc="training", unit="step", leave=True, mininterval=0.1)

    def on_step(step: int, loss: float, accuracy: float) -> None:
        bar.set_postfix_str(f"loss {format_loss(loss)}, batch accuracy {accuracy:.0%}", refresh=False)
        bar.update(1)

    return on_step, bar


def _write_files(result: DemoResult, folder: Path, echo: Callable[[str], None]) -> list[Path]:
    """Write the pictures and the model into ``folder``; a missing optional dependency skips only its file."""
    written = []
    steps: list[tuple[str, Callable[[DemoResult, Path], Path]]] = [
        ("boundary", plot_decision_boundary),
        ("curves", plot_training_curves),
        ("model", _save_model),
        ("neuron", draw_neuron),  # last: needs graphviz and a renderer
    ]
    for key, write in steps:
        path = folder / OUTPUT_FILES[key]
        try:
            written.append(write(result, path))
        except ImportError as error:
            echo(f"skipped {path.name}: {error.name or 'a package'} is not installed; {INSTALL_HINT}")
        except OSError as error:
            raise DemoError(f"cannot write {path}: {error.strerror or error}") from None
        except ModelFileError as error:  # a weight that is not finite
            raise DemoError(str(error)) from None
        except (RendererNotFound, subprocess.CalledProcessError) as error:  # no renderer, or it failed
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            echo(f"skipped {path.name}: {reason}")
    return written


def speedup_report(result: DemoResult) -> str:
    """One line: the compiled step against the same step without compile."""
    times = sorted(result.step_seconds[1:] or result.step_seconds)  # the first step traces
    compiled = times[len(times) // 2]
    eager = eager_step_seconds(result)
    return (
        f"compiled: the first step traced in {result.step_seconds[0] * 1e3:.0f} ms; a training step (forward, "
        f"backward and update) took {compiled * 1e3:.2f} ms against {eager * 1e3:.1f} ms for forward and backward "
        f"without compile: {eager / compiled:.0f}x faster"
    )


def _save_model(result: DemoResult, path: Path) -> Path:
    result.model.save(path)
    return path
