"""Gradients of compositions: the lecture's ``L = (a*b + c)*f``, its tanh neuron, and random expressions.

Random expressions are drawn with a seeded generator from the operations that
passed alone, each input used once (reuse has a check of its own); a failing one is
shrunk to its smallest failing subexpression.
"""

from __future__ import annotations

import math
import random
from typing import Any

from micrograd.checker.classic_bugs import lecture_program
from micrograd.checker.programs import Program
from micrograd.checker.report import Result
from micrograd.checker.runner import Finding
from micrograd.checker.session import Outcome, Session

__all__ = ["check_compositions", "random_tree", "tree_program"]

CHAIN_HINT = (
    "each _backward multiplies its local derivative by out.grad (the chain rule), and adds to the operands' grad"
)
RANDOM_EXPRESSIONS = 40
Tree = tuple[Any, ...]


def _prerequisites(session: Session) -> list[str]:
    return [r.id for r in session.results if r.id.startswith(("forward.", "grad.")) or r.id in ("reuse", "order")]


def _judge(session: Session, result: Result, outcome: Outcome) -> Result:
    blocker = session.blocked_by(_prerequisites(session))
    if blocker:
        return session.blocked(result, blocker)
    return session.failure(result, outcome, CHAIN_HINT)


def _one(session: Session, result: Result, program: Program) -> None:
    try:
        outcome = session.probe(program.backward())
    except Finding as finding:
        session.add(session.finding(result, finding, program))
        return
    session.add(_judge(session, result, outcome) if outcome.failed else result)


def check_compositions(session: Session) -> None:
    """The lecture's expression, its neuron, then random expressions."""
    passing = set(session.passing_ops)
    lecture = Result("compose.lecture", "the lecture's L = (a*b + c) * f")
    if {"add", "mul"} <= passing:
        _one(session, lecture, lecture_program())
    else:
        session.add(_not_run(lecture, "needs + and * to pass first"))
    activation = "tanh" if "tanh" in passing else "relu" if "relu" in passing else ""
    neuron = Result("compose.neuron", f"the lecture's neuron, o = {activation or 'tanh'}(x1*w1 + x2*w2 + b)")
    if activation and {"add", "mul"} <= passing:
        _one(session, neuron, neuron_program(activation))
    else:
        lacking = not (session.has("tanh") or session.has("relu"))
        why = "your class has no tanh (nor relu)" if lacking else "needs +, * and tanh (or relu) to pass first"
        session.add(_not_run(neuron, why, "lack" if lacking else "skip"))
    _random(session, Result("compose.random", f"{RANDOM_EXPRESSIONS} random expressions (seeded)"))


def _not_run(result: Result, why: str, status: str = "skip") -> Result:
    result.status, result.message = status, why
    return result


def neuron_program(activation: str) -> Program:
    """The lecture's neuron: inputs x1, x2, weights w1, w2, bias b, then tanh."""
    program = Program()
    x1, x2 = program.leaf("x1", 2.0), program.leaf("x2", 0.0)
    w1, w2 = program.leaf("w1", -3.0), program.leaf("w2", 1.0)
    b = program.leaf("b", 6.8813735870195432)
    program.op("x1w1", "mul", x1, w1)
    program.op("x2w2", "mul", x2, w2)
    program.op("x1w1x2w2", "add", "x1w1", "x2w2")
    program.op("n", "add", "x1w1x2w2", b)
    program.method("o", activation, "n")
    return program


# -- random expressions ------------------------------------------------------------------------

_BINARY = ("add", "sub", "mul", "truediv")
_UNARY_OPERATORS = ("neg", "abs")
_METHODS = ("exp", "tanh", "sigmoid", "relu")


