"""A Sybil parser for the docs' examples: a ```python block, then what it prints in an ```output block.

The format, for whoever writes docs (README.md and docs/*.md):

* A ```python block is code only, exactly what a reader pastes into the ``python``
  REPL or a notebook cell: no ``>>>`` or ``...`` prompts, no output lines.
* What the block prints goes in the fenced block right after it, with the info
  string ``output``.  A block that prints nothing has no output block.
* An error the example means to show ends its block; the output block shows the
  traceback's last line, as the REPL prints it (``ValueError: log: operand must be
  positive, got -1.0``).  Type and message are both checked.

How a block is run, so that passing here means it pastes:

* Line by line through :class:`code.InteractiveConsole`, as the Python 3.11 REPL
  reads a paste: a blank line ends an indented block, so a blank line inside a
  ``def`` or ``for`` fails here as it fails there, and so does a statement that
  follows an indented block without a blank line.
* The whole block must also compile as one notebook cell.
* A notebook shows the value of the cell's last expression only, the REPL the
  value of every expression: so only a block's last statement may show a value;
  anything else that should appear is ``print()``-ed.
* Output comparison: exact, except that trailing spaces at line ends and blank
  lines at either end are ignored, tabs count as the spaces a terminal shows
  (8 columns), and ``...`` in an output block stands for any text (as doctest's
  ELLIPSIS): for lines left out, and numbers that depend on the machine (timings).

Blocks of one file run in order in one namespace, as a reader pasting them one
after the other into one session would.
"""

from __future__ import annotations

import ast
import code
import contextlib
import doctest
import io
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

PROMPTS = (">>>", "...")


@dataclass
class Block:
    """One ```python block and the ```output block after it (``None`` when it has none)."""

    source: str
    expected: str | None


@dataclass
class Paste:
    """What pasting a block printed, and what went wrong on the way."""

    printed: str
    problem: str | None = None


class _Console(code.InteractiveConsole):
    """The REPL, with its output captured: values shown, errors as their last traceback line."""

    def __init__(self, namespace: dict[str, object]) -> None:
        super().__init__(namespace)
        self.out = io.StringIO()
        self.error: BaseException | None = None
        self.syntax: str | None = None
        self.shown_at: list[int] = []  # the line numbers whose statement showed a value
        self.line = 0

    def showtraceback(self) -> None:
        error = sys.exc_info()[1]
        assert error is not None
        self.error = error
        self.out.write("".join(traceback.format_exception_only(type(error), error)))

    def showsyntaxerror(self, filename: str | None = None, **kwargs: object) -> None:
        error = sys.exc_info()[1]
        self.syntax = "".join(traceback.format_exception_only(type(error), error)).strip()

    def displayhook(self, value: object) -> None:
        if value is None:
            return
        self.shown_at.append(self.line)
        self.out.write(repr(value) + "\n")


def paste(source: str, namespace: dict[str, object]) -> Paste:
    """Paste ``source`` into a REPL on ``namespace``, one line at a time, as a reader would."""
    lines = source.splitlines()
    if any(line.lstrip().startswith(PROMPTS) and not line.startswith(" ") for line in lines):
        return Paste("", "it has >>> or ... prompts: a ```python block is code only, the output goes in ```output")
    try:
        cell = ast.parse(source)
    except SyntaxError as error:
        return Paste("", f"it does not compile as a notebook cell: {error}")
    last_line = cell.body[-1].lineno if cell.body else 0
    console = _Console(namespace)
    saved_hook = sys.displayhook
    sys.displayhook = console.displayhook
    try:
        with contextlib.redirect_stdout(console.out):
            more = False
            for number, line in enumerate([*lines, ""], start=1):
                console.line = number
                if console.error is not None and line.strip():
                    problem = "code follows the error: an error the example shows ends its block"
                    return Paste(console.out.getvalue(), problem)
                more = console.push(line)
                if console.syntax is not None:
                    return Paste(console.out.getvalue(), f"pasted line by line at line {number}: {console.syntax}")
            if more:
                return Paste(console.out.getvalue(), "the REPL still waits for more input after the block")
    finally:
        sys.displayhook = saved_hook
    early = [n for n in console.shown_at if n < last_line]
    if early:
        return Paste(
            console.out.getvalue(),
            f"line {early[0]} shows a value, which a notebook cell does not (only its last expression): print() it",
        )
    return Paste(console.out.getvalue())


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip().expandtabs() for line in text.strip("\n").splitlines()) + "\n"


def matches(expected: str, printed: str) -> bool:
    """Whether ``printed`` is ``expected``, up to trailing spaces and ``...`` for any text."""
    checker = doctest.OutputChecker()
    return checker.check_output(_tidy(expected), _tidy(printed), doctest.ELLIPSIS)


def evaluate(example: Example) -> str | None:
    """Sybil's evaluator: paste the block into the file's namespace and compare what it printed."""
    block: Block = example.parsed
    result = paste(block.source, example.namespace)
    if result.problem is not None:
        return f"this block does not paste: {result.problem}\nit printed:\n{result.printed}"
    if block.expected is None:
        if result.printed.strip():
            return f"this block printed something, but has no ```output block after it:\n{result.printed}"
        return None
    if not matches(block.expected, result.printed):
        return f"the ```output block says:\n{block.expected}\nbut the block printed:\n{result.printed}"
    return None


def _refuse(message: str) -> object:
    def evaluator(example: Example) -> str:
        return message

    return evaluator


class PythonWithOutputParser:
    """Pairs each ```python block with the ```output block right after it (only blank lines between)."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(language=r"[^\n]*", mapping={"language": "language", "source": "source"})

    def __call__(self, document: Document) -> Iterable[Region]:
        fences = sorted(self.lexer(document), key=lambda region: region.start)
        taken: set[int] = set()
        for index, region in enumerate(fences):
            language = region.lexemes["language"].strip()
            if language == "output" and index not in taken:
                orphan = _refuse("an ```output block with no ```python block before it")
                yield Region(region.start, region.end, None, orphan)
            if language != "python":
                continue
            following = fences[index + 1] if index + 1 < len(fences) else None
            end, expected = region.end, None
            if (
                following is not None
                and following.lexemes["language"].strip() == "output"
                and not document.text[region.end : following.start].strip()
            ):
                end, expected = following.end, str(following.lexemes["source"])
                taken.add(index + 1)
            yield Region(region.start, end, Block(str(region.lexemes["source"]), expected), evaluate)


DOCS = Sybil(parsers=[PythonWithOutputParser()], patterns=["*.md"])
