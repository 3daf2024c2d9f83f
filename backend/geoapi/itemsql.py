"""The SQL of an items page, built with SQLAlchemy Core from an :class:`~geoapi.core.query.ItemsQuery`.

One statement per page, shaped so that the database does the per-feature work:

1. ``page``: the ids (and sort keys) of the page plus one row, in order: the only part that
   touches many rows, through the point index, the SPATIAL index, a queryable index or the
   collection index (a bbox: see :meth:`_Builder.box_page_ids`);
2. ``ranked``: those <= limit+1 rows numbered in the same order (a window over the page only);
3. the page's features written as GeoJSON by the database (``ST_AsGeoJSON`` plus the stored
   properties text) and joined into one JSON array text with ``GROUP_CONCAT``, next to the
   row count (``limit + 1`` rows means a next page exists).

Python then reads one row and one string, instead of decoding every row, geometry and
property set (that was most of the CPU per request).  ``GROUP_CONCAT`` is capped by the
session's ``group_concat_max_len`` (raised on connect, see the repository); a result that
reaches the cap would be cut short, so the repository then reads the same page row by row.

Every value is a bind parameter (``cid``, ``box``, ``v0``..., ``page_limit``...), so the
statements depend only on the query's *shape*; they are compiled by SQLAlchemy once per
shape and kept (:func:`_compiled`), which keeps statement building off the request path.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Integer, Text, and_, bindparam, case, column, func, literal_column, or_, select, union_all
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import NullType

from geoapi import dialect as spatial
from geoapi.core.params import BBox
from geoapi.core.query import Between, Compare, InList, IsNull, ItemsQuery, SortKey, uses_geometry
from geoapi.schema import features
from geoapi.settings import IndexHint
from geoapi.sqlfilter import FilterSQL, filter_shape, ordered, referenced_columns, rejects_null, sort_keys

#: numberMatched is counted (index-only) up to this many matches, and omitted above it
COUNT_CAP = 10_000
#: a bbox covering at least this share of the collection's extent lets the optimizer also walk the
#: filter's queryable indexes in order (see :meth:`_Builder.hinted`); a smaller one is read through the SPATIAL index
WIDE_BOX_SHARE = 0.25
_COMPILER_DIALECT = mysql.dialect(paramstyle="pyformat")


class _Template(FunctionElement):
    """A SQL form SQLAlchemy's MySQL compiler has no construct for: ``template`` with the
    compiled arguments put in, in order."""

    inherit_cache = True
    template: ClassVar[str]


@compiles(_Template)
def _fill_template(element: _Template, compiler: Any, **kw: Any) -> str:
    return element.template.format(*(compiler.process(argument, **kw) for argument in element.clauses))


class GroupConcat(_Template):
    """``GROUP_CONCAT(expr ORDER BY key SEPARATOR ',')`` (SQLAlchemy has no ordered form for MySQL)."""

    type = Text()
    inherit_cache = True
    template = "GROUP_CONCAT({} ORDER BY {} SEPARATOR ',')"


class ListIn(_Template):
    """``expr IN %(name)s`` with the list bound as one parameter (PyMySQL writes it as ``(a, b, ...)``),
    so that the statement text does not depend on the list's length."""

    type = NullType()  # not Boolean: MySQL's compiler would write "... = 1" after it
    inherit_cache = True
    template = "{} IN {}"


@dataclass(frozen=True)
class Shape:
    """What the SQL of a query depends on (values excluded)."""

    dialect: str
    index_hint: IndexHint
    bbox: bool
    where: tuple
    sortby: tuple[SortKey, ...]
    #: the queryable columns the filter reads (their indexes join the spatial one in FORCE INDEX for a wide box)
    columns: tuple[str, ...]
    #: the bbox is small against the collection's extent: only the SPATIAL index is offered
    small_box: bool = True


@dataclass(frozen=True)
class Compiled:
    """SQL text (pyformat parameters, as PyMySQL takes them) and the constant parameters it binds."""

    sql: str
    constants: dict[str, Any]

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        return {**self.constants, **values}


def _compile(stmt: Select) -> Compiled:
    compiled = stmt.compile(dialect=_COMPILER_DIALECT)
    return Compiled(compiled.string, {k: v for k, v in compiled.params.items() if v is not None})


