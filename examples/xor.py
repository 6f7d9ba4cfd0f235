"""XOR, the classic that no single neuron can learn: mean squared error and SGD with momentum.

python examples/xor.py [STEPS]
"""

import random
import sys

from micrograd import no_grad
from micrograd.data import train_test_split, xor
from micrograd.losses import mse_loss
from micrograd.nn import MLP
from micrograd.optim import SGD

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 80

X, y = xor(n=130, seed=3)
X_train, X_test, y_train, y_test = train_test_split(X, y, seed=3)
targets = [2.0 * label - 1 for label in y_train]  # regress onto -1 / +1; the sign is the class

model = MLP(2, [8, 8, 1], activation="tanh", init="xavier", rng=random.Random(3))
optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)


def accuracy(points, labels):
    with no_grad():
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(points, labels, strict=True)) / len(labels)


for step in range(steps):
    predictions = [model(x) for x in X_train]
    loss = mse_loss(predictions, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0 or step == steps - 1:
        print(f"step {step} loss {loss.data:.4f} train accuracy {accuracy(X_train, y_train):.0%}")

print(f"test accuracy {accuracy(X_test, y_test):.0%}")
