"""The suite's own limits: a broken engine makes tests fail fast, never hang (tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import settings

SLOW_AND_FAILING = """
import time
from hypothesis import given, settings, strategies as st

@settings(deadline=None, max_examples=1000, database=None)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=50))
def test_slow_and_failing(xs):
    time.sleep(0.2)  # each example is slow, as under a broken engine, and most fail: shrinking would take minutes
    assert len(xs) < 3 or xs[2] < 1e-3 * xs[0]
"""


def test_every_test_has_a_time_limit_a_healthy_suite_stays_well_within(request: pytest.FixtureRequest) -> None:
    limit = float(request.config.getini("timeout"))
    assert 0 < limit <= 60  # the slowest healthy test takes ~15 s on a busy machine
    assert settings().deadline is not None and settings().deadline <= timedelta(seconds=5)


def test_the_time_limit_stops_hypothesis_shrinking(tmp_path: Path) -> None:
    # pytest-timeout's own pytest.fail() is caught by hypothesis, which then shrinks on (it once ran 300 s)
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_slow.py").write_text(SLOW_AND_FAILING)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "timeout=2", "test_slow.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    assert "TimeLimitExceeded: test_slow.py::test_slow_and_failing ran past its time limit of 2 s" in result.stdout
    assert "Flaky" not in result.stdout and "Timeout (>" not in result.stdout
