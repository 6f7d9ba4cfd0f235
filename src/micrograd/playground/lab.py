"""The expression lab: an expression's graph, backpropagated step by step, as JSON.

:func:`evaluate` is what ``POST /api/expression`` answers.  The expression is read
by :func:`micrograd.expression.parse_expression` (the grammar of ``micrograd
graph``; never ``eval``); its free names are the variables, each given the value
the request sends or 1.  Backpropagation runs ``steps`` steps of
``Value.backward_steps()`` (all of them when ``steps`` is absent), so a page can
walk it one node at a time; every node says whether its gradient is final yet.
Nothing is kept between requests.

An expression that cannot be computed yet (half typed, a name too many, a log of a
negative number) is not a bad request: the answer is ``{"expression": ..., "error":
...}`` with status 200, so a page typing key by key logs no HTTP errors.  A request
that is wrong in itself (variables that are not numbers, a step count below 0) is
still refused with 400.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from micrograd.autograd import Value, graph_order
from micrograd.expression import FUNCTIONS, MAX_LENGTH, ExpressionError, MissingValuesError, parse_expression
from micrograd.pictures.explainer import explain
from micrograd.pictures.graph_text import node_names, topological_order
from micrograd.playground.errors import RequestError, number_field

__all__ = [
    "DEFAULT_EXPRESSION",
    "DEFAULT_VARIABLES",
    "MAX_DRAWN",
    "MAX_VARIABLES",
    "ExpressionProblem",
    "evaluate",
    "free_names",
    "picture",
]

DEFAULT_EXPRESSION = "e = a*b; d = e + c; L = d*f"
DEFAULT_VARIABLES = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
MAX_VARIABLES = 26
MAX_VALUE = 1e6  # a variable's value or a nudge, in absolute value
MAX_DRAWN = 60  # values in the picture (those nearest the result): layout time grows fast with size


class ExpressionProblem(RequestError):
    """The expression itself cannot be computed (not the request): answered with status 200 and ``error``."""


def free_names(source: str) -> list[str]:
    """The variables of ``source``: names read before any statement assigns them, in order.

    Only names are looked at here; the parser checks everything else.  A text that
    does not parse gives ``[]`` (the parser then reports why).
    """
    if len(source) > MAX_LENGTH:
        return []
    try:
        tree = ast.parse(source, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names: list[str] = []
    assigned: set[str] = set()
    for statement in tree.body:
        value = statement.value if isinstance(statement, (ast.Expr, ast.Assign)) else statement
        used = sorted(
            (node for node in ast.walk(value) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)),
            key=lambda node: (node.lineno, node.col_offset),
        )
        for node in used:
            if node.id not in assigned and node.id not in FUNCTIONS and node.id not in names:
                names.append(node.id)
        if isinstance(statement, ast.Assign):
            assigned.update(target.id for target in statement.targets if isinstance(target, ast.Name))
    return names


def _variables(source: str, given: Any) -> dict[str, float]:
    """The value of every free name: the one given, else 1."""
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise RequestError('variables must be an object of names and numbers, such as {"a": 2}')
    names = free_names(source)
    if len(names) > MAX_VARIABLES:
        raise ExpressionProblem(f"the expression has {len(names)} variables; the limit is {MAX_VARIABLES}")
    values = {}
    for name in names:
        values[name] = number_field(given, name, 1.0, -MAX_VALUE, MAX_VALUE, what=f"the value of {name}")
    return values


def _parse(source: str, variables: dict[str, float]) -> Value:
    try:
        root = parse_expression(source, variables)
    except MissingValuesError as error:
        raise ExpressionProblem(f"{error}: give each variable a number in the list of variables") from None
    except ExpressionError as error:
        raise ExpressionProblem(str(error)) from None
    for node in topological_order(root):  # JSON has no inf or nan, and 1/(a*1e300*1e300) is finite
        if not math.isfinite(node.data):
            which = "the expression's value" if node is root else "a step of the expression"
            raise ExpressionProblem(f"{which} is {node.data}: a number in it is too large for a float")
    return root


def _explanation(root: Value) -> list[list[str]]:
    """``explain``'s lines grouped by step: the header, then one group per backprop step."""
    groups: list[list[str]] = [[]]
    for line in explain(root).splitlines():
        if line.startswith("Step "):
            groups.append([])
        groups[-1].append(line)
    return groups


def _number(x: float) -> float | None:
    """``x`` for JSON, which has no inf or nan."""
    return x if math.isfinite(x) else None


def _backpropagate(root: Value, nodes: list[Value], limit: int | None) -> tuple[list[Value], int, dict[Value, float]]:
    """Backpropagate ``limit`` steps (all if None): the whole order, the steps done and every final gradient.

    The gradients left on the nodes are those after the steps done.
    """
    order: list[Value] = []
    stepper = root.backward_steps()
    if limit is None or limit > 0:
        for node in stepper:
            order.append(node)
            if limit is not None and len(order) >= limit:
                break
    done = len(order)
    shown = {node: node.grad for node in nodes}  # the gradients after `done` steps
    if done == 0:
        shown[root] = 1.0  # before any step, backprop's seed is there already: dL/dL = 1
    order.extend(stepper)  # the rest: the whole order, and every gradient final
    final = {node: node.grad for node in nodes}
    for node, grad in shown.items():
        node.grad = grad
    return order, done, final


