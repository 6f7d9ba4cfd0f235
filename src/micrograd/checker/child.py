"""The learner's side of ``micrograd check``: load their class, run probe programs, answer in plain data.

This module runs in a separate process (started as a script, or forked by
``micrograd.check(ValueClass)``) and imports nothing from micrograd, so the learner's
code never shares a process with the checker and their own ``micrograd`` package,
if any, is free to load.  It reads one JSON request a line and writes one JSON
answer a line, on file descriptors of its own; the learner's prints go elsewhere.

A *program* is a list of steps, each a list: ``["leaf", name, number]``,
``["op", name, operator, x, y]`` (``operator`` from the ``operator`` module, ``x``
and ``y`` variable names or numbers; unary operators have no ``y``),
``["method", name, method, x]``, ``["chain", name, x, operator, number, count]``
(``count`` times ``name = name <operator> number``, starting from ``x``),
``["backward", name]``, ``["snap"]`` (record every gradient) and ``["zero"]``
(set every gradient to 0).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import io
import json
import operator
import os
import random
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any, TextIO

UNARY_METHODS: dict[str, Callable[[Any], Any]] = {"neg": operator.neg, "abs": operator.abs}
MAX_NODES = 20_000  # a learner's graph is walked at most this far


class ProbeError(Exception):
    """A step of a probe program raised: which step, and what."""

    def __init__(self, step: int, error: BaseException) -> None:
        super().__init__(f"step {step}: {type(error).__name__}: {error}")
        self.step = step
        self.error = error


def describe(error: BaseException) -> dict[str, Any]:
    """An exception as plain data: its type, message and the learner's line that raised it."""
    frames = traceback.extract_tb(error.__traceback__)
    where = ""
    for frame in reversed(frames):
        if frame.filename != __file__:
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}: {(frame.line or '').strip()}"
            break
    return {"type": type(error).__name__, "message": str(error)[:500], "where": where}


def as_number(x: Any) -> float | str:
    try:
        return float(x)
    except Exception:
        return repr(x)[:80]


class Program:
    """One run of a probe program with the learner's class."""

    def __init__(self, cls: type, steps: list[list[Any]]) -> None:
        self.cls = cls
        self.steps = steps
        self.env: dict[str, Any] = {}
        self.snaps: list[dict[str, Any]] = []

    def arg(self, x: Any) -> Any:
        return self.env[x] if isinstance(x, str) else x

    def run(self) -> None:
        for number, step in enumerate(self.steps):
            try:
                self.step(step)
            except RecursionError as error:
                raise ProbeError(number, error) from None
            except Exception as error:
                raise ProbeError(number, error) from error

    def step(self, step: list[Any]) -> None:
        kind = step[0]
        if kind == "leaf":
            self.env[step[1]] = self.cls(step[2])
        elif kind == "op":
            function: Callable[..., Any] = UNARY_METHODS.get(step[2]) or getattr(operator, step[2])
            args = [self.arg(x) for x in step[3:]]
            self.env[step[1]] = function(*args)
        elif kind == "method":
            self.env[step[1]] = getattr(self.arg(step[3]), step[2])()
        elif kind == "chain":
            value = self.arg(step[2])
            function = getattr(operator, step[3])
            for _ in range(step[5]):
                value = function(value, step[4])
            self.env[step[1]] = value
        elif kind == "backward":
            self.env[step[1]].backward()
        elif kind == "snap":
            self.snaps.append({name: as_number(getattr(v, "grad", None)) for name, v in self.env.items()})
        elif kind == "zero":
            for value in self.env.values():
                value.grad = 0.0
        else:
            raise ValueError(f"unknown step {kind!r}")

    def report(self, structure: bool) -> dict[str, Any]:
        names = {id(v): name for name, v in self.env.items()}
        out: dict[str, Any] = {}
        for name, value in self.env.items():
            entry: dict[str, Any] = {
                "data": as_number(getattr(value, "data", None)),
                "grad": as_number(getattr(value, "grad", None)),
                "type_ok": isinstance(value, self.cls),
            }
            if structure:
                entry.update(node_structure(value, names))
            out[name] = entry
        return out


