"""Map geometry for the simulated users (no locust import, so tests can use it in-process)."""

from __future__ import annotations

import math
import random

WORLD = (-180.0, -90.0, 180.0, 90.0)


def extent_of(collection: dict) -> tuple[float, float, float, float]:
    """The collection's 2D extent (OGC ``extent.spatial.bbox[0]``, 4 or 6 numbers); the world if absent."""
    try:
        box = [float(v) for v in collection["extent"]["spatial"]["bbox"][0]]
    except (KeyError, IndexError, TypeError, ValueError):
        return WORLD
    if len(box) == 6:  # minx, miny, minz, maxx, maxy, maxz
        box = [box[0], box[1], box[3], box[4]]
    if len(box) != 4:
        return WORLD
    west, south, east, north = box
    if not (west < east and south < north):
        return WORLD
    return west, south, east, north


def point_of(geometry: dict | None) -> tuple[float, float] | None:
    """A representative coordinate of any GeoJSON geometry (its first position)."""
    coords = (geometry or {}).get("coordinates")
    while isinstance(coords, list) and coords and isinstance(coords[0], list):
        coords = coords[0]
    if isinstance(coords, list) and len(coords) >= 2:
        return float(coords[0]), float(coords[1])
    return None


def viewport(extent: tuple[float, float, float, float], rng: random.Random, around: tuple[float, float] | None) -> str:
    """A bbox query value: a 3:2 box of 1-25 % of the extent's width, inside the valid ranges."""
    west, south, east, north = extent
    width = (east - west) * math.exp(rng.uniform(math.log(0.01), math.log(0.25)))
    height = min(width / 1.5, north - south)
    if around is None:
        cx, cy = rng.uniform(west, east), rng.uniform(south, north)
    else:
        cx, cy = around[0] + rng.uniform(-width / 4, width / 4), around[1] + rng.uniform(-height / 4, height / 4)
    min_x, max_x = max(cx - width / 2, -180.0), min(cx + width / 2, 180.0)
    min_y, max_y = max(cy - height / 2, -90.0), min(cy + height / 2, 90.0)
    return f"{min_x:.5f},{min_y:.5f},{max_x:.5f},{max_y:.5f}"
