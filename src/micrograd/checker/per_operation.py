"""Checks of each operation alone: forward (data, ``_prev``, ``_op``), gradient, and numbers on the left."""

from __future__ import annotations

from micrograd.checker.operations import EXTRAS, OPS, Op, op_key
from micrograd.checker.programs import SYMBOLS, Program, close
from micrograd.checker.report import Result
from micrograd.checker.runner import Finding
from micrograd.checker.session import Outcome, Session

__all__ = ["check_numbers_left", "check_operations"]

WRAP = "wrap a number first: other = other if isinstance(other, Value) else Value(other)"


def check_operations(session: Session) -> None:
    """Forward then gradient checks of every operation the class has; LACK lines for the others."""
    for op in OPS:
        if not session.has(*op.needs):
            missing = " or ".join(op.needs)
            session.add(Result(f"forward.{op.key}", op.title, "lack", f"your class has no {missing}"))
            continue
        forward = _forward(session, op)
        if forward.status == "lack":
            continue
        _gradient(session, op)
    for op in EXTRAS:
        if session.has(*op.needs):
            _forward(session, op)
            _gradient(session, op)


def _forward(session: Session, op: Op) -> Result:
    result = Result(f"forward.{op.key}", f"forward {op.title}")
    for program in op.cases():
        try:
            outcome = _probe(session, op, program)
        except Finding as finding:
            return session.add(session.finding(result, finding, program))
        if op.key == "pow_value" and outcome.answer.get("error"):
            result.title = op.title
            result.status, result.message = "lack", "your __pow__ takes numbers only (as micrograd's does)"
            return session.add(result)
        problem = outcome.message or _structure(outcome, op)
        if problem:
            outcome.message = problem
            hint = WRAP if "raised" in problem and isinstance(program.steps[-1][-1], float) else op.hint
            if "_prev" in problem:
                hint = "pass the operands as _children: Value(data, (self, other), '+')"
            elif "_op" in problem:
                hint = "name the operation: out = Value(data, (self, other), '+')"
            session.add(session.failure(result, outcome, hint))
            result.gradients = []
            return result
    return session.add(result)


def _probe(session: Session, op: Op, program: Program) -> Outcome:
    if op.formula is None:
        return session.probe(program)
    # an operation this engine lacks: the float formula gives the expected data
    answer = session.runner.request({"type": "program", "steps": program.steps, "structure": True})
    outcome = Outcome(program, answer)
    if answer.get("error"):
        error = answer["error"]
        outcome.message = (
            f"{program.code(session.class_name).splitlines()[-1]} raised {error['type']}: {error['message']}"
        )
        return outcome
    expected = op.formula(program.steps[0][2])
    data = outcome.entry(program.output).get("data")
    if not close(expected, data):
        outcome.message = f"{program.output}.data is {data}, expected {expected:.10g}"
    return outcome


def _structure(outcome: Outcome, op: Op) -> str:
    """What is wrong with ``_prev`` and ``_op`` of the result, where the class has them ('' if nothing)."""
    program = outcome.program
    entry = outcome.entry(program.output)
    if "prev" in entry:
        missing = [name for name in program.inputs if name not in entry.get("reaches", [])]
        if missing:
            return f"{program.output}._prev does not lead back to {', '.join(missing)}: backward cannot reach it"
    children = entry.get("prev")
    if "op" in entry and children is not None:
        direct = all(isinstance(c, str) for c in children) and sorted(set(children)) == sorted(program.inputs)
        accepted = {op.key, "sub"} if op.key == "neg" else {"pow"} if op.key == "pow_value" else {op.key}
        if direct and op.formula is None and op_key(entry["op"]) not in accepted:
            return f"{program.output}._op is {entry['op']!r}, which does not name {op.title}"
    return ""


def _gradient(session: Session, op: Op) -> None:
    result = Result(f"grad.{op.key}", f"gradient {op.title}")
    if f"forward.{op.key}" in session.failed:
        session.add(session.blocked(result, f"forward.{op.key}"))
        return
    for program in op.cases():
        program.backward()
        try:
            outcome = _gradient_outcome(session, op, program)
        except Finding as finding:
            session.add(session.finding(result, finding, program))
            return
        if outcome.failed:
            blocker = session.blocked_by(f"grad.{key}" for key in sorted(outcome.ops_used() - {op.key}))
            if blocker:
                session.add(session.blocked(result, blocker))
            else:
                session.add(session.failure(result, outcome, diagnose(op, outcome)))
            return
    session.passing_ops.append(op.key)
    session.add(result)


