"""The training demo behind ``micrograd demo``: train an MLP on a toy dataset and draw it.

The default is micrograd's demo notebook: 100 "moons" points, ``MLP(2, [16, 16,
1])`` with relu, the max-margin loss plus an L2 penalty (alpha 1e-4), plain SGD
with the learning rate falling linearly from 1.0 to 0.1 over 100 full-batch steps.
It reaches 100% training accuracy.

This package only re-exports its parts:
:mod:`micrograd.demo.config` (the options and their checks),
:mod:`micrograd.demo.training` (:func:`train` and its :class:`DemoResult`),
:mod:`micrograd.demo.pictures` (:func:`plot_decision_boundary`,
:func:`plot_training_curves`, :func:`draw_neuron`) and
:mod:`micrograd.demo.command` (:func:`run`: train, report progress, write the files).
"""

from __future__ import annotations

from micrograd.demo.command import OUTPUT_FILES as OUTPUT_FILES
from micrograd.demo.command import run as run
from micrograd.demo.command import speedup_report as speedup_report
from micrograd.demo.config import DEFAULT_LR as DEFAULT_LR
from micrograd.demo.config import LIMITS as LIMITS
from micrograd.demo.config import LOSSES, OPTIMIZERS, SCHEDULES, DemoConfig, DemoError
from micrograd.demo.config import MAX_LAYERS as MAX_LAYERS
from micrograd.demo.config import MAX_LR as MAX_LR
from micrograd.demo.config import MAX_PARAMETERS as MAX_PARAMETERS
from micrograd.demo.config import MAX_WIDTH as MAX_WIDTH
from micrograd.demo.pictures import CAPTION_CHARACTERS as CAPTION_CHARACTERS
from micrograd.demo.pictures import COLORS as COLORS
from micrograd.demo.pictures import INSTALL_HINT as INSTALL_HINT
from micrograd.demo.pictures import (
    decision_boundary_figure,
    draw_neuron,
    plot_decision_boundary,
    plot_training_curves,
    training_curves_figure,
)
from micrograd.demo.pictures import neuron_graph as neuron_graph
from micrograd.demo.training import DIVERGED as DIVERGED
from micrograd.demo.training import DemoResult, accuracy, predict, train
from micrograd.demo.training import eager_step_seconds as eager_step_seconds
from micrograd.demo.training import format_loss as format_loss
from micrograd.demo.training import make_dataset as make_dataset

__all__ = [
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "DemoConfig",
    "DemoError",
    "DemoResult",
    "accuracy",
    "decision_boundary_figure",
    "draw_neuron",
    "plot_decision_boundary",
    "plot_training_curves",
    "predict",
    "train",
    "training_curves_figure",
]
