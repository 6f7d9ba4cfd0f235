"""The yin-yang symbol, three classes (yin, yang, the dots): Adam with gradient clipping.

python examples/yin_yang.py [STEPS]
"""

import random
import sys

from micrograd import no_grad
from micrograd.data import train_test_split, yin_yang
from micrograd.losses import cross_entropy
from micrograd.nn import MLP
from micrograd.optim import Adam, clip_grad_norm_

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100

X, y = yin_yang(n=150, seed=6)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=6)
model = MLP(2, [16, 16, 3], init="he", rng=random.Random(6))
optimizer = Adam(model.parameters(), lr=0.03)


def accuracy(points, labels):
    """The fraction of points whose largest output is their class."""
    right = 0
    with no_grad():
        for x, label in zip(points, labels, strict=True):
            scores = [s.data for s in model(x)]
            right += scores.index(max(scores)) == label
    return right / len(labels)


for step in range(steps):
    loss = cross_entropy([model(x) for x in X_train], y_train)
    optimizer.zero_grad()
    loss.backward()
    norm = clip_grad_norm_(model.parameters(), max_norm=5.0)  # tame the occasional large step
    optimizer.step()
    if step % 10 == 0 or step == steps - 1:
        print(
            f"step {step} loss {loss.data:.4f} gradient norm {norm:.2f} train accuracy {accuracy(X_train, y_train):.0%}"
        )

print(f"test accuracy {accuracy(X_test, y_test):.0%}")
