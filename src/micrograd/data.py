"""Toy datasets in two dimensions, made from a seed: nothing to download, no scikit-learn.

Each generator returns ``(X, y)``: ``X`` a list of ``[x1, x2]`` points and ``y`` a
list of integer labels ``0 .. k-1``, in a random order.  The same arguments and
``seed`` always give the same data.

============  =======  ===========================================================
dataset       classes  shape
============  =======  ===========================================================
moons         2        two interleaving half circles (micrograd's demo)
circles       2        a small circle inside a large one
xor           2        the four quadrants, opposite ones alike
spirals       k        k arms winding around the origin
blobs         k        k Gaussian clouds on a circle
yin_yang      3        the yin-yang symbol: yin, yang and the two dots
============  =======  ===========================================================

Two more are regressions (:data:`REGRESSIONS`): each point's label is a number to
predict, not a class.  ``plane``: ``(x1 + x2) / 2``; ``multi_gaussian``: a sum of
Gaussian bumps, up and down.  Both lie between about -1 and 1; train them with the
mean squared error.

For the hinge loss, which wants labels -1 and +1, use ``[2 * label - 1 for label in y]``.

:data:`FEATURES` names what a model can be given of a point besides ``x1`` and
``x2`` (as TensorFlow Playground does): ``features(X, ["x1", "x2", "x1*x2"])`` turns
each point into the row of those features, so a linear model can draw a curved
boundary.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = [
    "DATASETS",
    "FEATURES",
    "GAUSSIANS",
    "GAUSSIAN_WIDTH",
    "REGRESSIONS",
    "blobs",
    "circles",
    "features",
    "minibatches",
    "moons",
    "multi_gaussian",
    "num_classes",
    "plane",
    "spirals",
    "train_test_split",
    "xor",
    "yin_yang",
]

Points = list[list[float]]
Labels = list[int]
Targets = list[float]
T = TypeVar("T")
L = TypeVar("L")


def _check_count(n: int, minimum: int, where: str, name: str = "n") -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {n!r}")


def _check_noise(noise: float, where: str, name: str = "noise") -> None:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise < math.inf:
        raise ValueError(f"{where}: {name} must be a number >= 0, got {noise!r}")


def _shuffled(points: Points, labels: Labels, rng: random.Random, noise: float) -> tuple[Points, Labels]:
    """Add Gaussian noise to every coordinate and put the examples in a random order."""
    examples = []
    for (x1, x2), label in zip(points, labels, strict=True):
        if noise:
            x1, x2 = x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)
        examples.append(([x1, x2], label))
    rng.shuffle(examples)
    return [x for x, _ in examples], [label for _, label in examples]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[Points, Labels]:
    """Two interleaving half circles: the upper one is class 0, the lower one class 1."""
    _check_count(n, 2, "moons")
    _check_noise(noise, "moons")
    upper, lower = n // 2, n - n // 2
    points, labels = [], []
    for i in range(upper):
        angle = math.pi * i / max(upper - 1, 1)
        points.append([math.cos(angle), math.sin(angle)])
        labels.append(0)
    for i in range(lower):
        angle = math.pi * i / max(lower - 1, 1)
        points.append([1.0 - math.cos(angle), 0.5 - math.sin(angle)])
        labels.append(1)
    return _shuffled(points, labels, random.Random(seed), noise)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> tuple[Points, Labels]:
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1)."""
    _check_count(n, 2, "circles")
    _check_noise(noise, "circles")
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be between 0 and 1, got {factor!r}")
    outer, inner = n // 2, n - n // 2
    points, labels = [], []
    for count, radius, label in ((outer, 1.0, 0), (inner, factor, 1)):
        for i in range(count):
            angle = 2 * math.pi * i / count
            points.append([radius * math.cos(angle), radius * math.sin(angle)])
            labels.append(label)
    return _shuffled(points, labels, random.Random(seed), noise)


def xor(n: int = 100, noise: float = 0.0, seed: int = 0) -> tuple[Points, Labels]:
    """Points uniform in the square [-1, 1]²: class 1 where exactly one coordinate is positive."""
    _check_count(n, 2, "xor")
    _check_noise(noise, "xor")
    rng = random.Random(seed)
    points, labels = [], []
    for _ in range(n):
        x1, x2 = rng.uniform(-1, 1), rng.uniform(-1, 1)
        points.append([x1, x2])
        labels.append(int((x1 > 0) != (x2 > 0)))
    return _shuffled(points, labels, rng, noise)


