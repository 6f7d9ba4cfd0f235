"""Checks of the learner's ``Neuron``, ``Layer`` and ``MLP``: parameter counts, forward, training, zero_grad.

The learner's MLP(3, [4, 4, 1]) is built with a fixed seed; this library's MLP gets
the same weights copied in (``parameters()`` in the same order: each neuron's
weights, then its bias), with whichever activations reproduce the learner's
outputs (tanh everywhere, as in the lecture, or relu and a linear output, as
micrograd's package).  Both take two steps of gradient descent on the lecture's
four examples, with ``zero_grad()`` between them.
"""

from __future__ import annotations

import math
from typing import Any

from micrograd.autograd import Value
from micrograd.checker.programs import close
from micrograd.checker.report import GradientRow, Result
from micrograd.checker.runner import Finding
from micrograd.checker.session import Session
from micrograd.nn import MLP

__all__ = ["check_networks"]

SHAPE = (3, [4, 4, 1])
EXPECTED_COUNTS = {"Neuron": 4, "Layer": 16, "MLP": 41}  # Neuron(3), Layer(3, 4), MLP(3, [4, 4, 1])
XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]
LR = 0.05
ACTIVATIONS = (("tanh", "tanh"), ("relu", "linear"), ("tanh", "linear"), ("relu", "relu"))
LOOP = """random.seed(1)
model = MLP(3, [4, 4, 1])
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
for step in range(2):
    if step > 0:
        model.zero_grad()
    outputs = [model(x) for x in xs]
    loss = (outputs[0] + -ys[0]) * (outputs[0] + -ys[0])
    for out, y in zip(outputs[1:], ys[1:]):
        loss = loss + (out + -y) * (out + -y)
    loss.backward()
    print([p.grad for p in model.parameters()][:6])
    for p in model.parameters():
        p.data += -{lr} * p.grad"""
ZERO_GRAD_HINT = (
    "gradients add up (+=) from one step to the next: call zero_grad() before backward(), "
    "and let it set every parameter's grad to 0"
)


def check_networks(session: Session) -> None:
    """The nn checks, if the module defines Neuron, Layer or MLP."""
    present = session.runner.info.get("nn", [])
    if not present:
        return
    _counts(session)
    if "MLP" not in present:
        return
    results = [
        Result("nn.forward", "MLP(3, [4, 4, 1]) forward, against this library's MLP with your weights"),
        Result("nn.training-step", "one training step changes the loss as this library's does"),
        Result("nn.zero-grad", "gradients do not leak from one step to the next (zero_grad)"),
    ]
    try:
        answer = session.runner.request(
            {"type": "nn", "action": "train", "shape": SHAPE, "xs": XS, "ys": YS, "lr": LR, "steps": 2, "seed": 1}
        )
    except Finding as finding:
        for result in results:
            session.add(session.finding(result, finding))
        return
    if not answer.get("ok"):
        error = answer["error"]
        for result in results:
            result.status = "fail"
            result.message = f"training MLP(3, [4, 4, 1]) raised {error['type']}: {error['message']}"
            session.add(result)
        return
    _compare(session, results, answer)


def _counts(session: Session) -> None:
    result = Result("nn.parameters", "parameter counts: Neuron(3) 4, Layer(3, 4) 16, MLP(3, [4, 4, 1]) 41")
    try:
        counts = session.runner.request({"type": "nn", "action": "counts"}).get("counts", {})
    except Finding as finding:
        session.add(session.finding(result, finding))
        return
    wrong = [
        f"{name} has {count if isinstance(count, int) else 'an error'}"
        for name, count in counts.items()
        if count != EXPECTED_COUNTS[name]
    ]
    if wrong:
        result.status, result.message = "fail", "; ".join(wrong)
        result.hint = "parameters() lists every weight and every bias: a neuron's w + [b], each layer's, each MLP's"
    session.add(result)


