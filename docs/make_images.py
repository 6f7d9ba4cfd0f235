"""Draw the pictures of docs/backprop.md: the example's graph before and during backprop.

    python docs/make_images.py              # writes docs/images/*.svg
    python docs/make_images.py OUTPUT_DIR   # writes them somewhere else

The graph is L = (a*b + c) * f, built exactly as in docs/backprop.md.  The first
picture is taken before backward (every grad is 0), then one after each step of
``Value.backward_steps()``: L passes its gradient to d and f, d to e and c, e to
a and b.  Needs the ``viz`` extra (pip install "micrograd-lab[viz]").
"""

from __future__ import annotations

import sys
from pathlib import Path

from micrograd import Value, draw_steps

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


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    pictures = list(draw_steps(example_graph()))
    if len(pictures) != len(PICTURES):
        raise SystemExit(f"expected {len(PICTURES)} pictures, drew {len(pictures)}")
    for name, picture in zip(PICTURES, pictures, strict=True):
        path = output / f"{name}.svg"
        path.write_bytes(picture.pipe(format="svg"))
        print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "images")
