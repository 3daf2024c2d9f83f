"""Every difference between MySQL 8 (Aurora MySQL 3) and MariaDB 10.11 lives here.

The API stores geometries in SRID 4326 (WGS 84) and speaks GeoJSON / CRS84,
whose axis order is always longitude, latitude.  The two servers disagree on
what SRID 4326 means for axis order:

* **MySQL 8** follows the EPSG definition of 4326, whose axis order is
  *latitude, longitude*.  WKT/WKB import and export functions swap axes unless
  told otherwise, so every call passes ``'axis-order=long-lat'``.  A geometry
  column must carry an ``SRID 4326`` attribute or the optimizer never uses its
  SPATIAL index.
* **MariaDB** keeps the SRID as metadata only: X is whatever was written
  first, i.e. longitude here.  Its WKT/WKB functions take no options argument
  (passing one is a syntax error), and the column SRID is declared with
  ``REF_SYSTEM_ID=4326``, which must come before ``NOT NULL``.

* **Upserts**: MySQL 8.0.20+ deprecates ``VALUES(col)`` in ``ON DUPLICATE KEY
  UPDATE`` in favour of a row alias (``INSERT ... AS new``), which MariaDB does
  not parse.

* **Generated columns for queryables** (:func:`queryable_column_sql`): one SQL text for
  both.  MariaDB refuses ``CAST(... AS DATETIME)`` (and ``CONVERT_TZ``) in a generated
  column, so temporal queryables are kept as canonical, sortable strings
  (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS.ffffff`` in UTC) built with string functions
  that both servers allow there.  ``JSON_TYPE`` names differ (MySQL adds ``DECIMAL``
  and ``UNSIGNED INTEGER``): the lists below hold both servers' names.  A value of the
  wrong JSON type gives NULL (it matches no comparison), never a failed write.

* **Features as GeoJSON text** (:func:`feature_json_sql`): ``ST_AsGeoJSON`` on both.
  MariaDB writes shortest round-trip numbers (checked here: 0.30000000000000004 and
  1e-20 survive); MySQL 8 documents no rounding by default (max_dec_digits 2^32-1) and
  writes GeoJSON's longitude-latitude order whatever the SRS's axis order.

Everything else (SPATIAL index, ``ST_Intersects``, index hints, JSON columns)
is common to both and is written in :mod:`geoapi.repository` and the migrations.

* **Geometry of a bbox**: on MySQL 8 a 4326 polygon is geographic, its edges
  are geodesics, and it degenerates at the poles and along the antimeridian.
  :func:`bbox_polygon_wkt` therefore densifies the box edges (1° spacing) and
  keeps it 1e-7° inside those limits there; MariaDB computes in degrees and
  takes the four corners.  Residual difference: between two densified
  vertices a geodesic still bulges poleward by a little (well under 0.01° at
  mid latitudes), so a feature within that sliver of a box's north or south
  edge can match on MySQL 8 and not on MariaDB.  Points do not go through
  the polygon: they are compared with the box's corners in generated columns
  (:func:`point_columns_sql`; ``ST_Longitude``/``ST_Latitude`` on MySQL 8, which
  reads ``ST_X`` as the latitude of a 4326 point), the same rectangle on both.

None of the MySQL 8 fragments can be run here (no MySQL 8 server): they follow
the MySQL 8.0 reference manual and are checked as SQL text by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

SRID = 4326
GEOMETRY_INDEX = "sidx_features_geom"


class _HasDialect(Protocol):
    """An SQLAlchemy Connection or Engine (anything with ``.dialect``)."""

    @property
    def dialect(self): ...  # noqa: D102


@dataclass(frozen=True)
class SpatialDialect:
    """SQL fragments that differ between the two servers."""

    name: str
    #: the column definition of ``features.geom`` (type, SRID, NOT NULL)
    geometry_column: str
    #: appended as a last argument to WKB/WKT import and export functions
    axis_option: str
    #: True when SRID 4326 is computed on the ellipsoid (MySQL 8), False when Cartesian in degrees
    geographic: bool
    #: how an INSERT names the incoming row in ON DUPLICATE KEY UPDATE: MySQL
    #: 8.0.20+ deprecates VALUES(col) for a row alias, which MariaDB lacks
    upsert_row_alias: str

    def geom_from_wkb(self, param: str) -> str:
        """SQL expression building an SRID-4326 geometry from a lon/lat WKB bind parameter."""
        return f"ST_GeomFromWKB(:{param}, {SRID}{self.axis_option})"

    def geom_from_wkt(self, param: str) -> str:
        """SQL expression building an SRID-4326 geometry from a lon/lat WKT bind parameter."""
        return f"ST_GeomFromText(:{param}, {SRID}{self.axis_option})"

    def geom_as_wkb(self, column: str) -> str:
        """SQL expression returning a stored geometry as lon/lat WKB."""
        return f"ST_AsBinary({column}{self.axis_option})"

    def upsert(self, insert: str, columns: list[str]) -> str:
        """``insert`` (an INSERT ... VALUES statement) made to update ``columns`` of an existing row."""
        if self.upsert_row_alias:
            alias = self.upsert_row_alias
            updates = ", ".join(f"{c} = {alias}.{c}" for c in columns)
            return f"{insert} AS {alias} ON DUPLICATE KEY UPDATE {updates}"
        updates = ", ".join(f"{c} = VALUES({c})" for c in columns)
        return f"{insert} ON DUPLICATE KEY UPDATE {updates}"


# the two servers side by side (fields in SpatialDialect's order: name, geometry_column, axis_option, geographic, upsert_row_alias)
MYSQL8 = SpatialDialect("mysql8",   f"GEOMETRY NOT NULL SRID {SRID}",          ", 'axis-order=long-lat'", True,  "incoming")  # fmt: skip
MARIADB = SpatialDialect("mariadb", f"GEOMETRY REF_SYSTEM_ID={SRID} NOT NULL", "",                        False, "")  # fmt: skip


def for_server(is_mariadb: bool) -> SpatialDialect:
    """Pick the dialect for a server."""
    return MARIADB if is_mariadb else MYSQL8


def for_connection(conn: _HasDialect) -> SpatialDialect:
    """Pick the dialect for a *connected* SQLAlchemy connection.

    SQLAlchemy's MySQL dialect sets ``is_mariadb`` from the server version when
    the first connection is made, for both ``mysql+pymysql://`` and
    ``mariadb+pymysql://`` URLs, so this is right whatever URL scheme is used.
    """
    return for_server(bool(getattr(conn.dialect, "is_mariadb", False)))


#: a zero-width box is widened by this much (degrees, ~0.1 mm) so that it is a valid polygon
DEGENERATE_PAD = 1e-9
#: MySQL 8 (geographic 4326): box edges are densified to this spacing (degrees) so that its geodesic
#: edges follow the parallels closely, and kept this far inside the poles and the antimeridian,
#: where a geographic polygon would degenerate
GEOGRAPHIC_STEP = 1.0
GEOGRAPHIC_MARGIN = 1e-7


def _ring(points: list[tuple[float, float]]) -> str:
    return "POLYGON((" + ", ".join(f"{x!r} {y!r}" for x, y in [*points, points[0]]) + "))"


def _steps(a: float, b: float, step: float) -> list[float]:
    count = max(1, int(abs(b - a) / step + 0.999999))
    return [a + (b - a) * i / count for i in range(count)]


def padded_box(minx: float, miny: float, maxx: float, maxy: float) -> tuple[float, float, float, float]:
    """The box, a zero-width or zero-height one widened by :data:`DEGENERATE_PAD` (as every bbox query reads it)."""
    if maxx - minx < DEGENERATE_PAD:
        minx, maxx = minx - DEGENERATE_PAD / 2, maxx + DEGENERATE_PAD / 2
    if maxy - miny < DEGENERATE_PAD:
        miny, maxy = miny - DEGENERATE_PAD / 2, maxy + DEGENERATE_PAD / 2
    return minx, miny, maxx, maxy


def bbox_polygon_wkt(minx: float, miny: float, maxx: float, maxy: float, *, geographic: bool = False) -> str:
    """A closed lon/lat rectangle as WKT (counter-clockwise), in the form the server needs.

    ``geographic=True`` (MySQL 8) clamps the box off the poles and the antimeridian and
    densifies its edges; otherwise (MariaDB, Cartesian in degrees) four corners suffice.
    """
    minx, miny, maxx, maxy = padded_box(minx, miny, maxx, maxy)
    if not geographic:
        return _ring([(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)])
    m = GEOGRAPHIC_MARGIN
    minx, maxx = max(minx, -180.0 + m), min(maxx, 180.0 - m)
    miny, maxy = max(miny, -90.0 + m), min(maxy, 90.0 - m)
    south = [(x, miny) for x in _steps(minx, maxx, GEOGRAPHIC_STEP)]
    east = [(maxx, y) for y in _steps(miny, maxy, GEOGRAPHIC_STEP)]
    north = [(x, maxy) for x in _steps(maxx, minx, GEOGRAPHIC_STEP)]
    west = [(minx, y) for y in _steps(maxy, miny, GEOGRAPHIC_STEP)]
    return _ring(south + east + north + west)


# -- queryables: generated columns over features.properties -------------------------------------
#: JSON_TYPE names (MariaDB and MySQL 8 together) per queryable storage kind
_NUMERIC = "('INTEGER', 'DOUBLE', 'DECIMAL', 'UNSIGNED INTEGER')"
#: longest string a string queryable keeps (longer values are compared on this prefix)
STRING_QUERYABLE_CHARS = 255


def _json(path: str) -> str:
    return f"JSON_EXTRACT(properties, '{path}')"


def _text(path: str) -> str:
    return f"JSON_UNQUOTE({_json(path)})"


def queryable_column_sql(kind: str, path: str) -> str:
    """Column definition (type + generated expression) of a queryable of storage ``kind``.

    ``kind`` is ``s`` (string), ``n`` (number/integer), ``b`` (boolean), ``d`` (date) or
    ``t`` (timestamp); ``path`` a JSON path such as ``$.name`` (names are checked by the caller).
    """
    is_string = f"JSON_TYPE({_json(path)}) = 'STRING'"
    if kind == "s":
        return f"VARCHAR({STRING_QUERYABLE_CHARS}) GENERATED ALWAYS AS (CASE WHEN {is_string} THEN LEFT({_text(path)}, {STRING_QUERYABLE_CHARS}) END) VIRTUAL"
    if kind == "n":
        return f"DOUBLE GENERATED ALWAYS AS (CASE WHEN JSON_TYPE({_json(path)}) IN {_NUMERIC} THEN {_text(path)} END) VIRTUAL"
    if kind == "b":
        return f"TINYINT GENERATED ALWAYS AS (CASE WHEN JSON_TYPE({_json(path)}) = 'BOOLEAN' THEN {_text(path)} = 'true' END) VIRTUAL"
    value = _text(path)
    if kind == "d":
        return f"CHAR(10) GENERATED ALWAYS AS (CASE WHEN {is_string} AND {value} LIKE '____-__-__' THEN {value} END) VIRTUAL"
    if kind == "t":
        utc = f"({value} LIKE '%Z' OR {value} LIKE '%+00:00')"
        shaped = f"{value} LIKE '____-__-__T__:__:__%'"
        fraction = f"IF(SUBSTRING({value}, 20, 1) = '.', SUBSTRING_INDEX(SUBSTRING_INDEX(SUBSTRING({value}, 21), 'Z', 1), '+', 1), '')"
        canonical = f"CONCAT(LEFT({value}, 10), 'T', SUBSTRING({value}, 12, 8), '.', LEFT(RPAD({fraction}, 6, '0'), 6))"
        return f"CHAR(26) GENERATED ALWAYS AS (CASE WHEN {is_string} AND {shaped} AND {utc} THEN {canonical} END) VIRTUAL"
    raise ValueError(f"unknown queryable storage kind {kind!r}")


# -- points in a B-tree: the bbox of a point collection without the R-tree ------------------------
#: the index that answers a bbox for points: ``(collection_id, pt_strip, pt_y, pt_x, id)``, all generated
#: from ``geom`` (NULL for any other geometry type), see :func:`point_columns_sql`
POINT_INDEX = "ix_features_point"
#: a point's longitude strip is ``FLOOR(lon * STRIPS_PER_DEGREE)`` (0.25°): a box reads one range of the
#: index per strip it overlaps, each bounded by latitude, so it reads about (width + 0.25°) x height
STRIPS_PER_DEGREE = 4


def point_columns_sql(d: SpatialDialect) -> list[tuple[str, str]]:
    """``(name, definition)`` of the generated point columns (MySQL 8 reads 4326 coordinates by name:
    ``ST_X`` is the latitude there)."""
    x, y = ("ST_Longitude(geom)", "ST_Latitude(geom)") if d.geographic else ("ST_X(geom)", "ST_Y(geom)")

    def point(expr: str) -> str:
        return f"(IF(ST_GeometryType(geom) = 'POINT', {expr}, NULL))"

    return [
        ("pt_x", f"DOUBLE GENERATED ALWAYS AS {point(x)} VIRTUAL"),
        ("pt_y", f"DOUBLE GENERATED ALWAYS AS {point(y)} VIRTUAL"),
        ("pt_strip", f"INT GENERATED ALWAYS AS {point(f'FLOOR({x} * {STRIPS_PER_DEGREE})')} VIRTUAL"),
    ]


def strip_column(column: str) -> str:
    """The leading column of ``ixp_<column>``: the point's strip where the property is present, else NULL."""
    return f"ps_{column}"


def strip_column_sql(path: str) -> str:
    """Definition of :func:`strip_column` for the queryable at JSON ``path``: the point's strip where the
    property is present, else NULL, so that the features of a collection without that property enter
    ``ixp_<column>`` at its NULL end, in id order, instead of at random places: a collection pays for
    its own queryables' point indexes only (1M points of a collection with none of the 5 sample
    queryables: a first load 76 s -> 61 s).  (Presence, not the queryable column's value: MariaDB
    refuses a generated column over some of those, e.g. a timestamp's.)"""
    return f"INT GENERATED ALWAYS AS (IF({_json(path)} IS NULL, NULL, pt_strip)) VIRTUAL"


def feature_json_sql(alias: str) -> str:
    """SQL text of one row of ``features`` (as ``alias``) written as a GeoJSON Feature, without links."""
    return (
        f"""CONCAT('{{"type":"Feature","id":', {alias}.id, ',"geometry":', ST_AsGeoJSON({alias}.geom), """
        f"""',"properties":', {alias}.properties, '}}')"""
    )
