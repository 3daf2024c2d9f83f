"""Part 3 and the other items parameters, against a synthetic collection in MariaDB.

The expected ids always come from a direct SQL query on ``features.properties`` (JSON
functions), not from the generated queryable columns the API reads, so a wrong column
definition, a wrong translation or a paging bug shows up as a difference.
"""

from __future__ import annotations

import json
import random
from urllib.parse import quote, urlsplit

import pytest

from geoapi.app import create_app
from geoapi.core.params import MAX_LIMIT, MAX_OFFSET
from geoapi.db import make_engine
from geoapi.schema import QueryableSpec, declare_queryables
from geoapi.seed import seed

from .conftest import Database, _make_database
from .test_migrate_and_seed import checked

N = 420
CATEGORIES = ("river", "lake", "peak", "town", "pass")


def _features() -> list[dict]:
    rng = random.Random(7)
    out = []
    for i in range(N):
        props = {
            "name": f"{rng.choice(['Al', 'Be', 'Ca', 'Do'])}{i:03d}",
            "category": rng.choice(CATEGORIES),
            "population": rng.randint(0, 5000),
        }
        if i % 7:
            props["capital"] = i % 3 == 0
        if i % 5:
            props["observed"] = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"
        if i % 11 == 0:
            props["population"] = "unknown"  # a wrong type: never matches a numeric comparison
        point = [round(rng.uniform(-10, 30), 5), round(rng.uniform(35, 60), 5)]
        out.append({"type": "Feature", "id": f"o{i}", "geometry": {"type": "Point", "coordinates": point}, "properties": props})
    return out


@pytest.fixture(scope="module")
def obs_db(mariadb, tmp_path_factory) -> Database:
    db = _make_database(mariadb)
    path = checked(
        tmp_path_factory.mktemp("obs") / "obs.geojson", json.dumps({"type": "FeatureCollection", "features": _features()}).encode()
    )
    engine = make_engine(db.settings(), pool_size=1, max_overflow=0)
    seed(engine, str(path), collection_id="obs")
    with engine.begin() as conn:
        declare_queryables(
            conn,
            "obs",
            [
                QueryableSpec("name", "string"),
                QueryableSpec("category", "string"),
                QueryableSpec("population", "integer"),
                QueryableSpec("capital", "boolean"),
                QueryableSpec("observed", "timestamp", temporal=True),
            ],
        )
    engine.dispose()
    yield db
    mariadb.execute(f"DROP DATABASE `{db.name}`")


@pytest.fixture(scope="module")
def obs(obs_db):
    app = create_app(obs_db.settings())
    yield app.test_client()
    app.extensions["geoapi"].engine.dispose()


def _walk(client, url: str, pages: int = 100) -> tuple[list[int], list[dict]]:
    ids, bodies = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        bodies.append(body)
        ids += [f["id"] for f in body["features"]]
        nxt = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        url = (urlsplit(nxt).path + "?" + urlsplit(nxt).query) if nxt else None
        assert len(bodies) < pages
    return ids, bodies


def _expected(db: Database, where: str, order: str = "id") -> list[int]:
    return [r[0] for r in db.rows(f"SELECT id FROM features WHERE collection_id = 'obs' AND ({where}) ORDER BY {order}")]