class _Builder:
    """Builds the statements of one :class:`Shape` (SQLAlchemy Core, bind parameters only)."""

    def __init__(self, shape: Shape, d: spatial.SpatialDialect, where: Any) -> None:
        self.shape = shape
        self.d = d
        self.where = where
        self.keys = sort_keys(shape.sortby)

    def conditions(self, *, box: bool = True) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [features.c.collection_id == bindparam("cid")]
        if self.shape.bbox and box:
            extra = [literal_column("'axis-order=long-lat'")] if self.d.axis_option else []
            geometry = func.ST_GeomFromText(bindparam("box"), literal_column(str(spatial.SRID)), *extra)
            conds.append(self.in_box(geometry))
        if self.where is not None:
            conds.append(FilterSQL(self.d).condition(self.where))
        return conds

    def point_index(self) -> tuple[str, ColumnElement[Any]] | None:
        """The index a bbox page reads its points from, and its strip column; or None (the SPATIAL index alone).

        ``ix_features_point`` (strip ``pt_strip``) when the query reads no queryable (ids only),
        ``ixp_<column>`` (strip ``ps_<column>``, see :func:`geoapi.schema.point_index_sql`) when its
        filter reads one and cannot hold where that column is NULL (the index holds only the points
        with a value): the page is then answered from index entries alone.  Through the point index
        alone, a filter costs a random row read per point in the box: measured about 25% dearer than
        the R-tree path on 1M points (2°x2°, ``cat = 'c3'``), against 0.7 ms for ``ixp_qs_cat`` vs
        3.8 ms for the R-tree on 300k points.  A spatial filter, two queryables, a ``sortby`` on a
        queryable or a filter a NULL can pass go through the SPATIAL index.
        """
        if not self.shape.bbox or self.shape.index_hint != "force" or uses_geometry(self.where):
            return None
        columns = set(self.shape.columns) | {col.name for col, _ in self.keys if col is not features.c.id}
        if not columns:
            return spatial.POINT_INDEX, features.c.pt_strip
        (name,) = columns if len(columns) == 1 else (None,)
        if name is None or not rejects_null(self.where, name):
            return None
        return f"ixp_{name}", column(spatial.strip_column(name))

    def in_box(self, box: ColumnElement[Any]) -> ColumnElement[bool]:
        """``ST_Intersects(geom, box)``, with its answer, at a lower cost on MariaDB.

        MariaDB computes in degrees and the box is a rectangle: a feature whose bounding rectangle
        lies inside the box intersects it, so the exact (costly) test only runs for features that
        cross the box's edge (``MBRWithin`` is strict: a point on the edge gets the exact test).
        ``MBRIntersects`` is what the SPATIAL index answers.  On MySQL 8 the box's edges are
        geodesics, not its bounding rectangle: the exact test alone.
        """
        exact = func.ST_Intersects(features.c.geom, box)
        if self.d.geographic:
            return exact
        return and_(func.MBRIntersects(features.c.geom, box), or_(func.MBRWithin(features.c.geom, box), exact))

    def hinted(self, stmt: Select, first: str = spatial.GEOMETRY_INDEX) -> Select:
        """FORCE the SPATIAL index for spatial queries (and the filter's queryable indexes, unless the bbox is small).

        Without it the optimizer may walk ``(collection_id, id)`` for ``ORDER BY id LIMIT n``
        and test every feature of the collection against the box.  Offered a queryable index
        ``(collection_id, column, id)`` next to it, it takes that one for ``ORDER BY id LIMIT n``
        whatever the box (it has no estimate of how few of the rows fall inside): for a 2x2
        degree box over 1M points and ``cat = 'c3'`` (a tenth of them) it read 27,519 rows for
        one page against 4,076 through the SPATIAL index.  So a box smaller than
        :data:`WIDE_BOX_SHARE` of the collection's extent is read through the SPATIAL index
        alone (the filter then costs no more than the box), and a wider one, where an ordered
        walk of the queryable index meets a page within a few times ``limit`` rows, offers both.
        """
        spatial_query = self.shape.bbox or uses_geometry(self.where)
        if self.shape.index_hint == "auto" or not spatial_query:
            return stmt
        if self.shape.index_hint == "ignore":
            return stmt.with_hint(features, f"IGNORE INDEX ({spatial.GEOMETRY_INDEX})")
        offered = () if self.shape.bbox and self.shape.small_box else self.shape.columns
        indexes = [first, *(f"ix_{c}" for c in offered)]
        return stmt.with_hint(features, f"FORCE INDEX ({', '.join(indexes)})")

    def page_ids(self) -> Select:
        index = self.point_index()
        if index is not None:
            return self.box_page_ids(*index)
        columns = [features.c.id.label("fid"), *(col.label(f"k{i}") for i, (col, _) in enumerate(self.keys))]
        stmt = select(*columns).where(*self.conditions()).order_by(*(ordered(c, asc) for c, asc in self.keys))
        return self.hinted(stmt.limit(bindparam("page_rows")).offset(bindparam("page_offset")))

    def box_page_ids(self, index: str, strip: ColumnElement[Any]) -> Select:
        """The page of a bbox query: points from the point index, other geometries from the SPATIAL index.

        The SPATIAL index hands out every candidate in R-tree order, and each one costs a
        random primary-key lookup (its geometry and collection are in the row): about 4,000
        of them for a 2°x2° box over 1M points, most of a request's database CPU.  Points
        are read instead from ``(collection_id, pt_strip, pt_y, pt_x, id)`` (migration 0003; or
        ``index``, the same with a queryable and ``strip`` its leading column, see :meth:`point_index`):
        one latitude range per 0.25° longitude strip the box overlaps, tested on the index
        entry alone (``pt_x``, ``pt_y`` inclusive: a point on an edge is in the box, as with
        ``ST_Intersects``).  Any other geometry type (NULL strip) still goes through the
        SPATIAL index, guarded so that a collection holding points only never walks it: the
        guard reads one index entry, and the R-tree branch joins it first (STRAIGHT_JOIN).
        Each branch yields its first ``offset + limit + 1`` rows in order; the union is
        ordered and cut again.
        """
        columns = [features.c.id.label("fid"), *(col.label(f"k{i}") for i, (col, _) in enumerate(self.keys))]
        order = [ordered(c, asc) for c, asc in self.keys]
        c = features.c
        in_box = [
            ListIn(strip, bindparam("strips")),
            c.pt_y.between(bindparam("py0"), bindparam("py1")),
            c.pt_x.between(bindparam("px0"), bindparam("px1")),
        ]
        points = select(*columns).where(*self.conditions(box=False), *in_box).order_by(*order).limit(bindparam("page_end"))
        other = features.alias("other")
        guard = select(literal_column("1").label("one")).where(other.c.collection_id == bindparam("cid"), other.c.pt_strip.is_(None))
        guard = guard.limit(literal_column("1")).subquery("non_points")
        rest = select(*columns).prefix_with("STRAIGHT_JOIN").select_from(guard.join(features, literal_column("TRUE", NullType)))
        rest = rest.where(*self.conditions(), c.pt_strip.is_(None)).order_by(*order).limit(bindparam("page_end"))
        both = union_all(self.hinted(points, index), self.hinted(rest)).subquery("candidates")
        keys = [ordered(both.c[f"k{i}"], asc) for i, (_, asc) in enumerate(self.keys)]
        return (
            select(both.c.fid, *(both.c[f"k{i}"] for i in range(len(self.keys))))
            .order_by(*keys)
            .limit(bindparam("page_rows"))
            .offset(bindparam("page_offset"))
        )

    def ranked(self):  # noqa: ANN201 - a Subquery
        page = self.page_ids().subquery("page")
        window = [ordered(page.c[f"k{i}"], asc) for i, (_, asc) in enumerate(self.keys)]
        return select(page.c.fid, func.row_number().over(order_by=window).label("rn")).subquery("ranked")

    def page(self) -> Select:
        ranked = self.ranked()
        f = features.alias("f")
        doc = literal_column(spatial.feature_json_sql("f"), Text)
        kept = case((ranked.c.rn <= bindparam("page_limit"), doc))
        return select(
            func.count().label("n"),
            GroupConcat(kept, ranked.c.rn).label("docs"),
            literal_column("@@group_concat_max_len", Integer).label("cap"),
        ).select_from(ranked.join(f, f.c.id == ranked.c.fid))

    def page_rows(self) -> Select:
        ranked = self.ranked()
        f = features.alias("f")
        doc = literal_column(spatial.feature_json_sql("f"), Text)
        return select(ranked.c.rn, doc.label("doc")).select_from(ranked.join(f, f.c.id == ranked.c.fid)).order_by(ranked.c.rn)

    def count(self) -> Select:
        capped = select(literal_column("1")).select_from(features).where(*self.conditions()).limit(COUNT_CAP + 1)
        return select(func.count()).select_from(capped.subquery("matches"))


