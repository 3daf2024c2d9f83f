"""``python -m geoapi seed SOURCE``: the first load, streamed, checked, idempotent.

SOURCE is a local path or an ``s3://bucket/key`` URL; ``.gz`` is decompressed on the fly.
The kind is told by the name: ``*.sql[.gz]`` (an SQL dump, see :mod:`geoapi.sqldump`) or
``*.geojson|*.json[.gz]`` (see :mod:`geoapi.geojson_load`).

1. The SHA-256 recorded beside the source (``<source>.sha256``, or ``--sha256``) is read
   first; a source whose checksum is in ``seed_log`` was loaded before and is skipped
   without being read (no second load).
2. First pass: the stored bytes are hashed; a mismatch stops here, nothing written.
3. Second pass: the source is streamed again (an S3 object at the same ETag), hashed again,
   and loaded in one transaction with ``seed_log`` recorded; it commits only if the bytes
   hashed the same.  Each statement of a dump is checked against the application schema
   before it runs (:func:`geoapi.sqldump.check`); a refused one, like any failure, rolls
   everything back, so nothing is written and the load can be run again from the start and
   ends in the same state.  (The first pass checked every statement too until 2026-12-06:
   5.3 s of CPU per 1M rows, before any row was written, to fail sooner on a refused
   statement.  mysqldump writes a table's DDL before its rows, so the usual refusal, a dump
   made without ``--no-create-info``, still fails on its first statements.)

Memory stays flat: one chunk (1 MB), one statement or one batch of features at a time.  The
log shows progress every 5 seconds: rows, bytes (and share of the total), rates.

The database comes from the service's settings (``DATABASE_URL`` or ``DB_SECRET_ARN``), so
the load runs as whichever user those name: it needs INSERT/UPDATE/DELETE/SELECT on the
application schema, never DDL or grants.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ijson
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from geoapi import dialect as spatial
from geoapi import geojson_load, sqldump
from geoapi.sources import CHUNK, Progress, SeedError, Source, check_second_pass, read_ahead, verify

__all__ = ["SeedError", "SeedResult", "seed"]

log = logging.getLogger("geoapi.seed")


@dataclass(frozen=True)
class SeedResult:
    """What one source's seed did: the statements (a dump) or features (GeoJSON) it loaded, or
    those of the earlier load it found in ``seed_log`` (``skipped``)."""

    items: int
    skipped: bool = False


def _kind(name: str) -> str:
    base = name[:-3] if name.endswith(".gz") else name
    if base.endswith(".sql"):
        return "sql"
    if base.endswith((".geojson", ".json")):
        return "geojson"
    raise SeedError(f"{name}: cannot tell the kind; name it *.sql, *.geojson or *.json (optionally .gz)")


def _require_schema(engine: Engine) -> None:
    if not inspect(engine).has_table("seed_log"):
        raise SeedError("the database has no schema yet: run `python -m geoapi migrate` first")


def _record(conn: Connection, checksum: str, source: str, kind: str, items: int) -> None:
    conn.execute(
        text(
            spatial.for_connection(conn).upsert(
                "INSERT INTO seed_log (checksum, source, kind, items) VALUES (:c, :s, :k, :n)", ["source", "items"]
            )
        ),
        {"c": checksum, "s": source[:1024], "k": kind, "n": items},
    )


# -- SQL dumps -------------------------------------------------------------------------------
def _statements(stream: Any, source: Source) -> Any:
    """The dump's statements, split as the text arrives (UTF-8 decoded incrementally)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    splitter = sqldump.Splitter()
    try:
        while chunk := stream.read(CHUNK):
            yield from splitter.feed(decoder.decode(chunk))
        yield from splitter.feed(decoder.decode(b"", final=True), final=True)
    except UnicodeDecodeError:
        raise SeedError(f"{source.url}: not UTF-8 text; make binary columns readable with mysqldump --hex-blob") from None


def _checked(statement: sqldump.Statement, database: str, source: Source) -> bool:
    try:
        return sqldump.check(statement, database)
    except sqldump.Refused as exc:
        raise SeedError(f"{source.url}: {sqldump.describe(statement)} {exc}; nothing was loaded") from None


def _load_sql(conn: Connection, source: Source, expected: str, database: str, progress: Progress) -> int:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    count = 0
    with source.open(progress) as (data, hashed):
        for statement in read_ahead(_statements(data, source)):
            if not _checked(statement, database, source):
                continue
            try:
                cursor.execute(statement.sql)
            except Exception as exc:  # the driver's error, whatever the server said
                raise SeedError(f"{source.url}: {sqldump.describe(statement)} failed: {exc}; rolled back") from None
            count += 1
            progress.tick(rows=sqldump.row_count(statement))
        check_second_pass(source, hashed, expected)
    return count


# -- GeoJSON -----------------------------------------------------------------------------------
def _load_geojson(conn: Connection, source: Source, expected: str, collection_id: str, title: str | None, progress: Progress) -> int:
    with source.open() as (data, _):
        kind, name = geojson_load.document_head(data)
    loader = geojson_load.GeoJSONLoader(conn, collection_id, progress)
    old_bounds = loader.start(title or name or collection_id, source.name)
    with source.open(progress) as (data, hashed):
        try:
            count = loader.load(geojson_load.features_of(data, kind))
        except ijson.JSONError as exc:
            raise SeedError(f"{source.url}: not valid JSON after {loader.progress.rows:,} features: {exc}; rolled back") from None
        check_second_pass(source, hashed, expected)
    loader.finish(old_bounds)
    return count


# -- entry point ---------------------------------------------------------------------------------
def seed(
    engine: Engine,
    source: str,
    *,
    collection_id: str | None = None,
    title: str | None = None,
    sha256: str | None = None,
    s3_client_factory: Callable[[], Any] | None = None,
) -> SeedResult:
    """Load one source; see the module docstring."""
    src = Source(source, s3_client_factory)
    kind = _kind(src.name)
    _require_schema(engine)
    src.size()  # a missing file or object is named as such, before its checksum is looked for
    expected = (sha256 or src.recorded_sha256()).lower()
    with engine.connect() as conn:
        done = conn.execute(text("SELECT items FROM seed_log WHERE checksum = :c"), {"c": expected}).first()
        database = conn.execute(text("SELECT DATABASE()")).scalar_one()
    if done is not None:
        log.info("%s was loaded before (same SHA-256 %s); skipped", source, expected[:12])
        return SeedResult(int(done.items), skipped=True)
    size = verify(src, expected)
    progress = Progress(f"load {src.name}", size)
    with engine.begin() as conn:
        if kind == "sql":
            items = _load_sql(conn, src, expected, database, progress)
        else:
            target = collection_id or geojson_load.default_collection_id(src.name)
            items = _load_geojson(conn, src, expected, target, title, progress)
        _record(conn, expected, source, kind, items)
    progress.report(done=True)
    log.info("loaded %s: %d %s", source, items, "statements" if kind == "sql" else "features")
    return SeedResult(items)
