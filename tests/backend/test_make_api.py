"""`make -C backend api`: what the top-level Makefile runs for a local API with sample data."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest
import requests

from devtools.mariadb_sandbox import free_port

from .conftest import BACKEND, sample_features

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_SECRET_ARN")}
    return {**env, "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2", **extra}


def test_make_api_migrates_seeds_and_serves(empty_db):
    port = free_port()
    process = subprocess.Popen(
        ["make", "-C", str(BACKEND), "api"],
        env=_env(DATABASE_URL=empty_db.url, PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/collections/places/items?limit=100", timeout=2)
                if response.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "make api did not serve within 90 s"
            time.sleep(0.5)
        assert response.json()["numberReturned"] == len(sample_features("places.geojson"))
        collections = requests.get(f"http://127.0.0.1:{port}/api/collections", timeout=5).json()["collections"]
        assert {c["id"] for c in collections} == {"places", "routes", "regions"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)


def test_make_api_without_a_database_says_what_is_missing():
    result = subprocess.run(["make", "-C", str(BACKEND), "api"], env=_env(), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
