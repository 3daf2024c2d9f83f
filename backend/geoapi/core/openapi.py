"""The OpenAPI 3.0 definition of this API (served at ``{base}/openapi``).

It describes exactly what the handlers accept and return, response schemas
included, so that a fuzzer (schemathesis) can check the service against it.
What JSON Schema cannot say (a polygon ring must be closed, latitude is
within ±90 while longitude is within ±180, a bbox's minimum is below its
maximum) is written in the descriptions; such inputs get a 400.
"""

from __future__ import annotations

from typing import Any

from geoapi.core.params import DATETIME_PATTERN, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"
JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("Exception")}}}


def _ok(description: str, media_type: str, schema: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {media_type: {"schema": _ref(schema)}}}
    if headers:
        response["headers"] = headers
    return response


def _schemas() -> dict[str, Any]:
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
            "properties": {"type": {"type": "string", "enum": [kind]}, "coordinates": coordinates},
        }

    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    }
    links = {"type": "array", "items": _ref("Link")}
    return {
        "Exception": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
        },
        "Link": link,
        "LandingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": links},
        },
        "ConfClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "Extent": {
            "type": "object",
            "properties": {
                "spatial": {
                    "type": "object",
                    "properties": {
                        "bbox": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
                        },
                        "crs": {"type": "string"},
                    },
                },
            },
        },
        "Collection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
                "extent": _ref("Extent"),
                "links": links,
            },
        },
        "Collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {"links": links, "collections": {"type": "array", "items": _ref("Collection")}},
        },
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
                "type": {"type": "string", "enum": ["GeometryCollection"]},
                "geometries": {"type": "array", "minItems": 1, "items": _ref("Geometry")},
            },
        },
        "Geometry": {
            "oneOf": [
                _ref(k) for k in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection")
            ],
        },
        "FeatureInput": {
            "type": "object",
            "description": "A GeoJSON Feature. Any 'id' member is ignored: the server assigns ids.",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "geometry": _ref("Geometry"),
                "properties": {"type": "object", "nullable": True},
            },
        },
        "Feature": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "description": "A GeoJSON Feature. Single-feature responses include self and collection links.",
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "integer", "minimum": 1},
                "geometry": _ref("Geometry"),
                "properties": {"type": "object"},
                "links": links,
            },
        },
        "FeatureCollection": {
            "type": "object",
            "required": ["type", "features", "links", "numberReturned", "timeStamp"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _ref("Feature")},
                "links": links,
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberReturned": {"type": "integer", "minimum": 0},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["ok"]}},
        },
    }


def _parameters() -> dict[str, Any]:
    return {
        "f": {
            "name": "f",
            "in": "query",
            "required": False,
            "description": "Response format; only json is offered.",
            "schema": {"type": "string", "enum": ["json"]},
        },
        "collectionId": {
            "name": "collectionId",
            "in": "path",
            "required": True,
            "description": "Collection identifier (see /collections).",
            "schema": {"type": "string"},
        },
        "featureId": {
            "name": "featureId",
            "in": "path",
            "required": True,
            "description": "Feature identifier: a positive integer; anything else is a 404.",
            "schema": {"type": "string"},
        },
        "bbox": {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": (
                "minLon,minLat,maxLon,maxLat in CRS84 (a 6-number form with heights is also accepted; heights "
                "are ignored). Latitudes must lie within [-90, 90] and minimums must not exceed maximums "
                "(boxes crossing the antimeridian are not supported); otherwise 400."
            ),
            "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number", "minimum": -180, "maximum": 180}},
        },
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": f"Page size (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}); out of range is a 400.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "Number of features to skip; the 'next' link sets it.",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        },
        "datetime": {
            "name": "datetime",
            "in": "query",
            "required": False,
            "description": (
                "RFC 3339 instant or interval ('..' for an open end). The collections here have no temporal "
                "property, so a well-formed value selects every feature."
            ),
            "schema": {"type": "string", "pattern": DATETIME_PATTERN},
        },
    }


