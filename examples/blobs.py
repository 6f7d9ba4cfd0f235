"""Four Gaussian clouds: AdamW, and saving the trained model to a JSON file and loading it back.

python examples/blobs.py [STEPS]
"""

import random
import sys
import tempfile
from pathlib import Path

from micrograd import no_grad
from micrograd.data import blobs
from micrograd.losses import cross_entropy
from micrograd.nn import MLP
from micrograd.optim import AdamW

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30

X, y = blobs(n=100, classes=4, spread=0.3, seed=5)
model = MLP(2, [8, 4], rng=random.Random(5))
optimizer = AdamW(model.parameters(), lr=0.05, weight_decay=0.01)


def accuracy(net):
    """The fraction of points whose largest output is their class."""
    right = 0
    with no_grad():
        for x, label in zip(X, y, strict=True):
            scores = [s.data for s in net(x)]
            right += scores.index(max(scores)) == label
    return right / len(y)


for step in range(steps):
    loss = cross_entropy([model(x) for x in X], y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0 or step == steps - 1:
        print(f"step {step} loss {loss.data:.4f} train accuracy {accuracy(model):.0%}")

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "blobs.json"
    model.save(path)  # JSON, not pickle: safe to load from anywhere
    copy = MLP(2, [8, 4])
    copy.load(path)
print(f"reloaded model accuracy {accuracy(copy):.0%}")
