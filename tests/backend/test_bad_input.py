"""Bad input gets a 4xx OGC exception document, never a 500, and a rejected write writes nothing."""

from __future__ import annotations

import json

import pytest

READS = [
    # (path, expected status)
    ("/api/collections/places/items?bbox=1,2,3", 400),
    ("/api/collections/places/items?bbox=1,2,3,4,5", 400),
    ("/api/collections/places/items?bbox=a,b,c,d", 400),
    ("/api/collections/places/items?bbox=", 400),
    ("/api/collections/places/items?bbox=,,,", 400),
    ("/api/collections/places/items?bbox=0,60,10,50", 400),  # inverted latitudes
    ("/api/collections/places/items?bbox=20,50,10,60", 400),  # inverted longitudes (antimeridian unsupported)
    ("/api/collections/places/items?bbox=0,0,10,100", 400),  # latitude out of range
    ("/api/collections/places/items?bbox=-200,0,10,10", 400),  # longitude out of range
    ("/api/collections/places/items?bbox=nan,0,1,1", 400),
    ("/api/collections/places/items?bbox=0,0,inf,1", 400),
    ("/api/collections/places/items?bbox=0,0,1,1&bbox=0,0,2,2", 400),
    ("/api/collections/places/items?limit=0", 400),
    ("/api/collections/places/items?limit=-1", 400),
    ("/api/collections/places/items?limit=10001", 400),
    ("/api/collections/places/items?limit=99999999999999999999999", 400),
    ("/api/collections/places/items?limit=abc", 400),
    ("/api/collections/places/items?limit=1.5", 400),
    ("/api/collections/places/items?limit=", 400),
    ("/api/collections/places/items?limit=%205", 400),
    ("/api/collections/places/items?offset=-1", 400),
    ("/api/collections/places/items?offset=x", 400),
    ("/api/collections/places/items?offset=1000000001", 400),
    ("/api/collections/places/items?datetime=yesterday", 400),
    ("/api/collections/places/items?datetime=2024-01-01/", 400),
    ("/api/collections/places/items?f=html", 400),
    ("/api/collections/places/items?colour=red", 400),
    ("/api/collections?limit=5", 400),
    ("/api/collections/nope", 404),
    ("/api/collections/nope/items", 404),
    ("/api/collections/nope/items?bbox=1,2,3", 400),
    ("/api/collections/places/items/999999999", 404),
    ("/api/collections/places/items/0", 404),
    ("/api/collections/places/items/-1", 404),
    ("/api/collections/places/items/abc", 404),
    ("/api/collections/places/items/1e3", 404),
    ("/api/collections/places/items/99999999999999999999999999", 404),
    ("/api/collections/places/items/%C2%B2", 404),  # a Unicode digit
    ("/api/no-such-path", 404),
]


@pytest.mark.parametrize(("path", "status"), READS)
def test_bad_reads_get_4xx_json(client, path, status):
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "description"}
    assert body["description"]


def test_unsupported_method_is_405_json_with_allow(client):
    response = client.patch("/api/collections/places/items")
    assert response.status_code == 405
    assert response.get_json()["code"] == "MethodNotAllowed"
    assert "POST" in response.headers["Allow"]


def _polygon(ring):
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _feature(geometry, properties=None):
    return {"type": "Feature", "geometry": geometry, "properties": {} if properties is None else properties}


