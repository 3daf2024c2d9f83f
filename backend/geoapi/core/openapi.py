"""The OpenAPI 3.0 definition of this API (served at ``{base}/openapi``).

It describes exactly what the handlers accept and return, response schemas
included, so that a fuzzer (schemathesis) can check the service against it.
What JSON Schema cannot say (a polygon ring must be closed, latitude is
within ±90 while longitude is within ±180, a bbox's minimum is below its
maximum) is written in the descriptions; such inputs get a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from geoapi.core.params import DATETIME_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("Exception")}}}


def _ok(description: str, media_type: str, schema: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {media_type: {"schema": _ref(schema)}}}
    if headers:
        response["headers"] = headers
    return response


def _one_of_strings(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _geometry_schemas() -> dict[str, Any]:
    coordinate = {"type": "number", "minimum": -180, "maximum": 180}
    position = {
        "type": "array",
        "minItems": 2,
        "maxItems": 2,
        "items": coordinate,
        "description": "longitude, latitude (CRS84); latitude must lie within [-90, 90]",
    }
    line = {"type": "array", "minItems": 2, "items": position}
    ring = {"type": "array", "minItems": 4, "items": position, "description": "a closed ring: the last position equals the first"}
    polygon = {"type": "array", "minItems": 1, "items": ring}

    def geometry(kind: str, coordinates: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": _one_of_strings(kind), "coordinates": coordinates},
        }

    return {
        "Point": geometry("Point", position),
        "MultiPoint": geometry("MultiPoint", {"type": "array", "minItems": 1, "items": position}),
        "LineString": geometry("LineString", line),
        "MultiLineString": geometry("MultiLineString", {"type": "array", "minItems": 1, "items": line}),
        "Polygon": geometry("Polygon", polygon),
        "MultiPolygon": geometry("MultiPolygon", {"type": "array", "minItems": 1, "items": polygon}),
        "GeometryCollection": {
            "type": "object",
            "required": ["type", "geometries"],
            "properties": {
                "type": _one_of_strings("GeometryCollection"),
                "geometries": {"type": "array", "minItems": 1, "items": _ref("Geometry")},
            },
        },
        "Geometry": {
            "oneOf": [
                _ref(k) for k in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection")
            ],
        },
    }


def _object(properties: dict[str, Any], required: tuple[str, ...] = (), **keywords: Any) -> dict[str, Any]:
    """A JSON Schema object with ``properties``, of which ``required`` must be present; ``keywords``
    adds others (``description``)."""
    required_members = {"required": list(required)} if required else {}
    return {"type": "object", **keywords, **required_members, "properties": properties}


def _strings(*names: str) -> dict[str, Any]:
    """String-valued ``names``, as ``properties`` of an object."""
    return {name: {"type": "string"} for name in names}


_LINKS = {"type": "array", "items": _ref("Link")}


def _discovery_schemas() -> dict[str, Any]:
    box = {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}
    spatial = _object({"bbox": {"type": "array", "minItems": 1, "items": box}, "crs": {"type": "string"}})
    collection = {
        **_strings("id", "title", "description", "itemType"),
        "crs": {"type": "array", "items": {"type": "string"}},
        "extent": _ref("Extent"),
        "links": _LINKS,
    }
    return {
        "Exception": _object(_strings("code", "description"), ("code", "description")),
        "Link": _object(_strings("href", "rel", "type", "title"), ("href", "rel")),
        "LandingPage": _object({**_strings("title", "description"), "links": _LINKS}, ("links",)),
        "ConfClasses": _object({"conformsTo": {"type": "array", "items": {"type": "string"}}}, ("conformsTo",)),
        "Extent": _object({"spatial": spatial}),
        "Collection": _object(collection, ("id", "links")),
        "Collections": _object({"links": _LINKS, "collections": {"type": "array", "items": _ref("Collection")}}, ("links", "collections")),
    }


def _feature_schemas() -> dict[str, Any]:
    count = {"type": "integer", "minimum": 0}
    collection = {
        "type": _one_of_strings("FeatureCollection"),
        "features": {"type": "array", "items": _ref("Feature")},
        "links": _LINKS,
        "timeStamp": {"type": "string", "format": "date-time"},
        "numberReturned": count,
        "numberMatched": count,
    }
    return {
        "FeatureInput": _object(
            {"type": _one_of_strings("Feature"), "geometry": _ref("Geometry"), "properties": {"type": "object", "nullable": True}},
            ("type", "geometry", "properties"),
            description="A GeoJSON Feature. Any 'id' member is ignored: the server assigns ids.",
        ),
        "Feature": _object(
            {
                "type": _one_of_strings("Feature"),
                "id": {"type": "integer", "minimum": 1},
                "geometry": _ref("Geometry"),
                "properties": {"type": "object"},
                "links": _LINKS,
            },
            ("type", "id", "geometry", "properties"),
            description="A GeoJSON Feature. Single-feature responses include self and collection links.",
        ),
        "FeatureCollection": _object(collection, ("type", "features", "links", "numberReturned", "timeStamp")),
        "Queryables": _object({**_strings("type"), "properties": {"type": "object"}, **_strings("title")}, ("type", "properties")),
        "Health": _object({"status": _one_of_strings("ok")}, ("status",)),
    }


def _schemas() -> dict[str, Any]:
    return {**_discovery_schemas(), **_geometry_schemas(), **_feature_schemas()}


def _param(name: str, where: str, description: str, schema: dict[str, Any], *, form: bool = False) -> dict[str, Any]:
    """A parameter; a path one is required. ``form``: a comma-separated list (``style: form``, not exploded)."""
    style: dict[str, Any] = {"style": "form", "explode": False} if form else {}
    return {"name": name, "in": where, "required": where == "path", **style, "description": description, "schema": schema}


def _by_name(*params: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: p for p in params}


def _parameters() -> dict[str, Any]:
    return _by_name(
        _param("f", "query", "Response format; only json is offered.", _one_of_strings("json")),
        _param("collectionId", "path", "Collection identifier (see /collections).", {"type": "string"}),
        _param("featureId", "path", "Feature identifier: a positive integer; anything else is a 404.", {"type": "string"}),
        _param(
            "bbox",
            "query",
            (
                "minLon,minLat,maxLon,maxLat in CRS84 (a 6-number form with heights is also accepted; heights "
                "are ignored). Latitudes must lie within [-90, 90] and minimums must not exceed maximums "
                "(boxes crossing the antimeridian are not supported); otherwise 400."
            ),
            {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number", "minimum": -180, "maximum": 180}},
            form=True,
        ),
        _param(
            "limit",
            "query",
            f"Page size (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}); out of range is a 400.",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            form=True,
        ),
        _param(
            "offset",
            "query",
            "Number of features to skip; the 'next' link sets it.",
            {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        ),
        _param(
            "datetime",
            "query",
            (
                "RFC 3339 instant or interval ('..' for an open end), both ends inclusive, on the collection's "
                "temporal queryable; a collection without one accepts a well-formed value and selects every feature."
            ),
            {"type": "string", "pattern": DATETIME_PATTERN},
        ),
    )


def _p(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _path_and_query(path: str, query: tuple[str, ...]) -> list[dict[str, str]]:
    """References to the parameters of ``path`` (``{collectionId}``...), then to the ``query`` ones."""
    return [_p(name) for name in (*re.findall(r"\{(\w+)\}", path), *query)]


@dataclass(frozen=True)
class _Ops:
    """Builds operations with the responses every one of their kind shares."""

    public_reads: bool

    @property
    def read_security(self) -> dict[str, Any]:
        return {} if self.public_reads else {"security": [{"bearerAuth": []}]}

    @property
    def read_errors(self) -> dict[str, Any]:
        return {} if self.public_reads else {"401": _error("Missing, expired or invalid access token")}

    def read(self, path: str, summary: str, op_id: str, ok: dict[str, Any], *, query: tuple[str, ...] = ("f",)) -> dict:
        """GET ``path``: a 404 when it names a collection or feature that does not exist, a 503 when it
        reads the database (everything under ``/collections``)."""
        responses: dict[str, Any] = {"200": ok, "400": _error("A query parameter is unknown or invalid"), **self.read_errors}
        if "{" in path:
            responses["404"] = _error("No such collection or feature")
        if path.startswith("/collections"):
            responses["503"] = _error("The database is unreachable")
        params = _path_and_query(path, query)
        return {"summary": summary, "operationId": op_id, "parameters": params, "responses": responses, **self.read_security}

    @staticmethod
    def write(path: str, summary: str, op_id: str, ok: dict[str, dict], *, body: bool = True) -> dict[str, Any]:
        responses: dict[str, Any] = {**ok}
        if body:
            responses["400"] = _error("The body is not a valid GeoJSON Feature")
        responses["401"] = _error("Missing, expired or invalid access token")
        responses["403"] = _error("The access token lacks the write:features scope")
        responses["404"] = _error("No such collection or feature")
        if body:
            responses["415"] = _error("Content-Type is not GeoJSON")
        responses["503"] = _error("The database is unreachable")
        op: dict[str, Any] = {"summary": summary, "operationId": op_id, "parameters": _path_and_query(path, ()), "responses": responses}
        if body:
            op["requestBody"] = {
                "required": True,
                "description": "A GeoJSON Feature (Content-Type application/geo+json or application/json).",
                "content": {GEOJSON: {"schema": _ref("FeatureInput")}, JSON: {"schema": _ref("FeatureInput")}},
            }
        return {**op, "security": [{"bearerAuth": []}]}


def _discovery_paths(ops: _Ops) -> dict[str, Any]:
    """The read-only resources: path, summary, operationId and the 200 response of each."""
    openapi = {"description": "OpenAPI 3.0 document", "content": {OPENAPI_MEDIA: {"schema": {"type": "object"}}}}
    queryables = _ok("What filter, sortby and ?name=value accept", SCHEMA_JSON, "Queryables")
    reads = [
        ("/", "Landing page", "getLandingPage", _ok("Links to the API definition, conformance and collections", JSON, "LandingPage")),
        ("/conformance", "Conformance classes", "getConformance", _ok("The conformance classes this API implements", JSON, "ConfClasses")),
        ("/openapi", "This API definition", "getOpenAPI", openapi),
        ("/collections", "Feature collections", "getCollections", _ok("The collections", JSON, "Collections")),
        ("/collections/{collectionId}", "One feature collection", "describeCollection", _ok("The collection", JSON, "Collection")),
        ("/collections/{collectionId}/queryables", "The queryable properties of a collection (JSON Schema)", "getQueryables", queryables),
    ]
    return {path: {"get": ops.read(path, summary, op_id, ok)} for path, summary, op_id, ok in reads}


ITEMS_QUERY = ("bbox", "limit", "offset", "datetime", "filter", "filter-lang", "filter-crs", "sortby", "properties", "f")


def _feature_paths(ops: _Ops) -> dict[str, Any]:
    items, item = "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"
    page = _ok("A page of features, with a 'next' link when more exist", GEOJSON, "FeatureCollection")
    created = _ok(
        "Created; Location names the new feature",
        GEOJSON,
        "Feature",
        headers={"Location": {"schema": {"type": "string"}, "description": "URL of the new feature"}},
    )
    stored = _ok("The feature as stored", GEOJSON, "Feature")
    return {
        items: {
            "get": ops.read(items, "Features of a collection", "getFeatures", page, query=ITEMS_QUERY),
            "post": ops.write(items, "Create a feature", "createFeature", {"201": created}),
        },
        item: {
            "get": ops.read(item, "One feature", "getFeature", _ok("The feature", GEOJSON, "Feature")),
            "put": ops.write(item, "Replace a feature", "replaceFeature", {"200": stored}),
            "delete": ops.write(item, "Delete a feature", "deleteFeature", {"204": {"description": "Deleted"}}, body=False),
        },
    }


def _health_paths() -> dict[str, Any]:
    return {
        "/health/live": {
            "get": {
                "summary": "Liveness (does not touch the database)",
                "operationId": "getLiveness",
                "responses": {"200": _ok("The process is serving", JSON, "Health")},
            }
        },
        "/health/ready": {
            "get": {
                "summary": "Readiness (pings the database)",
                "operationId": "getReadiness",
                "responses": {"200": _ok("The database answers", JSON, "Health"), "503": _error("The database is unreachable")},
            }
        },
    }


def document(base: str, *, title: str, description: str, public_reads: bool = True) -> dict[str, Any]:
    """The OpenAPI document for a service whose landing page is at ``base``."""
    ops = _Ops(public_reads)
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": "1.0.0"},
        "servers": [{"url": base}],
        "paths": {**_discovery_paths(ops), **_feature_paths(ops), **_health_paths()},
        "components": {
            "schemas": _schemas(),
            "parameters": {**_parameters(), **_filter_parameters()},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An Auth0 access token (RS256). Writes need the write:features scope.",
                },
            },
        },
    }


def _filter_parameters() -> dict[str, Any]:
    return _by_name(
        _param(
            "filter",
            "query",
            "A CQL2 filter (see filter-lang) over the collection's queryables; errors name the position or property.",
            {"type": "string"},
        ),
        _param("filter-lang", "query", "cql2-text (default) or cql2-json.", _one_of_strings("cql2-text", "cql2-json")),
        _param("filter-crs", "query", "Only CRS84 is served.", _one_of_strings("http://www.opengis.net/def/crs/OGC/1.3/CRS84")),
        _param(
            "sortby",
            "query",
            "Comma-separated queryables (and id), each optionally prefixed + or -; ties are broken by id.",
            {"type": "string"},
        ),
        _param("properties", "query", "Comma-separated property names to return (empty: none).", {"type": "string"}),
    )
