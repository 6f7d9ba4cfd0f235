"""The demo's configuration: every option of ``micrograd demo``, its allowed range and its defaults.

:class:`DemoConfig` holds one run's choices (micrograd's demo notebook by default);
:meth:`DemoConfig.resolved` checks them and fills in the automatic ones, raising
:class:`DemoError` with a message for the user when a choice cannot be trained.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from micrograd import data
from micrograd.choices import DEFAULT_LR, LOSSES, OPTIMIZERS, SCHEDULES, default_loss, default_lr, loss_problem
from micrograd.nn import ACTIVATIONS, INITS

__all__ = [
    "DEFAULT_LR",
    "LIMITS",
    "LOSSES",
    "MAX_LAYERS",
    "MAX_LR",
    "MAX_PARAMETERS",
    "MAX_WIDTH",
    "OPTIMIZERS",
    "SCHEDULES",
    "DemoConfig",
    "DemoError",
]

# the allowed range of every number the demo takes (sizes bound the time a run takes)
MAX_LR = 10_000.0
MAX_LAYERS, MAX_WIDTH, MAX_PARAMETERS = 10, 1000, 20_000
LIMITS: dict[str, tuple[float, float]] = {
    "samples": (4, 10_000),
    "noise": (0, 10),
    "classes": (2, 8),  # one color per class
    "steps": (1, 100_000),
    "batch_size": (1, 10_000),
    "alpha": (0, 10),
}


class DemoError(ValueError):
    """A configuration that cannot be trained, with a message for the user."""


def _option(name: str) -> str:
    """The command-line option of a configuration field: ``batch_size`` is ``--batch-size``."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class DemoConfig:
    """Everything that decides a demo run; the defaults are micrograd's demo notebook.

    ``loss=None`` picks hinge for two classes and cross-entropy for more; ``lr=None``
    picks a learning rate that suits the optimizer (1.0 for sgd, 0.1 for sgd with mse
    or for momentum, 0.05 for adam);
    ``samples``/``noise`` None use the dataset's defaults; ``batch_size=None``
    trains on the whole dataset at every step.
    """

    dataset: str = "moons"
    samples: int | None = None
    noise: float | None = None
    classes: int = 3
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    init: str = "uniform"
    loss: str | None = None
    optimizer: str = "sgd"
    lr: float | None = None
    schedule: str = "linear"
    steps: int = 100
    batch_size: int | None = None
    alpha: float = 1e-4
    seed: int = 1
    compile: bool = False  # train with micrograd.compile: trace the step once, replay it

    def resolved(self) -> DemoConfig:
        """This configuration checked, with the automatic choices filled in (raises DemoError)."""
        if self.dataset not in data.DATASETS:
            raise DemoError(f"unknown dataset {self.dataset!r}; choose from {', '.join(data.DATASETS)}")
        if self.activation not in ACTIVATIONS or self.activation == "linear":
            raise DemoError(f"unknown activation {self.activation!r}; choose from relu, tanh, sigmoid")
        if self.init not in INITS:
            raise DemoError(f"unknown init {self.init!r}; choose from {', '.join(INITS)}")
        if self.optimizer not in OPTIMIZERS:
            raise DemoError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise DemoError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")
        if self.loss is not None and self.loss not in LOSSES:
            raise DemoError(f"unknown loss {self.loss!r}; choose from {', '.join(LOSSES)}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if value is not None and not low <= value <= high:  # nan fails too
                raise DemoError(f"{_option(name)} {value:g}: must be from {low:,} to {high:,}")
        if self.lr is not None and not 0 < self.lr <= MAX_LR:
            raise DemoError(f"--lr {self.lr:g}: the learning rate must be above 0 and at most {MAX_LR:,g}")
        if not self.hidden or len(self.hidden) > MAX_LAYERS or not all(1 <= w <= MAX_WIDTH for w in self.hidden):
            raise DemoError(
                f"--hidden {','.join(map(str, self.hidden))}: 1 to {MAX_LAYERS} layers of 1 to {MAX_WIDTH:,} neurons"
            )
        if self.noise is not None and self.dataset == "yin_yang":
            raise DemoError("the yin_yang dataset has no noise setting")
        classes = 3 if self.dataset == "yin_yang" else self.classes if self.dataset in ("spirals", "blobs") else 2
        if classes < 2:
            raise DemoError(f"a classification needs at least 2 classes, got {classes}")
        loss = self.loss or default_loss(classes)
        problem = loss_problem(loss, self.dataset, classes)
        if problem:
            raise DemoError(problem)
        lr = self.lr if self.lr is not None else default_lr(self.optimizer, loss)
        resolved = replace(self, classes=classes, loss=loss, lr=lr)
        sizes = [2, *self.hidden, resolved.outputs]
        parameters = sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))
        if parameters > MAX_PARAMETERS:
            raise DemoError(
                f"--hidden {','.join(map(str, self.hidden))}: {parameters:,} parameters; the demo trains at most "
                f"{MAX_PARAMETERS:,} (pure Python takes about a second per step for that many on 100 points)"
            )
        return resolved

    def describe(self) -> str:
        """A one-line summary, for titles and logs."""
        sizes = ", ".join(map(str, [*self.hidden, self.outputs]))
        lr = float(self.lr or 0.0)
        rate = f"lr {lr:g}" if self.schedule == "constant" else f"lr {lr:g} to {0.1 * lr:g} ({self.schedule})"
        batch = f"batches of {self.batch_size}" if self.batch_size else "full batch"
        return (
            f"MLP(2, [{sizes}]) {self.activation} on {self.dataset}: {self.loss} loss, "
            f"{self.optimizer} {rate}, {self.steps} steps, {batch}, seed {self.seed}"
            + (", compiled" if self.compile else "")
        )

    @property
    def outputs(self) -> int:
        """Number of output neurons: one score for two classes, one per class for cross-entropy."""
        return self.classes if self.loss == "cross-entropy" else 1
