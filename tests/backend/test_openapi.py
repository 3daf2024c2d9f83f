"""The OpenAPI document is valid OpenAPI 3.0 and describes what the service really returns."""

from __future__ import annotations

import itertools

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate as validate_openapi
from schemathesis.specs.openapi.checks import positive_data_acceptance

POINT = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.0, 50.0]}, "properties": {"a": 1}}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi")
    assert response.status_code == 200
    assert response.content_type == "application/vnd.oai.openapi+json;version=3.0"
    return response.get_json()


def test_document_is_valid_openapi_3_0(spec):
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.0")
    assert spec["servers"] == [{"url": "http://localhost/api"}]


def _check(spec: dict, path: str, method: str, response) -> None:
    """The response's status, media type and body are the ones the document declares."""
    declared = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in declared, f"{method.upper()} {path} -> {response.status_code} undeclared"
    content = declared[str(response.status_code)].get("content")
    if content is None:
        assert response.get_data() == b""
        return
    assert response.content_type in content, f"{response.content_type} not in {list(content)}"
    schema = {**content[response.content_type]["schema"], "components": spec["components"]}
    jsonschema.validate(response.get_json(), schema, cls=jsonschema.Draft4Validator)


READS = [
    ("/", "/api/"),
    ("/conformance", "/api/conformance"),
    ("/collections", "/api/collections"),
    ("/collections/{collectionId}", "/api/collections/places"),
    ("/collections/{collectionId}", "/api/collections/nope"),
    ("/collections/{collectionId}/items", "/api/collections/places/items?limit=3"),
    ("/collections/{collectionId}/items", "/api/collections/regions/items?bbox=0,40,10,60"),
    ("/collections/{collectionId}/items", "/api/collections/routes/items?limit=0"),
    ("/collections/{collectionId}/queryables", "/api/collections/places/queryables"),
    ("/collections/{collectionId}/items", "/api/collections/places/items?filter=name%3D%27Paris%27&sortby=-name"),
    ("/collections/{collectionId}/items", "/api/collections/nope/items"),
    ("/collections/{collectionId}/items/{featureId}", "/api/collections/places/items/1"),
    ("/collections/{collectionId}/items/{featureId}", "/api/collections/places/items/abc"),
    ("/collections/{collectionId}", "/api/collections/places?x=1"),
    ("/health/live", "/api/health/live"),
    ("/health/ready", "/api/health/ready"),
    ("/openapi", "/api/openapi"),
]


@pytest.mark.parametrize(("path", "url"), READS)
def test_read_responses_match_the_document(client, spec, path, url):
    _check(spec, path, "get", client.get(url))


def test_write_responses_match_the_document(write_client, jwks, spec):
    items, item = "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"
    created = write_client.post("/api/collections/places/items", json=POINT, headers=jwks.bearer())
    _check(spec, items, "post", created)
    fid = created.get_json()["id"]
    _check(spec, item, "put", write_client.put(f"/api/collections/places/items/{fid}", json=POINT, headers=jwks.bearer()))
    _check(spec, items, "post", write_client.post("/api/collections/places/items", json={}, headers=jwks.bearer()))
    _check(spec, items, "post", write_client.post("/api/collections/places/items", json=POINT))
    _check(spec, items, "post", write_client.post("/api/collections/places/items", json=POINT, headers=jwks.bearer(scope="read")))
    _check(
        spec,
        items,
        "post",
        write_client.post("/api/collections/places/items", data="x", headers={**jwks.bearer(), "Content-Type": "text/plain"}),
    )
    _check(spec, item, "delete", write_client.delete(f"/api/collections/places/items/{fid}", headers=jwks.bearer()))
    _check(spec, item, "delete", write_client.delete(f"/api/collections/places/items/{fid}", headers=jwks.bearer()))


def test_schemathesis_finds_no_contract_violation(write_app, jwks):
    """A short, deterministic schemathesis pass over every operation, with a write-scoped token.

    (The full fuzz runs elsewhere.)  positive_data_acceptance is left out: JSON
    Schema cannot say that a bbox's minimum must not exceed its maximum, that
    latitudes stop at 90, or that a polygon ring is closed, so some
    schema-valid inputs are rightly 400s.
    """
    schema = schemathesis.openapi.from_wsgi("/api/openapi", write_app)
    headers = jwks.bearer()
    ids = itertools.cycle(range(1, 45))  # the sample's places ids
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def run(case):
            # steer path parameters to data that exists, so responses past the 404s get checked too
            if case.path_parameters:
                case.path_parameters["collectionId"] = "places"
                if "featureId" in case.path_parameters:
                    case.path_parameters["featureId"] = str(next(ids))
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        run()
        tested.append(operation.label)
    assert len(tested) == 12
