"""``micrograd.compile``: trace a function of Values once, then replay it fast.

Read in this order: ``compiled`` (the ``compile`` decorator and its cache of traces),
``tracing`` (recording a call as a plan), ``plan`` (the steps of a traced function),
then one replay: ``replay_python`` with ``replay_layer``, ``layer_source`` and
``replay_steps`` (plain Python) or ``replay_numpy`` (numpy).  ``step`` compiles a
whole training step on top of them.  See docs/compile.md.
"""

from __future__ import annotations

from micrograd.compiler.compiled import BACKENDS, MAX_TRACES, CompiledFunction, compile
from micrograd.compiler.step import CompiledStep, compile_step
from micrograd.compiler.tracing import TracingError

__all__ = ["BACKENDS", "MAX_TRACES", "CompiledFunction", "CompiledStep", "TracingError", "compile", "compile_step"]
