"""moto in server mode, in this process, on loopback only, with the shims installed.

``LocalAWS`` is the in-process server (tests use it directly); ``start_background`` /
``stop_background`` / ``status`` manage a detached ``python -m localaws serve`` process
with a pidfile, for ``make local``.

Defaults: host ``127.0.0.1``, port ``4599`` (the endpoint in ``envs/local.toml``), state dir
``.local`` (pidfile ``localaws.json`` and log ``localaws.log``), region ``us-east-1``,
account ``123456789012`` (moto's default account).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, make_server

from .dataplane.procs import alive as _alive
from .network import NetworkSpec, provision

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4599
DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_STATE_DIR = PROJECT_ROOT / ".local"
PIDFILE_NAME = "localaws.json"
LOGFILE_NAME = "localaws.log"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "localaws", "AWS_SECRET_ACCESS_KEY": "localaws"}
"""moto accepts any key pair; these are set in the environment of commands, never in files."""


class LocalAWSError(RuntimeError):
    """The emulator could not be started, reached or stopped."""


def require_loopback(host: str) -> str:
    """Return ``host`` if it is a loopback address (or ``localhost``); raise otherwise."""
    if host == "localhost":
        return host
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise LocalAWSError(f"refusing to bind {host!r}: the emulator listens on loopback only")


def endpoint_url(host: str, port: int) -> str:
    return f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"


def client_env(endpoint: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for AWS SDKs / CLIs aimed at the emulator (dummy keys, region, endpoint)."""
    env = dict(os.environ if base is None else base)
    env.update(DUMMY_CREDENTIALS)
    env.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    env.setdefault("AWS_REGION", env["AWS_DEFAULT_REGION"])
    env["AWS_ENDPOINT_URL"] = endpoint
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(var, None)
    return env


