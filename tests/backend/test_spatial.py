"""The SPATIAL index is what bbox queries use, and axis order is handled per server."""

from __future__ import annotations

import json
import random

import pytest

from geoapi import dialect
from geoapi.core.params import BBox
from geoapi.core.query import ItemsQuery
from geoapi.db import make_engine
from geoapi.repository import FeatureRepository

BOX = BBox(-10.0, 35.0, 20.0, 60.0)


def _explain(db, hint: str, bbox: BBox | None = BOX, collection: str = "places") -> list[dict]:
    """The plan of the part of an items page that selects rows (its ids, in order)."""
    engine = make_engine(db.settings(), pool_size=1, max_overflow=0)
    repo = FeatureRepository(engine, bbox_index_hint=hint)
    try:
        with engine.connect() as conn:
            sql, params = repo.items_sql(conn, collection, ItemsQuery(limit=100, bbox=bbox)).statement("page_ids")
            rows = conn.exec_driver_sql("EXPLAIN " + sql, params)
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def _page_reads(db, collection: str, bbox: BBox) -> dict[str, int]:
    """Handler counters of one bbox page_ids statement (rows read per access method)."""
    engine = make_engine(db.settings(), pool_size=1, max_overflow=0)
    repo = FeatureRepository(engine)
    status = "SHOW SESSION STATUS LIKE 'Handler_read%%'"
    try:
        with engine.connect() as conn:
            sql, params = repo.items_sql(conn, collection, ItemsQuery(limit=100, bbox=bbox)).statement("page_ids")
            before = dict(conn.exec_driver_sql(status).all())
            conn.exec_driver_sql(sql, params).all()
            after = dict(conn.exec_driver_sql(status).all())
            return {k: int(after[k]) - int(before[k]) for k in before}
    finally:
        engine.dispose()


def test_bbox_query_reads_points_from_the_point_index_and_the_rest_from_the_spatial_index(seeded_db):
    plan = _explain(seeded_db, "force")
    keys = {row["key"] for row in plan if row["table"] == "features"}
    assert keys == {dialect.POINT_INDEX, dialect.GEOMETRY_INDEX}
    point_branch = next(row for row in plan if row["key"] == dialect.POINT_INDEX and row["table"] == "features")
    assert "Using index" in point_branch["Extra"]  # the box is tested on the index entry alone (no row read)


def test_a_point_collection_never_walks_the_spatial_index(seeded_db):
    """The R-tree branch is guarded by "this collection holds a non-point": for points only it reads nothing."""
    world = BBox(-180.0, -90.0, 180.0, 90.0)
    points = seeded_db.rows("SELECT COUNT(*) FROM features WHERE collection_id = 'places'")[0][0]
    reads = _page_reads(seeded_db, "places", world)
    # one range per strip (a key read each) and every point once (next), the guard's one key read: no R-tree walk
    assert reads["Handler_read_next"] == points, reads
    polygons = seeded_db.rows("SELECT COUNT(*) FROM features WHERE collection_id = 'regions'")[0][0]
    assert _page_reads(seeded_db, "regions", world)["Handler_read_next"] >= polygons  # those go through the R-tree


def test_without_the_hint_mariadb_walks_the_primary_key_instead(seeded_db):
    """Why FORCE INDEX is the default: with ORDER BY id LIMIT n, MariaDB 10.11 prefers an ordered index scan
    (PRIMARY or the collection index) to the SPATIAL index, which is a full scan for a small box on a big table."""
    plan = _explain(seeded_db, "auto")
    assert plan[0]["key"] != dialect.GEOMETRY_INDEX


def test_ignore_hint_really_ignores_it(seeded_db):
    plan = _explain(seeded_db, "ignore")
    assert plan[0]["key"] != dialect.GEOMETRY_INDEX


