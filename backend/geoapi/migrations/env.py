"""Alembic environment: online migrations over the engine the caller passes in.

``python -m geoapi migrate`` passes its engine in ``config.attributes["engine"]``;
the plain ``alembic`` CLI (backend/alembic.ini) builds one from the same settings
the service uses.  Offline (``--sql``) mode is not offered: the DDL depends on
whether the server is MySQL 8 or MariaDB, which only a connection can tell.
"""

from alembic import context

config = context.config


def _engine():
    engine = config.attributes.get("engine")
    if engine is None:
        from geoapi.db import make_engine
        from geoapi.settings import load_settings

        engine = make_engine(load_settings())
    return engine


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: the DDL depends on the server (MySQL 8 or MariaDB)")

with _engine().connect() as connection:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
