"""GeoJSON geometries to and from lon/lat WKB (what the database reads and writes)."""

from __future__ import annotations

import struct
from typing import Any

import shapely.geometry
import shapely.wkb
from geomet import wkb

_POINT_LE = struct.Struct("<BIdd")


def geometry_to_wkb(geometry: dict[str, Any]) -> bytes:
    """Little-endian 2D WKB; points (the bulk of most loads) are packed directly."""
    if geometry["type"] == "Point" and len(geometry["coordinates"]) == 2:
        x, y = geometry["coordinates"]
        return _POINT_LE.pack(1, 1, x, y)
    return wkb.dumps(geometry, big_endian=False)


def _as_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    return value


def wkb_to_geometry(data: bytes) -> dict[str, Any]:
    """GeoJSON geometry from 2D WKB. Points (the bulk of most data sets) skip the generic parser.

    The generic parser is shapely (GEOS): geomet's WKB loader fails on a GeometryCollection
    that holds a Multi* member (KeyError in geomet 1.1.0), which made one stored feature
    break every page that listed it.
    """
    data = bytes(data)
    if len(data) == 21 and data[:5] == b"\x01\x01\x00\x00\x00":
        _, _, x, y = _POINT_LE.unpack(data)
        return {"type": "Point", "coordinates": [x, y]}
    return _as_lists(shapely.geometry.mapping(shapely.wkb.loads(data)))
