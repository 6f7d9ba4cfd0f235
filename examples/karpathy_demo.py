"""micrograd's demo notebook, run against this package.

The notebook's cells as they are, with numpy arrays, including its inline data
loader and its hand-written SGD.  Two things differ: the imports, and the data,
which comes from ``micrograd.data.moons`` instead of scikit-learn's ``make_moons``
(scikit-learn is not a dependency).  The plots are left out; ``micrograd demo``
draws them.  numpy comes with the ``demo`` extra (matplotlib needs it).

    python examples/karpathy_demo.py          # 100 steps, as in the notebook
    python examples/karpathy_demo.py 10       # fewer steps
"""

import random
import sys

import numpy as np

from micrograd.data import moons
from micrograd.engine import Value
from micrograd.nn import MLP

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100

np.random.seed(1337)
random.seed(1337)

# make up a dataset (the notebook: X, y = make_moons(n_samples=100, noise=0.1))
X, y = (np.array(a) for a in moons(n=100, noise=0.1, seed=1337))
y = y * 2 - 1  # make y be -1 or 1

# initialize a model
model = MLP(2, [16, 16, 1])  # 2-layer neural network
print(model)
print("number of parameters", len(model.parameters()))


# loss function
def loss(batch_size=None):
    # inline DataLoader :)
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]

    # forward the model to get scores
    scores = list(map(model, inputs))

    # svm "max-margin" loss
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]  # noqa: B905 - as in the notebook
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss

    # also get accuracy
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]  # noqa: B905
    return total_loss, sum(accuracy) / len(accuracy)


total_loss, acc = loss()
print(total_loss, acc)

# optimization
for k in range(steps):
    # forward
    total_loss, acc = loss()

    # backward
    model.zero_grad()
    total_loss.backward()

    # update (sgd)
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad

    if k % 1 == 0:
        print(f"step {k} loss {total_loss.data}, accuracy {acc * 100}%")
