"""Three intertwined spirals: softmax cross-entropy, Adam, minibatches and a cosine schedule.

One output per class; the predicted class is the largest output.

    python examples/spirals.py [EPOCHS]
"""

import random
import sys

from micrograd import no_grad
from micrograd.data import minibatches, spirals
from micrograd.losses import cross_entropy
from micrograd.nn import MLP
from micrograd.optim import Adam, CosineAnnealingLR

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
batch_size = 30

X, y = spirals(n=90, classes=3, seed=4)
rng = random.Random(4)
model = MLP(2, [16, 16, 3], rng=rng)
optimizer = Adam(model.parameters(), lr=0.05)
batches_per_epoch = -(-len(X) // batch_size)
schedule = CosineAnnealingLR(optimizer, T_max=epochs * batches_per_epoch, eta_min=0.005)


def predict(x):
    with no_grad():
        scores = model(x)
    return max(range(3), key=lambda k: scores[k].data)


for epoch in range(epochs):
    for Xb, yb in minibatches(X, y, batch_size, rng=rng):
        loss = cross_entropy([model(x) for x in Xb], yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    if epoch % 5 == 0 or epoch == epochs - 1:
        accuracy = sum(predict(x) == label for x, label in zip(X, y, strict=True)) / len(y)
        print(f"epoch {epoch} loss {loss.data:.4f} train accuracy {accuracy:.0%}")