P = "JSON_VALUE(properties, '$.{}')"
NUM = "(JSON_TYPE(JSON_EXTRACT(properties, '$.population')) = 'INTEGER' AND JSON_VALUE(properties, '$.population') + 0 {})"
FILTERS = [
    ("category = 'lake'", P.format("category") + " = 'lake'"),
    ("category <> 'lake'", P.format("category") + " <> 'lake'"),
    ("population > 2500", NUM.format("> 2500")),
    ("population >= 100 AND population < 900", NUM.format(">= 100") + " AND " + NUM.format("< 900")),
    ("category = 'peak' OR population <= 50", P.format("category") + " = 'peak' OR " + NUM.format("<= 50")),
    # pygeofilter 0.4 cannot parse NOT before a parenthesised OR; NOT before a predicate works
    ("NOT category = 'town' AND NOT (category = 'pass')", "NOT (" + P.format("category") + " IN ('town', 'pass'))"),
    ("name LIKE 'Be%'", P.format("name") + " LIKE 'Be%'"),
    ("name LIKE '_a1%'", P.format("name") + " LIKE '_a1%'"),
    ("name NOT LIKE '%7'", P.format("name") + " NOT LIKE '%7'"),
    ("category IN ('river', 'peak')", P.format("category") + " IN ('river', 'peak')"),
    ("population NOT IN (1, 2, 3) AND population BETWEEN 1000 AND 2000", NUM.format("BETWEEN 1000 AND 2000")),
    ("capital = true", "JSON_EXTRACT(properties, '$.capital') = true"),
    ("capital IS NULL", "JSON_EXTRACT(properties, '$.capital') IS NULL"),
    ("observed > TIMESTAMP('2024-06-15T00:00:00Z')", P.format("observed") + " > '2024-06-15T00:00:00Z'"),
    (
        "S_INTERSECTS(geometry, POLYGON((0 40, 10 40, 10 50, 0 50, 0 40)))",
        "ST_Intersects(geom, ST_GeomFromText('POLYGON((0 40, 10 40, 10 50, 0 50, 0 40))', 4326))",
    ),
    (
        "S_INTERSECTS(geometry, BBOX(5, 45, 20, 55)) AND category = 'town'",
        "ST_X(geom) BETWEEN 5 AND 20 AND ST_Y(geom) BETWEEN 45 AND 55 AND " + P.format("category") + " = 'town'",
    ),
    (
        json.dumps(
            {
                "op": "and",
                "args": [
                    {"op": "like", "args": [{"property": "name"}, "Ca%"]},
                    {"op": "between", "args": [{"property": "population"}, 10, 4000]},
                ],
            }
        ),
        P.format("name") + " LIKE 'Ca%' AND " + NUM.format("BETWEEN 10 AND 4000"),
    ),
    (
        json.dumps(
            {
                "op": "s_intersects",
                "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [[[0, 40], [10, 40], [10, 50], [0, 40]]]}],
            }
        ),
        "ST_Intersects(geom, ST_GeomFromText('POLYGON((0 40, 10 40, 10 50, 0 40))', 4326))",
    ),
]


@pytest.mark.parametrize(("cql", "sql"), FILTERS, ids=[f[0][:50] for f in FILTERS])
def test_filter_returns_exactly_what_sql_finds_across_every_page(obs, obs_db, cql, sql):
    lang = "cql2-json" if cql.startswith("{") else "cql2-text"
    ids, bodies = _walk(obs, f"/api/collections/obs/items?limit=37&filter-lang={lang}&filter={quote(cql)}")
    expected = _expected(obs_db, sql)
    assert expected, "each filter should select something"
    assert ids == expected
    assert len(set(ids)) == len(ids)


def test_queryable_as_query_parameter(obs, obs_db):
    ids, _ = _walk(obs, "/api/collections/obs/items?category=lake&limit=50")
    assert ids == _expected(obs_db, P.format("category") + " = 'lake'")


def test_datetime_filters_on_the_temporal_property(obs, obs_db):
    ids, _ = _walk(obs, "/api/collections/obs/items?datetime=2024-03-01T00:00:00Z/2024-05-31T23:59:59Z&limit=100")
    assert ids == _expected(obs_db, P.format("observed") + " BETWEEN '2024-03-01T00:00:00Z' AND '2024-05-31T23:59:59Z'")
    ids, _ = _walk(obs, "/api/collections/obs/items?datetime=../2024-02-01&limit=100")
    assert ids == _expected(obs_db, P.format("observed") + " <= '2024-02-01T23:59:59.999999Z'")


