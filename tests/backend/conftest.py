"""Fixtures for the backend: a private MariaDB, a moto server, a local JWKS, the Flask app.

* ``mariadb`` (session): its own mariadbd on a free port (see backend/devtools).
* ``moto`` (session): moto's ThreadedMotoServer; ``aws_env`` points boto3 at it
  for one test (also usable by subprocesses through the environment).
* ``jwks`` (session): an RSA test key whose JWKS a local HTTP server serves;
  ``jwks.token(...)`` signs access tokens.
* ``seeded_db`` (session, never written) and ``fresh_db`` (per test): migrated
  databases holding the sample data shipped in backend/sample.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

BACKEND = Path(__file__).resolve().parents[2] / "backend"
if str(BACKEND) not in sys.path:
    sys.path.insert(0, str(BACKEND))

from devtools.mariadb_sandbox import MariaDBSandbox, free_port  # noqa: E402
from geoapi import migrate  # noqa: E402
from geoapi.app import create_app  # noqa: E402
from geoapi.db import make_engine  # noqa: E402
from geoapi.seed import seed  # noqa: E402
from geoapi.settings import AuthSettings, Settings  # noqa: E402

SAMPLE = BACKEND / "sample"
SAMPLE_FILES = ("places.geojson", "routes.geojson", "regions.geojson")
APP_USER, APP_PASSWORD = "geoapi_app", "app-pass-1"
AUDIENCE = "https://geoapi.test/api"
ISSUER = "https://tenant.test.auth0.example/"
KID = "test-key-1"


# -- MariaDB -------------------------------------------------------------------
@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDBSandbox]:
    try:
        sandbox = MariaDBSandbox().start()
    except RuntimeError as exc:
        pytest.fail(f"cannot start a private MariaDB: {exc}")
    sandbox.create_user(APP_USER, APP_PASSWORD, grant_on="`geoapi\\_%`.*")
    try:
        yield sandbox
    finally:
        sandbox.stop()


@dataclass
class Database:
    name: str
    url: str  # mariadb+pymysql:// URL of the app user
    sandbox: MariaDBSandbox

    def rows(self, sql: str, *args: Any) -> list[tuple]:
        conn = self.sandbox.root(self.name)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args or None)
                return list(cur.fetchall())
        finally:
            conn.close()

    def snapshot(self) -> list[tuple]:
        """Every stored feature, byte for byte: what a rejected write must leave unchanged."""
        return self.rows("SELECT id, collection_id, source_key, ST_AsBinary(geom), properties FROM features ORDER BY id")

    def settings(self, **overrides: Any) -> Settings:
        return Settings(database_url=self.url, **overrides)


def _make_database(sandbox: MariaDBSandbox, *, sample: bool = True) -> Database:
    name = f"geoapi_t_{uuid.uuid4().hex[:12]}"
    sandbox.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    db = Database(name, sandbox.url(APP_USER, APP_PASSWORD, name), sandbox)
    engine = make_engine(db.settings(), pool_size=1, max_overflow=0)
    try:
        migrate.upgrade(engine)
        if sample:
            for file in SAMPLE_FILES:
                seed(engine, str(SAMPLE / file))
    finally:
        engine.dispose()
    return db


@pytest.fixture(scope="session")
def seeded_db(mariadb: MariaDBSandbox) -> Iterator[Database]:
    db = _make_database(mariadb)
    yield db
    mariadb.execute(f"DROP DATABASE `{db.name}`")


@pytest.fixture
def fresh_db(mariadb: MariaDBSandbox) -> Iterator[Database]:
    db = _make_database(mariadb)
    yield db
    mariadb.execute(f"DROP DATABASE `{db.name}`")


@pytest.fixture
def empty_db(mariadb: MariaDBSandbox) -> Iterator[Database]:
    """Created but not migrated."""
    name = f"geoapi_t_{uuid.uuid4().hex[:12]}"
    mariadb.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    yield Database(name, mariadb.url(APP_USER, APP_PASSWORD, name), mariadb)
    mariadb.execute(f"DROP DATABASE `{name}`")


# -- moto (Secrets Manager, S3) ---------------------------------------------------
@pytest.fixture(scope="session")
def moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture
def aws_env(moto: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Points boto3 (in this process, and in subprocesses given this env) at the moto server."""
    env = {**AWS_TEST_ENV, "AWS_ENDPOINT_URL": moto}
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def secretsmanager(aws_env: dict[str, str]):
    return boto3.client("secretsmanager")


@pytest.fixture
def s3(aws_env: dict[str, str]):
    return boto3.client("s3")


# -- Auth0 stand-in: an RSA key and its JWKS on a local HTTP server -------------------
@dataclass
class JWKS:
    url: str
    key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey
    hits: list[float] = field(default_factory=list)

    def auth_settings(self, **overrides: Any) -> AuthSettings:
        return AuthSettings(**{"audience": AUDIENCE, "issuer": ISSUER, "jwks_url": self.url, **overrides})

    def token(
        self,
        *,
        scope: str | None = "write:features",
        audience: str = AUDIENCE,
        issuer: str = ISSUER,
        expires_in: int = 300,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KID,
        algorithm: str = "RS256",
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {"sub": "auth0|tester", "aud": audience, "iss": issuer, "iat": now - 5, "exp": now + expires_in, **claims}
        if scope is not None:
            payload["scope"] = scope
        for name in drop:
            payload.pop(name, None)
        signing_key: Any = key or self.key
        if algorithm.startswith("HS"):
            signing_key = "a-shared-secret-that-is-long-enough-for-hs256!"
        return jwt.encode(payload, signing_key, algorithm=algorithm, headers={"kid": kid})

    def bearer(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}


@pytest.fixture(scope="session")
def jwks() -> Iterator[JWKS]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    document = json.dumps({"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}).encode()
    hits: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            hits.append(time.time())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield JWKS(f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json", key, other, hits)
    finally:
        server.shutdown()
        server.server_close()


# -- the app -------------------------------------------------------------------------
@pytest.fixture(scope="session")
def read_app(seeded_db: Database, jwks: JWKS):
    """Public reads over the session database (tests using it must not write)."""
    app = create_app(seeded_db.settings(auth=jwks.auth_settings()))
    yield app
    app.extensions["geoapi"].engine.dispose()


@pytest.fixture
def client(read_app):
    return read_app.test_client()


@pytest.fixture
def write_app(fresh_db: Database, jwks: JWKS):
    app = create_app(fresh_db.settings(auth=jwks.auth_settings()))
    yield app
    app.extensions["geoapi"].engine.dispose()


@pytest.fixture
def write_client(write_app):
    return write_app.test_client()


def sample_features(name: str) -> list[dict[str, Any]]:
    return json.loads((SAMPLE / name).read_text())["features"]
