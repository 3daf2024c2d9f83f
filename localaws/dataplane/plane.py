"""Start, wait for and stop the whole data plane of one state dir (what ``make local`` calls).

:func:`start`, after the deploy:

1. reads back what was deployed (:func:`.readback.read_spec`) into ``spec.json``;
2. keeps four loopback ports in ``ports.json`` (database, load balancer, edge, sign-in issuer),
   so a second ``make local`` serves on the same URLs;
3. makes the local CA and the server certificate naming the Aurora endpoint (``certs.py``);
4. starts the database (``database.py``: TLS required when the parameter group says so);
5. starts the local OpenID Connect issuer standing in for Auth0 (``issuer.py``), for the
   audience the API's Auth0 settings secret names, or keeps it when it runs unchanged;
6. starts the supervisor (``supervisor.py``: tasks, balancer, one-off runner, edge), or
   restarts it when what was deployed or the code it runs changed (otherwise it is kept),
   and waits until a target is healthy and the edge answers.

:func:`stop` stops the supervisor (and so the tasks), then the issuer and the database. Data stays in
``<state>/dataplane/db`` until the state dir is removed.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localaws.server import free_port

from . import procs
from .certs import ensure_server_tls
from .database import LocalDatabase
from .issuer import Issuer, LocalIssuer, audience_of
from .readback import DataPlaneSpec, read_spec
from .supervisor import LOOPBACK, client_factory

PORT_NAMES = ("db", "nlb", "site", "issuer")
PROJECT = Path(__file__).resolve().parents[2]
#: What the supervisor and its tasks run: a change here restarts them (as a new image would).
RUNTIME_CODE = ("localaws", "backend/geoapi", "backend/Dockerfile")


def code_digest() -> str:
    """SHA-256 over the harness's and the backend's code (a running data plane of other code is replaced)."""
    digest = hashlib.sha256()
    for name in RUNTIME_CODE:
        path = PROJECT / name
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts):
            digest.update(str(file.relative_to(PROJECT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Running:
    """What :func:`start` brought up."""

    site_url: str
    api_url: str
    database: str
    tls_required: bool
    directory: Path
    spec: DataPlaneSpec
    issuer: Issuer
    """The local sign-in issuer (its URL, client id, audience and the users' generated passwords)."""

    def status(self) -> dict[str, Any]:
        return read_status(self.directory)


def dataplane_dir(state_dir: Path) -> Path:
    return state_dir / "dataplane"


def ensure_ports(directory: Path) -> dict[str, int]:
    """The data plane's ports, chosen once (free loopback ports) and kept in ``ports.json``."""
    path = directory / "ports.json"
    try:
        ports = {k: int(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        ports = {}
    for name in PORT_NAMES:
        ports.setdefault(name, free_port(LOOPBACK))
    path.write_text(json.dumps(ports, indent=2) + "\n")
    return ports


def read_status(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def _supervisor_pidfile(directory: Path) -> Path:
    return directory / "supervisor.json"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the local edge
            return response.status < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except OSError:
        return False


def _last_task_log(directory: Path, lines: int = 15) -> str:
    logs = sorted((directory / "logs").glob("task-*.log"), key=lambda p: p.stat().st_mtime)
    if not logs:
        return "  (no task log)"
    tail = logs[-1].read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"  | {line}" for line in tail) + f"\n  ({logs[-1]})"


def wait_ready(directory: Path, health_path: str, timeout: float) -> dict[str, Any]:
    """Until the supervisor reports a healthy target and the edge serves the API's health path;
    three task replacements after the call (a task that keeps failing) end the wait early."""
    deadline = time.monotonic() + timeout
    pidfile = _supervisor_pidfile(directory)
    replaced_before = read_status(directory).get("replaced", 0)
    while True:
        status = read_status(directory)
        if status.get("ready") and _answers(status["edge"] + health_path):
            return status
        if procs.read_pid(pidfile) is None:
            raise RuntimeError(f"the data plane supervisor exited; see {directory / 'supervisor.log'}")
        if status.get("replaced", 0) >= replaced_before + 3 and not status.get("ready"):
            raise RuntimeError(f"API tasks keep failing ({status['replaced']} replaced); the last one said:\n" + _last_task_log(directory))
        if time.monotonic() > deadline:
            logs = directory / "logs"
            raise RuntimeError(
                f"no API task became healthy within {timeout:.0f} s (status: {directory / 'status.json'}; task logs: {logs})"
            )
        time.sleep(0.5)


def _wait_supervisor_up(directory: Path, timeout: float) -> None:
    """Until the supervisor wrote its first status: moto holds tasks RUNNING and the one-off runner polls."""
    deadline = time.monotonic() + timeout
    while not (directory / "status.json").exists():
        if procs.read_pid(_supervisor_pidfile(directory)) is None:
            raise RuntimeError(f"the data plane supervisor exited; see {directory / 'supervisor.log'}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the data plane supervisor did not start within {timeout:.0f} s; see {directory / 'supervisor.log'}")
        time.sleep(0.2)


def start(
    outputs: dict[str, Any],
    *,
    endpoint: str,
    region: str,
    state_dir: Path,
    timeout: float = 180.0,
    before_ready: Callable[[], Any] | None = None,
) -> Running:
    """Bring up the data plane for the deployed env whose stack outputs are ``outputs``.

    ``before_ready`` runs once the database and the supervisor (with its one-off task runner) are up
    and before waiting for a healthy API task: ``make local`` runs the admin task there, since the
    API's tasks cannot pass their readiness health check before their database user exists."""
    directory = dataplane_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    client = client_factory(endpoint, region)
    spec = read_spec(client, endpoint, region, outputs)
    spec_file, code_file = directory / "spec.json", directory / "code.sha256"
    code = code_digest()
    unchanged = spec_file.exists() and spec_file.read_text() == spec.to_json() and code_file.exists() and code_file.read_text() == code
    spec_file.touch(mode=0o600)  # holds the emulated master password (throw-away, loopback only)
    spec_file.write_text(spec.to_json())
    ports = ensure_ports(directory)
    tls = ensure_server_tls(directory / "tls", spec.database.endpoint)
    LocalDatabase(directory / "db", ports["db"]).start(spec.database, tls)
    site_url = f"http://{LOOPBACK}:{ports['site']}"
    issuer = LocalIssuer(directory / "issuer", ports["issuer"]).start(
        audience=audience_of(client, spec.service.container), site_url=site_url
    )
    pidfile = _supervisor_pidfile(directory)
    if not (unchanged and procs.read_pid(pidfile) is not None and read_status(directory).get("ready")):
        procs.stop_pidfile(pidfile)  # what was deployed changed (or nothing runs): tasks start from the new spec
        (directory / "status.json").unlink(missing_ok=True)
        procs.spawn(
            [sys.executable, "-m", "localaws.dataplane.supervisor", "--dir", str(directory)],
            pidfile=pidfile,
            log=directory / "supervisor.log",
            cwd=PROJECT,
        )
        code_file.write_text(code)
    if before_ready is not None:
        _wait_supervisor_up(directory, timeout)
        before_ready()
    health_path = "/api/health/live"
    status = wait_ready(directory, health_path, timeout)
    require_tls = spec.database.parameters.get("require_secure_transport", "").upper() in ("ON", "1", "TRUE")
    return Running(
        site_url=status["edge"],
        api_url=status["edge"] + "/api",
        database=status["database"],
        tls_required=require_tls,
        directory=directory,
        spec=spec,
        issuer=issuer,
    )


def stop(state_dir: Path) -> bool:
    """Stop the supervisor (tasks, balancer, edge) and the database; True if anything ran."""
    directory = dataplane_dir(state_dir)
    if not directory.is_dir():
        return False
    stopped = procs.stop_pidfile(_supervisor_pidfile(directory), timeout=40)
    ports = ensure_ports(directory) if (directory / "ports.json").exists() else {"db": 0, "issuer": 0}
    stopped = LocalIssuer(directory / "issuer", ports["issuer"]).stop() or stopped
    stopped = LocalDatabase(directory / "db", ports["db"]).stop() or stopped
    return stopped