def _computed(source: str, given: Any) -> tuple[dict[str, float], Value]:
    """The variables' values and the expression's graph, or an ExpressionProblem saying why there is none."""
    if len(source) > MAX_LENGTH:
        raise ExpressionProblem(f"the expression is too long ({len(source)} characters; the limit is {MAX_LENGTH})")
    variables = _variables(source, given)
    return variables, _parse(source, variables)


def evaluate(request: Mapping[str, Any]) -> dict[str, Any]:
    """Parse, backpropagate ``steps`` steps, explain and draw; see docs/playground.md."""
    source = request.get("expression", DEFAULT_EXPRESSION)
    if not isinstance(source, str):
        raise RequestError("expression must be text")
    given = request.get("variables")
    if given is None and "expression" not in request:
        given = DEFAULT_VARIABLES  # the example's walkthrough
    try:
        variables, root = _computed(source, given)
    except ExpressionProblem as problem:
        return {"expression": source, "error": str(problem)}  # not yet an expression: no graph, no HTTP error
    for node, name in node_names(root).items():
        node.label = name  # the picture, the explanation and the JSON call every value the same
    nodes, consumers = graph_order(root)  # consumers: how many times each value is an operand
    ids = {node: f"v{number}" for number, node in enumerate(nodes, start=1)}  # draw_dot's ids

    limit = None if request.get("steps") is None else number_field(request, "steps", 0, 0, 10**9, integer=True)
    order, done, final = _backpropagate(root, nodes, limit)
    passed: dict[Value, int] = {}
    for node in order[:done]:
        for operand in node._prev:
            passed[operand] = passed.get(operand, 0) + 1

    result: dict[str, Any] = {
        "expression": source,
        "variables": variables,
        "value": root.data,
        "root": ids[root],
        "step": done,
        "steps": len(order),
        "order": [ids[node] for node in order],
        "current": ids[order[done - 1]] if done else None,
        "nodes": [
            {
                "id": ids[node],
                "name": node.label,
                "op": node._op,
                "data": node.data,
                "grad": _number(node.grad),
                "final_grad": _number(final[node]),
                "ready": node is root or passed.get(node, 0) == consumers.get(node, 0),
                "operands": [ids[operand] for operand in node._prev],
            }
            for node in nodes
        ],
        "explanation": _explanation(root),
    }
    result.update(picture(root, max_nodes=MAX_DRAWN))
    nudge = request.get("nudge")
    if nudge is not None:
        leaf = _leaf(nodes, nudge)
        result["nudge"] = (
            _nudge(source, variables, nudge, final[leaf])
            if leaf is not None  # the expression just lost the variable nudged: say so beside the graph
            else {"variable": nudge.get("variable"), "error": f"nudge: {nudge.get('variable')!r:.40} is not a variable"}
        )
    return result


def _leaf(nodes: list[Value], nudge: Any) -> Value | None:
    """The variable a nudge request names, or None if the expression has no such variable."""
    if not isinstance(nudge, Mapping):
        raise RequestError('nudge must be an object such as {"variable": "a", "h": 0.001}')
    name = nudge.get("variable")
    for node in nodes:
        if node.is_leaf and node.label == name and isinstance(name, str):
            return node
    return None


def _nudge(source: str, variables: dict[str, float], nudge: Mapping[str, Any], grad: float) -> dict[str, Any]:
    """L(x + h) - L(x) next to grad * h: the derivative as the limit of a difference."""
    name = nudge["variable"]
    h = number_field(nudge, "h", 0.001, -MAX_VALUE, MAX_VALUE, what="nudge h")
    if h == 0:
        raise RequestError("nudge h must not be 0")
    before = _parse(source, variables).data
    moved = dict(variables)
    moved[name] = variables[name] + h
    try:
        after: float | None = _parse(source, moved).data
    except ExpressionProblem as error:
        return {"variable": name, "h": h, "before": before, "after": None, "error": f"at {name} + h: {error}"}
    assert after is not None
    return {
        "variable": name,
        "h": h,
        "before": before,
        "after": after,
        "difference": _number(after - before),
        "grad": _number(grad),
        "predicted": _number(grad * h),
        "error": None,
    }


def picture(root: Value, **options: Any) -> dict[str, str | None]:
    """``draw_dot``'s picture of ``root``: ``svg`` (or None and ``svg_error`` saying why) and its ``dot`` text.

    The DOT text needs no renderer: where none can run (Pyodide, in the static
    playground) the page's worker renders it to the same SVG with a WebAssembly Graphviz.
    """
    from micrograd.pictures.visualize import dot_source, draw_dot

    drawn: dict[str, str | None] = {"svg": None, "svg_error": None, "dot": dot_source(root, **options)}
    try:
        svg = draw_dot(root, **options).pipe(format="svg", encoding="utf-8", quiet=True)
    except ImportError as error:
        drawn["svg_error"] = str(error)
        return drawn
    except Exception as error:  # a missing or failing renderer must not cost the numbers
        reason = str(error).strip().splitlines()
        drawn["svg_error"] = f"the picture could not be drawn: {reason[0] if reason else type(error).__name__}"
        return drawn
    start = svg.find("<svg")
    drawn["svg"] = svg[start:] if start >= 0 else svg
    return drawn
