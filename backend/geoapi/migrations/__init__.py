"""Alembic migration scripts (run with ``python -m geoapi migrate``)."""
