"""Shared fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def karpathy_micrograd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """karpathy's micrograd 0.1.0 from PyPI, unpacked into a folder of its own (its package folder).

    It has the same import name as this package, so tests load it from this folder
    under another name; it is never installed next to ours.
    """
    target = tmp_path_factory.mktemp("karpathy")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check"]
    completed = subprocess.run(
        [*pip, "--target", str(target), "micrograd==0.1.0"],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"could not fetch micrograd==0.1.0 from PyPI for the comparison:\n{completed.stderr[-2000:]}")
    return target / "micrograd"
