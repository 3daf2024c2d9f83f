"""Validation of GeoJSON Feature bodies (RFC 7946) for create and replace.

Structure is checked by geojson-pydantic in strict mode (no "1" for 1, no
``true`` for a number, closed rings, enough positions); this module adds what
RFC 7946 leaves to the server: CRS84 ranges and 2D-only positions, since
MySQL/MariaDB geometries have no Z.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from geojson_pydantic import Feature
from geojson_pydantic.geometries import Geometry
from pydantic import ValidationError

from geoapi.core.errors import InvalidBody, UnsupportedMediaType

GEOJSON_MEDIA_TYPES = ("application/geo+json", "application/json")
MAX_BODY_BYTES = 5 * 1024 * 1024

_FeatureModel = Feature[Geometry, dict[str, Any] | None]


@dataclass(frozen=True)
class FeatureInput:
    """A validated feature: a GeoJSON geometry dict and a properties dict."""

    geometry: dict[str, Any]
    properties: dict[str, Any]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(data: bytes) -> Any:
    if len(data) > MAX_BODY_BYTES:
        raise InvalidBody(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidBody(f"request body is not valid JSON: {exc}") from None


def check_media_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in GEOJSON_MEDIA_TYPES:
        raise UnsupportedMediaType(f"Content-Type must be application/geo+json (or application/json), not {media_type or 'missing'!r}")


def _positions(geometry: dict[str, Any]) -> Iterator[list[float]]:
    if geometry["type"] == "GeometryCollection":
        for member in geometry["geometries"]:
            yield from _positions(member)
        return

    def walk(node: Any) -> Iterator[list[float]]:
        if node and isinstance(node[0], (int, float)):
            yield node
        else:
            for child in node:
                yield from walk(child)

    yield from walk(geometry["coordinates"])


def _has_empty_part(geometry: dict[str, Any]) -> bool:
    if geometry["type"] == "GeometryCollection":
        members = geometry["geometries"]
        return not members or any(_has_empty_part(m) for m in members)

    def empty(node: Any) -> bool:
        if not node:
            return True
        return not isinstance(node[0], (int, float)) and any(empty(child) for child in node)

    return empty(geometry["coordinates"])


def validate_geometry(geometry: dict[str, Any]) -> None:
    """Non-empty, CRS84 ranges and 2D positions; raises :class:`InvalidBody`."""
    if _has_empty_part(geometry):
        raise InvalidBody("empty geometries (or empty parts) cannot be stored: WKB cannot represent them")
    for position in _positions(geometry):
        if len(position) != 2:
            raise InvalidBody("positions must have exactly 2 coordinates (longitude, latitude); heights are not stored")
        lon, lat = position
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise InvalidBody("coordinates must be finite numbers")
        if not -180.0 <= lon <= 180.0:
            raise InvalidBody(f"longitude {lon} is outside [-180, 180] (GeoJSON positions are longitude, latitude)")
        if not -90.0 <= lat <= 90.0:
            raise InvalidBody(f"latitude {lat} is outside [-90, 90] (GeoJSON positions are longitude, latitude)")


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()) if not str(p).startswith(("Feature[", "function-")))
    return f"{where or 'body'}: {error.get('msg', 'invalid')}"


_FEATURE_KEYS = frozenset({"type", "id", "geometry", "properties"})
_NUMBER = (int, float)


def _plain_point(document: dict[str, Any]) -> FeatureInput | None:
    """The common case, checked without pydantic: a Feature with a 2D Point, an int/str id or
    none, and an object (or null) for properties.  Anything else goes to the full check, which
    accepts exactly what this accepts (tests/backend/test_first_load.py compares them)."""
    geometry = document.get("geometry")
    if not (document.keys() <= _FEATURE_KEYS and "properties" in document and type(geometry) is dict):
        return None
    coordinates = geometry.get("coordinates")
    if geometry.keys() != {"type", "coordinates"} or geometry["type"] != "Point" or type(coordinates) is not list:
        return None
    if len(coordinates) != 2 or type(coordinates[0]) not in _NUMBER or type(coordinates[1]) not in _NUMBER:
        return None
    fid, properties = document.get("id"), document["properties"]
    if (fid is not None and type(fid) not in (int, str)) or (properties is not None and type(properties) is not dict):
        return None
    point = {"type": "Point", "coordinates": [float(coordinates[0]), float(coordinates[1])]}
    validate_geometry(point)
    return FeatureInput(geometry=point, properties=dict(properties or {}))


def parse_feature(document: Any) -> FeatureInput:
    """Validate a decoded JSON value as a GeoJSON Feature with a non-null geometry."""
    if isinstance(document, dict) and document.get("type") == "Feature":
        fast = _plain_point(document)
        if fast is not None:
            return fast
    if not isinstance(document, dict):
        raise InvalidBody("body must be a GeoJSON Feature object")
    if document.get("type") != "Feature":
        raise InvalidBody(f"body must be a GeoJSON object of type 'Feature', not {document.get('type')!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GeometryCollection style warnings are not errors
            feature = _FeatureModel.model_validate(document, strict=True)
    except ValidationError as exc:
        raise InvalidBody(f"invalid GeoJSON Feature: {_first_error(exc)}") from None
    if feature.geometry is None:
        raise InvalidBody("a feature needs a geometry (null geometries cannot be indexed)")
    geometry = feature.geometry.model_dump(mode="json", exclude_none=True)
    validate_geometry(geometry)
    return FeatureInput(geometry=geometry, properties=dict(feature.properties or {}))


def parse_feature_body(data: bytes, content_type: str | None) -> FeatureInput:
    """Media type, JSON, then GeoJSON checks, in that order."""
    check_media_type(content_type)
    return parse_feature(parse_json(data))