class _ShapeKeyed:
    """A filter tree that hashes and compares by its shape only (for the statement cache)."""

    def __init__(self, shape: Shape, tree: Any) -> None:
        self.shape = shape
        self.tree = tree

    def __hash__(self) -> int:
        return hash(self.shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ShapeKeyed) and other.shape == self.shape


@functools.lru_cache(maxsize=256)
def _compiled(shape: Shape, where: _ShapeKeyed, part: str) -> Compiled:
    d = spatial.MARIADB if shape.dialect == spatial.MARIADB.name else spatial.MYSQL8
    return _compile(getattr(_Builder(shape, d, where.tree), part)())


def box_share(box: BBox, extent: list[float] | None) -> float:
    """The share of the collection's extent (``[minx, miny, maxx, maxy]``) that ``box`` covers (0 when unknown)."""
    if not extent or len(extent) < 4:
        return 0.0
    minx, miny, maxx, maxy = extent[:4]
    width = min(box.maxx, maxx) - max(box.minx, minx)
    height = min(box.maxy, maxy) - max(box.miny, miny)
    if width < 0 or height < 0:
        return 0.0
    area = (maxx - minx) * (maxy - miny)
    return 1.0 if area <= 0 else width * height / area


def _point_box(box: BBox) -> dict[str, Any]:
    """The point index's parameters for ``box``: its strips and its corners (padded as the polygon is)."""
    minx, miny, maxx, maxy = spatial.padded_box(box.minx, box.miny, box.maxx, box.maxy)
    n = spatial.STRIPS_PER_DEGREE
    return {"strips": list(range(math.floor(minx * n), math.floor(maxx * n) + 1)), "px0": minx, "px1": maxx, "py0": miny, "py1": maxy}


