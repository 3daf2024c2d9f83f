"""OGC API - Features Part 1 (core, GeoJSON, OpenAPI 3.0), Part 3 (queryables, CQL2 filters) and create/replace/delete.

Each handler takes plain values (base URL, path values, query parameters, body
bytes) and returns an :class:`APIResponse`; raising :class:`APIError` is how a
handler says 4xx.  The web adapter (:mod:`geoapi.web`) only translates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from geoapi.core import cql2, openapi
from geoapi.core.errors import NotFound
from geoapi.core.geojson import parse_feature_body
from geoapi.core.items import check_generic, items_query, page_features, page_links, queryables_of
from geoapi.core.model import Collection, Feature, FeatureStore
from geoapi.core.params import QueryParams, parse_format, reject_unknown
from geoapi.core.query import GEOMETRY

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

#: exactly what is implemented, each class with a test in tests/backend/test_conformance_classes.py
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    *cql2.CONFORMANCE,
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
]
PLAIN_PARAMS = ("f",)
MAX_FEATURE_ID = 2**63 - 1


@dataclass
class APIResponse:
    status: int
    body: dict[str, Any] | None = None
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def parse_feature_id(raw: str) -> int:
    """Feature ids are positive integers; anything else names no feature (404)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 0 < int(raw) <= MAX_FEATURE_ID:
        raise NotFound(f"feature {raw[:64]!r} not found")
    return int(raw)


