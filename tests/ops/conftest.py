"""Fixtures for the ops tests: a real moto server on loopback and an environment file aimed at it."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ENV = ROOT / "envs" / "local.toml"
TEST_ENV = "opstest"
ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """URL of an in-process moto server (``ThreadedMotoServer``) on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto (state reset) and dummy credentials; returns the endpoint URL."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "GEOAPP_OUTPUTS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return moto_endpoint


@pytest.fixture
def envs_dir(tmp_path: Path, aws: str) -> Path:
    """A folder holding ``opstest.toml``: the project's local env file, aimed at the test's moto."""
    text = LOCAL_ENV.read_text(encoding="utf-8")
    text, count = re.subn(r'(?m)^endpoint\s*=\s*"[^"]*"', f'endpoint = "{aws}"', text)
    assert count == 1, "envs/local.toml should have exactly one [aws] endpoint line"
    folder = tmp_path / "envs"
    folder.mkdir()
    (folder / f"{TEST_ENV}.toml").write_text(text, encoding="utf-8")
    return folder


def _write_outputs(path: Path, values: dict) -> Path:
    path.write_text(
        json.dumps({k: {"value": v, "type": "string", "sensitive": False} for k, v in values.items()}),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def write_outputs() -> Callable[[Path, dict], Path]:
    """``write_outputs(path, {name: value})``: an outputs file in ``terraform output -json`` format."""
    return _write_outputs


def which(name: str) -> str:
    """A tool from PATH or the project venv; the test fails (not skips) when it is missing."""
    venv_tool = ROOT / ".venv" / "bin" / name
    found = shutil.which(name) or (str(venv_tool) if venv_tool.exists() else None)
    if not found:
        pytest.fail(f"{name} is not installed")
    return found
