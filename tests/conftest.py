"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def chromium_path() -> str | None:
    """Debian's Chromium, which Playwright drives (``playwright install`` is never used)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Playwright.

    Skips on a machine without Chromium, except under CI (``CI=true``), where a
    skipped browser test would hide a missing install step: there it fails.
    """
    path = chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium fonts-liberation)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        try:
            yield launched
        finally:
            launched.close()
