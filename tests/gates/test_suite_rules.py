"""The suite's own rules (tests/conftest.py), run on a throw-away test file in a child pytest:
under CI a skip, an xfail or a module skipped at collection fails the run; outside CI they stay
skips. Also: the modules scheduled first still exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LONGEST_MODULES
from tests.synth import ROOT

SAMPLE = """
import pytest

def test_passes():
    pass

def test_skips():
    pytest.skip("the prerequisite is missing")

@pytest.mark.xfail(reason="known to fail")
def test_xfails():
    raise AssertionError
"""


def run_pytest(directory: Path, ci: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-c", os.devnull]
    return subprocess.run(
        [*command, "--rootdir", str(directory), str(directory), "-q", "-rA"],
        cwd=ROOT,
        env={**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("ci", ["true", "1"])
def test_under_ci_a_skip_or_an_xfail_fails_the_run(tmp_path, ci):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    result = run_pytest(tmp_path, ci)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "SKIPPED UNDER CI: Skipped: the prerequisite is missing" in result.stdout
    assert "SKIPPED UNDER CI: xfail (known to fail)" in result.stdout
    assert "2 failed, 1 passed" in result.stdout


@pytest.mark.parametrize("ci", ["", "false", "0"])
def test_outside_ci_they_stay_skips(tmp_path, ci):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    result = run_pytest(tmp_path, ci)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 passed, 1 skipped, 1 xfailed" in result.stdout


def test_under_ci_a_module_skipped_at_collection_fails_the_run(tmp_path):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "test_needs_a_tool.py").write_text('import pytest\npytest.skip("no such tool", allow_module_level=True)\n')
    result = run_pytest(tmp_path, "true")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "skipped at collection under CI (a failure)" in result.stdout
    assert "test_needs_a_tool.py: Skipped: no such tool" in result.stdout


def test_the_modules_scheduled_first_exist():
    assert [m for m in LONGEST_MODULES if not (ROOT / m).is_file()] == []
