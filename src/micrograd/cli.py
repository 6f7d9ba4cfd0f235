"""The ``micrograd`` command line: ``micrograd demo``, ``graph``, ``playground`` and ``check``.

Every failure a user can cause ends in a one-line message on stderr and exit
status 2 (usage) or 1 (anything else), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

MAX_SET = 1000  # --set options in one command (an expression has at most 1000 characters)


class CommandError(Exception):
    """A problem to report to the user in one line (no traceback)."""


def _add_demo_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``micrograd demo``: train an MLP and write pictures (issue 4)."""
    parser = commands.add_parser(
        "demo",
        help="train a small network and draw what it learned",
        description=(
            "Train an MLP on a toy dataset, show the progress, and write to --out the decision boundary "
            "(decision_boundary.png), the loss and accuracy curves (training_curves.png), the graph of one "
            "neuron (neuron.svg) and the trained parameters (model.json).  The defaults are micrograd's demo "
            "notebook: MLP(2, [16, 16, 1]) on 100 moons points, max-margin loss, SGD, 100 steps."
        ),
        epilog="example: micrograd demo --dataset spirals --optimizer adam --steps 200 --out spirals",
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--dataset",
        default="moons",
        metavar="NAME",
        help="moons (default), circles, xor, spirals, blobs, yin_yang",
    )
    data.add_argument("--samples", type=int, metavar="N", help="number of points (default: 100, yin_yang 150)")
    data.add_argument("--noise", type=float, metavar="X", help="noise of the dataset (default: its own)")
    data.add_argument("--classes", type=int, default=3, metavar="K", help="classes of spirals and blobs (default 3)")
    model = parser.add_argument_group("model")
    model.add_argument(
        "--hidden",
        default="16,16",
        metavar="SIZES",
        help="hidden layer sizes, comma-separated (default 16,16)",
    )
    model.add_argument("--activation", default="relu", metavar="NAME", help="relu (default), tanh, sigmoid")
    model.add_argument("--init", default="uniform", metavar="NAME", help="uniform (default), xavier, he")
    training = parser.add_argument_group("training")
    training.add_argument(
        "--loss",
        metavar="NAME",
        help="hinge, mse, bce, cross-entropy (default: hinge for 2 classes, cross-entropy for more)",
    )
    training.add_argument(
        "--alpha", type=float, default=1e-4, metavar="X", help="L2 penalty added to the loss (default 1e-4)"
    )
    training.add_argument("--optimizer", default="sgd", metavar="NAME", help="sgd (default), momentum, adam, adamw")
    training.add_argument(
        "--lr", type=float, metavar="X", help="learning rate (default: 1.0 for sgd, 0.1 for momentum, 0.05 for adam)"
    )
    training.add_argument(
        "--schedule", default="linear", metavar="NAME", help="linear (to lr/10, default), cosine, constant"
    )
    training.add_argument("--steps", type=int, default=100, metavar="N", help="training steps (default 100)")
    training.add_argument("--batch-size", type=int, metavar="N", help="points per step (default: all of them)")
    training.add_argument("--seed", type=int, default=1, metavar="N", help="seed of data and weights (default 1)")
    parser.add_argument("--out", default="demo-output", metavar="DIR", help="output folder (default demo-output)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    parser.add_argument(
        "--compile", action="store_true", help="trace the training step once and replay it (micrograd.compile)"
    )
    parser.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    """Check the options, train, print the result and write the pictures."""
    from micrograd.demo import DemoConfig, DemoError, run

    try:
        hidden = tuple(int(size) for size in args.hidden.split(",") if size.strip())
    except ValueError:
        raise CommandError(f"--hidden {args.hidden}: expected sizes separated by commas, such as 16,16") from None
    config = DemoConfig(
        dataset=args.dataset.replace("-", "_"),
        samples=args.samples,
        noise=args.noise,
        classes=args.classes,
        hidden=hidden,
        activation=args.activation,
        init=args.init,
        loss=args.loss,
        optimizer=args.optimizer,
        lr=args.lr,
        schedule=args.schedule,
        steps=args.steps,
        batch_size=args.batch_size,
        alpha=args.alpha,
        seed=args.seed,
        compile=args.compile,
    )
    try:
        run(config, args.out, progress=not args.no_progress)
    except DemoError as error:
        raise CommandError(str(error)) from None
    return 0