def node_structure(value: Any, names: dict[int, str]) -> dict[str, Any]:
    """``_op``, ``_prev`` (by variable name or as constants) and every op in the graph below ``value``."""
    entry: dict[str, Any] = {}
    if hasattr(value, "_op"):
        entry["op"] = str(value._op)[:40]
    prev = getattr(value, "_prev", None)
    if prev is None:
        return entry
    children: list[str | dict[str, Any]] = []
    for child in list(prev)[:100]:
        if id(child) in names:
            children.append(names[id(child)])
        else:
            grandchildren = getattr(child, "_prev", ())
            children.append(
                {
                    "data": as_number(getattr(child, "data", None)),
                    "op": str(getattr(child, "_op", ""))[:40],
                    "leaf": not grandchildren,
                    "grad": as_number(getattr(child, "grad", None)),
                }
            )
    entry["prev"] = children
    ops: set[str] = set()
    reached: set[str] = set()
    seen = {id(value)}
    stack = [value]
    while stack and len(seen) < MAX_NODES:
        node = stack.pop()
        symbol = getattr(node, "_op", "")
        if symbol:
            ops.add(str(symbol)[:40])
        for child in getattr(node, "_prev", ()) or ():
            if id(child) not in seen:
                seen.add(id(child))
                if id(child) in names:
                    reached.add(names[id(child)])
                stack.append(child)
    entry["graph_ops"] = sorted(ops)
    entry["reaches"] = sorted(reached)
    return entry


# -- requests --------------------------------------------------------------------------------


def run_program(cls: type, request: dict[str, Any]) -> dict[str, Any]:
    program = Program(cls, request["steps"])
    answer: dict[str, Any] = {"error": None}
    try:
        program.run()
    except ProbeError as error:
        answer["error"] = {"step": error.step, **describe(error.error)}
    answer["vars"] = program.report(bool(request.get("structure")))
    answer["snaps"] = program.snaps
    return answer


def run_forwards(cls: type, request: dict[str, Any]) -> dict[str, Any]:
    """The output's data for each set of leaf values (for numerical gradients)."""
    results: list[float | str | None] = []
    output = request["output"]
    for leaves in request["variants"]:
        steps = [["leaf", s[1], leaves.get(s[1], s[2])] if s[0] == "leaf" else s for s in request["steps"]]
        program = Program(cls, steps)
        try:
            program.run()
            results.append(as_number(program.env[output].data))
        except ProbeError:
            results.append(None)
    return {"results": results}


