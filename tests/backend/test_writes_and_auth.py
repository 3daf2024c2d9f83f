"""Create / replace / delete with Auth0-style RS256 tokens, and token checks (401/403)."""

from __future__ import annotations

import time

import pytest

from geoapi.app import create_app

POINT = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.75, 59.91]}, "properties": {"name": "Oslo harbour"}}
GEOJSON = "application/geo+json"


def test_create_then_read_back(write_client, jwks, fresh_db):
    before = len(fresh_db.snapshot())
    response = write_client.post("/api/collections/places/items", json=POINT, headers=jwks.bearer())
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location.startswith("http://localhost/api/collections/places/items/")
    fid = response.get_json()["id"]
    assert location.endswith(f"/{fid}")
    got = write_client.get(f"/api/collections/places/items/{fid}").get_json()
    assert got["geometry"] == POINT["geometry"]
    assert got["properties"] == POINT["properties"]
    assert len(fresh_db.snapshot()) == before + 1
    # stored with longitude as X: the DB itself agrees on axis order
    assert fresh_db.rows("SELECT ST_X(geom), ST_Y(geom) FROM features WHERE id = %s", fid) == [(10.75, 59.91)]


@pytest.mark.parametrize(
    "geometry",
    [
        # found by schemathesis: one stored collection holding a MultiPoint made every items page a 500
        {"type": "GeometryCollection", "geometries": [{"type": "MultiPoint", "coordinates": [[10.0, 59.0], [10.5, 59.5]]}]},
        {"type": "MultiPolygon", "coordinates": [[[[10, 59], [11, 59], [11, 60], [10, 59]]]]},
        {"type": "LineString", "coordinates": [[10, 59], [11, 60]]},
    ],
    ids=["collection-of-multipoint", "multipolygon", "linestring"],
)
def test_any_accepted_geometry_reads_back_one_by_one_and_in_pages(write_client, jwks, geometry):
    feature = {"type": "Feature", "geometry": geometry, "properties": {}}
    created = write_client.post("/api/collections/places/items", json=feature, headers=jwks.bearer())
    assert created.status_code == 201
    fid = created.get_json()["id"]
    assert write_client.get(f"/api/collections/places/items/{fid}").get_json()["geometry"] == geometry
    page = write_client.get("/api/collections/places/items?limit=1000")
    assert page.status_code == 200
    assert geometry in [f["geometry"] for f in page.get_json()["features"]]


def test_create_accepts_application_geo_json(write_client, jwks):
    import json

    response = write_client.post(
        "/api/collections/places/items", data=json.dumps(POINT), headers={**jwks.bearer(), "Content-Type": GEOJSON}
    )
    assert response.status_code == 201


def test_replace_and_delete(write_client, jwks, fresh_db):
    fid = write_client.post("/api/collections/places/items", json=POINT, headers=jwks.bearer()).get_json()["id"]
    polygon = {
        "type": "Feature",
        "properties": {"kind": "area"},
        "geometry": {"type": "Polygon", "coordinates": [[[10, 59], [11, 59], [11, 60], [10, 60], [10, 59]]]},
    }
    response = write_client.put(f"/api/collections/places/items/{fid}", json=polygon, headers=jwks.bearer())
    assert response.status_code == 200
    got = write_client.get(f"/api/collections/places/items/{fid}").get_json()
    assert got["geometry"]["type"] == "Polygon"
    assert got["geometry"]["coordinates"] == [[[10.0, 59.0], [11.0, 59.0], [11.0, 60.0], [10.0, 60.0], [10.0, 59.0]]]
    assert got["properties"] == {"kind": "area"}
    deleted = write_client.delete(f"/api/collections/places/items/{fid}", headers=jwks.bearer())
    assert deleted.status_code == 204
    assert deleted.get_data() == b"" and "Content-Type" not in deleted.headers
    assert write_client.get(f"/api/collections/places/items/{fid}").status_code == 404
    assert write_client.delete(f"/api/collections/places/items/{fid}", headers=jwks.bearer()).status_code == 404
    assert fresh_db.rows("SELECT COUNT(*) FROM features WHERE id = %s", fid) == [(0,)]


def test_created_feature_is_found_by_bbox(write_client, jwks):
    fid = write_client.post("/api/collections/places/items", json=POINT, headers=jwks.bearer()).get_json()["id"]
    body = write_client.get("/api/collections/places/items?bbox=10.74,59.905,10.76,59.912").get_json()
    assert [f["id"] for f in body["features"]] == [fid]
    # and not by the same box with axes swapped (lat/lon mix-up would match there)
    body = write_client.get("/api/collections/places/items?bbox=59.905,10.74,59.912,10.76").get_json()
    assert body["features"] == []


def test_permissions_claim_grants_the_scope_too(write_client, jwks):
    headers = jwks.bearer(scope="openid", permissions=["write:features"])
    assert write_client.post("/api/collections/places/items", json=POINT, headers=headers).status_code == 201