class ItemsSQL:
    """The statements of one items query on one server: SQL text plus parameters, cached by shape."""

    def __init__(
        self, d: spatial.SpatialDialect, index_hint: IndexHint, collection_id: str, query: ItemsQuery, extent: list[float] | None = None
    ) -> None:
        self.query = query
        shape_of_where, values = filter_shape(query.where) if query.where is not None else ((), [])
        columns = tuple(sorted(referenced_columns(query.where)))
        small = query.bbox is None or not columns or box_share(query.bbox, extent) < WIDE_BOX_SHARE
        self.shape = Shape(d.name, index_hint, query.bbox is not None, shape_of_where, query.sortby, columns, small)
        # the tree is passed along for building only; equal shapes build equal SQL whatever its values
        self._where = _ShapeKeyed(self.shape, query.where)
        self.values: dict[str, Any] = {f"v{i}": v for i, v in enumerate(values)}
        self.values.update(cid=collection_id, page_rows=query.limit + 1, page_offset=query.offset, page_limit=query.limit)
        if query.bbox is not None:
            b = query.bbox
            self.values["box"] = spatial.bbox_polygon_wkt(b.minx, b.miny, b.maxx, b.maxy, geographic=d.geographic)
            self.values.update(_point_box(b), page_end=query.offset + query.limit + 1)

    def statement(self, part: str) -> tuple[str, dict[str, Any]]:
        """``(sql, params)`` of ``part``: ``page``, ``page_rows``, ``page_ids`` (to EXPLAIN) or ``count``."""
        compiled = _compiled(self.shape, self._where, part)
        return compiled.sql, compiled.params(self.values)

    @property
    def countable(self) -> bool:
        """True when the match count can be read from one index alone: no spatial test, and at most
        one non-negated comparison, range, IN or IS NULL on one queryable (or the id)."""
        query = self.query
        if query.bbox is not None:
            return False
        node = query.where
        return node is None or (isinstance(node, (Compare, Between, InList, IsNull)) and not getattr(node, "negate", False))
