"""The playground: a local page where the Python engine backpropagates and trains, live.

``micrograd playground`` runs :func:`micrograd.playground.server.main`; the page
and scripts talk to the JSON API of :mod:`micrograd.playground.api`
(docs/playground.md).
"""

from __future__ import annotations

from micrograd.playground.api import Api
from micrograd.playground.server import make_server

__all__ = ["Api", "make_server"]
