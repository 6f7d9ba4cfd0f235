"""What test_playground_export.py runs twice, with the local Python and in Pyodide: the same Api calls.

Standard library and this package only: the file is copied into Pyodide as it is.
"""

from __future__ import annotations

from typing import Any


def run_steps(api: Any) -> dict[str, Any]:
    """The lab's example and 40 training steps from seed 7, through the Api: full-precision numbers."""
    status, document = api.handle("POST", "/api/sessions", {"seed": 7, "hidden": [8, 8]})
    assert status == 201, document
    key = document["id"]
    while document["step"] < 40:  # a request may stop early on a slow machine
        status, document = api.handle("POST", f"/api/sessions/{key}/step", {"steps": 40 - document["step"]})
        assert status == 200, document
    session = api.store.get(key)
    lab = api.handle("POST", "/api/expression", {})[1]
    return {
        "weights": [p.data for p in session.parameters],
        "grads": {node["name"]: node["grad"] for node in lab["nodes"]},
        "dot": lab["dot"],
        "svg": lab["svg"] is not None,
    }
