"""Feature storage: the SQL behind the API (MySQL 8 / MariaDB, via SQLAlchemy Core).

Item pages are written as GeoJSON by the database (:mod:`geoapi.itemsql`); single
features travel as lon/lat WKB (``geomet`` / shapely convert); the server-specific
fragments come from :mod:`geoapi.dialect`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from geoapi import dialect as spatial
from geoapi import schema
from geoapi.core.errors import InvalidBody
from geoapi.core.model import Collection, Feature, Page
from geoapi.core.query import ItemsQuery, Queryable
from geoapi.db import ReadPool
from geoapi.geometry import geometry_to_wkb, wkb_to_geometry
from geoapi.itemsql import COUNT_CAP, ItemsSQL
from geoapi.settings import IndexHint

#: the longest page the database may write as one string (pages are read row by row above it)
GROUP_CONCAT_MAX_LEN = 8 * 1024 * 1024


def _session_settings(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection settings the item pages need (run once per new DB connection)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET SESSION group_concat_max_len = {GROUP_CONCAT_MAX_LEN}")


#: MariaDB: a SPATIAL index read in an autocommit statement that has already read another table is refused
#: (HA_ERR_READ_ONLY_TRANSACTION, "Update locks cannot be acquired during a READ UNCOMMITTED transaction",
#: MDEV-26123); the page is then read again in a transaction, and that collection's pages from then on
ER_SPATIAL_READ_IN_AUTOCOMMIT = 1207

# Server errors that mean "this geometry is not acceptable", not "the server is broken".
_GEOMETRY_REJECTED = {
    1048,  # column cannot be null (geometry function returned NULL)
    1416,  # MariaDB: cannot get geometry object from data
    3037,  # MySQL: invalid GIS data
    3616,  # MySQL: longitude out of range
    3617,  # MySQL: latitude out of range
    3643,  # MySQL: SRID of geometry does not match column
}


def _properties(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    value = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return value if isinstance(value, dict) else {"value": value}


class FeatureRepository:
    """All reads and writes of collections and features (implements :class:`geoapi.core.model.FeatureStore`).

    Collections (with their queryables) are cached for ``collection_ttl`` seconds per process:
    an items request then costs one statement (two when numberMatched needs a count).
    """

    def __init__(
        self, engine: Engine, *, reads: ReadPool | None = None, bbox_index_hint: IndexHint = "force", collection_ttl: float = 5.0
    ) -> None:
        self.engine = engine
        #: where item pages are read (the app's: autocommit, one round trip per statement)
        self.reads = reads if reads is not None else ReadPool(engine, autocommit=False)
        self.bbox_index_hint = bbox_index_hint
        self.collection_ttl = collection_ttl
        self._collections: dict[str, tuple[float, Collection]] = {}
        #: collections whose pages read the SPATIAL index after another one: MariaDB wants a transaction then
        self._rtree_in_transaction: set[str] = set()
        for pooled in {engine, self.reads.engine}:
            event.listen(pooled, "connect", _session_settings)

    # -- health -------------------------------------------------------------
    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- collections --------------------------------------------------------
    @staticmethod
    def _collection(row: Any, queryables: tuple[Queryable, ...] = ()) -> Collection:
        bbox = json.loads(row.bbox) if isinstance(row.bbox, (str, bytes)) else row.bbox
        return Collection(id=row.id, title=row.title, description=row.description or "", bbox=bbox, queryables=queryables)

    def list_collections(self) -> list[Collection]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, title, description, bbox FROM collections ORDER BY id"))
            return [self._collection(r) for r in rows]

    def get_collection(self, collection_id: str) -> Collection | None:
        cached = self._collections.get(collection_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT id, title, description, bbox FROM collections WHERE id = :id"), {"id": collection_id}).first()
            if row is None:
                return None
            declared = conn.execute(select(schema.queryables).where(schema.queryables.c.collection_id == collection_id))
            collection = self._collection(row, tuple(sorted((schema.queryable_from_row(q) for q in declared), key=lambda q: q.name)))
        self._collections[collection_id] = (time.monotonic() + self.collection_ttl, collection)
        return collection

    # -- features -----------------------------------------------------------
    def items_sql(self, conn: Connection, collection_id: str, query: ItemsQuery, extent: list[float] | None = None) -> ItemsSQL:
        """The statements of an items query on this connection's server (exposed so tests can EXPLAIN them);
        ``extent`` is the collection's bbox (it decides which indexes a bbox + filter query is offered)."""
        return ItemsSQL(spatial.for_connection(conn), self.bbox_index_hint, collection_id, query, extent)

    def list_features(self, collection: Collection, query: ItemsQuery) -> Page:
        """One page, encoded by the database, in one statement (a second when the page is longer than
        ``group_concat_max_len``, or to count); numberMatched as documented in :meth:`_number_matched`."""

        def page(cursor: Any) -> Page:
            return self._page(cursor, collection, query)

        if collection.id not in self._rtree_in_transaction:
            try:
                return self.reads.run(page, "items page")
            except OperationalError as exc:
                if getattr(exc.orig, "args", (None,))[0] != ER_SPATIAL_READ_IN_AUTOCOMMIT:
                    raise
                self._rtree_in_transaction.add(collection.id)
        return self.reads.run(page, "items page", transaction=True)

    def _page(self, cursor: Any, collection: Collection, query: ItemsQuery) -> Page:
        d = spatial.for_server(bool(self.reads.engine.dialect.is_mariadb))  # known once connected
        sql = ItemsSQL(d, self.bbox_index_hint, collection.id, query, collection.bbox)
        cursor.execute(*sql.statement("page"))
        n, docs, cap = cursor.fetchone()
        docs = docs or ""
        if cap and len(docs) * 4 >= cap and len(docs.encode()) >= cap:  # cut short by group_concat_max_len
            cursor.execute(*sql.statement("page_rows"))
            docs = ",".join(doc for rn, doc in cursor.fetchall() if rn <= query.limit)
        returned = min(n, query.limit)
        more = n > query.limit
        matched = self._number_matched(cursor, sql, query, returned, more)
        return Page(more=more, number_matched=matched, encoded="[" + docs + "]", returned=returned)

    @staticmethod
    def _number_matched(cursor: Any, sql: ItemsSQL, query: ItemsQuery, returned: int, more: bool) -> int | None:
        """numberMatched: exact, or None (omitted) when it cannot be had within the budget.

        * The page is the last one (no next page) and not past the end: ``offset + returned``, free.
        * Otherwise, when the conditions can be answered from one index alone (no bbox or
          spatial filter; at most one non-negated comparison / range / IN / IS NULL on one
          queryable or the id): an index-only ``COUNT`` of at most COUNT_CAP + 1 entries
          (10,001: about a millisecond); given when it finds at most COUNT_CAP.
        * Else omitted: counting a spatial or composite filter means testing every candidate
          row, as costly as the page itself or worse, on every page.
        """
        if not query.count:
            return None
        if not more and (returned > 0 or query.offset == 0):
            return query.offset + returned
        if not sql.countable:
            return None
        cursor.execute(*sql.statement("count"))
        found = cursor.fetchone()[0]
        return found if found <= COUNT_CAP else None

    def get_feature(self, collection_id: str, feature_id: int) -> Feature | None:
        with self.engine.connect() as conn:
            d = spatial.for_connection(conn)
            row = conn.execute(
                text(f"SELECT id, {d.geom_as_wkb('geom')} AS wkb, properties FROM features WHERE collection_id = :cid AND id = :id"),
                {"cid": collection_id, "id": feature_id},
            ).first()
            if row is None:
                return None
            return Feature(row.id, collection_id, wkb_to_geometry(row.wkb), _properties(row.properties))

    def create_feature(self, collection_id: str, geometry: dict[str, Any], properties: dict[str, Any]) -> int:
        with self._writing() as conn:
            d = spatial.for_connection(conn)
            result = conn.execute(
                text(f"INSERT INTO features (collection_id, geom, properties) VALUES (:cid, {d.geom_from_wkb('wkb')}, :props)"),
                {"cid": collection_id, "wkb": geometry_to_wkb(geometry), "props": json.dumps(properties)},
            )
            return int(result.lastrowid)

    def replace_feature(self, collection_id: str, feature_id: int, geometry: dict[str, Any], properties: dict[str, Any]) -> bool:
        with self._writing() as conn:
            d = spatial.for_connection(conn)
            exists = conn.execute(
                text("SELECT id FROM features WHERE collection_id = :cid AND id = :id FOR UPDATE"),
                {"cid": collection_id, "id": feature_id},
            ).first()
            if exists is None:
                return False
            conn.execute(
                text(f"UPDATE features SET geom = {d.geom_from_wkb('wkb')}, properties = :props WHERE collection_id = :cid AND id = :id"),
                {"cid": collection_id, "id": feature_id, "wkb": geometry_to_wkb(geometry), "props": json.dumps(properties)},
            )
            return True

    def delete_feature(self, collection_id: str, feature_id: int) -> bool:
        with self._writing() as conn:
            result = conn.execute(
                text("DELETE FROM features WHERE collection_id = :cid AND id = :id"),
                {"cid": collection_id, "id": feature_id},
            )
            return result.rowcount > 0

    def _writing(self):
        return _GeometryErrors(self.engine)


class _GeometryErrors:
    """``engine.begin()`` that turns "bad geometry" server errors into 400s (and rolls back)."""

    def __init__(self, engine: Engine) -> None:
        self._ctx = engine.begin()

    def __enter__(self) -> Connection:
        return self._ctx.__enter__()

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._ctx.__exit__(exc_type, exc, tb)
        args = getattr(getattr(exc, "orig", None), "args", ()) if isinstance(exc, DBAPIError) else ()
        if args and args[0] in _GEOMETRY_REJECTED:
            raise InvalidBody(f"the database rejected the geometry: {args[-1]}") from None
        return False
