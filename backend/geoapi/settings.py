"""Configuration: validated once, at start, from the environment and Secrets Manager.

On ECS the task definition passes ARNs (``DB_SECRET_ARN``, ``AUTH0_SECRET_ARN``)
and plain settings; locally the same values come from plain variables
(``DATABASE_URL``, ``AUTH0_DOMAIN``, ``AUTH0_AUDIENCE``).  See backend/README.md.
Every variable name is defined in :mod:`geoapi.envvars`.

TLS to the database: with ``DB_SECRET_ARN`` it is required (unless ``DB_HOST`` is a loopback
address, for development servers and tests without a CA). The server certificate must
chain to the PEM bundle named by ``DB_CA_BUNDLE`` (the RDS global bundle in the image) and
carry ``DB_HOST`` (the Aurora endpoint); ``DB_HOSTADDR`` (local only) connects elsewhere
while the name checked stays ``DB_HOST``. With ``DATABASE_URL``, TLS is used when
``DB_CA_BUNDLE`` is set.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy.engine import URL, make_url

from geoapi import envvars as ev
from geoapi.secrets import SecretError, SecretNotProvisioned, SecretStore

log = logging.getLogger(__name__)

IndexHint = Literal["force", "auto", "ignore"]

WRITE_SCOPE = "write:features"


class ConfigError(RuntimeError):
    """The configuration is incomplete or a secret cannot be read: the service must not start."""


class DbCredentials(Protocol):
    """Where the DB password comes from; ``refresh=True`` re-reads it after a rejection."""

    def password(self, *, refresh: bool = False) -> str | None: ...

    def username(self) -> str | None: ...

    @property
    def refreshable(self) -> bool: ...


class StaticCredentials:
    """The password inside DATABASE_URL (or none): nothing to refresh."""

    refreshable = False

    def __init__(self, password: str | None) -> None:
        self._password = password

    def password(self, *, refresh: bool = False) -> str | None:
        return self._password

    def username(self) -> str | None:
        return None  # the URL's


class SecretCredentials:
    """The password in a Secrets Manager secret, e.g. the one RDS manages and rotates."""

    refreshable = True

    def __init__(self, store: SecretStore, arn: str) -> None:
        self.store = store
        self.arn = arn

    def _secret(self, refresh: bool = False) -> dict:
        return self.store.get(self.arn, refresh=refresh, required_keys=("username", "password"))

    def password(self, *, refresh: bool = False) -> str | None:
        return str(self._secret(refresh)["password"])

    def username(self) -> str | None:
        return str(self._secret()["username"])


def _db_secret(store: SecretStore, arn: str) -> dict[str, Any]:
    """The DB secret; one that has no value yet (the admin task has not made the users) reads as ``{}``:
    the service starts (liveness answers), readiness reports the database unreachable until it has one."""
    try:
        return _secret(store, ev.DB_SECRET_ARN, arn, ("username", "password"))
    except ConfigError as exc:
        if not isinstance(exc.__cause__, SecretNotProvisioned):
            raise
        log.warning("%s: %s; run the admin task (python -m ops.data_load ENV) to make the database users", ev.DB_SECRET_ARN, exc.__cause__)
        return {}


@dataclass(frozen=True)
class AuthSettings:
    """Auth0 access-token checks. Issuer defaults to ``https://<domain>/``, JWKS to its well-known path."""

    audience: str
    issuer: str
    jwks_url: str
    write_scope: str = WRITE_SCOPE
    #: seconds a fetched JWKS is kept before PyJWKClient fetches it again
    jwks_cache_seconds: int = 300
    #: clock skew tolerated on exp/iat/nbf, in seconds
    leeway_seconds: int = 30

    @classmethod
    def for_domain(cls, domain: str, audience: str, *, issuer: str | None = None, jwks_url: str | None = None, **kwargs) -> AuthSettings:
        host = domain.removeprefix("https://").rstrip("/")
        return cls(
            audience=audience,
            issuer=issuer or f"https://{host}/",
            jwks_url=jwks_url or f"https://{host}/.well-known/jwks.json",
            **kwargs,
        )