@pytest.mark.parametrize("sortby", ["category,-population", "-name", "population", "capital,-id", "-observed,category"])
def test_sortby_pages_have_no_duplicates_and_no_gaps(obs, obs_db, sortby):
    ids, _ = _walk(obs, f"/api/collections/obs/items?limit=29&sortby={sortby}")
    assert sorted(ids) == sorted(_expected(obs_db, "1"))
    assert len(set(ids)) == N
    # the order is the one SQL gives for the same keys, ties broken by id in the last key's direction
    cols = {
        "category": "qs_category",
        "population": "qn_population",
        "name": "qs_name",
        "capital": "qb_capital",
        "observed": "qt_observed",
        "id": "id",
    }
    keys = [(k.lstrip("-"), "DESC" if k.startswith("-") else "ASC") for k in sortby.split(",")]
    order = ", ".join(f"{cols[k]} {d}" for k, d in keys) + ("" if keys[-1][0] == "id" else f", id {keys[-1][1]}")
    assert ids == _expected(obs_db, "1", order)


def test_properties_selects_what_is_returned(obs):
    body = obs.get("/api/collections/obs/items?limit=5&properties=name,capital").get_json()
    assert all(set(f["properties"]) <= {"name", "capital"} and "name" in f["properties"] for f in body["features"])
    assert obs.get("/api/collections/obs/items?limit=5&properties=").get_json()["features"][0]["properties"] == {}


def test_number_matched_rule(obs, obs_db):
    everything = obs.get("/api/collections/obs/items?limit=10").get_json()
    assert everything["numberMatched"] == N  # index-only count (no filter), under the cap
    lake = obs.get("/api/collections/obs/items?limit=10&category=lake").get_json()
    assert lake["numberMatched"] == len(_expected(obs_db, P.format("category") + " = 'lake'"))
    spatial = obs.get("/api/collections/obs/items?limit=10&bbox=-10,35,30,60").get_json()
    assert "numberMatched" not in spatial  # a spatial count tests every candidate: omitted
    last = obs.get("/api/collections/obs/items?limit=100&bbox=0,40,10,50").get_json()
    assert last["numberMatched"] == last["numberReturned"] == len(last["features"])  # last page: free and exact


def test_property_filter_uses_its_index(obs_db):
    from geoapi.core.items import items_query
    from geoapi.repository import FeatureRepository

    engine = make_engine(obs_db.settings(), pool_size=1, max_overflow=0)
    repo = FeatureRepository(engine)
    try:
        query = items_query(repo.get_collection("obs"), {"filter": ["category = 'lake'"], "limit": ["10"]})
        with engine.connect() as conn:
            sql, params = repo.items_sql(conn, "obs", query).statement("page_ids")
            plan = [dict(r._mapping) for r in conn.exec_driver_sql("EXPLAIN " + sql, params)]
            count_sql, count_params = repo.items_sql(conn, "obs", query).statement("count")
            count_plan = [dict(r._mapping) for r in conn.exec_driver_sql("EXPLAIN " + count_sql, count_params)]
    finally:
        engine.dispose()
    assert plan[0]["key"] == "ix_qs_category"
    assert any(p["key"] == "ix_qs_category" and "Using index" in (p["Extra"] or "") for p in count_plan)  # index-only count


BOXED = [
    ("0,40,8,48", "category = 'lake'", P.format("category") + " = 'lake'"),
    ("-10,35,30,60", "category = 'lake'", P.format("category") + " = 'lake'"),  # the whole extent: a "wide" box
    ("5,45,25,58", "population > 1000 OR name LIKE 'Al%'", NUM.format("> 1000") + " OR " + P.format("name") + " LIKE 'Al%'"),
    # one in 7 features has no capital: ixp_qb_capital holds only those with one (migration 0005), so a
    # filter a missing capital passes must not read it, and one it cannot pass may
    ("0,40,8,48", "capital IS NULL", "JSON_EXTRACT(properties, '$.capital') IS NULL"),
    ("0,40,8,48", "capital = false", "JSON_EXTRACT(properties, '$.capital') = false"),
    ("0,40,8,48", "NOT capital = true", "JSON_EXTRACT(properties, '$.capital') = false"),
]


@pytest.mark.parametrize(("bbox", "cql", "sql"), BOXED, ids=[f"{b[0]} {b[1]}" for b in BOXED])
def test_bbox_with_a_filter_returns_what_sql_finds_across_every_page(obs, obs_db, bbox, cql, sql):
    ids, _ = _walk(obs, f"/api/collections/obs/items?limit=7&bbox={bbox}&filter={quote(cql)}")
    x0, y0, x1, y1 = bbox.split(",")
    expected = _expected(obs_db, f"ST_X(geom) BETWEEN {x0} AND {x1} AND ST_Y(geom) BETWEEN {y0} AND {y1} AND ({sql})")
    assert expected and ids == expected


