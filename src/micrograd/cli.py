"""The ``micrograd`` command line: ``micrograd demo`` and ``micrograd graph``.

Every failure a user can cause ends in a one-line message on stderr and exit
status 2 (usage) or 1 (anything else), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class CommandError(Exception):
    """A problem to report to the user in one line (no traceback)."""


def _add_demo_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``micrograd demo``: train an MLP and write pictures (issue 4)."""
    parser = commands.add_parser("demo", help="train a small network and draw what it learned")
    parser.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    raise CommandError("demo: not built yet")


def _add_graph_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``micrograd graph EXPR``: explain and draw an expression's graph (issue 3)."""
    parser = commands.add_parser("graph", help="backpropagate through an expression, explain and draw it")
    parser.set_defaults(run=_run_graph)


def _run_graph(args: argparse.Namespace) -> int:
    raise CommandError("graph: not built yet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="micrograd", description="See backpropagation at work.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo_parser(commands)
    _add_graph_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CommandError as error:
        print(f"micrograd: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("micrograd: interrupted", file=sys.stderr)
        return 130
