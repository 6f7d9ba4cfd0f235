"""One checking session: the runner, the results so far, and how a probe program is judged.

Every check runs programs through :meth:`Session.probe`, which compares the
learner's numbers with this engine's and turns a hang or a crash into a failure of
that check.  A failure that an earlier failing check explains (a composition that
uses an operation whose gradient is already wrong) is shown as SKIP with the reason,
so that each bug fails exactly the check that names it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from micrograd.checker.operations import op_key
from micrograd.checker.picture import draw_failure
from micrograd.checker.programs import Program, close
from micrograd.checker.report import GradientRow, Result
from micrograd.checker.runner import Finding, Runner

__all__ = ["Outcome", "Session"]


@dataclass
class Outcome:
    """What one program gave: the learner's numbers, and what disagrees with this engine."""

    program: Program
    answer: dict[str, Any]
    message: str = ""  # why it failed ('' if it did not)
    rows: list[GradientRow] = field(default_factory=list)
    expected: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.message)

    def entry(self, name: str) -> dict[str, Any]:
        entry: dict[str, Any] = self.answer.get("vars", {}).get(name, {})
        return entry

    def ops_used(self) -> set[str]:
        """The operations (by key) in the learner's graph of the output."""
        symbols = self.entry(self.program.output).get("graph_ops", [])
        own = self.entry(self.program.output).get("op", "")
        return {op_key(s) for s in [*symbols, own]} - {""}


class Session:
    """The state shared by the checks of one class."""

    def __init__(self, runner: Runner, class_name: str, out: Path | None, inline: bool) -> None:
        self.runner = runner
        self.class_name = class_name
        self.methods: set[str] = set(runner.info.get("methods", []))
        self.results: list[Result] = []
        self.failed: set[str] = set()  # ids of failed checks
        self.out = out
        self.inline = inline
        self.passing_ops: list[str] = []  # operations whose forward and gradient checks pass
        self.accumulates: list[str] = []  # operations that pass the reuse cases

    def has(self, *methods: str) -> bool:
        return all(m in self.methods for m in methods)

    def add(self, result: Result) -> Result:
        """Record a result (and, for a failure, draw its picture)."""
        if result.status == "fail":
            self.failed.add(result.id)
            if result.program is not None and result.learner is not None and result.gradients:
                draw_failure(result, self.out, self.inline)
        self.results.append(result)
        return result

    def probe(self, program: Program, timeout: float | None = None) -> Outcome:
        """Run ``program`` with the learner's class; compare data and input gradients with this engine."""
        answer = self.runner.request({"type": "program", "steps": program.steps, "structure": True}, timeout)
        outcome = Outcome(program, answer)
        try:
            env = program.evaluate()
        except (ArithmeticError, ValueError, RecursionError) as problem:  # pragma: no cover - our programs are valid
            outcome.message = f"this engine cannot compute it either ({problem})"
            return outcome
        outcome.expected = {name: (value.data, value.grad) for name, value in env.items()}
        error = answer.get("error")
        if error:
            line = program.code(self.class_name).splitlines()[error["step"]] if "step" in error else ""
            where = f" at {error['where']}" if error.get("where") else ""
            outcome.message = f"{line.strip()} raised {error['type']}: {error['message']}{where}"
            return outcome
        out = program.output
        data = outcome.entry(out).get("data")
        if not outcome.entry(out).get("type_ok", True):
            outcome.message = f"{out} is not a {self.class_name} (it is {data!r})"
            return outcome
        if not close(env[out].data, data):
            outcome.message = f"{out}.data is {data}, expected {env[out].data:.10g}"
            return outcome
        if any(step[0] == "backward" for step in program.steps):
            outcome.rows = [GradientRow(n, env[n].grad, outcome.entry(n).get("grad")) for n in program.inputs]
            wrong = [row.name for row in outcome.rows if row.wrong]
            if wrong:
                outcome.message = f"wrong gradient of {', '.join(wrong)}"
        return outcome

    def failure(self, result: Result, outcome: Outcome, hint: str) -> Result:
        """Fill in a failed result from the outcome of its smallest failing program."""
        result.status = "fail"
        result.message = outcome.message
        result.code = outcome.program.code(self.class_name)
        result.gradients = outcome.rows
        result.hint = hint
        result.program = outcome.program
        result.learner = outcome.answer.get("vars", {})
        return result

    def blocked_by(self, ids: Iterable[str]) -> str:
        """The first of these checks that failed, or ''."""
        return next((i for i in ids if i in self.failed), "")

    def blocked(self, result: Result, blocker: str) -> Result:
        result.status = "skip"
        result.message = f"fails too, because of {blocker} above: fix that first"
        return result

    def finding(self, result: Result, finding: Finding, program: Program | None = None) -> Result:
        """A hang, crash or time-out while running the check."""
        if finding.kind == "time":
            result.status = "skip"
            result.message = str(finding)
            return result
        result.status = "fail"
        result.message = f"your code {finding}"
        if program is not None:
            result.code = program.code(self.class_name)
        result.hint = (
            "look for a loop that never ends in backward() or build_topo"
            if finding.kind == "hang"
            else "the Python process itself died: look for very deep recursion or os._exit/sys.exit in your class"
        )
        return result


def finite(x: Any) -> bool:
    return isinstance(x, float) and math.isfinite(x)
