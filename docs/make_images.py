"""Draw the pictures of docs/backprop.md and docs/lecture.md.

    python docs/make_images.py              # writes docs/images/*.svg
    python docs/make_images.py OUTPUT_DIR   # writes them somewhere else

The first four are the graph L = (a*b + c) * f, built exactly as in
docs/backprop.md: before backward (every grad is 0), then after each step of
``Value.backward_steps()``: L passes its gradient to d and f, d to e and c, e to
a and b.  The fifth is the lecture's loss after its 20 training steps, as
docs/lecture.md trains it.  Needs the ``viz`` extra (``pip install -e ".[viz]"``
in a checkout).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from micrograd import MLP, Value, draw_dot, draw_steps

PICTURES = [
    "graphical_representation_operations",  # before backward: every grad is 0
    "nn_gradient_d_f",  # after L's step: dL/dd and dL/df
    "nn_gradient_c_e",  # after d's step: dL/dc and dL/de
    "nn_all_gradients",  # after e's step: dL/da and dL/db, all done
]


def example_graph() -> Value:
    """The example L = (a*b + c) * f, with every value labeled."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return L


def lecture_loss() -> Value:
    """The lecture's loss over its four examples after 20 steps of 0.05, as docs/lecture.md trains it."""
    random.seed(1337)
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    for _ in range(20):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data += -0.05 * p.grad
    loss.label = "loss"
    return loss


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    pictures = list(draw_steps(example_graph()))
    if len(pictures) != len(PICTURES):
        raise SystemExit(f"expected {len(PICTURES)} pictures, drew {len(pictures)}")
    for name, picture in zip(PICTURES, pictures, strict=True):
        path = output / f"{name}.svg"
        path.write_bytes(picture.pipe(format="svg"))
        print(f"wrote {path}")
    path = output / "lecture_loss.svg"
    path.write_bytes(draw_dot(lecture_loss()).pipe(format="svg"))
    print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "images")
