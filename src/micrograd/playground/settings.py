"""The settings of a training session, read from a request and checked against the limits."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from micrograd import data
from micrograd.choices import LOSSES, OPTIMIZERS, REGRESSION_LOSSES, loss_problem
from micrograd.nn import ACTIVATIONS
from micrograd.playground.errors import RequestError, number_field

__all__ = ["LIMITS", "LIVE", "LOSSES", "MAX_STEP_WORK", "OPTIMIZERS", "Settings", "read_settings", "weight_count"]

LIVE = ("lr", "l2", "l1", "optimizer", "batch_size")  # settings a running session takes at its next step
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
    "l1": (0.0, 1.0),
    "seed": (0, 2**31 - 1),
}
# weights x batch size: the work of one step, bounded so that no request (the first step
# traces the batch's graph) holds the CPU for long; docs/playground.md gives the times
MAX_STEP_WORK = 200_000


def weight_count(hidden: tuple[int, ...], inputs: int, outputs: int) -> int:
    """How many weights (biases included) an MLP with these layer sizes has."""
    sizes = [inputs, *hidden, outputs]
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


@dataclass(frozen=True)
class Settings:
    """Everything that decides a training session; the defaults train moons in a second or two."""

    dataset: str = "moons"
    noise: float = 0.1
    classes: int = 3  # for spirals and blobs
    points: int = 100
    train_ratio: float = 0.8
    seed: int = 1
    features: tuple[str, ...] = ("x1", "x2")  # the model's inputs: names of data.FEATURES
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "relu"
    loss: str = "hinge"
    optimizer: str = "sgd"
    lr: float = 0.1
    l2: float = 1e-4
    l1: float = 0.0
    batch_size: int = 10
    weights_seed: int = 0  # the seed of the weights and batches; 0: the same as seed

    def model_changes(self, other: Settings) -> list[str]:
        """The settings that differ and need a new model (all but :data:`LIVE` ones)."""
        mine, theirs = self.as_json(), other.as_json()
        return [name for name in mine if name not in LIVE and mine[name] != theirs[name]]

    @property
    def regression(self) -> bool:
        """Whether each point's label is a number to predict (data.REGRESSIONS), not a class."""
        return self.dataset in data.REGRESSIONS

    @property
    def num_classes(self) -> int:
        """How many classes the dataset has (1 for a regression: one number per point)."""
        if self.regression:
            return 1
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
        settings["features"] = list(self.features)
        return settings


def _choice(request: Mapping[str, Any], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = request.get(name, default)
    if value not in choices:
        raise RequestError(f"{name} must be one of {', '.join(choices)}; got {value!r:.40}")
    return str(value)


def _features(names: Any) -> tuple[str, ...]:
    """The chosen input features, in the order of data.FEATURES (so equal choices are equal settings)."""
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise RequestError(f"features must be a non-empty list of names from {', '.join(data.FEATURES)}")
    unknown = sorted(set(names) - set(data.FEATURES))
    if unknown:
        raise RequestError(f"features: no feature {unknown[0]!r:.40}; the features are {', '.join(data.FEATURES)}")
    if len(set(names)) != len(names):
        raise RequestError("features: each feature at most once")
    return tuple(name for name in data.FEATURES if name in names)


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
    dataset = _choice(request, "dataset", default.dataset, (*data.DATASETS, *data.REGRESSIONS))
    features = _features(request.get("features", list(default.features)))
    points = number("points", integer=True)
    settings = Settings(
        dataset=dataset,
        noise=number("noise"),
        classes=number("classes", integer=True),
        points=points,
        train_ratio=number("train_ratio"),
        seed=number("seed", integer=True),
        features=features,
        hidden=tuple(hidden),
        activation=_choice(request, "activation", default.activation, tuple(ACTIVATIONS)),
        loss=_choice(request, "loss", REGRESSION_LOSSES[0] if dataset in data.REGRESSIONS else default.loss, LOSSES),
        optimizer=_choice(request, "optimizer", default.optimizer, OPTIMIZERS),
        lr=number_field(request, "lr", default.lr, *LIMITS["lr"], what="learning rate (lr)"),
        l2=number("l2"),
        l1=number("l1"),
        batch_size=number_field(request, "batch_size", default.batch_size, 1, points, integer=True),
        weights_seed=number_field(request, "weights_seed", 0, 0, LIMITS["seed"][1], integer=True),
    )
    weights = weight_count(settings.hidden, len(settings.features), settings.outputs)
    if weights * settings.batch_size > MAX_STEP_WORK:
        raise RequestError(
            f"a batch of {settings.batch_size} through {weights} weights is too much work for one step; "
            f"with this network, use a batch of at most {max(1, MAX_STEP_WORK // weights)}"
        )
    problem = loss_problem(settings.loss, settings.dataset, settings.num_classes)
    if problem:
        raise RequestError(problem)
    return settings