def _p(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def document(base: str, *, title: str, description: str, public_reads: bool = True) -> dict[str, Any]:
    """The OpenAPI document for a service whose landing page is at ``base``."""
    unavailable = _error("The database is unreachable")
    bad_request = _error("A query parameter is unknown or invalid")
    not_found = _error("No such collection or feature")
    unauthorized = _error("Missing, expired or invalid access token")
    forbidden = _error("The access token lacks the write:features scope")
    read_security: dict[str, Any] = {} if public_reads else {"security": [{"bearerAuth": []}]}
    read_errors: dict[str, Any] = {} if public_reads else {"401": unauthorized}
    write_body = {
        "required": True,
        "description": "A GeoJSON Feature (Content-Type application/geo+json or application/json).",
        "content": {GEOJSON: {"schema": _ref("FeatureInput")}, JSON: {"schema": _ref("FeatureInput")}},
    }
    write_security = {"security": [{"bearerAuth": []}]}

    def read(summary: str, op_id: str, params: list[Any], ok: dict[str, Any], *, db: bool = True, missing: bool = False) -> dict[str, Any]:
        responses: dict[str, Any] = {"200": ok, "400": bad_request, **read_errors}
        if missing:
            responses["404"] = not_found
        if db:
            responses["503"] = unavailable
        return {"summary": summary, "operationId": op_id, "parameters": params, "responses": responses, **read_security}

    paths: dict[str, Any] = {
        "/": {
            "get": read(
                "Landing page",
                "getLandingPage",
                [_p("f")],
                _ok("Links to the API definition, conformance and collections", JSON, "LandingPage"),
                db=False,
            )
        },
        "/conformance": {
            "get": read(
                "Conformance classes",
                "getConformance",
                [_p("f")],
                _ok("The conformance classes this API implements", JSON, "ConfClasses"),
                db=False,
            )
        },
        "/openapi": {
            "get": {
                "summary": "This API definition",
                "operationId": "getOpenAPI",
                "parameters": [_p("f")],
                "responses": {
                    "200": {"description": "OpenAPI 3.0 document", "content": {OPENAPI_MEDIA: {"schema": {"type": "object"}}}},
                    "400": bad_request,
                    **read_errors,
                },
                **read_security,
            }
        },
        "/collections": {"get": read("Feature collections", "getCollections", [_p("f")], _ok("The collections", JSON, "Collections"))},
        "/collections/{collectionId}": {
            "get": read(
                "One feature collection",
                "describeCollection",
                [_p("collectionId"), _p("f")],
                _ok("The collection", JSON, "Collection"),
                missing=True,
            )
        },
        "/collections/{collectionId}/items": {
            "get": read(
                "Features of a collection",
                "getFeatures",
                [_p("collectionId"), _p("bbox"), _p("limit"), _p("offset"), _p("datetime"), _p("f")],
                _ok("A page of features, with a 'next' link when more exist", GEOJSON, "FeatureCollection"),
                missing=True,
            ),
            "post": {
                "summary": "Create a feature",
                "operationId": "createFeature",
                "parameters": [_p("collectionId")],
                "requestBody": write_body,
                "responses": {
                    "201": _ok(
                        "Created; Location names the new feature",
                        GEOJSON,
                        "Feature",
                        headers={"Location": {"schema": {"type": "string"}, "description": "URL of the new feature"}},
                    ),
                    "400": _error("The body is not a valid GeoJSON Feature"),
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "415": _error("Content-Type is not GeoJSON"),
                    "503": unavailable,
                },
                **write_security,
            },
        },
        "/collections/{collectionId}/items/{featureId}": {
            "get": read(
                "One feature",
                "getFeature",
                [_p("collectionId"), _p("featureId"), _p("f")],
                _ok("The feature", GEOJSON, "Feature"),
                missing=True,
            ),
            "put": {
                "summary": "Replace a feature",
                "operationId": "replaceFeature",
                "parameters": [_p("collectionId"), _p("featureId")],
                "requestBody": write_body,
                "responses": {
                    "200": _ok("The feature as stored", GEOJSON, "Feature"),
                    "400": _error("The body is not a valid GeoJSON Feature"),
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "415": _error("Content-Type is not GeoJSON"),
                    "503": unavailable,
                },
                **write_security,
            },
            "delete": {
                "summary": "Delete a feature",
                "operationId": "deleteFeature",
                "parameters": [_p("collectionId"), _p("featureId")],
                "responses": {
                    "204": {"description": "Deleted"},
                    "401": unauthorized,
                    "403": forbidden,
                    "404": not_found,
                    "503": unavailable,
                },
                **write_security,
            },
        },
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
                "responses": {"200": _ok("The database answers", JSON, "Health"), "503": unavailable},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": "1.0.0"},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "parameters": _parameters(),
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