def _add_graph_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``micrograd graph EXPR``: explain and draw an expression's graph (issue 3)."""
    parser = commands.add_parser(
        "graph",
        help="backpropagate through an expression, explain and draw it",
        description=(
            "Build the graph of an arithmetic expression, run forward and backward, print the graph\n"
            "and the chain rule for every gradient, and optionally write a picture.\n\n"
            "Allowed: numbers, variables given with --set, + - * / **, parentheses,\n"
            "exp log tanh sigmoid relu, and 'name = ...' statements separated by ';'\n"
            'to name intermediate values, as in "e = a*b; d = e + c; L = d*f".'
        ),
        epilog='example: micrograd graph "(a*b + c)*f" --set a=2 --set b=-3 --set c=10 --set f=-2 --out example.svg\n'
        'An expression that starts with "-" goes last, after "--": micrograd graph --set x=2 -- "-x**2"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", metavar="EXPR", help='for example "(a*b + c)*f" or "e = a*b; L = e*f"')
    parser.add_argument(
        "--set",
        dest="variables",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"give a variable its value (repeat for each variable, at most {MAX_SET} times)",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="write the picture here; the extension picks the format: .svg .png (rendered), "
        ".dot (DOT source), .mmd (Mermaid), .txt (text)",
    )
    parser.add_argument(
        "--steps",
        action="store_true",
        help="write one picture per backprop step: PATH_step0 (before backward), PATH_step1, ...",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the explanation as Markdown with math instead of text"
    )
    parser.add_argument("--max-nodes", type=int, metavar="N", help="draw at most N values, those nearest the result")
    parser.add_argument("--depth", type=int, metavar="N", help="draw values at most N operations from the result")
    parser.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR", help="picture direction")
    parser.set_defaults(run=_run_graph)


def _set_hint(names: tuple[str, ...], shown: int = 3) -> str:
    """How to give the missing variables values on the command line: ``give one with --set y=NUMBER``."""
    if len(names) == 1:
        return f"give one with --set {names[0]}=NUMBER"
    options = " ".join(f"--set {name}=NUMBER" for name in names[:shown])
    return f"give them with {options}" + (" ..." if len(names) > shown else "")


def _read_variables(assignments: list[str]) -> dict[str, float]:
    """The values of ``--set NAME=VALUE`` options, by the name as the parser reads it."""
    from micrograd.expression import ExpressionError, variable_name

    variables: dict[str, float] = {}
    given: dict[str, str] = {}  # the name as Python reads it -> as typed
    for assignment in assignments:
        typed, equals, number = assignment.partition("=")
        typed = typed.strip()
        if not equals or not typed:
            raise CommandError(f"--set {assignment!r}: expected NAME=VALUE, such as --set a=2")
        try:
            name = variable_name(typed)  # NFKC, as the parser reads the expression: 'ａ' is 'a'
        except ExpressionError as error:
            raise CommandError(f"--set {typed}: {error}") from None
        if name in given:
            same = (
                "given twice"
                if given[name] == typed
                else f"the same variable as --set {given[name]} (both are {name!r})"
            )
            raise CommandError(f"--set {typed}: {same}")
        given[name] = typed
        try:
            variables[name] = float(number)
        except ValueError:
            raise CommandError(f"--set {typed}: {number.strip()!r} is not a number") from None
    return variables


def _run_graph(args: argparse.Namespace) -> int:
    """Parse, backpropagate, print the graph and its explanation, write the pictures."""
    import math
    import subprocess
    from pathlib import Path

    from micrograd.expression import ExpressionError, MissingValuesError, parse_expression
    from micrograd.pictures.explainer import explain
    from micrograd.pictures.graph_text import node_names
    from micrograd.pictures.visualize import RendererNotFound, save_picture, save_steps, to_text

    variables = _read_variables(args.variables)
    if args.steps and not args.out:
        raise CommandError("--steps needs --out PATH (the pictures are written to PATH_step0, PATH_step1, ...)")
    for option in ("max_nodes", "depth"):
        limit = getattr(args, option)
        if limit is not None and limit < (1 if option == "max_nodes" else 0):
            raise CommandError(f"--{option.replace('_', '-')} {limit}: too small")
    out = Path(args.out) if args.out else None
    if out is not None and not out.suffix:
        raise CommandError(f"--out {args.out}: add an extension to pick the format (.svg, .png, .dot, .mmd, .txt)")

    try:
        root = parse_expression(args.expression, variables)
    except MissingValuesError as error:
        raise CommandError(f"{error} ({_set_hint(error.names)})") from None
    except ExpressionError as error:
        raise CommandError(str(error)) from None
    if not math.isfinite(root.data):  # inf - inf and the like: float arithmetic, but no answer to show
        raise CommandError(f"the expression's value is {root.data}: a number in it is too large for a float")
    # name the unnamed values, so that the picture and the explanation agree
    for node, name in node_names(root).items():
        node.label = name
    options = {"rankdir": args.rankdir, "max_nodes": args.max_nodes, "depth": args.depth}
    written = []
    try:
        if args.steps:
            assert out is not None
            written += save_steps(root, out, **options)  # step 0 is the graph before backward
        else:
            root.backward()
            if out is not None:
                written.append(save_picture(root, out, **options))
    except (ArithmeticError, ValueError) as error:
        raise CommandError(str(error).splitlines()[0]) from None
    except (RendererNotFound, ImportError) as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {error.filename or args.out}: {error.strerror or error}") from None
    except subprocess.CalledProcessError as error:  # the renderer refused (graphviz's error is a subclass)
        stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else str(error.stderr or "")
        reason = stderr.strip().splitlines()[0] if stderr.strip() else f"exit status {error.returncode}"
        raise CommandError(f"cannot render {out}: {reason}") from None

    print(to_text(root, max_nodes=args.max_nodes, depth=args.depth))
    print(explain(root, format="markdown" if args.markdown else "text"), end="")
    for path in written:
        print(f"wrote {path}")
    return 0


def _add_playground_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``micrograd playground``: the live page in the browser (issue 8)."""
    parser = commands.add_parser(
        "playground",
        help="open the live playground page (expression lab and training) in the browser",
        description="Serve the playground page, print its address and open it in the browser; Ctrl-C stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--sessions", type=int, default=8, help="training tabs served at once (default 8)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    static = parser.add_argument_group("a static site instead of a server (docs/teaching.md)")
    static.add_argument("--export", metavar="DIR", help="write the page as a static site that runs in the browser")
    static.add_argument(
        "--pyodide", metavar="URL_OR_PATH", help="a Pyodide to copy in (node_modules/pyodide), or its URL"
    )
    static.add_argument("--viz", metavar="URL_OR_PATH", help="an @viz-js/viz to copy in, or the URL of its viz.js")
    parser.set_defaults(run=_run_playground)


def _run_playground(args: argparse.Namespace) -> int:
    if args.export is not None:
        return _export_playground(args)
    for option in ("pyodide", "viz"):
        if getattr(args, option) is not None:
            raise CommandError(f"--{option} goes with --export DIR (it says where the static site loads it from)")
    from micrograd.playground.server import main as serve

    if not (0 <= args.port <= 65535 and 1 <= args.sessions <= 1000):
        raise CommandError(f"--port {args.port} --sessions {args.sessions}: a port is 0 to 65535, sessions 1 to 1000")
    try:
        return serve(args.host, args.port, open_browser=not args.no_browser, sessions=args.sessions)
    except OSError as error:
        raise CommandError(f"cannot serve on {args.host}:{args.port}: {error.strerror or error}") from None


def _export_playground(args: argparse.Namespace) -> int:
    """``micrograd playground --export DIR``: write the static site and say how to serve it."""
    from micrograd.playground.export import ExportError, export_site

    try:
        exported = export_site(args.export, pyodide=args.pyodide, viz=args.viz)
    except ExportError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {error.filename or args.export}: {error.strerror or error}") from None
    print(exported.summary())
    return 0


def _add_check_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``micrograd check TARGET``: check a Value class a learner wrote (issue 20)."""
    parser = commands.add_parser(
        "check",
        help="check the Value class you wrote yourself against this engine",
        description=(
            "Load your Value class (and your Neuron, Layer, MLP if the module has them) in a separate process, "
            "run expressions through it and compare every number with this engine: one PASS or FAIL line per "
            "check; for a failure the smallest expression, the expected and actual gradients, a hint and a "
            "picture.  Exit status 0: all pass, 1: some fail, 2: the target could not be loaded."
        ),
        epilog="example: micrograd check my_micrograd.ipynb --out check-output",
    )
    parser.add_argument("target", metavar="TARGET", help="a .py file, a .ipynb notebook or an importable module name")
    parser.add_argument("--class", dest="class_name", default="Value", metavar="NAME", help="the class (default Value)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (docs/check.md)")
    parser.add_argument(
        "--out", default="check-output", metavar="DIR", help="folder for pictures of failures (default check-output)"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="S", help="time limit for all checks, in seconds (default 60)"
    )
    parser.add_argument(
        "--check-timeout", type=float, default=10.0, metavar="S", help="time limit for each check (default 10)"
    )
    parser.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from micrograd.checker import check

    for option in ("timeout", "check_timeout"):
        if not 0 < getattr(args, option) <= 86400:
            raise CommandError(f"--{option.replace('_', '-')} {getattr(args, option)}: give seconds, from 0 to 86400")
    if not args.class_name.isidentifier():
        print(f"micrograd check: --class {args.class_name!r} is not a Python name", file=sys.stderr)
        return 2
    try:
        limits = {"timeout": args.timeout, "check_timeout": args.check_timeout}
        report = check(args.target, class_name=args.class_name, out=args.out, **limits)
    except OSError as error:  # --out cannot be written, or no process could be started
        where = f"write {error.filename}" if error.filename else f"check {args.target}"
        raise CommandError(f"cannot {where}: {error.strerror or error}") from None
    if args.json:
        print(report.to_json())
    elif not report.load_error:
        print(report.to_text(), end="")
    if report.load_error:
        print(f"micrograd check: {report.load_error}", file=sys.stderr)
    return report.exit_status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="micrograd", description="See backpropagation at work.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo_parser(commands)
    _add_graph_parser(commands)
    _add_playground_parser(commands)
    _add_check_parser(commands)
    return parser


def _count_set_options(argv: Sequence[str]) -> int:
    """How many ``--set`` options (or abbreviations such as ``--se``) come before a ``--``."""
    count = 0
    for argument in argv:
        if argument == "--":
            break
        count += argument.partition("=")[0] in ("--set", "--se")  # argparse accepts the abbreviation
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # argparse takes time quadratic in the number of options: refuse thousands before it starts
        if _count_set_options(argv) > MAX_SET:
            raise CommandError(f"too many --set options ({_count_set_options(argv):,}; the limit is {MAX_SET:,})")
        args = build_parser().parse_args(argv)
        if any(ord(c) < 32 or c in "\x7f\u2028\u2029" for c in getattr(args, "out", None) or ""):
            raise CommandError(f"--out {args.out!r}: a file name with a control character (a newline, say) is refused")
        return int(args.run(args))
    except CommandError as err:  # one line, whatever it quotes: a line break in it is shown as \n
        print("micrograd: error:", "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(err)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("micrograd: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (as `micrograd graph ... | head` does): stop quietly, and
        # point stdout at devnull so the interpreter's final flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
