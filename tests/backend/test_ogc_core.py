"""OGC API - Features Part 1 core and GeoJSON, read side, against the sample data in MariaDB."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import sample_features

GEOJSON = "application/geo+json"


def _link(body: dict, rel: str) -> dict | None:
    return next((link for link in body["links"] if link["rel"] == rel), None)


def _path(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_landing_page_links_to_api_definition_conformance_and_data(client):
    for path in ("/api", "/api/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.content_type == "application/json"
        body = response.get_json()
        assert {link["rel"] for link in body["links"]} >= {"self", "service-desc", "conformance", "data"}
        assert _link(body, "service-desc")["href"].endswith("/api/openapi")
        assert _link(body, "service-desc")["type"].startswith("application/vnd.oai.openapi+json")


def test_conformance_declares_core_and_geojson(client):
    body = client.get("/api/conformance").get_json()
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in body["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in body["conformsTo"]


def test_collections_list_every_seeded_collection_with_items_link_and_extent(client):
    body = client.get("/api/collections").get_json()
    by_id = {c["id"]: c for c in body["collections"]}
    assert set(by_id) == {"places", "routes", "regions"}
    places = by_id["places"]
    assert _link(places, "items")["href"].endswith("/api/collections/places/items")
    assert _link(places, "items")["type"] == GEOJSON
    lons = [f["geometry"]["coordinates"][0] for f in sample_features("places.geojson")]
    lats = [f["geometry"]["coordinates"][1] for f in sample_features("places.geojson")]
    assert places["extent"]["spatial"]["bbox"] == [[min(lons), min(lats), max(lons), max(lats)]]


def test_one_collection(client):
    response = client.get("/api/collections/routes")
    assert response.status_code == 200
    assert response.get_json()["id"] == "routes"


def test_items_default_page_is_ten_features_with_next_link(client):
    response = client.get("/api/collections/places/items")
    assert response.status_code == 200
    assert response.content_type == GEOJSON
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) == 10
    assert _link(body, "next") is not None
    assert "timeStamp" in body


def test_next_links_walk_every_feature_exactly_once(client):
    expected = {f["properties"]["name"] for f in sample_features("places.geojson")}
    seen: list[str] = []
    url = "/api/collections/places/items?limit=7"
    pages = 0
    while url:
        body = client.get(url).get_json()
        seen += [f["properties"]["name"] for f in body["features"]]
        assert body["numberReturned"] == len(body["features"]) <= 7
        nxt = _link(body, "next")
        url = _path(nxt["href"]) if nxt else None
        pages += 1
        assert pages < 20
    assert sorted(seen) == sorted(expected)
    assert pages == -(-len(expected) // 7)


def _inside(position, bbox) -> bool:
    lon, lat = position
    return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]


@pytest.mark.parametrize(
    "bbox",
    [
        (-10.0, 35.0, 20.0, 60.0),  # western Europe
        (100.0, -45.0, 180.0, 40.0),  # east Asia and Oceania, up to the antimeridian
        (-180.0, -90.0, 180.0, 90.0),  # the world
        (2.3522, 48.8566, 2.3522, 48.8566),  # a point box: Paris exactly (edges are inclusive)
        (-30.0, -60.0, -29.0, -59.0),  # open ocean: nothing
    ],
)
def test_bbox_returns_exactly_the_points_inside(client, bbox):
    expected = {f["properties"]["name"] for f in sample_features("places.geojson") if _inside(f["geometry"]["coordinates"], bbox)}
    query = ",".join(str(v) for v in bbox)
    body = client.get(f"/api/collections/places/items?bbox={query}&limit=1000").get_json()
    assert {f["properties"]["name"] for f in body["features"]} == expected
    assert body["numberReturned"] == len(expected)
    for feature in body["features"]:
        assert _inside(feature["geometry"]["coordinates"], bbox)  # lon/lat order survived storage


def test_bbox_6_number_form_ignores_heights(client):
    four = client.get("/api/collections/places/items?bbox=-10,35,20,60&limit=100").get_json()
    six = client.get("/api/collections/places/items?bbox=-10,35,-100,20,60,100&limit=100").get_json()
    assert [f["id"] for f in four["features"]] == [f["id"] for f in six["features"]]


def test_bbox_matches_lines_and_polygons_that_cross_the_box(client):
    # a box in the North Sea: no capital inside, but the Benelux box overlaps it
    body = client.get("/api/collections/regions/items?bbox=3,52,6,54").get_json()
    assert [f["properties"]["name"] for f in body["features"]] == ["Benelux (rough box)"]
    # a small box on the straight London-Paris line, far from both ends
    body = client.get("/api/collections/routes/items?bbox=1.0,49.5,1.5,50.5").get_json()
    assert [f["properties"]["from"] for f in body["features"]] == ["london"]
    # inside the London-Paris line's bounding rectangle but away from the line: an exact test, not an MBR one
    body = client.get("/api/collections/routes/items?bbox=2.0,51.0,2.3,51.4").get_json()
    assert body["features"] == []


@pytest.mark.parametrize("collection", ["places", "routes", "regions"])
def test_bbox_returns_what_st_intersects_finds_for_every_geometry_type(client, seeded_db, collection):
    """The items query may take shortcuts (MariaDB: bounding rectangles first); its answer must be the
    exact ``ST_Intersects`` with the box, asked directly, for points, lines and polygons."""
    rng = random.Random(collection)
    minx, miny, maxx, maxy = client.get(f"/api/collections/{collection}").get_json()["extent"]["spatial"]["bbox"][0]
    crossing_rectangles = 0  # boxes where a bounding rectangle meets the box but the geometry does not
    for _ in range(80):  # boxes from 1/200 to 1/5 of the extent's sides, some reaching past it
        w, h = ((hi - lo) * rng.uniform(0.005, 0.2) for lo, hi in ((minx, maxx), (miny, maxy)))
        x0, y0 = round(max(rng.uniform(minx - w / 2, maxx - w / 2), -180), 3), round(max(rng.uniform(miny - h / 2, maxy - h / 2), -90), 3)
        x1, y1 = round(min(x0 + w, 180), 3), round(min(y0 + h, 90), 3)
        body = client.get(f"/api/collections/{collection}/items?bbox={x0},{y0},{x1},{y1}&limit=1000").get_json()
        box = f"ST_GeomFromText('POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))', 4326)"
        where = f"collection_id = %s AND ST_Intersects(geom, {box})"
        assert [f["id"] for f in body["features"]] == [
            r[0] for r in seeded_db.rows(f"SELECT id FROM features WHERE {where} ORDER BY id", collection)
        ]
        near = f"collection_id = %s AND MBRIntersects(geom, {box}) AND NOT ST_Intersects(geom, {box})"
        crossing_rectangles += seeded_db.rows(f"SELECT COUNT(*) FROM features WHERE {near}", collection)[0][0]
    if collection == "routes":  # lines (the regions are rectangles, the places points)
        assert crossing_rectangles > 0, "the boxes should include ones where a bounding-rectangle test alone would be wrong"


def test_bbox_paging_keeps_the_filter_in_next_links(client):
    bbox = (-10.0, 35.0, 30.0, 65.0)
    expected = {f["properties"]["name"] for f in sample_features("places.geojson") if _inside(f["geometry"]["coordinates"], bbox)}
    assert len(expected) > 6
    url, seen = "/api/collections/places/items?limit=3&bbox=" + ",".join(map(str, bbox)), []
    while url:
        body = client.get(url).get_json()
        seen += [f["properties"]["name"] for f in body["features"]]
        nxt = _link(body, "next")
        if nxt:
            assert parse_qs(urlsplit(nxt["href"]).query)["bbox"] == [",".join(repr(v) for v in bbox)]
        url = _path(nxt["href"]) if nxt else None
    assert sorted(seen) == sorted(expected)


def test_feature_by_id_round_trips_geometry_and_properties(client):
    first = client.get("/api/collections/places/items?limit=1").get_json()["features"][0]
    response = client.get(f"/api/collections/places/items/{first['id']}")
    assert response.status_code == 200
    assert response.content_type == GEOJSON
    feature = response.get_json()
    assert feature["geometry"] == first["geometry"]
    assert feature["properties"] == first["properties"]
    source = {f["properties"]["name"]: f for f in sample_features("places.geojson")}[feature["properties"]["name"]]
    assert feature["geometry"] == source["geometry"]
    assert _link(feature, "self")["href"].endswith(f"/api/collections/places/items/{first['id']}")


def test_feature_of_another_collection_is_not_found(client):
    route = client.get("/api/collections/routes/items?limit=1").get_json()["features"][0]
    assert client.get(f"/api/collections/places/items/{route['id']}").status_code == 404


def test_datetime_is_accepted_and_selects_everything(client):
    everything = client.get("/api/collections/places/items?limit=100").get_json()
    for value in ("2024-01-01T00:00:00Z", "2024-01-01/..", "../2024-01-01", "2020-01-01/2024-01-01"):
        body = client.get(f"/api/collections/places/items?limit=100&datetime={value}").get_json()
        assert body["numberReturned"] == everything["numberReturned"]


def test_health_endpoints(client):
    assert client.get("/api/health/live").get_json() == {"status": "ok"}
    assert client.get("/api/health/ready").get_json() == {"status": "ok"}


def test_public_url_setting_drives_links(seeded_db, jwks):
    from geoapi.app import create_app

    app = create_app(seeded_db.settings(public_url="https://example.org/api/"))
    body = app.test_client().get("/api/collections").get_json()
    assert body["links"][0]["href"] == "https://example.org/api/collections"
    app.extensions["geoapi"].engine.dispose()
