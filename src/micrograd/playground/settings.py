"""The settings of a training session, read from a request and checked against the limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from micrograd import data
from micrograd.choices import LOSSES, OPTIMIZERS, loss_problem
from micrograd.nn import ACTIVATIONS
from micrograd.playground.errors import RequestError, number_field

__all__ = ["LIMITS", "LOSSES", "OPTIMIZERS", "Settings", "read_settings"]

MULTI_CLASS = ("spirals", "blobs")  # the datasets with a choice of classes

LIMITS = {
    "points": (4, 500),
    "layers": (0, 6),
    "neurons": (1, 32),
    "classes": (2, 6),
    "noise": (0.0, 1.0),
    "train_ratio": (0.1, 0.9),
    "lr": (1e-6, 10.0),
    "l2": (0.0, 1.0),
    "seed": (0, 2**31 - 1),
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides a training session; the defaults train moons in a second or two."""

    dataset: str = "moons"
    noise: float = 0.1
    classes: int = 3  # for spirals and blobs
    points: int = 100
    train_ratio: float = 0.8
    seed: int = 1
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    loss: str = "hinge"
    optimizer: str = "sgd"
    lr: float = 0.1
    l2: float = 1e-4
    batch_size: int = 10

    @property
    def num_classes(self) -> int:
        """How many classes the dataset has."""
        if self.dataset == "yin_yang":
            return 3
        return self.classes if self.dataset in MULTI_CLASS else 2

    @property
    def outputs(self) -> int:
        """Output neurons: one score, or one per class for cross-entropy."""
        return self.num_classes if self.loss == "cross-entropy" else 1

    def as_json(self) -> dict[str, Any]:
        settings = asdict(self)
        settings["hidden"] = list(self.hidden)
        return settings


def _choice(request: Mapping[str, Any], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = request.get(name, default)
    if value not in choices:
        raise RequestError(f"{name} must be one of {', '.join(choices)}; got {value!r:.40}")
    return str(value)


def read_settings(request: Mapping[str, Any]) -> Settings:
    """The settings a request asks for (missing ones keep their defaults), or a RequestError."""
    if not isinstance(request, Mapping):
        raise RequestError("settings must be an object")
    default = Settings()
    known = set(default.as_json())
    unknown = sorted(set(request) - known)
    if unknown:
        raise RequestError(f"unknown setting {unknown[0]!r:.40}; the settings are {', '.join(sorted(known))}")

    def number(name: str, integer: bool = False) -> Any:
        low, high = LIMITS[name]
        return number_field(request, name, getattr(default, name), low, high, integer=integer)

    hidden = request.get("hidden", list(default.hidden))
    if not isinstance(hidden, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in hidden):
        raise RequestError("hidden must be a list of layer sizes, such as [16, 16]")
    low, high = LIMITS["layers"]
    if not low <= len(hidden) <= high:
        raise RequestError(f"hidden: {len(hidden)} layers; the limit is {high} hidden layers")
    low, high = LIMITS["neurons"]
    for size in hidden:
        if not low <= size <= high:
            raise RequestError(f"hidden: a layer of {size} neurons; each layer has {low} to {high} neurons")
    points = number("points", integer=True)
    settings = Settings(
        dataset=_choice(request, "dataset", default.dataset, tuple(data.DATASETS)),
        noise=number("noise"),
        classes=number("classes", integer=True),
        points=points,
        train_ratio=number("train_ratio"),
        seed=number("seed", integer=True),
        hidden=tuple(hidden),
        activation=_choice(request, "activation", default.activation, tuple(ACTIVATIONS)),
        loss=_choice(request, "loss", default.loss, LOSSES),
        optimizer=_choice(request, "optimizer", default.optimizer, OPTIMIZERS),
        lr=number_field(request, "lr", default.lr, *LIMITS["lr"], what="learning rate (lr)"),
        l2=number("l2"),
        batch_size=number_field(request, "batch_size", default.batch_size, 1, points, integer=True),
    )
    problem = loss_problem(settings.loss, settings.dataset, settings.num_classes)
    if problem:
        raise RequestError(problem)
    return settings
