"""GeoJSON first loads, streamed feature by feature (ijson, C backend) and written in batches.

Each feature is validated like an API write (``geoapi.core.geojson.parse_feature``) and
upserted keyed by ``(collection, source_key)``: its ``id`` member, or a hash of its content
when it has none.  Everything runs in one transaction that commits only when the whole file
was valid and its bytes were the ones checked, so a failed load leaves nothing behind and a
repeated load ends in the same rows.  Memory holds one batch (BATCH features).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
from sqlalchemy import text
from sqlalchemy.engine import Connection

from geoapi import dialect as spatial
from geoapi.core.errors import InvalidBody
from geoapi.core.geojson import parse_feature
from geoapi.geometry import geometry_to_wkb
from geoapi.sources import Progress, SeedError, read_ahead

BATCH = 2000
COLLECTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class Bounds:
    minx: float = 180.0
    miny: float = 90.0
    maxx: float = -180.0
    maxy: float = -90.0
    empty: bool = True

    def add(self, geometry: dict[str, Any]) -> None:
        for x, y in _positions(geometry):
            self.minx, self.miny = min(self.minx, x), min(self.miny, y)
            self.maxx, self.maxy = max(self.maxx, x), max(self.maxy, y)
            self.empty = False

    def union(self, other: list[float] | None) -> list[float] | None:
        mine = None if self.empty else [self.minx, self.miny, self.maxx, self.maxy]
        if not mine or not other:
            return mine or other
        return [min(mine[0], other[0]), min(mine[1], other[1]), max(mine[2], other[2]), max(mine[3], other[3])]


def _positions(geometry: dict[str, Any]) -> Iterator[tuple[float, float]]:
    if geometry["type"] == "Point":
        yield geometry["coordinates"][0], geometry["coordinates"][1]
        return
    if geometry["type"] == "GeometryCollection":
        for member in geometry["geometries"]:
            yield from _positions(member)
        return
    stack = [geometry["coordinates"]]
    while stack:
        node = stack.pop()
        if node and isinstance(node[0], (int, float)):
            yield node[0], node[1]
        else:
            stack.extend(node)


def document_head(stream: IO[bytes]) -> tuple[str | None, str | None]:
    """``(type, name)`` of the top-level object, read from its members before ``features``."""
    kind = name = None
    try:
        for prefix, event, value in ijson.parse(stream):
            if prefix == "type" and event == "string":
                kind = value
            elif prefix == "name" and event == "string":
                name = value
            elif prefix == "features" or (event == "end_map" and prefix == ""):
                break
    except ijson.JSONError as exc:
        raise SeedError(f"not valid JSON: {exc}") from None
    return kind, name


def _source_key(raw: dict[str, Any], geometry: dict[str, Any], properties: dict[str, Any]) -> str:
    raw_id = raw.get("id")
    if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id):
        return str(raw_id)[:191]
    canonical = json.dumps({"g": geometry, "p": properties}, sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class GeoJSONLoader:
    """Loads one document's features into ``collection_id`` on ``conn`` (inside the caller's transaction)."""

    def __init__(self, conn: Connection, collection_id: str, progress: Progress) -> None:
        if not COLLECTION_ID.fullmatch(collection_id):
            raise SeedError(f"collection id {collection_id!r} must match [A-Za-z0-9_-]{{1,64}}")
        self.conn = conn
        self.collection_id = collection_id
        self.progress = progress
        self.d = spatial.for_connection(conn)
        self.bounds = Bounds()
        self.count = 0
        self.cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self.insert_head = "INSERT INTO features (collection_id, source_key, geom, properties) VALUES "
        self.upsert_tail = self.d.upsert("", ["geom", "properties"])
        self.row_sql = f"(%s, %s, ST_GeomFromWKB(%s, {spatial.SRID}{self.d.axis_option}), %s)"

    def start(self, title: str, source_name: str) -> list[float] | None:
        """Create (or retitle) the collection first: features refer to it."""
        existing = self.conn.execute(text("SELECT bbox FROM collections WHERE id = :id FOR UPDATE"), {"id": self.collection_id}).first()
        old = None
        if existing is not None and existing.bbox:
            old = json.loads(existing.bbox) if isinstance(existing.bbox, (str, bytes)) else existing.bbox
        self.conn.execute(
            text(self.d.upsert("INSERT INTO collections (id, title, description, bbox) VALUES (:id, :title, :descr, :bbox)", ["title"])),
            {"id": self.collection_id, "title": title[:255], "descr": f"Loaded from {source_name}", "bbox": json.dumps(old)},
        )
        return old

    def _batches(self, features: Iterator[Any]) -> Iterator[tuple[str, int]]:
        """The INSERT statement of each batch of BATCH features, values escaped, and its row count."""
        batch: list[str] = []
        index = -1
        for index, raw in enumerate(features):  # noqa: B007 - index counts the features after the loop
            try:
                feature = parse_feature(raw)
            except InvalidBody as exc:
                raise SeedError(f"feature #{index}: {exc.description}") from None
            self.bounds.add(feature.geometry)
            key = _source_key(raw, feature.geometry, feature.properties)
            row = (self.collection_id, key, geometry_to_wkb(feature.geometry), orjson.dumps(feature.properties).decode())
            batch.append(self.cursor.mogrify(self.row_sql, row))
            if len(batch) >= BATCH:
                yield self.insert_head + ",".join(batch) + self.upsert_tail, len(batch)
                batch = []
        if batch:
            yield self.insert_head + ",".join(batch) + self.upsert_tail, len(batch)
        self.count = index + 1

    def load(self, features: Iterator[Any]) -> int:
        """Insert every feature; the next batch is read and encoded while the database writes this one."""
        for sql, rows in read_ahead(self._batches(features)):
            self.cursor.execute(sql)
            self.progress.tick(rows=rows)
        return self.count

    def finish(self, old_bounds: list[float] | None) -> None:
        self.conn.execute(
            text("UPDATE collections SET bbox = :bbox WHERE id = :id"),
            {"id": self.collection_id, "bbox": json.dumps(self.bounds.union(old_bounds))},
        )


def features_of(stream: IO[bytes], kind: str | None) -> Iterator[Any]:
    """The features of a FeatureCollection (one at a time) or the single Feature."""
    if kind == "FeatureCollection":
        return ijson.items(stream, "features.item", use_float=True)
    if kind == "Feature":
        return ijson.items(stream, "", use_float=True)
    raise SeedError("a GeoJSON seed must be a FeatureCollection or a Feature")


def default_collection_id(name: str) -> str:
    stem = Path(name).name.split(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:64] or "features"