class LocalAWS:
    """moto's WSGI app served by werkzeug on a loopback address, in a daemon thread.

    ``port=0`` picks a free port (read it back from :attr:`port`). Unlike moto's own
    ``ThreadedMotoServer`` (default host 0.0.0.0, hangs forever if the port is taken), this
    refuses non-loopback hosts and raises at once when the port cannot be bound.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        quiet: bool = False,
        networks: Sequence[NetworkSpec] = (),
    ) -> None:
        self.host = require_loopback(host)
        self.quiet = quiet
        self.networks = tuple(networks)
        self.requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise LocalAWSError("not started")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return endpoint_url(self.host, self.port)

    def start(self) -> Self:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        from .shims import install_all  # here, not at import: moto takes seconds to import, and ops commands import localaws

        install_all()
        if self.quiet:  # werkzeug logs one line per request on stderr
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = DomainDispatcherApplication(create_backend_app)
        try:
            self._server = make_server(self.host, self.requested_port, app, threaded=True, request_handler=MotoRequestHandler)
        except (OSError, SystemExit) as exc:  # werkzeug exits on "address in use"
            reason = getattr(exc, "strerror", None) or "address in use or not available"
            raise LocalAWSError(f"cannot listen on {self.host}:{self.requested_port}: {reason}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="localaws", daemon=True)
        self._thread.start()
        for spec in self.networks:
            provision(spec)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((require_loopback(host), 0))
        return int(sock.getsockname()[1])


def is_answering(endpoint: str, timeout: float = 2.0) -> bool:
    """True when a moto server answers at ``endpoint`` (its ``/moto-api/`` control API)."""
    try:
        # endpoint is an http:// URL this module built (no file: or custom schemes)
        with urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=timeout) as r:  # noqa: S310
            return r.status < 500
    except urllib.error.HTTPError as exc:  # answered, just not 2xx
        return exc.code < 500
    except (urllib.error.URLError, OSError):
        return False


# ---------------------------------------------------------------- background process


@dataclass(frozen=True)
class Pidfile:
    pid: int
    host: str
    port: int
    started: float

    @property
    def endpoint(self) -> str:
        return endpoint_url(self.host, self.port)


def _pidfile_path(state_dir: Path) -> Path:
    return state_dir / PIDFILE_NAME


def read_pidfile(state_dir: Path = DEFAULT_STATE_DIR) -> Pidfile | None:
    try:
        data: dict[str, Any] = json.loads(_pidfile_path(state_dir).read_text())
        return Pidfile(int(data["pid"]), str(data["host"]), int(data["port"]), float(data["started"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def status(state_dir: Path = DEFAULT_STATE_DIR) -> tuple[Pidfile | None, bool]:
    """(pidfile or None, whether that process is alive and answering)."""
    info = read_pidfile(state_dir)
    if info is None:
        return None, False
    return info, _alive(info.pid) and is_answering(info.endpoint)


def start_background(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    state_dir: Path = DEFAULT_STATE_DIR,
    timeout: float = 60.0,
    env_files: Sequence[Path] = (),
) -> Pidfile:
    """Start ``python -m localaws serve`` detached; return once it answers.

    ``env_files``: env files whose ``[network]`` the server creates at start (see
    :mod:`localaws.network`). Idempotent: if the pidfile names a live server on the same
    host and port, return it (the caller checks that its network exists).
    """
    require_loopback(host)
    state_dir.mkdir(parents=True, exist_ok=True)
    current, healthy = status(state_dir)
    if current is not None:
        if healthy and (current.host, current.port) == (host, port):
            return current
        if healthy:
            raise LocalAWSError(f"an emulator is already running at {current.endpoint} (pid {current.pid}); stop it first")
        if _alive(current.pid):
            raise LocalAWSError(f"pid {current.pid} from {_pidfile_path(state_dir)} is alive but not answering; stop it first")
        _pidfile_path(state_dir).unlink(missing_ok=True)
    if is_answering(endpoint_url(host, port), timeout=1.0):
        raise LocalAWSError(f"something already answers at {endpoint_url(host, port)}")

    log = open(state_dir / LOGFILE_NAME, "ab")  # noqa: SIM115 - handed to the child
    cmd = [sys.executable, "-m", "localaws", "serve", "--host", host, "--port", str(port), "--state-dir", str(state_dir.resolve())]
    for env_file in env_files:
        cmd += ["--env", str(Path(env_file).resolve())]
    proc = subprocess.Popen(
        cmd,
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalAWSError(f"emulator exited with code {proc.returncode}; see {state_dir / LOGFILE_NAME}")
        info = read_pidfile(state_dir)
        if info is not None and info.pid == proc.pid and is_answering(info.endpoint):
            return info
        time.sleep(0.2)
    proc.terminate()
    raise LocalAWSError(f"emulator did not answer within {timeout:.0f} s")


def stop_background(state_dir: Path = DEFAULT_STATE_DIR, timeout: float = 15.0) -> bool:
    """Stop the server named by the pidfile. Return False when none was running."""
    info = read_pidfile(state_dir)
    if info is None:
        return False
    was_running = _alive(info.pid)
    if was_running:
        os.kill(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(info.pid):
            os.kill(info.pid, signal.SIGKILL)
    _pidfile_path(state_dir).unlink(missing_ok=True)
    return was_running


def serve_forever(host: str, port: int, state_dir: Path | None, env_files: Sequence[Path] = ()) -> None:
    """Run the emulator in the foreground until SIGTERM / SIGINT (used by ``serve``)."""
    networks = [NetworkSpec.from_env_file(Path(f)) for f in env_files]
    server = LocalAWS(host, port, networks=networks).start()
    pidfile = _pidfile_path(state_dir) if state_dir is not None else None
    if pidfile is not None:
        state_dir.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
        info = Pidfile(os.getpid(), server.host, server.port, time.time())
        tmp = pidfile.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(info)))
        os.replace(tmp, pidfile)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"localaws: moto serving at {server.endpoint} (pid {os.getpid()})", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
        if pidfile is not None:
            info_now = read_pidfile(pidfile.parent)
            if info_now is not None and info_now.pid == os.getpid():
                pidfile.unlink(missing_ok=True)
        print("localaws: stopped", flush=True)
