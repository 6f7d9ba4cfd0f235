"""Shared fixtures, the hypothesis profile and the per-test time limit."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# -- time limits: a broken engine must fail fast, never hang ------------------------------------
#
# pyproject.toml sets pytest-timeout's limit per test (a healthy test takes at most ~15 s on a
# busy machine).  pytest-timeout ends a test with pytest.fail(), which hypothesis catches as one
# more failing example and keeps shrinking; TimeLimitExceeded is a BaseException, which it does
# not catch, so the test ends there.  Examples get a deadline too (tests that measure slow
# graphs set their own): under a broken engine a slow example fails instead of running on.

# Under CI the examples are derived from each test's name (derandomize): a red run can be
# reproduced exactly, and a green one is not a draw of luck.  Locally they stay random, so
# every run explores new inputs (and hypothesis's database replays the failures it found).
settings.register_profile(
    "micrograd",
    deadline=timedelta(seconds=5),
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "micrograd"))


class TimeLimitExceeded(BaseException):
    """A test ran past its time limit (a BaseException, so hypothesis stops instead of shrinking on)."""


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's signal method, raising :class:`TimeLimitExceeded` (again every 5 s if caught)."""
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None  # pytest-timeout's own thread method

    def handler(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(f"{item.nodeid} ran past its time limit of {settings.timeout:g} s")

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined]  # pytest-timeout's cancel hook calls it
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout, 5.0)
    return True


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests on the static site (Pyodide) get 5 minutes: Python starts in the browser first."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("base_url") == "pyodide":
            item.add_marker(pytest.mark.timeout(300))
