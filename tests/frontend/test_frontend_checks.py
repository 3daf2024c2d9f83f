"""The frontend's own checks, so they are part of `make test`: eslint, `tsc --noEmit`, vitest.

Each runs the npm script a developer runs in frontend/ and fails with its output.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.frontend.site import FRONTEND, require_node_modules


@pytest.mark.parametrize(
    ("script", "what"),
    [
        ("lint", "eslint (type-aware rules, react-hooks), no warnings allowed"),
        ("typecheck", "tsc --noEmit, strict"),
        ("test", "vitest unit tests: bbox paging, URL state, config loading, API errors, scopes, properties"),
    ],
)
def test_frontend_npm_script_passes(script: str, what: str) -> None:
    require_node_modules()
    npm = shutil.which("npm")
    if not npm:
        pytest.fail("npm is not on PATH: install Node.js 20 with npm")
    result = subprocess.run(
        [npm, "run", "--silent", script],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CI": "true", "NO_COLOR": "1", "FORCE_COLOR": "0"},
    )
    assert result.returncode == 0, f"`npm run {script}` ({what}) failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