def _bad_tokens(jwks) -> dict[str, dict[str, str]]:
    return {
        "missing": {},
        "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        "empty bearer": {"Authorization": "Bearer "},
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        "expired": jwks.bearer(expires_in=-3600),
        "forged (other key, same kid)": jwks.bearer(key=jwks.other_key),
        "wrong audience": jwks.bearer(audience="https://other.api/"),
        "wrong issuer": jwks.bearer(issuer="https://evil.example/"),
        "unknown kid": jwks.bearer(kid="no-such-key"),
        "HS256 with a shared secret": jwks.bearer(algorithm="HS256"),
        "no exp": jwks.bearer(drop=("exp",)),
        "no sub": jwks.bearer(drop=("sub",)),
    }


BAD_TOKEN_CASES = [
    "missing",
    "not bearer",
    "empty bearer",
    "garbage",
    "expired",
    "forged (other key, same kid)",
    "wrong audience",
    "wrong issuer",
    "unknown kid",
    "HS256 with a shared secret",
    "no exp",
    "no sub",
]


@pytest.mark.parametrize("case", BAD_TOKEN_CASES)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_bad_tokens_get_401_json_and_write_nothing(write_client, jwks, fresh_db, case, method):
    headers = _bad_tokens(jwks)[case]
    before = fresh_db.snapshot()
    target = before[0][0]
    url = "/api/collections/places/items" + ("" if method == "post" else f"/{target}")
    kwargs = {"json": POINT} if method != "delete" else {}
    response = getattr(write_client, method)(url, headers=headers, **kwargs)
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    assert response.get_json()["code"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert fresh_db.snapshot() == before


@pytest.mark.parametrize("scope", [None, "", "read:features", "write:feature write:featuresx"])
def test_token_without_write_scope_gets_403_and_writes_nothing(write_client, jwks, fresh_db, scope):
    before = fresh_db.snapshot()
    response = write_client.post("/api/collections/places/items", json=POINT, headers=jwks.bearer(scope=scope))
    assert response.status_code == 403
    assert response.get_json()["code"] == "Forbidden"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert fresh_db.snapshot() == before


def test_token_within_leeway_is_accepted(write_client, jwks):
    assert write_client.post("/api/collections/places/items", json=POINT, headers=jwks.bearer(expires_in=-10)).status_code == 201


def test_jwks_is_fetched_once_and_cached(seeded_db, jwks):
    app = create_app(seeded_db.settings(auth=jwks.auth_settings(), public_reads=False))
    client = app.test_client()
    start = len(jwks.hits)
    for _ in range(5):
        assert client.get("/api/collections", headers=jwks.bearer(scope="")).status_code == 200
    assert len(jwks.hits) - start == 1
    app.extensions["geoapi"].engine.dispose()


def test_private_reads_need_a_valid_token(seeded_db, jwks):
    app = create_app(seeded_db.settings(auth=jwks.auth_settings(), public_reads=False))
    client = app.test_client()
    for path in ("/api/collections", "/api/collections/places/items", "/api/openapi", "/api/"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=jwks.bearer(expires_in=-3600)).status_code == 401
        assert client.get(path, headers=jwks.bearer(scope=None)).status_code == 200
    # liveness and readiness stay open for the load balancer
    assert client.get("/api/health/live").status_code == 200
    assert client.get("/api/health/ready").status_code == 200
    # the API definition says so
    spec = client.get("/api/openapi", headers=jwks.bearer()).get_json()
    assert "401" in spec["paths"]["/collections"]["get"]["responses"]
    app.extensions["geoapi"].engine.dispose()


def test_unreachable_jwks_is_503_not_500(fresh_db, jwks):
    from devtools.mariadb_sandbox import free_port

    auth = jwks.auth_settings(jwks_url=f"http://127.0.0.1:{free_port()}/.well-known/jwks.json")
    app = create_app(fresh_db.settings(auth=auth))
    before = fresh_db.snapshot()
    response = app.test_client().post("/api/collections/places/items", json=POINT, headers=jwks.bearer())
    assert response.status_code == 503
    assert response.get_json()["code"] == "ServiceUnavailable"
    assert fresh_db.snapshot() == before
    app.extensions["geoapi"].engine.dispose()


def test_writes_without_auth0_configured_are_refused(fresh_db, jwks):
    app = create_app(fresh_db.settings())
    before = fresh_db.snapshot()
    response = app.test_client().post("/api/collections/places/items", json=POINT, headers=jwks.bearer())
    assert response.status_code == 401
    assert fresh_db.snapshot() == before
    app.extensions["geoapi"].engine.dispose()


def test_token_verification_is_time_bound(jwks):
    """A sanity check on the fixture itself: tokens carry iat/exp around now."""
    import jwt as pyjwt

    claims = pyjwt.decode(jwks.token(), options={"verify_signature": False})
    assert abs(claims["iat"] - time.time()) < 60
