"""SQLAlchemy engine whose connections take their password from the secret store.

RDS-managed master passwords rotate.  Connections already open keep working,
but a new connection made with the cached password is refused with MySQL error
1045.  The ``do_connect`` hook below then re-reads the secret once and retries,
so the service heals without a restart.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from geoapi.settings import Settings

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

        use(credentials.password())
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError as exc:
            if not (credentials.refreshable and _is_access_denied(exc)):
                raise
            log.warning("database refused the cached credentials; re-reading the DB secret and retrying once")
            use(credentials.password(refresh=True))
            return dialect.connect(*cargs, **cparams)

    return engine
