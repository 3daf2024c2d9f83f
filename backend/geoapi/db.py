"""SQLAlchemy engine whose connections take their password from the secret store.

RDS-managed master passwords rotate.  Connections already open keep working,
but a new connection made with the cached password is refused with MySQL error
1045.  The ``do_connect`` hook below then re-reads the secret once and retries,
so the service heals without a restart.

TLS: when ``settings.db_tls`` is set, every connection is made over TLS with the
server certificate verified (chain to the CA bundle, name = the DB endpoint); a
server that does not offer TLS is refused. :func:`check_tls` makes one connection at
start so that a wrong CA bundle stops the service with one clear line.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from geoapi.secrets import SecretError
from geoapi.settings import ConfigError, Settings

log = logging.getLogger(__name__)

#: MySQL/MariaDB "Access denied for user" (wrong password, or user unknown)
ER_ACCESS_DENIED = 1045


def _is_access_denied(exc: BaseException) -> bool:
    args = getattr(exc, "args", ())
    return bool(args) and args[0] == ER_ACCESS_DENIED


def make_engine(settings: Settings, **overrides: Any) -> Engine:
    """An engine for ``settings.database_url`` with pre-ping, recycling and password refresh."""
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_recycle": 300,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "connect_args": {"connect_timeout": settings.db_connect_timeout},
    }
    if settings.db_tls is not None:
        options["connect_args"]["ssl"] = settings.db_tls.context()
    options.update(overrides)
    engine = create_engine(settings.database_url, **options)
    credentials = settings.db_credentials
    if credentials is None:
        return engine

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, conn_rec, cargs, cparams):  # noqa: ANN001 - SQLAlchemy hook signature
        def use(password: str | None) -> None:
            if password is not None:
                cparams["password"] = password
            user = credentials.username()
            if user is not None:
                cparams["user"] = user

        try:
            use(credentials.password())
        except SecretError as exc:  # e.g. no value yet: the database is unavailable to us, readiness says 503
            raise dialect.loaded_dbapi.OperationalError(ER_ACCESS_DENIED, f"no database credentials: {exc}") from exc
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError as exc:
            if not (credentials.refreshable and _is_access_denied(exc)):
                raise
            log.warning("database refused the cached credentials; re-reading the DB secret and retrying once")
            use(credentials.password(refresh=True))
            return dialect.connect(*cargs, **cparams)

    return engine


def make_read_engine(settings: Settings) -> Engine:
    """An engine for :class:`ReadPool`: autocommit connections, no pre-ping, no reset on return.

    Each read is then one round trip: the pre-ping (a COM_PING) and the ROLLBACK that ends an
    implicit transaction cost as much server CPU as a small query each (measured: 0.05 ms of
    MariaDB CPU apiece, against about 2.6 ms for a whole items page).  A dead connection is
    found by the read itself and replaced once (:meth:`ReadPool.run`); ``pool_recycle``
    still retires connections after 300 s.
    """
    return make_engine(settings, pool_pre_ping=False, pool_reset_on_return=None, isolation_level="AUTOCOMMIT")


T = TypeVar("T")


class ReadPool:
    """Read statements on pooled DB-API connections, each run once more on a new connection when
    the first one turns out dead (server restarted, connection killed or timed out).

    ``autocommit=False`` (an engine made by :func:`make_engine`) ends each read with a ROLLBACK
    so no read view is kept; the app gives it an engine from :func:`make_read_engine`.
    Errors are raised as SQLAlchemy's (``OperationalError`` for an unreachable server), as
    SQLAlchemy's own connections raise them.
    """

    def __init__(self, engine: Engine, *, autocommit: bool) -> None:
        self.engine = engine
        self.autocommit = autocommit

    def run(self, work: Callable[[Any], T], statement: str = "", *, transaction: bool = False) -> T:
        """``work(cursor)`` on a pooled connection; ``statement`` names it in errors.

        ``transaction=True`` runs it between START TRANSACTION and ROLLBACK even on an autocommit
        connection (MariaDB refuses a SPATIAL index read in an autocommit statement that has already
        read another table: error 1207, MDEV-26123).
        """
        dbapi_error = self.engine.dialect.loaded_dbapi.Error
        for attempt in (1, 2):
            raw = None
            try:
                raw = self.engine.raw_connection()
                return self._on(raw, work, transaction or not self.autocommit)
            except dbapi_error as exc:
                dead = raw is not None and self.engine.dialect.is_disconnect(exc, raw.dbapi_connection, None)
                if raw is not None and dead:
                    raw.invalidate(exc)
                    self.engine.pool.dispose()  # its other idle connections died with it (a restart, a rotation's KILL)
                if dead and attempt == 1:
                    log.info("database connection found dead (%s); reading again on a new one", exc)
                    continue
                raise DBAPIError.instance(statement, None, exc, dbapi_error, connection_invalidated=dead) from exc
            finally:
                if raw is not None:
                    raw.close()
        raise AssertionError("unreachable")

    def _on(self, raw: Any, work: Callable[[Any], T], transaction: bool) -> T:
        """``work`` on ``raw``; in a transaction (rolled back, so no read view is kept) when asked."""
        with raw.cursor() as cursor:
            if transaction and self.autocommit:
                cursor.execute("START TRANSACTION")
            try:
                result = work(cursor)
            except Exception:
                if transaction:
                    with contextlib.suppress(Exception):  # a dead connection: the caller invalidates it
                        raw.rollback()
                raise
        if transaction:
            raw.rollback()
        return result


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind a connection error (SQLAlchemy -> PyMySQL -> ssl), if any."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLError):
            return cause
        seen.add(id(cause))
        cause = getattr(cause, "original_exception", None) or getattr(cause, "orig", None) or cause.__cause__ or cause.__context__
    return None


def check_tls(engine: Engine, settings: Settings) -> None:
    """Connect once; raise :class:`ConfigError` when the server's certificate does not verify.

    Other connection errors (the database still starting, a network blip) are logged and
    left to the readiness check: only a certificate problem is a configuration error.
    """
    if settings.db_tls is None:
        return
    try:
        with engine.connect() as conn:
            cipher = conn.exec_driver_sql("SHOW STATUS LIKE 'Ssl_cipher'").fetchone()
        log.info("database TLS verified for %s (cipher %s)", settings.db_tls.server_name, cipher[1] if cipher else "?")
    except Exception as exc:  # SQLAlchemy wraps the driver's error; look for the TLS cause
        cause = _tls_cause(exc)
        if cause is not None:
            raise ConfigError(
                f"database TLS verification failed for {settings.db_tls.server_name} with CA bundle {settings.db_tls.ca_file}: "
                f"{getattr(cause, 'verify_message', None) or cause}"
            ) from None
        log.warning("database not reachable at start (readiness will report it): %s", str(exc).splitlines()[0])
