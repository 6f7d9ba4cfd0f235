"""Two moons with the library's pieces: hinge loss, L2 penalty, SGD and a linear schedule.

The same training as micrograd's demo notebook, written with ``micrograd.losses``
and ``micrograd.optim`` instead of by hand, and checked on points it never saw.

    python examples/moons.py [STEPS]
"""

import random
import sys

from micrograd import no_grad
from micrograd.data import moons, train_test_split
from micrograd.losses import hinge_loss, l2_penalty
from micrograd.nn import MLP
from micrograd.optim import SGD, LinearLR

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100

X, y = moons(n=130, noise=0.1, seed=1)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=1)
targets = [2 * label - 1 for label in y_train]  # the hinge loss wants -1 / +1

model = MLP(2, [16, 16, 1], rng=random.Random(1))
optimizer = SGD(model.parameters(), lr=1.0)
schedule = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=steps)


def accuracy(points, labels):
    with no_grad():  # evaluation: no graph needed
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(points, labels, strict=True)) / len(labels)


for step in range(steps):
    scores = [model(x) for x in X_train]
    loss = hinge_loss(scores, targets) + l2_penalty(model.parameters(), alpha=1e-4)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    if step % 10 == 0 or step == steps - 1:
        print(f"step {step} loss {loss.data:.4f} train accuracy {accuracy(X_train, y_train):.0%}")

print(f"test accuracy {accuracy(X_test, y_test):.0%}")
