"""Query-parameter parsing for OGC API - Features Part 1.

Query parameters arrive as ``Mapping[str, list[str]]`` (every value of every
name), so the core does not depend on a web framework's MultiDict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from geoapi.core.errors import InvalidParameter

QueryParams = Mapping[str, list[str]]

DEFAULT_LIMIT = 10
#: caps: one request reads at most MAX_OFFSET + MAX_LIMIT (+1) rows of an index, never the table
MAX_LIMIT = 1_000
MAX_OFFSET = 10_000

_UNSIGNED = re.compile(r"[0-9]{1,12}")

# RFC 3339 date or date-time; a datetime parameter is an instant or an interval
# whose open ends are written "..".
_DT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2}))?"
DATETIME_PATTERN = rf"^(?:{_DT}|{_DT}/{_DT}|\.\./{_DT}|{_DT}/\.\.)$"
_DATETIME = re.compile(DATETIME_PATTERN)


@dataclass(frozen=True)
class BBox:
    """A lon/lat (CRS84) box; edges are inclusive."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    def as_query_value(self) -> str:
        return ",".join(repr(v) for v in (self.minx, self.miny, self.maxx, self.maxy))


def single(params: QueryParams, name: str) -> str | None:
    """The one value of ``name``, None when absent; 400 when given twice."""
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidParameter(f"parameter {name!r} is given {len(values)} times; give it once")
    return values[0]


def reject_unknown(params: QueryParams, allowed: Iterable[str]) -> None:
    """OGC /req/core/query-param-unknown: a parameter the API does not define is a 400."""
    unknown = sorted(name[:40] for name in set(params) - set(allowed))
    if unknown:
        raise InvalidParameter(f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def parse_format(params: QueryParams) -> None:
    value = single(params, "f")
    if value is not None and value != "json":
        raise InvalidParameter(f"f={value!r} is not supported; this API serves f=json only")


def parse_bbox(raw: str | None) -> BBox | None:
    """``minLon,minLat,maxLon,maxLat`` (or the 6-number 3D form, whose heights are ignored)."""
    if raw is None:
        return None
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise InvalidParameter(f"bbox needs 4 (or 6) comma-separated numbers, got {len(parts)}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidParameter("bbox values must be numbers: minLon,minLat,maxLon,maxLat") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter("bbox values must be finite numbers")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    if not (-180.0 <= minx <= 180.0 and -180.0 <= maxx <= 180.0):
        raise InvalidParameter("bbox longitudes must lie in [-180, 180]")
    if not (-90.0 <= miny <= 90.0 and -90.0 <= maxy <= 90.0):
        raise InvalidParameter("bbox latitudes must lie in [-90, 90]")
    if miny > maxy:
        raise InvalidParameter("bbox is inverted: its minimum latitude is greater than its maximum latitude")
    if minx > maxx:
        raise InvalidParameter(
            "bbox minimum longitude is greater than its maximum: boxes crossing the antimeridian "
            "are not supported; send two requests, one each side of 180°"
        )
    return BBox(minx, miny, maxx, maxy)


def _bounded_int(raw: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if raw is None:
        return default
    if not _UNSIGNED.fullmatch(raw):
        raise InvalidParameter(f"{name} must be an integer between {lo} and {hi}, got {raw[:40]!r}")
    value = int(raw)
    if value > hi:
        raise InvalidParameter(
            f"{name}={value} is over the cap of {hi}: ask for at most {hi} (narrow the query with bbox or filter to reach further)"
        )
    if value < lo:
        raise InvalidParameter(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def parse_limit(raw: str | None) -> int:
    return _bounded_int(raw, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def parse_offset(raw: str | None) -> int:
    return _bounded_int(raw, "offset", 0, 0, MAX_OFFSET)


def parse_datetime(raw: str | None) -> str | None:
    """Syntax-check ``datetime`` (the raw value, kept for links); :func:`datetime_interval` reads it."""
    if raw is None:
        return None
    if not _DATETIME.fullmatch(raw):
        raise InvalidParameter("datetime must be an RFC 3339 date or date-time, or an interval 'start/end' with '..' for an open end")
    return raw


def _instant(text: str, *, end: bool) -> datetime:
    """A date or date-time as an aware UTC datetime; a bare date covers its whole day (UTC)."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
        return moment
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        raise InvalidParameter(f"datetime: {text[:40]!r} is not a valid RFC 3339 date-time") from None
    return value.astimezone(UTC)


def datetime_interval(raw: str) -> tuple[datetime | None, datetime | None]:
    """``(start, end)`` in UTC, both inclusive, None for an open end; an instant gives start == end."""
    try:
        if "/" not in raw:
            return _instant(raw, end=False), _instant(raw, end=True)
        first, last = raw.split("/")
        start = None if first == ".." else _instant(first, end=False)
        stop = None if last == ".." else _instant(last, end=True)
    except ValueError:
        raise InvalidParameter(f"datetime: {raw[:60]!r} names a day or time that does not exist") from None
    if start is not None and stop is not None and start > stop:
        raise InvalidParameter("datetime: the interval ends before it starts")
    return start, stop


_SORT_KEY = re.compile(r"([+-]?)([A-Za-z_][A-Za-z0-9_]{0,63})")


def parse_sortby(raw: str | None, allowed: Iterable[str]) -> tuple[tuple[str, bool], ...]:
    """``sortby=name,-population`` -> ``(("name", True), ("population", False))`` (True: ascending)."""
    if raw is None:
        return ()
    names = set(allowed)
    keys: list[tuple[str, bool]] = []
    for part in raw.split(","):
        match = _SORT_KEY.fullmatch(part.strip())
        if not match:
            raise InvalidParameter(f"sortby: {part[:40]!r} is not a property name with an optional +/- prefix")
        sign, name = match.groups()
        if name not in names:
            raise InvalidParameter(f"sortby: unknown property {name!r}; sortable: {', '.join(sorted(names))}")
        if any(k == name for k, _ in keys):
            raise InvalidParameter(f"sortby: {name!r} is given twice")
        keys.append((name, sign != "-"))
    return tuple(keys)


_PROPERTY_NAME = re.compile(r"[^\x00-\x1f,]{1,128}")


def parse_properties(raw: str | None) -> tuple[str, ...] | None:
    """``properties=a,b``: the properties to return (None: all; an empty value: none)."""
    if raw is None:
        return None
    if raw == "":
        return ()
    names = tuple(part.strip() for part in raw.split(","))
    for name in names:
        if not _PROPERTY_NAME.fullmatch(name):
            raise InvalidParameter(f"properties: {name[:40]!r} is not a property name")
    return tuple(dict.fromkeys(names))
