"""The tables as SQLAlchemy Core sees them, and how a migration declares a collection's queryables.

A queryable is a property of a collection's features that filters, ``sortby`` and
``?name=value`` may use.  :func:`declare_queryables` (called from Alembic migrations, e.g.
``0002_queryables``) records it in the ``queryables`` table and makes sure ``features``
has an indexed generated column holding it: one column per (property name, storage kind),
shared by every collection that declares that name with that kind, and one index
``(collection_id, column, id)`` per column, so an equality filter or a ``sortby`` on it
reads the index in id order, and one ``ixp_<column>`` ``(collection_id, ps_<column>, pt_y, pt_x,
column)`` so a bbox over points filtered on it reads index entries only (``ps_<column>``: the
strip where the property is present, see :func:`point_index_sql`).  MySQL
allows 64 indexes per table, 5 of them taken: about 29 distinct queryable columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import BigInteger, Boolean, Column, Double, Integer, MetaData, String, Table, Text, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import NullType

from geoapi import dialect as spatial
from geoapi.core.query import ID, QUERYABLE_TYPES, Queryable, QueryableType

metadata = MetaData()

features = Table(
    "features",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("collection_id", String(64), nullable=False),
    Column("source_key", String(191)),
    Column("geom", NullType, nullable=False),
    Column("properties", Text, nullable=False),
    # generated from geom for points (NULL otherwise), indexed (migration 0003, geoapi.dialect.point_columns_sql)
    Column("pt_x", Double),
    Column("pt_y", Double),
    Column("pt_strip", Integer),
)

collections = Table(
    "collections",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(255), nullable=False),
    Column("description", Text),
    Column("bbox", Text),
)

queryables = Table(
    "queryables",
    metadata,
    Column("collection_id", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("title", String(255)),
    Column("temporal", Boolean, nullable=False),
    Column("column_name", String(64), nullable=False),
)

#: property names a queryable may have: also safe as a JSON path member and in a column name
QUERYABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,47}")
#: names the items endpoint uses for its own parameters
RESERVED = frozenset(
    {ID, "geometry", "bbox", "limit", "offset", "datetime", "f", "filter", "filter-lang", "filter-crs", "sortby", "properties"}
)
_KIND: dict[str, str] = {"string": "s", "number": "n", "integer": "n", "boolean": "b", "date": "d", "timestamp": "t"}


@dataclass(frozen=True)
class QueryableSpec:
    """A queryable as a migration declares it."""

    name: str
    type: QueryableType
    title: str = ""
    temporal: bool = False

    def __post_init__(self) -> None:
        if not QUERYABLE_NAME.fullmatch(self.name) or self.name in RESERVED:
            raise ValueError(f"queryable name {self.name!r} must match {QUERYABLE_NAME.pattern} and not be one of {sorted(RESERVED)}")
        if self.type not in QUERYABLE_TYPES:
            raise ValueError(f"queryable {self.name!r}: type must be one of {QUERYABLE_TYPES}")
        if self.temporal and self.type not in ("date", "timestamp"):
            raise ValueError(f"queryable {self.name!r}: only a date or timestamp can be the temporal property")

    @property
    def column(self) -> str:
        return f"q{_KIND[self.type]}_{self.name}"


def _existing_columns(conn: Connection) -> set[str]:
    rows = conn.execute(
        text("SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'features'")
    )
    return {r[0] for r in rows}


def declare_queryables(conn: Connection, collection_id: str, specs: list[QueryableSpec]) -> None:
    """Add the generated columns and indexes ``specs`` need (one ALTER TABLE) and record the declarations.

    Repeatable: existing columns are kept, declarations are replaced.  At most one spec may be temporal.
    """
    if sum(s.temporal for s in specs) > 1:
        raise ValueError(f"collection {collection_id!r}: at most one temporal queryable")
    existing = _existing_columns(conn)
    missing = {s.column: s for s in specs if s.column not in existing}
    if missing:
        parts = []
        for column, spec in sorted(missing.items()):
            parts.append(f"ADD COLUMN {column} {spatial.queryable_column_sql(spec.column[1], '$.' + spec.name)}")
            parts.append(f"ADD INDEX ix_{column} (collection_id, {column}, id)")
            if "pt_strip" in existing:  # from migration 0003 on (0004 adds these for the columns made before)
                parts.append(point_index_sql(column, spec.name))
        conn.execute(text("ALTER TABLE features " + ", ".join(parts)))
    conn.execute(queryables.delete().where(queryables.c.collection_id == collection_id))
    if specs:
        conn.execute(
            queryables.insert(),
            [
                {
                    "collection_id": collection_id,
                    "name": s.name,
                    "type": s.type,
                    "title": s.title,
                    "temporal": s.temporal,
                    "column_name": s.column,
                }
                for s in specs
            ],
        )


def point_index_sql(column: str, name: str) -> str:
    """``ADD COLUMN ps_<column>, ADD INDEX ixp_<column>``: the point index with a queryable, so a bbox page
    filtered on that one queryable is answered from index entries alone
    (:meth:`geoapi.itemsql._Builder.point_index`).  Its leading column is the strip where the property
    is present, NULL elsewhere (:func:`geoapi.dialect.strip_column_sql`): it holds every feature a
    filter on the queryable can match."""
    strip = spatial.strip_column(column)
    return (
        f"ADD COLUMN {strip} {spatial.strip_column_sql('$.' + name)}, ADD INDEX ixp_{column} (collection_id, {strip}, pt_y, pt_x, {column})"
    )


def queryable_columns(conn: Connection) -> dict[str, str]:
    """``{generated column: property name}`` of every declared queryable, in column order."""
    return dict(sorted((r.column_name, r.name) for r in conn.execute(text("SELECT DISTINCT column_name, name FROM queryables"))))


def queryable_from_row(row) -> Queryable:  # noqa: ANN001 - a Row of the queryables table
    return Queryable(row.name, row.type, row.column_name, row.title or "", bool(row.temporal))