@dataclass(frozen=True)
class DbTls:
    """Verify the DB server: its certificate chains to ``ca_file`` and names ``server_name``."""

    ca_file: str
    server_name: str

    def context(self) -> ssl.SSLContext:
        """A client context that checks the chain and ``server_name`` whatever address is connected to."""
        try:
            context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{ev.DB_CA_BUNDLE}={self.ca_file}: cannot load the CA bundle: {exc}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
        context.server_name = self.server_name
        return context


class _NamedContext(ssl.SSLContext):
    """Checks the certificate against ``server_name`` (DB_HOST), not the address connected to (DB_HOSTADDR)."""

    server_name: str

    def wrap_socket(self, sock, *args, server_hostname=None, **kwargs):  # noqa: ANN001, ANN002, ANN003 - ssl's signature
        return super().wrap_socket(sock, *args, server_hostname=self.server_name, **kwargs)


@dataclass(frozen=True)
class Settings:
    """Everything the app needs. Build it with :func:`load_settings` or directly in tests."""

    #: SQLAlchemy URL; its password (if any) is ignored when ``db_credentials`` is given
    database_url: str
    db_credentials: DbCredentials | None = None
    #: None: no Auth0 configured, so every write is refused with 401
    auth: AuthSettings | None = None
    #: True: reads need no token; False: reads need a valid token (any scope)
    public_reads: bool = True
    #: base URL used in links (e.g. https://example.org/api); default: from each request
    public_url: str | None = None
    #: how bbox queries use the SPATIAL index: "force" (FORCE INDEX, default: the
    #: optimizer otherwise prefers the collection index for ORDER BY id LIMIT n),
    #: "auto" (no hint) or "ignore" (IGNORE INDEX; for benchmarks only)
    bbox_index_hint: IndexHint = "force"
    title: str = "Geo-spatial data API"
    description: str = "OGC API - Features service over MySQL-compatible storage."
    #: TLS to the database (None: plain TCP, only for DATABASE_URL development servers)
    db_tls: DbTls | None = None
    db_pool_size: int = 5
    db_connect_timeout: int = 5
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if self.bbox_index_hint not in ("force", "auto", "ignore"):
            raise ConfigError(f"BBOX_INDEX_HINT must be force, auto or ignore, not {self.bbox_index_hint!r}")
        if not self.public_reads and self.auth is None:
            raise ConfigError("PUBLIC_READS=false needs Auth0 settings (AUTH0_SECRET_ARN or AUTH0_DOMAIN + AUTH0_AUDIENCE)")


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from None


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ca_bundle(environ: Mapping[str, str], server_name: str, *, required: bool) -> DbTls | None:
    ca_file = environ.get(ev.DB_CA_BUNDLE)
    if not ca_file:
        if required:
            raise ConfigError(f"{ev.DB_CA_BUNDLE} is not set: TLS to the database is required and needs the CA bundle (the image sets it)")
        return None
    if not os.path.isfile(ca_file):
        raise ConfigError(f"{ev.DB_CA_BUNDLE}={ca_file}: no such file")
    tls = DbTls(ca_file=ca_file, server_name=server_name)
    tls.context()  # a bad bundle fails here, once, at start
    return tls


def _secret(store: SecretStore, variable: str, arn: str, required_keys: tuple[str, ...]) -> dict[str, Any]:
    """The JSON secret ``arn`` (named by the environment variable ``variable``); a bad one is a ConfigError naming the variable."""
    try:
        return store.get(arn, required_keys=required_keys)
    except SecretError as exc:
        raise ConfigError(f"{variable}: {exc}") from exc