def test_mariadb_is_detected_and_stores_longitude_as_x(seeded_db):
    engine = make_engine(seeded_db.settings(), pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        assert dialect.for_connection(conn) is dialect.MARIADB
    engine.dispose()
    # Tokyo: 139.69 E, 35.69 N
    assert seeded_db.rows("SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM features WHERE source_key = 'tokyo'") == [
        (139.6917, 35.6895, 4326)
    ]


def test_mysql_url_scheme_against_mariadb_is_detected_too(seeded_db):
    from geoapi.settings import Settings

    engine = make_engine(Settings(database_url=seeded_db.url.replace("mariadb+pymysql", "mysql+pymysql")))
    with engine.connect() as conn:
        assert dialect.for_connection(conn) is dialect.MARIADB
    engine.dispose()


def test_mysql8_fragments_force_long_lat_axis_order():
    d = dialect.MYSQL8
    assert d.geometry_column == "GEOMETRY NOT NULL SRID 4326"  # SRID attribute: else the index is ignored
    assert d.geom_from_wkb("g") == "ST_GeomFromWKB(:g, 4326, 'axis-order=long-lat')"
    assert d.geom_from_wkt("b") == "ST_GeomFromText(:b, 4326, 'axis-order=long-lat')"
    assert d.geom_as_wkb("geom") == "ST_AsBinary(geom, 'axis-order=long-lat')"
    assert d.upsert("INSERT INTO t (a, b) VALUES (:a, :b)", ["b"]) == (
        "INSERT INTO t (a, b) VALUES (:a, :b) AS incoming ON DUPLICATE KEY UPDATE b = incoming.b"
    )
    # ST_X of a 4326 point is its latitude on MySQL 8: the point index reads coordinates by name
    columns = dict(dialect.point_columns_sql(d))
    assert "ST_Longitude(geom)" in columns["pt_x"] and "ST_Latitude(geom)" in columns["pt_y"]
    assert "ST_X" not in " ".join(columns.values()) and "FLOOR(ST_Longitude(geom) * 4)" in columns["pt_strip"]
    assert (
        dict(dialect.point_columns_sql(dialect.MARIADB))["pt_x"]
        == "DOUBLE GENERATED ALWAYS AS (IF(ST_GeometryType(geom) = 'POINT', ST_X(geom), NULL)) VIRTUAL"
    )


def test_mariadb_fragments_take_no_axis_option():
    d = dialect.MARIADB
    assert d.geometry_column == "GEOMETRY REF_SYSTEM_ID=4326 NOT NULL"
    assert d.geom_from_wkb("g") == "ST_GeomFromWKB(:g, 4326)"
    assert d.geom_as_wkb("geom") == "ST_AsBinary(geom)"
    assert d.upsert("INSERT INTO t (a, b) VALUES (:a, :b)", ["b"]) == (
        "INSERT INTO t (a, b) VALUES (:a, :b) ON DUPLICATE KEY UPDATE b = VALUES(b)"
    )


@pytest.mark.parametrize("is_mariadb", [True, False])
def test_dialect_is_chosen_from_the_server_not_the_url(is_mariadb):
    assert dialect.for_server(is_mariadb) is (dialect.MARIADB if is_mariadb else dialect.MYSQL8)


def test_bbox_polygon_is_lon_lat_and_closed():
    assert dialect.bbox_polygon_wkt(-10.0, 35.0, 20.0, 60.0) == ("POLYGON((-10.0 35.0, 20.0 35.0, 20.0 60.0, -10.0 60.0, -10.0 35.0))")


def _vertices(wkt: str) -> list[tuple[float, float]]:
    body = wkt.removeprefix("POLYGON((").removesuffix("))")
    return [tuple(float(v) for v in pair.split()) for pair in body.split(", ")]


def test_point_box_is_widened_into_a_valid_polygon():
    vertices = _vertices(dialect.bbox_polygon_wkt(2.35, 48.85, 2.35, 48.85))
    xs, ys = {x for x, _ in vertices}, {y for _, y in vertices}
    assert len(xs) == 2 and len(ys) == 2
    assert max(xs) - min(xs) < 1e-8 and min(xs) < 2.35 < max(xs)


@pytest.mark.parametrize("box", [(-180.0, -90.0, 180.0, 90.0), (-10.0, 35.0, 20.0, 60.0), (5.0, 45.0, 5.25, 45.5)])
def test_geographic_box_is_densified_and_kept_off_poles_and_antimeridian(box):
    vertices = _vertices(dialect.bbox_polygon_wkt(*box, geographic=True))
    assert vertices[0] == vertices[-1]
    xs, ys = [x for x, _ in vertices], [y for _, y in vertices]
    assert min(xs) > -180 and max(xs) < 180 and min(ys) > -90 and max(ys) < 90
    assert min(xs) == pytest.approx(max(box[0], -180), abs=1e-6) and max(ys) == pytest.approx(min(box[3], 90), abs=1e-6)
    for (x1, y1), (x2, y2) in zip(vertices, vertices[1:], strict=False):
        assert abs(x2 - x1) <= 1.0 + 1e-9 and abs(y2 - y1) <= 1.0 + 1e-9  # consecutive vertices <= 1 degree apart
        assert x1 == x2 or y1 == y2  # edges follow parallels and meridians


def _bbox_ids(repo: FeatureRepository, collection, bbox: BBox, limit: int) -> list[int]:
    """Every id of a bbox query, page by page (offset paging, as the next links do)."""
    ids: list[int] = []
    while True:
        page = repo.list_features(collection, ItemsQuery(limit=limit, offset=len(ids), bbox=bbox, count=False))
        ids += [f["id"] for f in json.loads(page.encoded)]
        if not page.more:
            return ids


def _insert(db, wkts: list[str]) -> None:
    values = ", ".join(["('mixed', ST_GeomFromText(%s, 4326), '{}')"] * len(wkts))
    db.rows(f"INSERT INTO features (collection_id, geom, properties) VALUES {values}", *wkts)


def test_bbox_over_points_and_polygons_pages_through_what_st_intersects_finds(fresh_db):
    """Both branches (point index, SPATIAL index) and their union, across pages, against a direct query;
    points on a box edge count as inside; a polygon written into a point collection is found at once."""
    rng = random.Random(17)
    fresh_db.rows("INSERT INTO collections (id, title) VALUES ('mixed', 'points, then polygons too')")
    points = [(round(rng.uniform(0, 10), 2), round(rng.uniform(40, 50), 2)) for _ in range(400)]
    points += [(2.5, 45.0), (2.25, 44.0)]  # on strip edges and box edges below
    _insert(fresh_db, [f"POINT({x} {y})" for x, y in points])
    engine = make_engine(fresh_db.settings(), pool_size=1, max_overflow=0)
    repo = FeatureRepository(engine, collection_ttl=0)
    boxes = [BBox(2.5, 44.0, 4.0, 45.0), BBox(2.25, 40.0, 2.25, 50.0)]  # edges through points; a zero-width box
    boxes += [
        BBox(*(lambda x, y, w, h: (x, y, x + w, y + h))(rng.uniform(-1, 9), rng.uniform(39, 49), rng.uniform(0.1, 4), rng.uniform(0.1, 4)))
        for _ in range(15)
    ]

    def check() -> int:
        collection = repo.get_collection("mixed")
        total = 0
        for b in boxes:
            box = dialect.bbox_polygon_wkt(b.minx, b.miny, b.maxx, b.maxy)  # a zero-width box is widened a little
            where = "collection_id = 'mixed' AND ST_Intersects(geom, ST_GeomFromText(%s, 4326))"
            expected = [r[0] for r in fresh_db.rows(f"SELECT id FROM features WHERE {where} ORDER BY id", box)]
            assert _bbox_ids(repo, collection, b, limit=7) == expected, b
            total += len(expected)
        return total

    try:
        assert check() > 100
        assert len(_bbox_ids(repo, repo.get_collection("mixed"), boxes[0], 500)) >= 2  # the edge points are in
        corners = [(rng.uniform(0, 9), rng.uniform(40, 49)) for _ in range(30)]
        _insert(
            fresh_db, [f"POLYGON(({x} {y}, {x + 1} {y}, {x + 1} {y + 0.5}, {x} {y}))" for x, y in corners] + ["LINESTRING(0 40, 10 50)"]
        )
        assert check() > 130
    finally:
        engine.dispose()