def spirals(n: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[Points, Labels]:
    """``classes`` spiral arms from the centre outwards, one class per arm.

    ``noise`` jitters the angle (in radians), as in the CS231n spiral data.
    """
    _check_count(n, classes, "spirals")
    _check_count(classes, 2, "spirals", "classes")
    _check_noise(noise, "spirals")
    rng = random.Random(seed)
    points, labels = [], []
    for label in range(classes):
        count = n // classes + (1 if label < n % classes else 0)
        for i in range(count):
            radius = i / max(count - 1, 1)
            angle = 4.0 * (label + radius) + rng.gauss(0.0, noise)
            points.append([radius * math.sin(angle), radius * math.cos(angle)])
            labels.append(label)
    return _shuffled(points, labels, rng, 0.0)


def blobs(n: int = 100, classes: int = 3, spread: float = 0.3, seed: int = 0) -> tuple[Points, Labels]:
    """``classes`` round Gaussian clouds (standard deviation ``spread``), centred on the unit circle."""
    _check_count(n, classes, "blobs")
    _check_count(classes, 2, "blobs", "classes")
    _check_noise(spread, "blobs", "spread")
    centres = [(math.cos(2 * math.pi * k / classes), math.sin(2 * math.pi * k / classes)) for k in range(classes)]
    points = [list(centres[i % classes]) for i in range(n)]
    labels = [i % classes for i in range(n)]
    return _shuffled(points, labels, random.Random(seed), spread)


def _yin_yang_class(x1: float, x2: float, dot_radius: float) -> int:
    """0 yang (right), 1 yin (left), 2 the dots, for a point of the unit disc."""
    upper = math.hypot(x1, x2 - 0.5)  # distance to the centre of the upper lobe
    lower = math.hypot(x1, x2 + 0.5)
    if upper < dot_radius or lower < dot_radius:
        return 2
    if upper < 0.5:
        return 1
    if lower < 0.5:
        return 0
    return 0 if x1 > 0 else 1


def yin_yang(n: int = 150, dot_radius: float = 0.18, seed: int = 0) -> tuple[Points, Labels]:
    """Points in the yin-yang symbol, as many of each of the 3 classes (yang, yin, dots).

    After the dataset of Kriener et al. (2021): easy to draw, not linearly separable,
    and the small dots need a network with enough capacity.
    """
    _check_count(n, 3, "yin_yang")
    if not 0 < dot_radius < 0.5:
        raise ValueError(f"yin_yang: dot_radius must be between 0 and 0.5, got {dot_radius!r}")
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        wanted = i % 3
        while True:  # draw points in the unit disc until one falls in the wanted class
            x1, x2 = rng.uniform(-1, 1), rng.uniform(-1, 1)
            if x1 * x1 + x2 * x2 <= 1 and _yin_yang_class(x1, x2, dot_radius) == wanted:
                break
        points.append([x1, x2])
        labels.append(wanted)
    return _shuffled(points, labels, rng, 0.0)


DATASETS: dict[str, Callable[..., tuple[Points, Labels]]] = {
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "spirals": spirals,
    "blobs": blobs,
    "yin_yang": yin_yang,
}
"""Every generator by name."""


# -- regressions: a number per point ----------------------------------------------------

GAUSSIANS = [(x, y, (-1.0) ** (i + j)) for i, x in enumerate((-2 / 3, 0.0, 2 / 3)) for j, y in enumerate((-0.5, 0.5))]
GAUSSIAN_WIDTH = 0.25  # the standard deviation of each bump of multi_gaussian


def _regression(
    n: int, noise: float, seed: int, where: str, target: Callable[[float, float], float]
) -> tuple[Points, Targets]:
    """``n`` points uniform in the square [-1, 1]², each with ``target(x1, x2)`` plus Gaussian noise."""
    _check_count(n, 2, where)
    _check_noise(noise, where)
    rng = random.Random(seed)
    points = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    # the noise is drawn after the points, so more or less noise moves the targets, never the points
    return points, [target(x1, x2) + (rng.gauss(0.0, noise) if noise else 0.0) for x1, x2 in points]


def plane(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[Points, Targets]:
    """A regression: points in [-1, 1]², each with the target ``(x1 + x2) / 2`` plus noise (deviation ``noise``)."""
    return _regression(n, noise, seed, "plane", lambda x1, x2: 0.5 * (x1 + x2))


def _bumps(x1: float, x2: float) -> float:
    return sum(
        sign * math.exp(-((x1 - cx) ** 2 + (x2 - cy) ** 2) / (2 * GAUSSIAN_WIDTH**2)) for cx, cy, sign in GAUSSIANS
    )


def multi_gaussian(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[Points, Targets]:
    """A regression: points in [-1, 1]², each with a sum of six Gaussian bumps as its target, plus noise.

    The bumps (:data:`GAUSSIANS`, width :data:`GAUSSIAN_WIDTH`) sit on a 3 x 2 grid,
    up (+1) and down (-1) in turn like a chessboard's squares, so the target is about
    +1 or -1 near their centres and 0 between them.
    """
    return _regression(n, noise, seed, "multi_gaussian", _bumps)


REGRESSIONS: dict[str, Callable[..., tuple[Points, Targets]]] = {"plane": plane, "multi_gaussian": multi_gaussian}
"""The regression datasets by name: each point's label is a number (the target), not a class."""


def num_classes(y: Sequence[int]) -> int:
    """The number of classes of labels ``0 .. k-1``: ``max(y) + 1``."""
    if not y:
        raise ValueError("num_classes: no labels")
    return max(y) + 1


# -- features -------------------------------------------------------------------------

FEATURES: dict[str, Callable[[float, float], float]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: math.sin(x1),
    "sin(x2)": lambda x1, x2: math.sin(x2),
}
"""The input features of a point ``(x1, x2)`` by name, TensorFlow Playground's seven."""


def features(X: Sequence[Sequence[float]], names: Sequence[str] = ("x1", "x2")) -> Points:
    """Each point ``[x1, x2]`` of ``X`` as the row of the features ``names`` (keys of :data:`FEATURES`).

    >>> features([[2.0, 3.0]], ["x1", "x1^2", "x1*x2"])
    [[2.0, 4.0, 6.0]]
    """
    if isinstance(names, str) or not names:
        raise ValueError(f"features: names must be a non-empty list of feature names, got {names!r}")
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise ValueError(f"features: unknown feature {unknown[0]!r}; the features are {', '.join(FEATURES)}")
    chosen = [FEATURES[name] for name in names]
    rows = []
    for number, point in enumerate(X):
        if len(point) != 2:
            raise ValueError(f"features: point {number} has {len(point)} coordinates, not 2 (x1, x2)")
        x1, x2 = float(point[0]), float(point[1])
        rows.append([feature(x1, x2) for feature in chosen])
    return rows


# -- splitting and batching -----------------------------------------------------------


def train_test_split(
    X: Sequence[T], y: Sequence[L], test_size: float = 0.25, seed: int = 0
) -> tuple[list[T], list[T], list[L], list[L]]:
    """Shuffle and split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction between 0 and 1; the test part gets
    ``ceil(test_size * n)`` examples.
    """
    if len(X) != len(y):
        raise ValueError(f"train_test_split: {len(X)} inputs but {len(y)} labels")
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: test_size must be between 0 and 1, got {test_size!r}")
    n = len(X)
    n_test = math.ceil(test_size * n)
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: cannot split {n} examples with test_size={test_size}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


def minibatches(
    X: Sequence[T],
    y: Sequence[L],
    batch_size: int,
    shuffle: bool = True,
    rng: random.Random | None = None,
) -> Iterator[tuple[list[T], list[L]]]:
    """One pass over the data in batches of ``batch_size`` (the last one may be smaller).

    With ``shuffle`` the order is drawn from ``rng`` (the global ``random`` module if
    None), so each pass gives different batches.
    """
    if len(X) != len(y):
        raise ValueError(f"minibatches: {len(X)} inputs but {len(y)} labels")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"minibatches: batch_size must be a positive integer, got {batch_size!r}")
    order = list(range(len(X)))
    if shuffle:
        if rng is None:
            random.shuffle(order)
        else:
            rng.shuffle(order)
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        yield [X[i] for i in chosen], [y[i] for i in chosen]