class FeaturesAPI:
    """The service. ``base`` arguments are the URL of the landing page, without a trailing slash."""

    def __init__(self, repo: FeatureStore, *, title: str, description: str, public_reads: bool = True) -> None:
        self.repo = repo
        self.title = title
        self.description = description
        self.public_reads = public_reads

    # -- discovery ----------------------------------------------------------
    def landing_page(self, base: str, params: QueryParams) -> APIResponse:
        reject_unknown(params, PLAIN_PARAMS)
        parse_format(params)
        return APIResponse(
            200,
            {
                "title": self.title,
                "description": self.description,
                "links": [
                    _link(f"{base}/", "self", JSON, "This document"),
                    _link(f"{base}/openapi", "service-desc", OPENAPI_JSON, "The API definition (OpenAPI 3.0)"),
                    _link(f"{base}/conformance", "conformance", JSON, "Conformance classes implemented"),
                    _link(f"{base}/collections", "data", JSON, "The feature collections"),
                ],
            },
        )

    def conformance(self, base: str, params: QueryParams) -> APIResponse:
        reject_unknown(params, PLAIN_PARAMS)
        parse_format(params)
        return APIResponse(200, {"conformsTo": list(CONFORMANCE)})

    def openapi(self, base: str, params: QueryParams) -> APIResponse:
        reject_unknown(params, PLAIN_PARAMS)
        parse_format(params)
        return APIResponse(
            200,
            openapi.document(base, title=self.title, description=self.description, public_reads=self.public_reads),
            media_type=OPENAPI_JSON,
        )

    def _collection_body(self, base: str, c: Collection) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "itemType": "feature",
            "crs": [CRS84],
            "links": [
                _link(f"{base}/collections/{c.id}", "self", JSON, "This collection"),
                _link(f"{base}/collections/{c.id}/items", "items", GEOJSON, "The features of this collection"),
                _link(f"{base}/collections/{c.id}/queryables", QUERYABLES_REL, SCHEMA_JSON, "The queryable properties"),
            ],
        }
        if c.bbox:
            body["extent"] = {"spatial": {"bbox": [list(c.bbox)], "crs": CRS84}}
        return body

    def collections(self, base: str, params: QueryParams) -> APIResponse:
        reject_unknown(params, PLAIN_PARAMS)
        parse_format(params)
        return APIResponse(
            200,
            {
                "links": [_link(f"{base}/collections", "self", JSON, "The feature collections")],
                "collections": [self._collection_body(base, c) for c in self.repo.list_collections()],
            },
        )

    def _require_collection(self, collection_id: str) -> Collection:
        collection = self.repo.get_collection(collection_id)
        if collection is None:
            raise NotFound(f"collection {collection_id[:64]!r} not found")
        return collection

    def collection(self, base: str, collection_id: str, params: QueryParams) -> APIResponse:
        reject_unknown(params, PLAIN_PARAMS)
        parse_format(params)
        return APIResponse(200, self._collection_body(base, self._require_collection(collection_id)))

    # -- features -----------------------------------------------------------
    def _feature_body(self, base: str, f: Feature, *, links: bool = True) -> dict[str, Any]:
        """A GeoJSON Feature; single-feature responses carry self/collection links (OGC /req/core/f-links),
        features inside a page do not (their URL is .../items/{id}), which keeps pages about 3x smaller."""
        body: dict[str, Any] = {"type": "Feature", "id": f.id, "geometry": f.geometry, "properties": f.properties}
        if links:
            body["links"] = [
                _link(f"{base}/collections/{f.collection_id}/items/{f.id}", "self", GEOJSON, "This feature"),
                _link(f"{base}/collections/{f.collection_id}", "collection", JSON, "The collection"),
            ]
        return body

    def items(self, base: str, collection_id: str, params: QueryParams) -> APIResponse:
        check_generic(params)
        collection = self._require_collection(collection_id)
        query = items_query(collection, params)
        page = self.repo.list_features(collection, query)
        body: dict[str, Any] = {
            "type": "FeatureCollection",
            "features": page_features(page, query.properties, lambda f: self._feature_body(base, f, links=False)),
            "links": [
                *page_links(f"{base}/collections/{collection_id}/items", params, query, page, _link),
                _link(f"{base}/collections/{collection_id}", "collection", JSON, "The collection"),
            ],
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "numberReturned": page.returned if page.encoded is not None else len(page.features),
        }
        if page.number_matched is not None:
            body["numberMatched"] = page.number_matched
        return APIResponse(200, body, media_type=GEOJSON)

    def queryables(self, base: str, collection_id: str, params: QueryParams) -> APIResponse:
        """Part 3 /req/queryables: a JSON Schema of what ``filter``, ``sortby`` and ``?name=`` accept."""
        reject_unknown(params, PLAIN_PARAMS)
        parse_format(params)
        collection = self._require_collection(collection_id)
        properties = {name: q.json_schema() for name, q in queryables_of(collection).items()}
        properties[GEOMETRY] = {"title": "Geometry", "format": "geometry-any"}
        return APIResponse(
            200,
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"{base}/collections/{collection_id}/queryables",
                "type": "object",
                "title": collection.title,
                "properties": properties,
                "additionalProperties": False,
            },
            media_type=SCHEMA_JSON,
        )

    def item(self, base: str, collection_id: str, feature_id: str, params: QueryParams) -> APIResponse:
        reject_unknown(params, PLAIN_PARAMS)
        parse_format(params)
        fid = parse_feature_id(feature_id)
        feature = self.repo.get_feature(collection_id, fid)
        if feature is None:
            self._require_collection(collection_id)
            raise NotFound(f"feature {feature_id!r} not found in collection {collection_id[:64]!r}")
        return APIResponse(200, self._feature_body(base, feature), media_type=GEOJSON)

    # -- writes (OGC API - Features Part 4) -----------------------------------
    def create(self, base: str, collection_id: str, body: bytes, content_type: str | None) -> APIResponse:
        self._require_collection(collection_id)
        feature = parse_feature_body(body, content_type)
        fid = self.repo.create_feature(collection_id, feature.geometry, feature.properties)
        created = Feature(fid, collection_id, feature.geometry, feature.properties)
        location = f"{base}/collections/{collection_id}/items/{fid}"
        return APIResponse(201, self._feature_body(base, created), media_type=GEOJSON, headers={"Location": location})

    def replace(self, base: str, collection_id: str, feature_id: str, body: bytes, content_type: str | None) -> APIResponse:
        self._require_collection(collection_id)
        fid = parse_feature_id(feature_id)
        feature = parse_feature_body(body, content_type)
        if not self.repo.replace_feature(collection_id, fid, feature.geometry, feature.properties):
            raise NotFound(f"feature {feature_id!r} not found in collection {collection_id[:64]!r}")
        replaced = Feature(fid, collection_id, feature.geometry, feature.properties)
        return APIResponse(200, self._feature_body(base, replaced), media_type=GEOJSON)

    def delete(self, base: str, collection_id: str, feature_id: str) -> APIResponse:
        self._require_collection(collection_id)
        fid = parse_feature_id(feature_id)
        if not self.repo.delete_feature(collection_id, fid):
            raise NotFound(f"feature {feature_id!r} not found in collection {collection_id[:64]!r}")
        return APIResponse(204)
