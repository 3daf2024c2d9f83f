"""``python -m geoapi users ensure|rotate``: the database users the API and the loader connect as.

Run by the one-off **admin task** (``<prefix>-db-admin``), the only task whose role may read the
Aurora master secret (``DB_MASTER_SECRET_ARN``). It connects as the master user and makes two
users in the application's database (``DB_NAME``), each with its own Secrets Manager secret
(JSON ``{"username", "password"}``, the shape the API reads from ``DB_SECRET_ARN``):

* ``geoapi_app`` (secret ``DB_APP_SECRET_ARN``, read by the API service): ``SELECT, INSERT,
  UPDATE, DELETE`` on the application schema, nothing else (no DDL, no other schema, no grants);
* ``geoapi_loader`` (secret ``DB_LOADER_SECRET_ARN``, read by the migrate/seed task): the
  same plus ``CREATE, ALTER, DROP, INDEX, REFERENCES`` on the application schema only.

``ensure`` (idempotent; run before every migrate/seed by ``ops.data_load``): a user whose
secret has no value yet gets a fresh password, put into its secret; a secret that has one is
kept and the database password is set to it (so the users follow a snapshot restore); the
privileges are reset to exactly the list above. ``rotate``: every user gets a fresh password:
the new value is put as the secret's ``AWSCURRENT`` version (the old one stays as
``AWSPREVIOUS``), then the database password is changed. Connections already open keep
working; a new connection made with the old password is refused, and the API re-reads its
secret once and retries (``geoapi.db``), so nothing restarts. Should the database step fail
after the put, the secret is ahead of the database: ``users ensure`` sets the database
password to the secret's, which heals it.

Passwords are made here (``secrets.token_urlsafe``) and go only to the database and to
Secrets Manager: never to Terraform, the log or the task definition.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from sqlalchemy.engine import Engine

from geoapi import envvars as ev
from geoapi.db import make_engine
from geoapi.secrets import SecretStore, task_region
from geoapi.settings import ConfigError, load_settings

log = logging.getLogger("geoapi.users")

DATA = ("SELECT", "INSERT", "UPDATE", "DELETE")
DDL = ("CREATE", "ALTER", "DROP", "INDEX", "REFERENCES")
PASSWORD_BYTES = 32
"""``secrets.token_urlsafe(32)``: 43 characters, 256 bits."""
_DB_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


@dataclass(frozen=True)
class DbUser:
    """One application user: its name, its secret's env var, its privileges on the application schema."""

    username: str
    secret_env_var: str
    privileges: tuple[str, ...]


APP = DbUser("geoapi_app", ev.DB_APP_SECRET_ARN, DATA)
LOADER = DbUser("geoapi_loader", ev.DB_LOADER_SECRET_ARN, DATA + DDL)
USERS = (APP, LOADER)


class UsersError(RuntimeError):
    """The users could not be made or rotated; the message says which step and why."""


def grant_target(database: str) -> str:
    """``GRANT ... ON <this>``: the schema, with ``_`` escaped (a wildcard in database-level grants)."""
    if not _DB_NAME.fullmatch(database):
        raise UsersError(f"{ev.DB_NAME}={database!r}: only letters, digits and _ are accepted in the application schema's name")
    return "`" + database.replace("_", "\\_") + "`.*"


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


class SecretWriter:
    """Reads and writes one user's secret (the admin task's role may write exactly these)."""

    def __init__(self, arn: str, client: Any | None = None) -> None:
        self.arn = arn
        region = arn.split(":")[3] if arn.count(":") >= 6 else None
        self.client = client or boto3.client("secretsmanager", region_name=region or task_region())

    def current(self) -> dict[str, Any] | None:
        """The ``AWSCURRENT`` value, or None when the secret has no value yet."""
        try:
            response = self.client.get_secret_value(SecretId=self.arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                self.client.describe_secret(SecretId=self.arn)  # the secret itself must exist: a wrong ARN fails here
                return None
            raise
        return json.loads(response["SecretString"])

    def put(self, value: dict[str, Any]) -> str:
        """A new ``AWSCURRENT`` version (Secrets Manager moves ``AWSPREVIOUS`` to the one it replaces)."""
        return self.client.put_secret_value(SecretId=self.arn, SecretString=json.dumps(value))["VersionId"]


def _set_user(cur: Any, user: DbUser, password: str, target: str) -> None:
    cur.execute("CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s", (user.username, password))
    cur.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (user.username, password))
    cur.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@'%%'", (user.username,))
    cur.execute(f"GRANT {', '.join(user.privileges)} ON {target} TO %s@'%%'", (user.username,))


def apply(engine: Engine, database: str, writers: Mapping[DbUser, SecretWriter], *, rotate: bool) -> list[str]:
    """Make (``rotate=False``) or rotate every user of ``writers``; returns what was done, one line per user."""
    target = grant_target(database)
    done = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for user, writer in writers.items():
            current = writer.current()
            if current is not None and current.get("username") != user.username:
                raise UsersError(f"{user.secret_env_var}: the secret names user {current.get('username')!r}, not {user.username!r}")
            if current is not None and not rotate:
                _set_user(cur, user, str(current["password"]), target)
                done.append(f"{user.username}: kept the password in its secret; privileges {', '.join(user.privileges)} on {target}")
                continue
            value = {"username": user.username, "password": new_password()}
            version = writer.put(value)
            _set_user(cur, user, value["password"], target)
            what = "rotated" if current is not None else f"created with privileges {', '.join(user.privileges)} on {target}"
            done.append(f"{user.username}: {what} (secret version {version})")
        raw.commit()
    finally:
        raw.close()
    return done


def run(action: str, environ: Mapping[str, str] | None = None) -> int:
    """The ``users`` command: connect as the master user (``DB_MASTER_SECRET_ARN``), ensure or rotate."""
    env = os.environ if environ is None else environ
    missing = [name for name in (ev.DB_MASTER_SECRET_ARN, *(u.secret_env_var for u in USERS)) if not env.get(name)]
    if missing:
        log.error("users %s: %s not set (the admin task definition sets them)", action, ", ".join(missing))
        return 1
    try:
        settings = load_settings({**env, ev.DB_SECRET_ARN: env[ev.DB_MASTER_SECRET_ARN]}, SecretStore())
    except ConfigError as exc:
        log.error("users %s aborted: %s", action, exc)
        return 1
    engine = make_engine(settings, pool_size=1, max_overflow=0)
    try:
        writers = {user: SecretWriter(env[user.secret_env_var]) for user in USERS}
        for line in apply(engine, env.get(ev.DB_NAME, ""), writers, rotate=action == "rotate"):
            log.info("users %s: %s", action, line)
        return 0
    except (UsersError, ClientError) as exc:
        log.error("users %s failed: %s", action, exc)
        return 1
    finally:
        engine.dispose()