BODIES = [
    # (name, raw body, content type, expected status)
    ("not JSON", b"{not json", "application/geo+json", 400),
    ("empty body", b"", "application/geo+json", 400),
    ("NaN literal", b'{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,1]},"properties":{}}', "application/geo+json", 400),
    ("JSON array", b"[]", "application/json", 400),
    ("FeatureCollection", {"type": "FeatureCollection", "features": []}, "application/geo+json", 400),
    ("bare geometry", {"type": "Point", "coordinates": [1, 2]}, "application/geo+json", 400),
    ("null geometry", _feature(None), "application/geo+json", 400),
    ("missing geometry", {"type": "Feature", "properties": {}}, "application/geo+json", 400),
    ("unknown geometry type", _feature({"type": "Circle", "coordinates": [1, 2]}), "application/geo+json", 400),
    ("point with one number", _feature({"type": "Point", "coordinates": [1]}), "application/geo+json", 400),
    ("point with 3D position", _feature({"type": "Point", "coordinates": [1, 2, 3]}), "application/geo+json", 400),
    ("string coordinates", _feature({"type": "Point", "coordinates": ["1", "2"]}), "application/geo+json", 400),
    ("boolean coordinate", _feature({"type": "Point", "coordinates": [True, 2]}), "application/geo+json", 400),
    ("latitude out of range", _feature({"type": "Point", "coordinates": [10, 95]}), "application/geo+json", 400),
    ("longitude out of range", _feature({"type": "Point", "coordinates": [190, 5]}), "application/geo+json", 400),
    ("lat/lon swapped (lat first)", _feature({"type": "Point", "coordinates": [59.9, 130.7]}), "application/geo+json", 400),
    ("one-point line", _feature({"type": "LineString", "coordinates": [[1, 2]]}), "application/geo+json", 400),
    ("unclosed ring", _polygon([[0, 0], [1, 0], [1, 1], [0, 1]]), "application/geo+json", 400),
    ("short ring", _polygon([[0, 0], [1, 0], [0, 0]]), "application/geo+json", 400),
    ("empty MultiPoint", _feature({"type": "MultiPoint", "coordinates": []}), "application/geo+json", 400),
    ("empty GeometryCollection", _feature({"type": "GeometryCollection", "geometries": []}), "application/geo+json", 400),
    ("MultiPolygon with an empty polygon", _feature({"type": "MultiPolygon", "coordinates": [[]]}), "application/geo+json", 400),
    ("properties is a list", _feature({"type": "Point", "coordinates": [1, 2]}, []), "application/geo+json", 400),
    ("plain text", b"POINT(1 2)", "text/plain", 415),
    ("no content type", b'{"type":"Feature"}', None, 415),
    ("too large", b'{"type":"Feature","properties":{"x":"' + b"a" * (6 * 1024 * 1024) + b'"}}', "application/geo+json", 413),
]


def _send(client, method, url, body, content_type, headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if content_type:
        headers = {**headers, "Content-Type": content_type}
    return getattr(client, method)(url, data=data, headers=headers)


@pytest.mark.parametrize(("name", "body", "content_type", "status"), BODIES, ids=[b[0] for b in BODIES])
@pytest.mark.parametrize("method", ["post", "put"])
def test_invalid_bodies_are_rejected_and_write_nothing(write_client, jwks, fresh_db, method, name, body, content_type, status):
    before = fresh_db.snapshot()
    target = before[0][0]
    url = "/api/collections/places/items" + ("" if method == "post" else f"/{target}")
    response = _send(write_client, method, url, body, content_type, jwks.bearer())
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    assert response.get_json()["description"]
    assert fresh_db.snapshot() == before
    # ...and the id sequence did not move either (nothing was inserted and rolled back)
    assert fresh_db.rows("SELECT COUNT(*) FROM features") == [(len(before),)]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/collections/nope/items"),
        ("put", "/api/collections/nope/items/1"),
        ("put", "/api/collections/places/items/999999999"),
        ("put", "/api/collections/places/items/abc"),
        ("delete", "/api/collections/nope/items/1"),
        ("delete", "/api/collections/places/items/999999999"),
        ("delete", "/api/collections/places/items/abc"),
    ],
)
def test_writes_to_unknown_targets_are_404_and_write_nothing(write_client, jwks, fresh_db, method, url):
    before = fresh_db.snapshot()
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}}
    kwargs = {"json": point} if method != "delete" else {}
    response = getattr(write_client, method)(url, headers=jwks.bearer(), **kwargs)
    assert response.status_code == 404
    assert response.get_json()["code"] == "NotFound"
    assert fresh_db.snapshot() == before


def test_feature_in_another_collection_cannot_be_replaced_through_this_one(write_client, jwks, fresh_db):
    route_id = fresh_db.rows("SELECT id FROM features WHERE collection_id = 'routes' LIMIT 1")[0][0]
    before = fresh_db.snapshot()
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}}
    response = write_client.put(f"/api/collections/places/items/{route_id}", json=point, headers=jwks.bearer())
    assert response.status_code == 404
    assert write_client.delete(f"/api/collections/places/items/{route_id}", headers=jwks.bearer()).status_code == 404
    assert fresh_db.snapshot() == before


def test_database_down_is_503_json(jwks):
    from devtools.mariadb_sandbox import free_port
    from geoapi.app import create_app
    from geoapi.settings import Settings

    app = create_app(
        Settings(database_url=f"mariadb+pymysql://u:p@127.0.0.1:{free_port()}/none", auth=jwks.auth_settings(), db_connect_timeout=2)
    )
    client = app.test_client()
    assert client.get("/api/health/live").status_code == 200
    for path in ("/api/health/ready", "/api/collections", "/api/collections/places/items?bbox=0,0,1,1"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.get_json()["code"] == "ServiceUnavailable"
        assert response.headers["Retry-After"]