def _database(environ: Mapping[str, str], store: SecretStore) -> tuple[str, DbCredentials, DbTls | None]:
    arn = environ.get(ev.DB_SECRET_ARN)
    if arn:
        secret = _db_secret(store, arn)
        host = environ.get(ev.DB_HOST) or secret.get("host")
        name = environ.get(ev.DB_NAME) or secret.get("dbname")
        port = _int(environ, ev.DB_PORT, int(secret.get("port") or 3306))
        if not host or not name:
            raise ConfigError(f"{ev.DB_SECRET_ARN} is set but {ev.DB_HOST} or {ev.DB_NAME} is missing (and the secret has no host/dbname)")
        tls = _ca_bundle(environ, str(host), required=not _is_loopback(str(host)))
        url = URL.create(
            "mysql+pymysql",
            username=str(secret["username"]) if secret else None,
            host=environ.get(ev.DB_HOSTADDR) or host,
            port=port,
            database=name,
            query={"charset": "utf8mb4"},
        )
        return url.render_as_string(hide_password=False), SecretCredentials(store, arn), tls
    raw_url = environ.get(ev.DATABASE_URL)
    if not raw_url:
        raise ConfigError(f"no database configured: set {ev.DB_SECRET_ARN} (+ {ev.DB_HOST}, {ev.DB_NAME}) or {ev.DATABASE_URL}")
    try:
        url = make_url(raw_url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise ConfigError(f"{ev.DATABASE_URL} is not a valid SQLAlchemy URL: {exc}") from None
    if url.get_backend_name() not in ("mysql", "mariadb"):
        raise ConfigError(f"{ev.DATABASE_URL} must be a mysql+pymysql:// or mariadb+pymysql:// URL, not {url.drivername}://")
    return raw_url, StaticCredentials(url.password), _ca_bundle(environ, str(url.host or ""), required=False)


def _auth(environ: Mapping[str, str], store: SecretStore) -> AuthSettings | None:
    kwargs = {"jwks_cache_seconds": _int(environ, ev.JWKS_CACHE_SECONDS, 300)}
    issuer = environ.get(ev.AUTH0_ISSUER) or None
    jwks_url = environ.get(ev.AUTH0_JWKS_URL) or None
    arn = environ.get(ev.AUTH0_SECRET_ARN)
    if arn:
        secret = _secret(store, ev.AUTH0_SECRET_ARN, arn, ("domain", "audience"))
        return AuthSettings.for_domain(str(secret["domain"]), str(secret["audience"]), issuer=issuer, jwks_url=jwks_url, **kwargs)
    domain, audience = environ.get(ev.AUTH0_DOMAIN), environ.get(ev.AUTH0_AUDIENCE)
    if domain and audience:
        return AuthSettings.for_domain(domain, audience, issuer=issuer, jwks_url=jwks_url, **kwargs)
    if domain or audience:
        raise ConfigError("set both AUTH0_DOMAIN and AUTH0_AUDIENCE, or neither")
    return None


def _log_level(environ: Mapping[str, str]) -> str:
    level = (environ.get(ev.LOG_LEVEL) or "INFO").strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"{ev.LOG_LEVEL} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}")
    return level


def load_settings(environ: Mapping[str, str] | None = None, store: SecretStore | None = None) -> Settings:
    """Build :class:`Settings` from environment variables, reading secrets by ARN.

    Raises :class:`ConfigError` with a one-line reason when anything is missing
    or unreadable.
    """
    env = os.environ if environ is None else environ
    store = store or SecretStore()
    database_url, credentials, tls = _database(env, store)
    return Settings(
        database_url=database_url,
        db_credentials=credentials,
        db_tls=tls,
        auth=_auth(env, store),
        public_reads=_bool(env, ev.PUBLIC_READS, True),
        public_url=(env.get(ev.PUBLIC_URL) or None),
        bbox_index_hint=env.get(ev.BBOX_INDEX_HINT, "force"),  # type: ignore[arg-type]
        db_pool_size=_int(env, ev.DB_POOL_SIZE, 5),
        log_level=_log_level(env),
    )
