"""A circle inside a circle: binary cross-entropy on logits, tanh neurons and Adam.

python examples/circles.py [STEPS]
"""

import random
import sys

from micrograd import no_grad
from micrograd.data import circles, train_test_split
from micrograd.losses import binary_cross_entropy_with_logits
from micrograd.nn import MLP
from micrograd.optim import Adam

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 60

X, y = circles(n=130, noise=0.08, factor=0.5, seed=2)
X_train, X_test, y_train, y_test = train_test_split(X, y, seed=2)

model = MLP(2, [8, 8, 1], activation="tanh", init="xavier", rng=random.Random(2))
optimizer = Adam(model.parameters(), lr=0.05)


def accuracy(points, labels):
    with no_grad():
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(points, labels, strict=True)) / len(labels)


for step in range(steps):
    logits = [model(x) for x in X_train]
    loss = binary_cross_entropy_with_logits(logits, y_train)  # targets 0 / 1
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0 or step == steps - 1:
        print(f"step {step} loss {loss.data:.4f} train accuracy {accuracy(X_train, y_train):.0%}")

print(f"test accuracy {accuracy(X_test, y_test):.0%}")
