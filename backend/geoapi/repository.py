"""Feature storage: the SQL behind the API (MySQL 8 / MariaDB, via SQLAlchemy Core).

Geometries travel as lon/lat WKB (``geomet`` converts to and from GeoJSON);
the server-specific fragments come from :mod:`geoapi.dialect`.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import shapely.geometry
import shapely.wkb
from geomet import wkb
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from geoapi import dialect as spatial
from geoapi.core.errors import InvalidBody
from geoapi.core.model import Collection, Feature
from geoapi.core.params import BBox
from geoapi.settings import IndexHint

# Server errors that mean "this geometry is not acceptable", not "the server is broken".
_GEOMETRY_REJECTED = {
    1048,  # column cannot be null (geometry function returned NULL)
    1416,  # MariaDB: cannot get geometry object from data
    3037,  # MySQL: invalid GIS data
    3616,  # MySQL: longitude out of range
    3617,  # MySQL: latitude out of range
    3643,  # MySQL: SRID of geometry does not match column
}


def geometry_to_wkb(geometry: dict[str, Any]) -> bytes:
    return wkb.dumps(geometry, big_endian=False)


_POINT_LE = struct.Struct("<BIdd")


def _as_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    return value


def wkb_to_geometry(data: bytes) -> dict[str, Any]:
    """GeoJSON geometry from 2D WKB. Points (the bulk of most data sets) skip the generic parser.

    The generic parser is shapely (GEOS): geomet's WKB loader fails on a GeometryCollection
    that holds a Multi* member (KeyError in geomet 1.1.0), which made one stored feature
    break every page that listed it.
    """
    data = bytes(data)
    if len(data) == 21 and data[:5] == b"\x01\x01\x00\x00\x00":
        _, _, x, y = _POINT_LE.unpack(data)
        return {"type": "Point", "coordinates": [x, y]}
    return _as_lists(shapely.geometry.mapping(shapely.wkb.loads(data)))


def _properties(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    value = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return value if isinstance(value, dict) else {"value": value}


class FeatureRepository:
    """All reads and writes of collections and features (implements :class:`geoapi.core.model.FeatureStore`)."""

    def __init__(self, engine: Engine, *, bbox_index_hint: IndexHint = "force") -> None:
        self.engine = engine
        self.bbox_index_hint = bbox_index_hint

    # -- health -------------------------------------------------------------
    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- collections --------------------------------------------------------
    @staticmethod
    def _collection(row: Any) -> Collection:
        bbox = json.loads(row.bbox) if isinstance(row.bbox, (str, bytes)) else row.bbox
        return Collection(id=row.id, title=row.title, description=row.description or "", bbox=bbox)

    def list_collections(self) -> list[Collection]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, title, description, bbox FROM collections ORDER BY id"))
            return [self._collection(r) for r in rows]

    def get_collection(self, collection_id: str) -> Collection | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT id, title, description, bbox FROM collections WHERE id = :id"), {"id": collection_id}).first()
            return self._collection(row) if row else None

    # -- features -----------------------------------------------------------
    def _index_hint(self) -> str:
        return {
            "force": f"FORCE INDEX ({spatial.GEOMETRY_INDEX})",
            "ignore": f"IGNORE INDEX ({spatial.GEOMETRY_INDEX})",
            "auto": "",
        }[self.bbox_index_hint]

    def items_sql(self, conn: Connection, bbox: BBox | None) -> str:
        """The SELECT for an items page (exposed so tests can EXPLAIN exactly what runs)."""
        d = spatial.for_connection(conn)
        if bbox is None:
            return (
                f"SELECT id, {d.geom_as_wkb('geom')} AS wkb, properties FROM features "
                "WHERE collection_id = :cid ORDER BY id LIMIT :limit OFFSET :offset"
            )
        return (
            f"SELECT id, {d.geom_as_wkb('geom')} AS wkb, properties FROM features {self._index_hint()} "
            f"WHERE collection_id = :cid AND ST_Intersects(geom, {d.geom_from_wkt('box')}) "
            "ORDER BY id LIMIT :limit OFFSET :offset"
        )

    @staticmethod
    def items_params(conn: Connection, collection_id: str, bbox: BBox | None, limit: int, offset: int) -> dict[str, Any]:
        params: dict[str, Any] = {"cid": collection_id, "limit": limit, "offset": offset}
        if bbox is not None:
            params["box"] = spatial.bbox_polygon_wkt(
                bbox.minx, bbox.miny, bbox.maxx, bbox.maxy, geographic=spatial.for_connection(conn).geographic
            )
        return params

    def list_features(self, collection_id: str, *, bbox: BBox | None, limit: int, offset: int) -> list[Feature]:
        with self.engine.connect() as conn:
            rows = conn.execute(text(self.items_sql(conn, bbox)), self.items_params(conn, collection_id, bbox, limit, offset))
            return [Feature(r.id, collection_id, wkb_to_geometry(r.wkb), _properties(r.properties)) for r in rows]

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