def _gradient_outcome(session: Session, op: Op, program: Program) -> Outcome:
    if op.formula is None:
        return session.probe(program)
    outcome = _probe(session, op, program)
    if outcome.failed:
        return outcome
    x = program.steps[0][2]
    h = 1e-6 * max(1.0, abs(x))
    expected = (op.formula(x + h) - op.formula(x - h)) / (2 * h)
    from micrograd.checker.report import GradientRow

    row = GradientRow("a", expected, outcome.entry("a").get("grad"))
    outcome.rows = [row]
    if not (isinstance(row.actual, float) and abs(row.actual - expected) <= 1e-5 * max(1.0, abs(expected))):
        outcome.message = "wrong gradient of a (compared with a numerical gradient)"
    return outcome


def diagnose(op: Op, outcome: Outcome) -> str:
    """The hint for a wrong gradient, naming the classic bug when the numbers show it."""
    rows = [row for row in outcome.rows if isinstance(row.actual, float)]
    if outcome.rows and not rows:
        return "no number in grad: start every grad at 0.0"
    if rows and all(row.actual == 0 for row in rows) and any(row.expected != 0 for row in rows):
        return "no gradient arrived: set out._backward = _backward in the operation, and call it in backward()"
    steps = outcome.program.steps
    if op.key == "pow" and rows:
        n, x = steps[-2][4], steps[0][2]
        row = rows[0]
        if n not in (0, 1) and isinstance(row.actual, float) and close(x ** (n - 1), row.actual):
            return "pow drops its exponent: d(x**n)/dx = n * x**(n-1), the n in front is missing"
    if op.key == "tanh" and rows:
        t = outcome.expected[outcome.program.output][0]
        if close(1 - t, rows[0].actual):
            return "wrong local derivative: tanh's is 1 - t**2, not 1 - t"
    return f"wrong local derivative: {op.hint}"


LEFT = {
    "add": ("__radd__", "return self + other"),
    "mul": ("__rmul__", "return self * other"),
    "sub": ("__rsub__", "return (-self) + other"),
    "truediv": ("__rtruediv__", "return other * self**-1"),
    "pow_value": ("__rpow__", "return Value(other) ** self"),
}


# the lecture's class has no __rsub__ or __rtruediv__: without them 2 - a is an operation it lacks, while
# a missing __radd__ or __rmul__ is the classic bug (2 * a fails)
OPTIONAL_LEFT = ("sub", "truediv", "pow_value")


def check_numbers_left(session: Session) -> None:
    """``2.0 + a``, ``2.0 * a``, ...: a number on the left, for every operation the class has."""
    result = Result("numbers-left", "numbers on the left (2 + a, 2 * a, ...)")
    lacking = {r.id.removeprefix("forward.") for r in session.results if r.status == "lack"}
    for key, (method, body) in LEFT.items():
        if key in lacking or f"forward.{key}" not in {r.id for r in session.results}:
            continue
        if key in OPTIONAL_LEFT and method not in session.methods:
            symbol = "**" if key == "pow_value" else SYMBOLS[key]
            session.add(Result(f"numbers-left.{key}", f"2 {symbol} a", "lack", f"your class has no {method}"))
            continue
        program = Program()
        program.op("b", "pow" if key == "pow_value" else key, 2.0, program.leaf("a", 0.5))
        program.backward()
        try:
            outcome = session.probe(program)
        except Finding as finding:
            session.add(session.finding(result, finding, program))
            return
        if outcome.failed:
            used = sorted(outcome.ops_used())
            blocker = session.blocked_by([f"forward.{key}", f"grad.{key}", *(f"grad.{k}" for k in used)])
            if blocker:
                session.add(session.blocked(result, blocker))
            else:
                hint = f"Python asks the number first, then a.{method}(2.0): add def {method}(self, other): {body}"
                session.add(session.failure(result, outcome, hint))
            return
    session.add(result)
