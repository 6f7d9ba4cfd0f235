"""micrograd.data: the toy datasets, the split and the minibatches."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import pytest

from micrograd.data import (
    DATASETS,
    FEATURES,
    GAUSSIAN_WIDTH,
    GAUSSIANS,
    REGRESSIONS,
    blobs,
    circles,
    features,
    minibatches,
    moons,
    multi_gaussian,
    num_classes,
    plane,
    spirals,
    train_test_split,
    xor,
    yin_yang,
)

EXPECTED_CLASSES = {"moons": 2, "circles": 2, "xor": 2, "spirals": 3, "blobs": 3, "yin_yang": 3}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_is_lists_of_points_and_labels_reproducible_from_its_seed(name: str) -> None:
    make = DATASETS[name]
    X, y = make(n=60, seed=3)
    assert len(X) == len(y) == 60
    assert all(isinstance(point, list) and len(point) == 2 for point in X)
    assert all(isinstance(v, float) for point in X for v in point)
    assert all(type(label) is int for label in y)
    assert num_classes(y) == EXPECTED_CLASSES[name]
    assert set(y) == set(range(EXPECTED_CLASSES[name]))
    assert make(n=60, seed=3) == (X, y)
    assert make(n=60, seed=4) != (X, y)
    assert y[:20] != sorted(y[:20])  # shuffled, not in class order


def test_moons_without_noise_lie_on_two_half_circles() -> None:
    X, y = moons(n=50, noise=0.0)
    assert Counter(y) == {0: 25, 1: 25}
    for (x1, x2), label in zip(X, y, strict=True):
        if label == 0:  # upper: centre (0, 0), radius 1
            assert math.hypot(x1, x2) == pytest.approx(1.0) and x2 >= -1e-12
        else:  # lower: centre (1, 0.5), radius 1
            assert math.hypot(x1 - 1, x2 - 0.5) == pytest.approx(1.0) and x2 <= 0.5 + 1e-12
    noisy, labels = moons(n=50, noise=0.1)
    assert labels.count(0) == 25 and noisy != X


def test_circles_radii_and_xor_labels() -> None:
    X, y = circles(n=40, noise=0.0, factor=0.3)
    for point, label in zip(X, y, strict=True):
        assert math.hypot(*point) == pytest.approx(1.0 if label == 0 else 0.3)
    X, y = xor(n=200, seed=1)
    for (x1, x2), label in zip(X, y, strict=True):
        assert label == int((x1 > 0) != (x2 > 0))


def test_spirals_blobs_and_yin_yang_classes() -> None:
    _, y = spirals(n=100, classes=5)
    assert Counter(y) == {k: 20 for k in range(5)}
    X, y = blobs(n=90, classes=3, spread=0.05)
    for (x1, x2), label in zip(X, y, strict=True):
        angle = 2 * math.pi * label / 3
        assert math.hypot(x1 - math.cos(angle), x2 - math.sin(angle)) < 0.3
    X, y = yin_yang(n=150)
    assert Counter(y) == {0: 50, 1: 50, 2: 50}  # balanced, although the dots are small
    assert all(math.hypot(*point) <= 1 for point in X)
    for (x1, x2), label in zip(X, y, strict=True):
        if label == 2:
            assert min(math.hypot(x1, x2 - 0.5), math.hypot(x1, x2 + 0.5)) < 0.18


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: moons(n=1), "n must be an integer >= 2"),
        (lambda: moons(noise=-0.1), "noise must be a number >= 0"),
        (lambda: circles(factor=1.5), "factor must be between 0 and 1"),
        (lambda: spirals(n=10, classes=1), "spirals: classes must be an integer >= 2"),
        (lambda: yin_yang(dot_radius=0.7), "dot_radius"),
    ],
)
def test_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_train_test_split_partitions_and_keeps_pairs() -> None:
    X = [[float(i), 0.0] for i in range(20)]
    y = list(range(20))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=1)
    assert len(X_test) == len(y_test) == 5 and len(X_train) == 15
    assert sorted(y_train + y_test) == y
    assert all(point[0] == label for point, label in zip(X_train + X_test, y_train + y_test, strict=True))
    assert train_test_split(X, y, test_size=0.25, seed=1) == (X_train, X_test, y_train, y_test)
    assert train_test_split(X, y, test_size=0.25, seed=2)[3] != y_test
    with pytest.raises(ValueError, match="test_size must be between 0 and 1"):
        train_test_split(X, y, test_size=1.0)
    with pytest.raises(ValueError, match="20 inputs but 3 labels"):
        train_test_split(X, y[:3])


def test_minibatches_cover_the_data_once_per_pass() -> None:
    X = [[float(i), 0.0] for i in range(10)]
    y = list(range(10))
    rng = random.Random(0)
    batches = list(minibatches(X, y, batch_size=4, rng=rng))
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    seen = [label for _, yb in batches for label in yb]
    assert sorted(seen) == y and seen != y  # every example once, shuffled
    assert all(point[0] == label for xb, yb in batches for point, label in zip(xb, yb, strict=True))
    second = [label for _, yb in minibatches(X, y, 4, rng=rng) for label in yb]
    assert second != seen  # a new order each pass
    in_order = [label for _, yb in minibatches(X, y, 3, shuffle=False) for label in yb]
    assert in_order == y
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(minibatches(X, y, 0))


def test_num_classes_of_no_labels_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="num_classes: no labels"):
        num_classes([])


def test_features_are_tensorflow_playgrounds_seven_computed_from_each_point() -> None:
    assert list(FEATURES) == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    X, _ = moons(n=20, seed=2)
    rows = features(X, list(FEATURES))
    for (x1, x2), row in zip(X, rows, strict=True):
        assert row == [x1, x2, x1 * x1, x2 * x2, x1 * x2, math.sin(x1), math.sin(x2)]
    assert features(X) == X  # x1 and x2 by default: the points themselves
    assert features([[1, 2]], ["x2", "x1"]) == [[2.0, 1.0]]  # in the order asked for, as floats


@pytest.mark.parametrize(
    ("points", "names", "message"),
    [
        ([[1.0, 2.0]], ["x3"], "features: unknown feature 'x3'; the features are x1, x2, x1\\^2"),
        ([[1.0, 2.0]], [], "names must be a non-empty list"),
        ([[1.0, 2.0]], "x1", "names must be a non-empty list"),
        ([[1.0, 2.0], [1.0, 2.0, 3.0]], ["x1"], "point 1 has 3 coordinates, not 2"),
    ],
)
def test_features_refuse_unknown_names_and_points_of_another_size(points: Any, names: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        features(points, names)


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_every_regression_is_points_in_the_square_with_a_number_each_reproducible_from_its_seed(name: str) -> None:
    make = REGRESSIONS[name]
    X, y = make(n=80, seed=3)
    assert len(X) == len(y) == 80 and all(isinstance(t, float) for t in y)
    assert all(len(point) == 2 and -1 <= point[0] <= 1 and -1 <= point[1] <= 1 for point in X)
    assert make(n=80, seed=3) == (X, y) and make(n=80, seed=4) != (X, y)
    exact = make(n=80, noise=0.0, seed=3)
    assert exact[0] == X and exact[1] != y  # the noise is on the targets, not on the points
    assert min(y) < -0.3 and max(y) > 0.3  # both signs, so both colours of the page's scale


def test_plane_is_half_the_sum_and_multi_gaussian_a_sum_of_bumps_up_and_down() -> None:
    X, y = plane(n=50, noise=0.0, seed=1)
    assert all(t == pytest.approx((x1 + x2) / 2) for (x1, x2), t in zip(X, y, strict=True))
    X, y = multi_gaussian(n=50, noise=0.0, seed=1)
    for (x1, x2), t in zip(X, y, strict=True):
        bumps = [s * math.exp(-((x1 - a) ** 2 + (x2 - b) ** 2) / (2 * GAUSSIAN_WIDTH**2)) for a, b, s in GAUSSIANS]
        assert t == pytest.approx(sum(bumps))
    assert sorted(s for _, _, s in GAUSSIANS) == [-1, -1, -1, 1, 1, 1]
    for a, b, sign in GAUSSIANS:  # next to a bump's centre the target is about its sign
        X, y = multi_gaussian(n=400, noise=0.0, seed=2)
        near = [t for (x1, x2), t in zip(X, y, strict=True) if math.hypot(x1 - a, x2 - b) < 0.05]
        assert all(abs(t - sign) < 0.1 for t in near)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plane(n=1), "plane: n must be an integer >= 2"),
        (lambda: plane(noise=-1), "plane: noise must be a number >= 0"),
        (lambda: multi_gaussian(n=2.5), "multi_gaussian: n must be an integer >= 2"),
    ],
)
def test_regressions_refuse_bad_arguments(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- gaps a mutation run found -----------------------------------------------------------------


def test_minibatches_without_an_rng_shuffle_with_the_global_random() -> None:
    X, y = list(range(50)), [k % 2 for k in range(50)]
    random.seed(3)
    first = [xs for xs, _ in minibatches(X, y, 10)]
    random.seed(3)
    expected = list(range(50))
    random.shuffle(expected)
    assert [x for batch in first for x in batch] == expected != X  # the global generator's order
    second = [xs for xs, _ in minibatches(X, y, 10)]
    assert second != first  # another pass, other batches
    assert [xs for xs, _ in minibatches(X, y, 10, shuffle=False)] == [X[k : k + 10] for k in range(0, 50, 10)]


@pytest.mark.parametrize(("n", "classes"), [(10, 3), (11, 3), (101, 4), (7, 7), (9, 2)])
def test_spirals_keep_the_remainder_when_n_is_not_divisible(n: int, classes: int) -> None:
    X, y = spirals(n, classes)
    assert len(X) == len(y) == n
    counts = Counter(y)
    assert sorted(counts) == list(range(classes))
    assert max(counts.values()) - min(counts.values()) <= 1  # the remainder spread over the first arms


@pytest.mark.parametrize(("n", "test_size", "n_test"), [(10, 0.25, 3), (10, 0.21, 3), (7, 0.5, 4), (100, 0.101, 11)])
def test_train_test_split_rounds_the_test_size_up(n: int, test_size: float, n_test: int) -> None:
    X, y = list(range(n)), [0] * n
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size)
    assert (len(X_test), len(y_test), len(X_train), len(y_train)) == (n_test, n_test, n - n_test, n - n_test)
    assert n_test == math.ceil(test_size * n)
