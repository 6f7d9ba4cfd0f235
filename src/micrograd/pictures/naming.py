"""The names a view gives its boxes: ``ex1.L0.N0``, ``ex1.x1``, ``ex1.target``, ``x1*w1``, ``n1``, ``out``.

Every picture, ``to_text`` and ``explain`` show a box by the name given here, so
one value is called the same everywhere.
"""

from __future__ import annotations

from collections import Counter

from micrograd.pictures.box import Box

__all__ = ["name_boxes", "name_examples"]


def name_examples(boxes: list[Box]) -> None:
    """A network run on several examples has a copy of each neuron per example: ``ex1.L0.N0``, ``ex2.L0.N0``...

    Copies are numbered in the order the graph reaches them (a loss summed over the
    examples reaches the first example first); a number a copy's output meets, as in
    ``yout - ygt``, is that example's ``target``, and the numbers a first-layer
    neuron reads are its inputs ``ex1.x1``, ``ex1.x2``, ... (``x1``, ... for one example).
    """
    neurons = [box for box in boxes if box.kind == "neuron" and box.name]
    copies = Counter(box.name for box in neurons)
    seen: Counter[str] = Counter()
    example: dict[Box, int] = {}
    for box in neurons:
        if copies[box.name] > 1:
            seen[box.name] += 1
            example[box] = seen[box.name]
            box.name = f"ex{example[box]}.{box.name}"
    for box in boxes:
        found = [example[operand] for operand in box.operands if operand in example]
        for operand in box.operands if found and box.kind == "value" else ():
            if not operand.name and not operand.operands and not operand.hidden and operand not in example:
                operand.name = f"ex{found[0]}.target"
    _name_inputs(neurons, example, {box.name for box in boxes if box.name})


def _name_inputs(neurons: list[Box], example: dict[Box, int], used: set[str]) -> None:
    """Name the unlabelled leaves a neuron reads as inputs ``x1``, ``x2``, ..., numbered like its weights."""
    for box in neurons:
        prefix = f"ex{example[box]}." if box in example else ""
        for position, operand in enumerate(box.operands[: len(box.operands) // 2], start=1):
            name = f"{prefix}x{position}"
            if not operand.name and not operand.operands and not operand.hidden and name not in used:
                operand.name = name
                used.add(name)


def name_boxes(boxes: list[Box], root: Box) -> None:
    """Give every box a name: its label, a product's or sum's own, or ``n1``, ``n2``, ... (root: ``out``)."""
    used = {box.name for box in boxes if box.name}
    counter = 0
    # the boxes a picture shows are numbered first, so that hidden ones do not shift their names
    for box in sorted(boxes, key=lambda b: b.hidden):
        if box.name:
            continue
        if box.kind == "product":
            x, w = box.operands
            box.name = f"{_term(x.name)}*{_term(w.name)}"
        elif box.kind == "sum":
            box.name = _sum_name(box)
        elif box is root and "out" not in used:
            box.name = "out"
        else:
            counter += 1
            while f"n{counter}" in used:
                counter += 1
            box.name = f"n{counter}"


def _term(name: str) -> str:
    return f"({name})" if " " in name else name


def _sum_name(box: Box) -> str:
    """``x1*w1 + x2*w2`` for two products, ``x1*w1 + … + x4*w4`` for more."""
    first, last = box.operands
    terms = 1
    head = first
    while head.kind == "sum":
        head = head.operands[0]
        terms += 1
    if terms == 1:
        return f"{first.name} + {last.name}"
    return f"{head.name} + … + {last.name}"
