"""The report of ``micrograd check``: one result per check, as text, as JSON and inline in a notebook.

The JSON document (``Report.to_json``) is stable, for autograders: its fields are
listed in docs/check.md and only ever added to, with ``"format": 1`` at the top.
"""

from __future__ import annotations

import html
import json
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from micrograd.checker.programs import Program
from micrograd.pictures.graph_text import format_number

__all__ = ["FORMAT", "GradientRow", "Report", "Result"]

FORMAT = 1  # the version of the JSON document
STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "lack": "LACK"}


@dataclass
class GradientRow:
    """One input's gradient: this engine's and the learner's."""

    name: str
    expected: float
    actual: float | str | None

    @property
    def wrong(self) -> bool:
        from micrograd.checker.programs import close

        return not close(self.expected, self.actual)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": _plain(self.expected),
            "actual": _plain(self.actual),
            "wrong": self.wrong,
        }


def _plain(x: float | str | None) -> float | str | None:
    """A number for JSON: a finite float as it is, nan and infinities as the strings "nan", "inf", "-inf"."""
    return str(x) if isinstance(x, float) and not math.isfinite(x) else x


@dataclass
class Result:
    """One check: its id (``grad.tanh``), status (pass, fail, skip, lack) and, for a failure, the evidence."""

    id: str
    title: str
    status: str = "pass"
    message: str = ""  # what went wrong (a failure), why it did not run (skip, lack), or a note (pass)
    code: str = ""  # the smallest program that shows the failure, as Python
    gradients: list[GradientRow] = field(default_factory=list)
    hint: str = ""
    picture: str | None = None  # the SVG written for it, if any
    svg: str | None = None  # the same picture's text, for a notebook
    program: Program | None = None  # the failing program, to draw it
    learner: dict[str, Any] | None = None  # the learner's numbers for that program

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "message": self.message,
            "code": self.code,
            "gradients": [row.as_dict() for row in self.gradients],
            "hint": self.hint,
            "picture": self.picture,
        }

    def lines(self, verbose: bool = True) -> list[str]:
        """The line for this check and, for a failure, what shows it."""
        head = f"{STATUS_WORDS[self.status]} {self.title}"
        if self.message and self.status != "pass":
            head += f": {self.message}"
        lines = [head]
        if self.message and self.status == "pass":  # a note: on lines of its own
            lines.extend(textwrap.wrap(self.message, 100, initial_indent="     ", subsequent_indent="     "))
        if not verbose or self.status != "fail":
            return lines
        if self.code:
            lines.append("     smallest case:")
            lines.extend(f"         {line}" for line in self.code.splitlines())
        if self.gradients:
            width = max(len(row.name) for row in self.gradients) + 5
            lines.append(f"     {'gradient':<{width}} {'expected':>12} {'yours':>12}")
            for row in self.gradients:
                actual = format_number(row.actual) if isinstance(row.actual, float) else str(row.actual)
                mark = "   <- wrong" if row.wrong else ""
                lines.append(f"     {row.name + '.grad':<{width}} {format_number(row.expected):>12} {actual:>12}{mark}")
        if self.hint:
            lines.append(f"     hint: {self.hint}")
        if self.picture:
            lines.append(f"     picture: {self.picture}")
        return lines


@dataclass
class Report:
    """Every check's result for one class, with what was loaded and what the learner's code printed."""

    target: str
    class_name: str
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_error: str = ""  # the one line saying why the target could not be loaded

    @property
    def counted(self) -> list[Result]:
        """The checks that apply to this class (not the operations it lacks)."""
        return [r for r in self.results if r.status != "lack"]

    @property
    def passed(self) -> int:
        return sum(r.status == "pass" for r in self.results)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def ok(self) -> bool:
        """True when the class loaded and no check failed."""
        return not self.load_error and not self.failed

    @property
    def exit_status(self) -> int:
        """0: every check passes; 1: some fail; 2: the target could not be loaded."""
        return 2 if self.load_error else (0 if self.passed == len(self.counted) else 1)

    def result(self, check_id: str) -> Result:
        """The result of the check with this id (KeyError if there is none)."""
        for result in self.results:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    def summary(self) -> str:
        return f"{self.passed} of {len(self.counted)} checks pass"

    def to_text(self) -> str:
        """One line per check, the evidence under each failure, the notes, and the final count."""
        if self.load_error:
            return f"cannot check: {self.load_error}\n"
        lines = [f"checking {self.class_name} from {self.target}"]
        for result in self.results:
            lines.extend(result.lines())
        lines.extend(f"note: {note}" for note in self.notes)
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    __str__ = to_text

    def __repr__(self) -> str:
        return f"<micrograd check report of {self.class_name} from {self.target}: {self.summary()}>"

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "target": self.target,
            "class": self.class_name,
            "loaded": not self.load_error,
            "load_error": self.load_error,
            "passed": self.passed,
            "total": len(self.counted),
            "exit_status": self.exit_status,
            "checks": [r.as_dict() for r in self.results],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """The stable JSON document (see docs/check.md)."""
        return json.dumps(self.as_dict(), indent=2, allow_nan=False, default=str)

    def _repr_html_(self) -> str:
        """In a notebook: the text, with each failure's picture inline."""
        parts = []
        for result in self.results:
            text = html.escape("\n".join(result.lines()))
            color = {"pass": "#1a7f37", "fail": "#cf222e"}.get(result.status, "#6e7781")
            parts.append(f'<pre style="margin:0;white-space:pre-wrap;color:{color}">{text}</pre>')
            if result.svg:
                parts.append(f"<div>{result.svg}</div>")
        for note in self.notes:
            parts.append(f"<pre style='margin:0'>note: {html.escape(note)}</pre>")
        parts.append(f"<p><b>{html.escape(self.summary())}</b></p>")
        return "\n".join(parts)

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")
