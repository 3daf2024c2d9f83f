"""OGC API - Features Part 1 (core, GeoJSON, OpenAPI 3.0) plus create/replace/delete.

Each handler takes plain values (base URL, path values, query parameters, body
bytes) and returns an :class:`APIResponse`; raising :class:`APIError` is how a
handler says 4xx.  The web adapter (:mod:`geoapi.web`) only translates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from geoapi.core import openapi
from geoapi.core.errors import NotFound
from geoapi.core.geojson import parse_feature_body
from geoapi.core.model import Collection, Feature, FeatureStore
from geoapi.core.params import (
    QueryParams,
    parse_bbox,
    parse_datetime,
    parse_format,
    parse_limit,
    parse_offset,
    reject_unknown,
    single,
)

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
]

ITEMS_PARAMS = ("bbox", "limit", "offset", "datetime", "f")
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
        reject_unknown(params, ITEMS_PARAMS)
        parse_format(params)
        bbox = parse_bbox(single(params, "bbox"))
        limit = parse_limit(single(params, "limit"))
        offset = parse_offset(single(params, "offset"))
        when = parse_datetime(single(params, "datetime"))

        # one row more than asked tells whether a next page exists
        rows = self.repo.list_features(collection_id, bbox=bbox, limit=limit + 1, offset=offset)
        if not rows:  # a feature's collection exists (foreign key): look it up only for an empty page
            self._require_collection(collection_id)
        page, more = rows[:limit], len(rows) > limit

        items_url = f"{base}/collections/{collection_id}/items"

        def page_url(page_offset: int) -> str:
            query: dict[str, Any] = {"limit": limit}
            if bbox is not None:
                query["bbox"] = bbox.as_query_value()
            if when is not None:
                query["datetime"] = when
            if page_offset:
                query["offset"] = page_offset
            return f"{items_url}?{urlencode(query)}"

        links = [
            _link(page_url(offset), "self", GEOJSON, "This page"),
            _link(f"{base}/collections/{collection_id}", "collection", JSON, "The collection"),
        ]
        if more:
            links.append(_link(page_url(offset + limit), "next", GEOJSON, "Next page"))
        if offset > 0:
            links.append(_link(page_url(max(offset - limit, 0)), "prev", GEOJSON, "Previous page"))
        return APIResponse(
            200,
            {
                "type": "FeatureCollection",
                "features": [self._feature_body(base, f, links=False) for f in page],
                "links": links,
                "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "numberReturned": len(page),
            },
            media_type=GEOJSON,
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
