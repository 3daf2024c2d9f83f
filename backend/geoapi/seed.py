"""``python -m geoapi seed SOURCE``: load an SQL dump or a GeoJSON file, idempotently.

SOURCE is a local path or an ``s3://bucket/key`` URL; ``.gz`` files are
decompressed.  The kind is told by the name: ``*.sql[.gz]`` or
``*.geojson|*.json[.gz]``.

* **GeoJSON** (a FeatureCollection or a single Feature): every feature is
  validated like an API write before anything is written, then all are
  upserted in one transaction, keyed by the feature's ``id`` (or a hash of its
  geometry and properties when it has none).  Running it again leaves the
  same rows.
* **SQL dump** (mysqldump / mariadb-dump output; binary columns must be
  dumped with ``--hex-blob`` so the file is UTF-8): applied once.  Its SHA-256
  is recorded in ``seed_log`` and a dump already applied is skipped.
  Statements are split by sqlparse and executed in one transaction; a DDL
  statement commits implicitly, as it always does on MySQL.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import sqlparse
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from geoapi import dialect as spatial
from geoapi.core.errors import InvalidBody
from geoapi.core.geojson import parse_feature
from geoapi.repository import geometry_to_wkb

log = logging.getLogger(__name__)

BATCH = 1000
_COLLECTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SeedError(RuntimeError):
    """The source cannot be loaded; nothing (or, for DDL in a dump, only DDL) was written."""


@dataclass(frozen=True)
class SeedResult:
    source: str
    kind: str
    items: int
    skipped: bool = False


# -- sources -----------------------------------------------------------------
@contextlib.contextmanager
def local_copy(source: str, s3_client_factory: Callable[[], Any] | None = None) -> Iterator[Path]:
    """A local path for ``source``; an S3 object is downloaded to the temp dir and removed afterwards."""
    if not source.startswith("s3://"):
        path = Path(source)
        if not path.is_file():
            raise SeedError(f"{source}: no such file")
        yield path
        return
    parsed = urlparse(source)
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    if not bucket or not key:
        raise SeedError(f"{source}: an S3 URL must look like s3://bucket/key")
    client = (s3_client_factory or (lambda: boto3.client("s3")))()
    with tempfile.TemporaryDirectory(prefix="geoapi-seed-") as tmp:
        target = Path(tmp) / Path(key).name
        try:
            client.download_file(bucket, key, str(target))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise SeedError(f"{source}: cannot download: {error.get('Code')} {error.get('Message', '')}".strip()) from None
        except BotoCoreError as exc:
            raise SeedError(f"{source}: cannot download: {exc}") from None
        yield target


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise SeedError(f"{path.name}: not a valid gzip file: {exc}") from None
    return data


def _kind(name: str) -> str:
    base = name[:-3] if name.endswith(".gz") else name
    if base.endswith(".sql"):
        return "sql"
    if base.endswith((".geojson", ".json")):
        return "geojson"
    raise SeedError(f"{name}: cannot tell the kind; name it *.sql, *.geojson or *.json (optionally .gz)")


def _default_collection_id(name: str) -> str:
    stem = name.split(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem)[:64] or "features"


def _require_schema(engine: Engine) -> None:
    if not inspect(engine).has_table("seed_log"):
        raise SeedError("the database has no schema yet: run `python -m geoapi migrate` first")


def _record(conn: Connection, checksum: str, source: str, kind: str, items: int) -> None:
    conn.execute(
        text(
            spatial.for_connection(conn).upsert(
                "INSERT INTO seed_log (checksum, source, kind, items) VALUES (:c, :s, :k, :n)",
                ["source", "items"],
            )
        ),
        {"c": checksum, "s": source[:1024], "k": kind, "n": items},
    )


# -- GeoJSON -----------------------------------------------------------------
@dataclass(frozen=True)
class _Row:
    source_key: str
    wkb: bytes
    properties: str


def _features(document: Any) -> list[Any]:
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise SeedError("FeatureCollection has no 'features' array")
        return features
    if isinstance(document, dict) and document.get("type") == "Feature":
        return [document]
    raise SeedError("a GeoJSON seed must be a FeatureCollection or a Feature")


def _rows(features: list[Any]) -> tuple[list[_Row], list[float] | None]:
    rows: list[_Row] = []
    bounds = [180.0, 90.0, -180.0, -90.0]
    for index, raw in enumerate(features):
        try:
            feature = parse_feature(raw)
        except InvalidBody as exc:
            raise SeedError(f"feature #{index}: {exc.description}") from None
        raw_id = raw.get("id")
        if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id):
            key = str(raw_id)[:191]
        else:
            canonical = json.dumps({"g": feature.geometry, "p": feature.properties}, sort_keys=True)
            key = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
        rows.append(_Row(key, geometry_to_wkb(feature.geometry), json.dumps(feature.properties)))
        for lon, lat in _positions(feature.geometry):
            bounds = [min(bounds[0], lon), min(bounds[1], lat), max(bounds[2], lon), max(bounds[3], lat)]
    return rows, (bounds if rows else None)


def _positions(geometry: dict[str, Any]) -> Iterator[tuple[float, float]]:
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


def _union(a: list[float] | None, b: list[float] | None) -> list[float] | None:
    if not a or not b:
        return a or b
    return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]


def seed_geojson(engine: Engine, data: bytes, *, source: str, collection_id: str, title: str | None) -> int:
    if not _COLLECTION_ID.fullmatch(collection_id):
        raise SeedError(f"collection id {collection_id!r} must match [A-Za-z0-9_-]{{1,64}}")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SeedError(f"{source}: not valid JSON: {exc}") from None
    rows, bounds = _rows(_features(document))
    name = document.get("name") if isinstance(document.get("name"), str) else None
    checksum = hashlib.sha256(data).hexdigest()
    with engine.begin() as conn:
        d = spatial.for_connection(conn)
        existing = conn.execute(text("SELECT bbox FROM collections WHERE id = :id FOR UPDATE"), {"id": collection_id}).first()
        old_bounds = None
        if existing is not None and existing.bbox:
            old_bounds = json.loads(existing.bbox) if isinstance(existing.bbox, (str, bytes)) else existing.bbox
        conn.execute(
            text(d.upsert("INSERT INTO collections (id, title, description, bbox) VALUES (:id, :title, :descr, :bbox)", ["title", "bbox"])),
            {
                "id": collection_id,
                "title": (title or name or collection_id)[:255],
                "descr": f"Loaded from {Path(source).name}",
                "bbox": json.dumps(_union(old_bounds, bounds)),
            },
        )
        insert = d.upsert(
            f"INSERT INTO features (collection_id, source_key, geom, properties) VALUES (:cid, :key, {d.geom_from_wkb('wkb')}, :props)",
            ["geom", "properties"],
        )
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            conn.execute(text(insert), [{"cid": collection_id, "key": r.source_key, "wkb": r.wkb, "props": r.properties} for r in batch])
        _record(conn, checksum, source, "geojson", len(rows))
    return len(rows)


# -- SQL dump ----------------------------------------------------------------
def _statements(sql: str) -> Iterator[str]:
    for line in sql.splitlines():
        if line.strip().upper().startswith("DELIMITER"):
            raise SeedError(
                "the dump uses DELIMITER (stored routines/triggers), which only the mysql client "
                "understands; dump data only (--skip-triggers, no --routines)"
            )
    for statement in sqlparse.split(sql):
        stripped = sqlparse.format(statement, strip_comments=True).strip().rstrip(";").strip()
        if stripped:
            yield statement.strip().rstrip(";")


def seed_sql(engine: Engine, data: bytes, *, source: str) -> tuple[int, bool]:
    checksum = hashlib.sha256(data).hexdigest()
    with engine.connect() as conn:
        done = conn.execute(text("SELECT 1 FROM seed_log WHERE checksum = :c"), {"c": checksum}).first()
    if done:
        return 0, True
    try:
        sql = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SeedError(f"{source}: not UTF-8 text; make binary columns readable with mysqldump --hex-blob") from None
    count = 0
    with engine.begin() as conn:
        for count, statement in enumerate(_statements(sql), start=1):  # noqa: B007
            try:
                conn.exec_driver_sql(statement)
            except Exception as exc:
                orig = getattr(exc, "orig", exc)
                raise SeedError(f"{source}: statement {count} failed: {orig}") from None
        _record(conn, checksum, source, "sql", count)
    return count, False


# -- entry point ---------------------------------------------------------------
def seed(
    engine: Engine,
    source: str,
    *,
    collection_id: str | None = None,
    title: str | None = None,
    s3_client_factory: Callable[[], Any] | None = None,
) -> SeedResult:
    """Load one source; see the module docstring."""
    name = Path(urlparse(source).path if source.startswith("s3://") else source).name
    kind = _kind(name)
    _require_schema(engine)
    with local_copy(source, s3_client_factory) as path:
        data = _read(path)
    if kind == "geojson":
        items = seed_geojson(engine, data, source=source, collection_id=collection_id or _default_collection_id(name), title=title)
        log.info("seeded %d features from %s", items, source)
        return SeedResult(source, kind, items)
    items, skipped = seed_sql(engine, data, source=source)
    if skipped:
        log.info("%s was applied before (same SHA-256); skipped", source)
    else:
        log.info("applied %d statements from %s", items, source)
    return SeedResult(source, kind, items, skipped)