def test_bbox_sortby_on_a_queryable_some_features_lack_pages_without_gaps(obs, obs_db):
    ids, _ = _walk(obs, "/api/collections/obs/items?limit=9&bbox=0,40,8,48&sortby=-capital")
    assert ids == _expected(obs_db, "ST_X(geom) BETWEEN 0 AND 8 AND ST_Y(geom) BETWEEN 40 AND 48", "qb_capital DESC, id DESC")


def test_a_bbox_with_a_filter_on_one_queryable_reads_index_entries_only(obs_db):
    """Points in the box are read from ``ixp_<column>`` (the point index with the queryable) and tested there,
    without a row read.  A wide box offers the queryable index too: with ORDER BY id LIMIT n, walking it in id
    order meets a page soon when the box covers much of the extent.  Two queryables: the SPATIAL index."""
    from geoapi.core.items import items_query
    from geoapi.dialect import GEOMETRY_INDEX
    from geoapi.repository import FeatureRepository

    engine = make_engine(obs_db.settings(), pool_size=1, max_overflow=0)
    repo = FeatureRepository(engine)
    try:
        collection = repo.get_collection("obs")
        with engine.connect() as conn:

            def page_ids(bbox: str, cql: str = "category = 'lake'") -> tuple[str, list[dict]]:
                query = items_query(collection, {"bbox": [bbox], "filter": [cql], "limit": ["10"]})
                sql, params = repo.items_sql(conn, "obs", query, collection.bbox).statement("page_ids")
                return sql, [dict(r._mapping) for r in conn.exec_driver_sql("EXPLAIN " + sql, params)]

            small_sql, small_plan = page_ids("0,40,4,44")
            wide_sql, _ = page_ids("-10,35,30,60")
            two_sql, _ = page_ids("0,40,4,44", "category = 'lake' AND population > 10")
    finally:
        engine.dispose()
    assert "FORCE INDEX (ixp_qs_category)" in small_sql
    points = [p for p in small_plan if p["table"] == "features" and p["key"] == "ixp_qs_category"]
    assert points and "Using index" in points[0]["Extra"], small_plan
    assert "FORCE INDEX (ixp_qs_category, ix_qs_category)" in wide_sql
    assert "ixp_" not in two_sql and f"FORCE INDEX ({GEOMETRY_INDEX})" in two_sql


BAD = [
    ("filter=category%20%3D", "ends too early"),
    ("filter=category%20%3D%3D%20'x'", "column 11"),
    ("filter=colour%20%3D%20'red'", "unknown property 'colour'"),
    ("filter=population%20%3D%20'many'", "'population' is a integer"),
    ("filter=T_AFTER(observed,%20TIMESTAMP('2024-01-01T00:00:00Z'))", "column"),
    ("filter=S_WITHIN(geometry,%20POINT(1%202))", "S_WITHIN is not supported"),
    ("filter=name%20%3D%20category", "comparing two properties"),
    ("filter=S_INTERSECTS(geometry,%20POINT(200%201))", "longitude 200"),
    ("filter-lang=cql2-json&filter=%7B%22op%22%3A%22%3D%22%7D", "CQL2-JSON"),
    ("filter-lang=sql&filter=1", "filter-lang"),
    ("filter-lang=cql2-json&filter=" + quote('{"op":"=","args":[{"property":"colour"},"red"]}'), "unknown property 'colour'"),
    (
        "filter-lang=cql2-json&filter=" + quote('{"op":"s_within","args":[{"property":"geometry"},{"bbox":[0,0,1,1]}]}'),
        "S_WITHIN is not supported",
    ),
    ("filter-lang=cql2-json&filter=" + quote('{"op":"and","args":[{"op":"=","args":[{"property":"name"}'), "column 58"),
    ("bbox=0,40,4,44&filter=" + quote("category = 'lake' AND colour = 1"), "unknown property 'colour'"),
    ("sortby=colour", "unknown property 'colour'"),
    ("population=abc", "'population' is a integer"),
    (f"limit={MAX_LIMIT + 1}", f"over the cap of {MAX_LIMIT}"),
    (f"offset={MAX_OFFSET + 1}", f"over the cap of {MAX_OFFSET}"),
]


