"""The well-known bugs, each a check of its own: reuse (``=`` for ``+=``), topological order, backward twice.

Each builds its graphs only from operations whose own gradient checks passed, so a
wrong local derivative fails its operation's check and not these.
"""

from __future__ import annotations

from micrograd.checker.programs import Program
from micrograd.checker.report import Result
from micrograd.checker.runner import Finding
from micrograd.checker.session import Outcome, Session

__all__ = ["check_backward_twice", "check_order", "check_reuse"]

REUSE_HINT = "a value used twice must get both shares of its gradient: use += in _backward, not ="
ORDER_HINT = (
    "call _backward on the nodes in reverse topological order: a node only after every node that uses it "
    "(build_topo appends a node after its children; then go through reversed(topo))"
)
DEEP = 3000  # the deep chain: past Python's default recursion limit of 1000


def _run(session: Session, result: Result, programs: list[tuple[str, Program]], hint: str) -> bool:
    """Probe the programs in order; record the first failure (or hang) on ``result``; False if all pass.

    A program with a key (an operation's name) runs even after a failure, to learn
    which operations accumulate (the order check builds its graphs from those).
    """
    first: Outcome | None = None
    for key, program in programs:
        if first is not None and not key:
            continue
        try:
            outcome = session.probe(program)
        except Finding as finding:
            session.add(session.finding(result, finding, program))
            return True
        if outcome.failed:
            first = first or outcome
        elif key:
            session.accumulates.append(key)
    if first is None:
        return False
    blocker = session.blocked_by(f"grad.{k}" for k in sorted(first.ops_used()))
    if blocker:
        session.add(session.blocked(result, blocker))
    else:
        session.add(session.failure(result, first, hint))
    return True


def check_reuse(session: Session) -> None:
    """``a + a``, ``a * a``, and a value feeding two branches (the leaves are used twice)."""
    result = Result("reuse", "reuse: a value used more than once (a + a, a * a, two branches)")
    programs: list[tuple[str, Program]] = []
    for key, function in (("add", "add"), ("mul", "mul"), ("sub", "sub")):
        if key in session.passing_ops:
            program = Program()
            a = program.leaf("a", 3.0)
            program.op("b", function, a, a)
            programs.append((key, program.backward()))
    if {"add", "mul"} <= set(session.passing_ops):
        program = Program()
        a, b, c = program.leaf("a", 2.0), program.leaf("b", -3.0), program.leaf("c", 10.0)
        program.op("e", "mul", a, b)
        program.op("d", "add", a, c)
        program.op("L", "mul", "e", "d")
        programs.append(("", program.backward()))
    if not programs:
        result.status, result.message = "skip", "needs + or * to pass first"
        session.add(result)
        return
    if not _run(session, result, programs, REUSE_HINT):
        session.add(result)


def check_order(session: Session) -> None:
    """A diamond whose two paths differ in length, then a chain of 50 and of 3000 values."""
    result = Result("order", "order: backward visits a node only after every node that uses it")
    key = next((k for k in ("mul", "add") if k in session.accumulates), "")
    if not key:
        result.status, result.message = "skip", "needs + or * to accumulate (see reuse) first"
        session.add(result)
        return
    diamond = Program()  # b feeds L directly through c, and through d and e: a longer path
    diamond.op("b", key, diamond.leaf("a", 1.5), 3.0)
    diamond.op("c", key, "b", 2.0)
    diamond.op("d", key, "b", 1.5)
    diamond.op("e", key, "d", 2.5)
    diamond.op("L", key, "c", "e")
    chain = Program()
    chain.chain("y", chain.leaf("x", 0.5), key, 1.0001 if key == "mul" else 0.5, 50)
    programs = [("", diamond.backward()), ("", chain.backward())]
    if _run(session, result, programs, ORDER_HINT):
        return
    deep = Program()
    deep.chain("y", deep.leaf("x", 0.5), key, 1.0001 if key == "mul" else 0.5, DEEP)
    deep.backward()
    try:
        outcome = session.probe(deep, timeout=max(session.runner.check_timeout, 5.0))
    except Finding as finding:
        session.add(session.finding(result, finding, deep))
        return
    error = outcome.answer.get("error") or {}
    if error.get("type") == "RecursionError":
        result.message = (
            f"a chain of {DEEP} values exceeds Python's recursion limit in your backward "
            "(a recursive build_topo); fine for the lecture, a loop with a stack would handle any depth"
        )
    elif outcome.failed:
        session.add(session.failure(result, outcome, ORDER_HINT))
        return
    session.add(result)


def check_backward_twice(session: Session) -> None:
    """Call backward() twice on the lecture's L and say what the class does, and what PyTorch does."""
    result = Result("backward-twice", "backward() twice")
    if not {"add", "mul"} <= set(session.passing_ops):
        result.status, result.message = "skip", "needs + and * to pass first"
        session.add(result)
        return
    program = lecture_program()
    program.steps += [["backward", "L"], ["snap"], ["backward", "L"], ["snap"]]
    try:
        answer = session.runner.request({"type": "program", "steps": program.steps})
    except Finding as finding:
        session.add(session.finding(result, finding, program))
        return
    snaps = answer.get("snaps", [])
    error = answer.get("error")
    pytorch = (
        "PyTorch refuses a second backward through the same graph unless retain_graph=True, "
        "and then adds the new gradients to the old (each leaf's grad doubles)"
    )
    if error and len(snaps) == 1:
        result.message = f"the second call raises {error['type']}, as PyTorch does; {pytorch}"
    elif len(snaps) == 2:
        first, second = snaps
        leaves = [n for n in ("a", "b", "c", "f") if isinstance(first.get(n), float) and first[n] != 0]
        ratios = {n: second[n] / first[n] for n in leaves if isinstance(second.get(n), float)}
        if all(abs(r - 1) < 1e-9 for r in ratios.values()):
            what = "the second call gives the same gradients (your backward starts them from zero)"
        elif all(abs(r - 2) < 1e-9 for r in ratios.values()):
            what = "the second call doubles every leaf's gradient (they accumulate)"
        else:
            shown = ", ".join(f"{n} x{r:g}" for n, r in ratios.items())
            what = (
                f"the gradients grow unevenly ({shown}): the inner values keep their grad from the first call "
                "and pass it on again; call zero_grad() (or set every grad to 0) before each backward"
            )
        result.message = f"{what}. {pytorch}"
    else:
        result.message = f"the first call raises {error['type'] if error else 'an error'}"
    session.add(result)


def lecture_program() -> Program:
    """The lecture's first graph: e = a*b; d = e + c; L = d * f."""
    program = Program()
    a, b = program.leaf("a", 2.0), program.leaf("b", -3.0)
    c = program.leaf("c", 10.0)
    program.op("e", "mul", a, b)
    program.op("d", "add", "e", c)
    program.op("L", "mul", "d", program.leaf("f", -2.0))
    return program
