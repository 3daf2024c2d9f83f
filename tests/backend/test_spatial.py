"""The SPATIAL index is what bbox queries use, and axis order is handled per server."""

from __future__ import annotations

import pytest

from geoapi import dialect
from geoapi.core.params import BBox
from geoapi.core.query import ItemsQuery
from geoapi.db import make_engine
from geoapi.repository import FeatureRepository

BOX = BBox(-10.0, 35.0, 20.0, 60.0)


def _explain(db, hint: str, bbox: BBox | None = BOX) -> list[dict]:
    """The plan of the part of an items page that selects rows (its ids, in order)."""
    engine = make_engine(db.settings(), pool_size=1, max_overflow=0)
    repo = FeatureRepository(engine, bbox_index_hint=hint)
    try:
        with engine.connect() as conn:
            sql, params = repo.items_sql(conn, "places", ItemsQuery(limit=100, bbox=bbox)).statement("page_ids")
            rows = conn.exec_driver_sql("EXPLAIN " + sql, params)
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def test_bbox_query_uses_the_spatial_index(seeded_db):
    plan = _explain(seeded_db, "force")
    assert len(plan) == 1
    assert plan[0]["key"] == dialect.GEOMETRY_INDEX
    assert plan[0]["type"] == "range"


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