@pytest.mark.parametrize(("query", "message"), BAD, ids=[b[0][:40] for b in BAD])
def test_bad_parameters_are_400_naming_the_problem_and_write_nothing(obs, obs_db, query, message):
    before = obs_db.snapshot()
    response = obs.get(f"/api/collections/obs/items?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert message in response.get_json()["description"]
    assert obs_db.snapshot() == before


def test_next_link_stops_at_the_offset_cap(obs):
    body = obs.get(f"/api/collections/obs/items?limit=1&offset={MAX_OFFSET}").get_json()
    assert body["features"] == []  # past the end of 420: allowed, empty
    first = obs.get("/api/collections/obs/items?limit=400&offset=9800").get_json()
    assert not any(link["rel"] == "next" for link in first["links"])


def test_queryables_document(obs):
    response = obs.get("/api/collections/obs/queryables")
    assert response.status_code == 200
    assert response.content_type == "application/schema+json"
    body = response.get_json()
    assert body["properties"]["population"] == {"title": "population", "type": "integer"}
    assert body["properties"]["observed"]["format"] == "date-time"
    assert set(body["properties"]) == {"id", "geometry", "name", "category", "population", "capital", "observed"}


# -- one test per claimed conformance class -----------------------------------------------------
CLASSES = {
    "ogcapi-features-1/1.0/conf/core": "/api/collections/obs/items?limit=2",
    "ogcapi-features-1/1.0/conf/geojson": "/api/collections/obs/items?limit=2",
    "ogcapi-features-1/1.0/conf/oas30": "/api/openapi",
    "ogcapi-features-3/1.0/conf/queryables": "/api/collections/obs/queryables",
    "ogcapi-features-3/1.0/conf/queryables-query-parameters": "/api/collections/obs/items?category=peak",
    "ogcapi-features-3/1.0/conf/filter": "/api/collections/obs/items?filter=category%3D'peak'",
    "ogcapi-features-3/1.0/conf/features-filter": "/api/collections/obs/items?filter=category%3D'peak'",
    "cql2/1.0/conf/cql2-text": "/api/collections/obs/items?filter=population%3E10",
    "cql2/1.0/conf/cql2-json": "/api/collections/obs/items?filter-lang=cql2-json&filter="
    + quote('{"op":">","args":[{"property":"population"},10]}'),
    "cql2/1.0/conf/basic-cql2": "/api/collections/obs/items?filter="
    + quote("NOT (capital = true) AND population <> 3 AND name IS NOT NULL"),
    "cql2/1.0/conf/advanced-comparison-operators": "/api/collections/obs/items?filter="
    + quote("name LIKE 'A%' AND population BETWEEN 1 AND 9999 AND category IN ('lake')"),
    "cql2/1.0/conf/basic-spatial-functions": "/api/collections/obs/items?filter=" + quote("S_INTERSECTS(geometry, BBOX(-10,35,30,60))"),
    "cql2/1.0/conf/basic-spatial-functions-plus": "/api/collections/obs/items?filter="
    + quote("S_INTERSECTS(geometry, MULTIPOLYGON(((0 40, 9 40, 9 49, 0 40))))"),
    "ogcapi-features-4/1.0/conf/create-replace-delete": None,  # tests/backend/test_writes_and_auth.py
}


def test_conformance_claims_exactly_the_tested_classes(obs):
    claimed = {uri.removeprefix("http://www.opengis.net/spec/") for uri in obs.get("/api/conformance").get_json()["conformsTo"]}
    assert claimed == set(CLASSES)


@pytest.mark.parametrize(("cls", "url"), [(c, u) for c, u in CLASSES.items() if u], ids=[c for c, u in CLASSES.items() if u])
def test_each_claimed_class_answers(obs, cls, url):
    response = obs.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    if "/items" in url:
        assert body["type"] == "FeatureCollection" and body["features"], cls