def run_nn(namespace: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Build the learner's modules with a fixed seed; count parameters, or train a few steps."""
    random.seed(request.get("seed", 0))
    if request["action"] == "counts":
        counts: dict[str, Any] = {}
        for name, args in (("Neuron", (3,)), ("Layer", (3, 4)), ("MLP", (3, [4, 4, 1]))):
            if name in namespace:
                try:
                    counts[name] = len(list(namespace[name](*args).parameters()))
                except Exception as error:
                    counts[name] = describe(error)
        return {"counts": counts}
    return train(namespace["MLP"], request)


def train(mlp_class: Callable[..., Any], request: dict[str, Any]) -> dict[str, Any]:
    model = mlp_class(*request["shape"])
    parameters = list(model.parameters())
    answer: dict[str, Any] = {"weights": [as_number(p.data) for p in parameters], "steps": []}
    answer["has_zero_grad"] = callable(getattr(model, "zero_grad", None))
    for number in range(request["steps"]):
        step: dict[str, Any] = {}
        answer["steps"].append(step)
        if number and answer["has_zero_grad"]:
            model.zero_grad()
        outputs = [model(x) for x in request["xs"]]
        outputs = [o[0] if isinstance(o, list) and len(o) == 1 else o for o in outputs]
        step["outputs"] = [as_number(getattr(o, "data", None)) for o in outputs]
        loss = None
        for out, target in zip(outputs, request["ys"], strict=False):
            difference = out + (-target)
            term = difference * difference
            loss = term if loss is None else loss + term
        assert loss is not None
        step["loss"] = as_number(loss.data)
        loss.backward()
        step["grads"] = [as_number(p.grad) for p in parameters]
        for p in parameters:
            p.data += -request["lr"] * p.grad
    return answer


def handle(namespace: dict[str, Any], cls: type, request: dict[str, Any]) -> dict[str, Any]:
    kind = request["type"]
    if kind == "program":
        return run_program(cls, request)
    if kind == "forwards":
        return run_forwards(cls, request)
    if kind == "nn":
        return run_nn(namespace, request)
    raise ValueError(f"unknown request {kind!r}")


# -- loading the target ----------------------------------------------------------------------


class LoadError(Exception):
    """The target could not be loaded: one line saying why."""


def load_file(path: str) -> dict[str, Any]:
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location("learner_module", path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules["learner_module"] = module
    spec.loader.exec_module(module)
    return vars(module)


def load_notebook(path: str, class_name: str, notes: list[str]) -> dict[str, Any]:
    """Run the notebook's code cells in order until ``class_name`` exists (shell and magic lines skipped)."""
    with open(path, encoding="utf-8") as file:
        notebook = json.load(file)
    os.chdir(os.path.dirname(os.path.abspath(path)))
    sys.path.insert(0, os.getcwd())
    module = types.ModuleType("learner_notebook")
    sys.modules["learner_notebook"] = module
    namespace = vars(module)
    cells = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    for number, cell in enumerate(cells, start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("!", "%")))
        found = class_name in namespace
        if found and not only_definitions(code):
            continue  # after the class, only cells that define things (Neuron, Layer, MLP): no training loops
        try:
            exec(compile(code, f"<cell {number}>", "exec"), namespace)
        except Exception as error:
            notes.append(f"code cell {number} failed and was skipped ({type(error).__name__}: {error})")
    return namespace


def only_definitions(code: str) -> bool:
    """Whether a cell only defines classes and functions and imports modules."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    kinds = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Import, ast.ImportFrom)
    return bool(tree.body) and all(isinstance(statement, kinds) for statement in tree.body)


def load(request: dict[str, Any]) -> tuple[dict[str, Any], type, list[str]]:
    target, kind, class_name = request["target"], request["kind"], request["class_name"]
    notes: list[str] = []
    if kind == "file":
        namespace = load_file(target)
    elif kind == "notebook":
        namespace = load_notebook(target, class_name, notes)
    else:
        sys.path.insert(0, os.getcwd())
        namespace = vars(importlib.import_module(target))
    cls = namespace.get(class_name)
    if not isinstance(cls, type):
        found = "" if cls is None else f" (it is a {type(cls).__name__}, not a class)"
        raise LoadError(f"{target} has no class {class_name}{found}")
    return namespace, cls, notes


def class_info(namespace: dict[str, Any], cls: type) -> dict[str, Any]:
    """Which methods the class has, and which of Neuron, Layer, MLP the module has."""
    methods = sorted(name for name in dir(cls) if callable(getattr(cls, name, None)))
    modules = [name for name in ("Neuron", "Layer", "MLP") if isinstance(namespace.get(name), type)]
    return {"methods": methods, "nn": modules}


# -- the loop --------------------------------------------------------------------------------


class Capped(io.TextIOBase):
    """A text stream keeping the first ``limit`` characters written to it (the learner's prints)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.size < self.limit:
            self.kept.append(text[: self.limit - self.size])
        self.size += len(text)
        return len(text)

    def writable(self) -> bool:
        return True


def serve(requests: TextIO, answers: TextIO, preloaded: tuple[dict[str, Any], type] | None = None) -> None:
    """Answer requests until the input closes; the first is ``load`` unless the class is preloaded."""
    captured = Capped(4000)
    sys.stdout = sys.stderr = captured
    state = preloaded
    for line in requests:
        request = json.loads(line)
        try:
            if request["type"] == "load":
                namespace, cls, notes = load(request)
                state = (namespace, cls)
                answer: dict[str, Any] = {"ok": True, "notes": notes, **class_info(namespace, cls)}
            elif request["type"] == "info":
                assert state is not None
                answer = {"ok": True, "notes": [], **class_info(*state)}
            else:
                assert state is not None
                answer = {"ok": True, **handle(state[0], state[1], request)}
        except SyntaxError as error:
            answer = {
                "ok": False,
                "error": {
                    "type": "SyntaxError",
                    "message": f"{error.msg}",
                    "where": f"{os.path.basename(error.filename or '')}:{error.lineno}",
                },
            }
        except BaseException as error:  # the learner's code may raise anything, even SystemExit
            answer = {"ok": False, "error": describe(error)}
        answer["printed"] = captured.size
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def main() -> None:
    """As a script: requests on stdin, answers on the original stdout; prints go to a capped buffer."""
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # the checker's folder is no place to import the learner's modules from
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # input() in their code reads nothing rather than our requests
    os.dup2(2, 1)  # writes to file descriptor 1 from C go to stderr, which the parent caps
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    serve(requests, answers)


if __name__ == "__main__":
    main()
