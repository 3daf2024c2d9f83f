"""The API as the container runs it (gunicorn + geoapi.gunicorn_conf), on a free loopback port.

Shared by the tests that need a real HTTP server rather than Flask's test client: the API
fuzz gate (tests/gates) and the load-test kit check (tests/ops).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.backend.conftest import ISSUER, free_port

BACKEND = Path(__file__).resolve().parents[2] / "backend"
AUDIENCE = "https://geoapi.test/api"


@dataclass(frozen=True)
class RunningApi:
    root: str
    """``http://127.0.0.1:<port>`` (the routes are under ``/api``)."""
    log: Path
    """gunicorn's output: access log and errors."""

    @property
    def api(self) -> str:
        return f"{self.root}/api"


@contextmanager
def gunicorn_api(
    *,
    database_url: str,
    jwks_url: str,
    log_dir: Path,
    public_reads: bool = True,
    workers: int = 1,
    threads: int = 4,
    access_log: bool = True,
) -> Iterator[RunningApi]:
    """Serve the API until the block ends; fail the test if it does not get ready in 60 s."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTH0_", "DB_"))},
        "PYTHONPATH": str(BACKEND),
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "DATABASE_URL": database_url,
        "AUTH0_DOMAIN": ISSUER.removeprefix("https://").rstrip("/"),
        "AUTH0_AUDIENCE": AUDIENCE,
        "AUTH0_ISSUER": ISSUER,
        "AUTH0_JWKS_URL": jwks_url,
        "PUBLIC_READS": str(public_reads).lower(),
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "--config", "python:geoapi.gunicorn_conf", "--bind", f"127.0.0.1:{port}"]
    if not access_log:
        command += ["--access-logfile", "/dev/null"]
    log = log_dir / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen([*command, "geoapi.app:wsgi_app()"], cwd=BACKEND, env=env, stdout=sink, stderr=subprocess.STDOUT)
    running = RunningApi(root=f"http://127.0.0.1:{port}", log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise AssertionError(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{running.api}/health/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the API did not become ready in 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield running
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
