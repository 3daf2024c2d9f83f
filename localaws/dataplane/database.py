"""The database: a MariaDB server standing in for the Aurora cluster, TLS required.

Built from what was deployed (:class:`~localaws.dataplane.readback.DatabaseSpec`): the
cluster's database name and master user, the password from the RDS-managed secret, and the
cluster parameter group (``require_secure_transport=ON`` -> ``--require-secure-transport``).
The server certificate (``certs.py``) names the Aurora endpoint. The server runs detached
(pidfile ``db.json``) with its data in ``<state>/dataplane/db/``, so data survives a second
``make local``; it listens on 127.0.0.1 on a port kept in ``ports.json``.

Parameters mapped (others in the group are listed in the log as not applied):
``require_secure_transport``, ``max_connections``, ``character_set_server``,
``collation_server``, ``time_zone``, ``sql_mode``, ``tls_version``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import pymysql

from backend.devtools.mariadb_sandbox import install_datadir, server_argv

from . import procs
from .certs import TlsFiles
from .readback import DatabaseSpec

log = logging.getLogger(__name__)

#: Aurora MySQL cluster parameters that have a MariaDB server option of the same meaning
MAPPED_PARAMETERS = {
    "require_secure_transport": "require-secure-transport",
    "max_connections": "max-connections",
    "character_set_server": "character-set-server",
    "collation_server": "collation-server",
    "time_zone": "default-time-zone",
    "sql_mode": "sql-mode",
    "tls_version": "tls-version",
}


def parameter_args(parameters: dict[str, str]) -> list[str]:
    """MariaDB options for the cluster parameter group's values (unknown ones are logged)."""
    args = []
    for name, value in sorted(parameters.items()):
        option = MAPPED_PARAMETERS.get(name)
        if option is None:
            log.info("cluster parameter %s=%s has no local equivalent: not applied", name, value)
            continue
        args.append(f"--{option}={value}")
    return args


class LocalDatabase:
    """The detached MariaDB of one state dir."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.pidfile = directory / "db.json"
        self.datadir = directory / "data"
        self.socket_path = str(directory / "mariadb.sock")
        self.log = directory / "error.log"

    def running(self) -> bool:
        return procs.read_pid(self.pidfile) is not None

    def root(self, **kwargs) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=self.socket_path, user="root", autocommit=True, charset="utf8mb4", **kwargs)

    def start(self, spec: DatabaseSpec, tls: TlsFiles, timeout: float = 90.0) -> None:
        """Start the server (installing the data dir once), restarting it when its options changed
        (a new parameter group, new certificate files); then configure the cluster's user."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if not (self.datadir / "mysql").is_dir():
            install_datadir(self.datadir)
        argv = server_argv(
            datadir=self.datadir,
            socket_path=self.socket_path,
            port=self.port,
            basedir=self.directory,
            log=self.log,
            buffer_pool="128M",
            extra_args=(
                f"--ssl-ca={tls.ca}",
                f"--ssl-cert={tls.cert}",
                f"--ssl-key={tls.key}",
                "--performance-schema=ON",  # per-connection TLS status (status_by_thread) for the checks
                *parameter_args(spec.parameters),
            ),
        )
        # a new certificate under the same file names (another endpoint: a restore's cutover) is a
        # changed option too: the server reads its certificate once, at start
        certificate = hashlib.sha256(tls.cert.read_bytes() + tls.ca.read_bytes()).hexdigest()
        served = self.directory / "tls.sha256"
        changed = procs.read_argv(self.pidfile) != list(argv) or not served.exists() or served.read_text() != certificate
        if self.running() and changed:
            log.info("database options or certificate changed: restarting it")
            self.stop()
        if not self.running():
            procs.spawn(argv, pidfile=self.pidfile, log=self.directory / "mariadbd.out")
            served.write_text(certificate)
            self._wait(timeout)
        self.configure(spec)

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running():
                raise RuntimeError(f"mariadbd exited at start; see {self.log}")
            try:
                self.root().close()
                return
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mariadbd did not answer within {timeout:.0f} s; see {self.log}") from None
                time.sleep(0.3)

    def configure(self, spec: DatabaseSpec) -> None:
        """The cluster's database and master user (password from the secret); idempotent."""
        conn = self.root()
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE IF NOT EXISTS `{spec.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                cur.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (spec.master_username, spec.master_password))
                cur.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (spec.master_username, spec.master_password))
                cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO `{spec.master_username}`@'%' WITH GRANT OPTION")
        finally:
            conn.close()

    def stop(self) -> bool:
        return procs.stop_pidfile(self.pidfile, timeout=60)
