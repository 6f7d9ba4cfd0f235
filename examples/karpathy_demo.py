"""The training loop of micrograd's demo notebook, run against this package.

The model, the max-margin loss with L2 regularisation, the hand-written SGD update
with its decaying learning rate and the printed lines are the notebook's.  What
differs is where things come from: the moons from ``micrograd.data`` instead of
scikit-learn, and plain lists instead of numpy arrays (so the labels are mapped to
-1/+1 with a list comprehension, and a random batch is drawn with ``random.sample``).

    python examples/karpathy_demo.py          # 100 steps, as in the notebook
    python examples/karpathy_demo.py 10       # fewer steps
"""

import random
import sys

from micrograd.data import moons
from micrograd.engine import Value
from micrograd.nn import MLP

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100

random.seed(1337)  # the weights come from the global random module, as in micrograd

X, y = moons(n=100, noise=0.1, seed=1337)
y = [label * 2 - 1 for label in y]  # labels -1 / +1 for the max-margin loss

model = MLP(2, [16, 16, 1])  # two hidden layers of 16 relu neurons, one linear output
print(model)
print("number of parameters", len(model.parameters()))


def loss(batch_size=None):
    # the whole dataset, or a random batch of it
    if batch_size is None:
        Xb, yb = X, y
    else:
        chosen = random.sample(range(len(X)), batch_size)
        Xb, yb = [X[i] for i in chosen], [y[i] for i in chosen]
    inputs = [list(map(Value, xrow)) for xrow in Xb]

    # forward pass: one score per point
    scores = list(map(model, inputs))

    # svm "max-margin" loss: zero once a point is on the right side by a margin of 1
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularisation keeps the weights small
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss

    # accuracy: the sign of the score is the predicted class
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores, strict=True)]
    return total_loss, sum(accuracy) / len(accuracy)


total_loss, acc = loss()
print(total_loss, acc)

for k in range(steps):
    # forward
    total_loss, acc = loss()

    # backward
    model.zero_grad()
    total_loss.backward()

    # update: plain SGD, the learning rate falling from 1.0 towards 0.1
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad

    if k % 1 == 0:
        print(f"step {k} loss {total_loss.data}, accuracy {acc * 100}%")
