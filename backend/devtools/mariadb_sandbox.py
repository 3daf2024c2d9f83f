"""A private, throw-away MariaDB server for tests and benchmarks (not shipped in the image).

It never touches a system service: ``mariadb-install-db`` creates a data
directory in a temp dir, and ``mariadbd --no-defaults`` serves it on a free
TCP port on 127.0.0.1 and on its own Unix socket.  ``stop()`` ends it and
removes the directory.  Needs Debian's ``mariadb-server`` package.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql


def _find(binary: str) -> str:
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin")
    if not found:
        raise RuntimeError(f"{binary} not found: install Debian's mariadb-server package (apt-get install -y mariadb-server)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_args() -> list[str]:
    return ["--user=root"] if os.geteuid() == 0 else []


def install_datadir(datadir: Path) -> None:
    """``mariadb-install-db`` into ``datadir`` (root over the socket only, no test DB)."""
    install = subprocess.run(
        [
            _find("mariadb-install-db"),
            "--no-defaults",
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *_user_args(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed: {install.stderr[-2000:]}")


def server_argv(
    *,
    datadir: Path,
    socket_path: str,
    port: int,
    basedir: Path,
    log: Path,
    buffer_pool: str = "256M",
    bind_address: str = "127.0.0.1",
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    """The ``mariadbd`` command line of a private server (also used by the local data plane)."""
    return [
        _find("mariadbd"),
        "--no-defaults",
        f"--datadir={datadir}",
        f"--socket={socket_path}",
        f"--port={port}",
        f"--bind-address={bind_address}",
        f"--pid-file={basedir / 'mariadb.pid'}",
        f"--log-error={log}",
        f"--tmpdir={basedir}",
        "--skip-name-resolve",
        f"--innodb-buffer-pool-size={buffer_pool}",
        "--innodb-log-file-size=256M",
        "--innodb-flush-log-at-trx-commit=2",
        "--local-infile=1",
        "--max-connections=300",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        *extra_args,
        *_user_args(),
    ]


class MariaDBSandbox:
    """``with MariaDBSandbox() as db: db.url("app", "pw", "mydb")``."""

    def __init__(self, *, buffer_pool: str = "256M", extra_args: tuple[str, ...] = ()) -> None:
        self.buffer_pool = buffer_pool
        self.extra_args = extra_args
        self.basedir: Path | None = None
        self.port: int = 0
        self.process: subprocess.Popen[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------
    @property
    def socket_path(self) -> str:
        assert self.basedir is not None
        return str(self.basedir / "mariadb.sock")

    def start(self, timeout: float = 60.0) -> MariaDBSandbox:
        # a short path: Unix socket paths are limited to ~107 bytes
        self.basedir = Path(tempfile.mkdtemp(prefix="geoapi-mdb-", dir="/tmp"))
        datadir = self.basedir / "data"
        install_datadir(datadir)
        self.port = free_port()
        self._log = self.basedir / "error.log"
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            server_argv(
                datadir=datadir,
                socket_path=self.socket_path,
                port=self.port,
                basedir=self.basedir,
                log=self._log,
                buffer_pool=self.buffer_pool,
                extra_args=self.extra_args,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited with {self.process.returncode}: {self.log_tail()}")
            try:
                self.root().close()
                return self
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"mariadbd did not answer within {timeout}s: {self.log_tail()}") from None
                time.sleep(0.2)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self.basedir is not None:
            shutil.rmtree(self.basedir, ignore_errors=True)
            self.basedir = None

    def __enter__(self) -> MariaDBSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers -----------------------------------------------------------------
    def root(self, database: str | None = None, **kwargs) -> pymysql.connections.Connection:
        """A root connection over the private socket (autocommit)."""
        return pymysql.connect(unix_socket=self.socket_path, user="root", database=database, autocommit=True, charset="utf8mb4", **kwargs)

    def execute(self, *statements: str, database: str | None = None) -> None:
        conn = self.root(database)
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def create_user(self, user: str, password: str, grant_on: str = "*.*") -> None:
        self.execute(
            f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '{password}'",
            f"ALTER USER '{user}'@'%' IDENTIFIED BY '{password}'",
            f"GRANT ALL PRIVILEGES ON {grant_on} TO '{user}'@'%'",
        )

    def url(self, user: str, password: str, database: str, driver: str = "mariadb+pymysql") -> str:
        return f"{driver}://{user}:{password}@127.0.0.1:{self.port}/{database}?charset=utf8mb4"