def random_tree(rng: random.Random, ops: set[str], depth: int) -> Tree:
    """A random expression tree of the given operations, at most ``depth`` deep."""
    if depth == 0 or rng.random() < 0.25:
        return ("leaf", round(rng.uniform(-2, 2), 1) or 0.5)
    choices = [op for op in (*_BINARY, "pow", *_UNARY_OPERATORS, *_METHODS) if op in ops]
    op = rng.choice(choices)
    if op in _BINARY:
        right = ("num", round(rng.uniform(0.5, 3), 1)) if rng.random() < 0.3 else random_tree(rng, ops, depth - 1)
        return ("op", op, random_tree(rng, ops, depth - 1), right)
    if op == "pow":
        return ("op", "pow", random_tree(rng, ops, depth - 1), ("num", float(rng.choice((2, 3)))))
    kind = "op" if op in _UNARY_OPERATORS else "method"
    return (kind, op, random_tree(rng, ops, depth - 1))


def tree_program(tree: Tree) -> Program:
    """The tree as a program: leaves x1, x2, ..., the values in between t1, t2, ..., the result ``out``."""
    program = Program()
    counts = {"x": 0, "t": 0}

    def build(node: Tree, name: str = "") -> str | float:
        if node[0] == "num":
            return float(node[1])
        if node[0] == "leaf":
            counts["x"] += 1
            return program.leaf(f"x{counts['x']}", node[1])
        args = [build(child) for child in node[2:]]
        if not name:
            counts["t"] += 1
            name = f"t{counts['t']}"
        if node[0] == "method":
            return program.method(name, node[1], str(args[0]))
        return program.op(name, node[1], *args)

    build(tree, "out") if tree[0] not in ("leaf", "num") else None
    return program


def _reasonable(tree: Tree) -> bool:
    """Whether this engine computes the tree to moderate numbers (no log of negatives, no overflow)."""
    try:
        env = tree_program(tree).backward().evaluate()
    except (ArithmeticError, ValueError, OverflowError):
        return False
    return all(math.isfinite(v.data) and abs(v.data) < 1e4 and abs(v.grad) < 1e4 for v in env.values())


def _subtrees(tree: Tree) -> list[Tree]:
    return [child for child in tree[2:] if isinstance(child, tuple) and child[0] in ("op", "method")]


def _random(session: Session, result: Result) -> None:
    ops = set(session.passing_ops) & {*_BINARY, "pow", *_UNARY_OPERATORS, *_METHODS}
    if not ops & set(_BINARY):
        session.add(_not_run(result, "needs an operation of two operands to pass first"))
        return
    rng = random.Random(20)
    trees: list[Tree] = []
    while len(trees) < RANDOM_EXPRESSIONS:
        tree = random_tree(rng, ops, 4)
        if tree[0] in ("op", "method") and _reasonable(tree):
            trees.append(tree)
    for tree in trees:
        try:
            outcome = session.probe(tree_program(tree).backward())
            if outcome.failed:
                outcome = _shrink(session, tree, outcome)
        except Finding as finding:
            session.add(session.finding(result, finding, tree_program(tree)))
            return
        if outcome.failed:
            session.add(_judge(session, result, outcome))
            return
    session.add(result)


def _size(tree: Tree) -> int:
    return 1 + sum(_size(child) for child in _subtrees(tree))


def _smaller(tree: Tree) -> list[Tree]:
    """Smaller trees to try, smallest first: each operation inside, and the tree with one of them made a leaf."""
    candidates: list[Tree] = []
    for position, child in enumerate(tree[2:], start=2):
        if isinstance(child, tuple) and child[0] in ("op", "method"):
            candidates.append(child)
            data = tree_program(child).evaluate()["out"].data
            candidates.append((*tree[:position], ("leaf", round(data, 4)), *tree[position + 1 :]))
            candidates.extend((*tree[:position], smaller, *tree[position + 1 :]) for smaller in _smaller(child))
    return sorted(candidates, key=_size)


def _shrink(session: Session, tree: Tree, outcome: Outcome) -> Outcome:
    """The smallest failing expression: take a failing smaller tree while there is one."""
    while True:
        for candidate in _smaller(tree):
            if not _reasonable(candidate):
                continue
            smaller = session.probe(tree_program(candidate).backward())
            if smaller.failed:
                tree, outcome = candidate, smaller
                break
        else:
            return outcome
