"""Detached processes with pidfiles: start, check, stop (used for MariaDB and the supervisor)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


def read_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` (JSON ``{"pid": ...}``) when that process is alive."""
    try:
        pid = int(json.loads(pidfile.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if alive(pid) else None


def read_argv(pidfile: Path) -> list[str] | None:
    """The command line recorded in ``pidfile`` by :func:`spawn`."""
    try:
        return list(json.loads(pidfile.read_text())["argv"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def spawn(argv: Sequence[str], *, pidfile: Path, log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> int:
    """Start ``argv`` in its own session (it outlives the caller); write its pidfile."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - argv built by the harness
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            env=dict(env) if env is not None else None,
        )
    pidfile.write_text(json.dumps({"pid": proc.pid, "argv": list(argv)}))
    return proc.pid


def terminate(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM ``pid`` (and its process group), then SIGKILL after ``timeout`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not alive(pid):
            return


def stop_pidfile(pidfile: Path, timeout: float = 30.0) -> bool:
    """Stop the process named by ``pidfile``; remove the file. False when none was running."""
    pid = read_pid(pidfile)
    if pid is not None:
        terminate(pid, timeout)
    pidfile.unlink(missing_ok=True)
    return pid is not None