def _reference(weights: list[float], activation: str, output: str) -> list[dict[str, Any]]:
    """This library's MLP with the learner's weights: outputs, loss and gradients for two steps."""
    model = MLP(SHAPE[0], SHAPE[1], activation=activation, output_activation=output)
    parameters = model.parameters()
    for parameter, weight in zip(parameters, weights, strict=True):
        parameter.data = weight
    steps = []
    for _ in range(2):
        model.zero_grad()
        outputs = [_single(model(x)) for x in XS]
        loss = sum(((o - y) * (o - y) for o, y in zip(outputs, YS, strict=True)), start=Value(0.0))
        loss.backward()
        steps.append({"outputs": [o.data for o in outputs], "loss": loss.data, "grads": [p.grad for p in parameters]})
        for p in parameters:
            p.data += -LR * p.grad
    return steps


def _single(out: Value | list[Value]) -> Value:
    assert isinstance(out, Value)  # MLP(3, [4, 4, 1]) has one output
    return out


def _compare(session: Session, results: list[Result], answer: dict[str, Any]) -> None:
    forward, training, zero = results
    weights = answer["weights"]
    if len(weights) != 41 or not all(isinstance(w, float) for w in weights):
        for result in results:
            result.status, result.message = "skip", "needs 41 parameters of numbers (see nn.parameters)"
            session.add(result)
        return
    theirs = answer["steps"]
    reference = None
    for activation, output in ACTIVATIONS:
        steps = _reference(weights, activation, output)
        if all(close(e, a) for e, a in zip(steps[0]["outputs"], theirs[0]["outputs"], strict=True)):
            reference = steps
            forward.message = f"your MLP is this library's with activation={activation!r}, output {output!r}"
            break
    if reference is None:
        lecture = _reference(weights, "tanh", "tanh")
        forward.status = "fail"
        forward.message = "the outputs differ from this library's MLP with your weights, for every activation choice"
        forward.gradients = [
            GradientRow(f"output {i}", e, a)
            for i, (e, a) in enumerate(zip(lecture[0]["outputs"], theirs[0]["outputs"], strict=False))
        ]
        forward.hint = "a neuron computes act(sum(wi*xi) + b); a layer calls every neuron on the same inputs"
        session.add(forward)
        for result in (training, zero):
            session.add(session.blocked(result, "nn.forward"))
        return
    session.add(forward)
    prerequisites = [r.id for r in session.results if r.status == "fail"]
    wrong = _wrong_grads(reference[0]["grads"], theirs[0]["grads"])
    if wrong or not close(reference[1]["loss"], theirs[1]["loss"]):
        blocker = session.blocked_by(prerequisites)
        if blocker:
            session.add(session.blocked(training, blocker))
            session.add(session.blocked(zero, blocker))
            return
        training.status = "fail"
        training.message = f"after one step the loss is {theirs[1]['loss']}, expected {reference[1]['loss']:.10g}"
        training.gradients = wrong[:6]
        training.hint = "loss.backward(), then p.data += -learning_rate * p.grad for every p in parameters()"
    session.add(training)
    if training.status == "fail":
        session.add(session.blocked(zero, "nn.training-step"))
        return
    wrong = _wrong_grads(reference[1]["grads"], theirs[1]["grads"])
    if not answer.get("has_zero_grad"):
        zero.status = "lack"
        zero.message = "your MLP has no zero_grad(): set every p.grad = 0.0 before loss.backward() in your loop"
    elif wrong:
        zero.status = "fail"
        zero.message = "the second step's gradients are not this library's: the first step's leaked into them"
        zero.code = LOOP.format(lr=LR)
        zero.gradients = wrong[:6]
        zero.hint = ZERO_GRAD_HINT
    session.add(zero)


def _wrong_grads(expected: list[float], actual: list[Any]) -> list[GradientRow]:
    rows = [GradientRow(f"parameter {i}", e, a) for i, (e, a) in enumerate(zip(expected, actual, strict=True))]
    return [row for row in rows if row.wrong or (isinstance(row.actual, float) and not math.isfinite(row.actual))]
