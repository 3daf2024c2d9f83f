"""A :mod:`geoapi.core.query` filter tree as SQLAlchemy Core expressions over ``features``.

Every value becomes a bound parameter; column names come from the ``queryables`` table
(written by migrations, matching ``q[sndbt]_<name>``), never from the request.  Property
conditions read the generated, indexed queryable columns (:mod:`geoapi.schema`), so an
equality, IN, range or prefix LIKE on a queryable is an index range.

SQL's three-valued logic is CQL2's: a comparison with a missing property (NULL) is
unknown, ``NOT unknown`` is unknown, and unknown rows are not returned.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, column, func, literal_column, not_, or_
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from geoapi import dialect as spatial
from geoapi.core.query import ID, And, Between, Compare, InList, Intersects, IsNull, Like, Node, Not, Or, Queryable, SortKey
from geoapi.geometry import geometry_to_wkb
from geoapi.schema import features

_COLUMN = re.compile(r"q[sndbt]_[A-Za-z_][A-Za-z0-9_]{0,47}")
_OPS = {
    "=": lambda c, v: c == v,
    "<>": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
}


def sql_column(prop: Queryable) -> ColumnElement[Any]:
    """The column holding ``prop`` (the primary key for ``id``)."""
    if prop.name == ID:
        return features.c.id
    if not _COLUMN.fullmatch(prop.column):
        raise ValueError(f"queryable {prop.name!r} names an unexpected column {prop.column!r}")
    return column(prop.column)


def sql_value(prop: Queryable, value: Any) -> Any:
    """A literal in the form the queryable's column stores (see :func:`geoapi.dialect.queryable_column_sql`)."""
    if prop.type == "boolean":
        return 1 if value else 0
    if prop.type == "timestamp" and isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if prop.type == "date" and isinstance(value, date):
        return value.isoformat()
    return value


def _shape_and_values(node: Node, values: list[Any]) -> tuple:
    """The tree's shape (everything but its values) and, appended to ``values``, its values in
    the order :class:`FilterSQL` numbers its bind parameters (``v0``, ``v1``, ...)."""
    if isinstance(node, (And, Or)):
        return (type(node).__name__, tuple(_shape_and_values(n, values) for n in node.items))
    if isinstance(node, Not):
        return ("Not", _shape_and_values(node.item, values))
    if isinstance(node, Intersects):
        values.append(geometry_to_wkb(node.geometry))
        return ("Intersects",)
    prop = node.prop
    if isinstance(node, Compare):
        values.append(sql_value(prop, node.value))
        return ("Compare", node.op, prop.name, prop.column)
    if isinstance(node, Like):
        values.append(node.pattern)
    elif isinstance(node, Between):
        values.extend((sql_value(prop, node.low), sql_value(prop, node.high)))
    elif isinstance(node, InList):
        values.extend(sql_value(prop, v) for v in node.values)
        return ("InList", prop.name, prop.column, len(node.values), node.negate)
    return (type(node).__name__, prop.name, prop.column, node.negate)


def filter_shape(node: Node | None) -> tuple[tuple, list[Any]]:
    """``(shape, values)``: equal shapes compile to the same SQL (so it can be cached), values bind to it."""
    values: list[Any] = []
    return (() if node is None else _shape_and_values(node, values)), values


class FilterSQL:
    """Translates a filter tree into SQLAlchemy expressions whose values are the bind
    parameters ``v0``, ``v1``, ... in :func:`filter_shape`'s order (and the server's
    axis-order option for geometry literals)."""

    def __init__(self, d: spatial.SpatialDialect) -> None:
        self.d = d
        self.bound = 0

    def _value(self) -> BindParameter[Any]:
        name = f"v{self.bound}"
        self.bound += 1
        return bindparam(name)

    def condition(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, And):
            return and_(*(self.condition(n) for n in node.items))
        if isinstance(node, Or):
            return or_(*(self.condition(n) for n in node.items))
        if isinstance(node, Not):
            return not_(self.condition(node.item))
        if isinstance(node, Intersects):
            return func.ST_Intersects(features.c.geom, self.geometry(self._value()))
        col = sql_column(node.prop)
        if isinstance(node, Compare):
            return _OPS[node.op](col, self._value())
        if isinstance(node, Like):
            expr = col.like(self._value(), escape="\\")
        elif isinstance(node, Between):
            expr = col.between(self._value(), self._value())
        elif isinstance(node, InList):
            expr = col.in_([self._value() for _ in node.values])
        elif isinstance(node, IsNull):
            expr = col.is_(None)
        else:  # pragma: no cover - the core only builds the node types above
            raise TypeError(f"unsupported filter node {type(node).__name__}")
        return not_(expr) if node.negate else expr

    def geometry(self, wkb: BindParameter[Any]) -> ColumnElement[Any]:
        """An SRID-4326 geometry from a lon/lat WKB bind parameter."""
        args: list[Any] = [wkb, literal_column(str(spatial.SRID))]
        if self.d.axis_option:
            args.append(literal_column("'axis-order=long-lat'"))
        return func.ST_GeomFromWKB(*args)


def sort_keys(sortby: tuple[SortKey, ...]) -> list[tuple[ColumnElement[Any], bool]]:
    """(column, ascending) pairs: the client's keys, then id in the direction of the last key (a total order)."""
    keys: list[tuple[ColumnElement[Any], bool]] = []
    for key in sortby:
        keys.append((sql_column(key.prop), key.ascending))
        if key.prop.name == ID:
            return keys  # id is unique: nothing after it can change the order
    keys.append((features.c.id, sortby[-1].ascending if sortby else True))
    return keys


def ordered(col: ColumnElement[Any], ascending: bool) -> ColumnElement[Any]:
    return col.asc() if ascending else col.desc()


def referenced_columns(node: Node | None) -> set[str]:
    """Generated columns a tree reads (their indexes are offered to the optimizer next to the spatial one)."""
    if node is None or isinstance(node, Intersects):
        return set()
    if isinstance(node, (And, Or)):
        return set().union(*(referenced_columns(n) for n in node.items))
    if isinstance(node, Not):
        return referenced_columns(node.item)
    return {node.prop.column} if node.prop.name != ID else set()


def rejects_null(node: Node | None, column: str) -> bool:
    """True when ``node`` cannot hold for a row whose ``column`` is NULL (so an index of the rows with a
    value there is enough).  A comparison, LIKE, BETWEEN or IN on the column is UNKNOWN on a NULL, and
    so is its negation; ``IS NOT NULL`` is false.  Conservative for the rest: an AND needs one such
    term, an OR all of them, a NOT only over a comparison."""
    if isinstance(node, And):
        return any(rejects_null(n, column) for n in node.items)
    if isinstance(node, Or):
        return all(rejects_null(n, column) for n in node.items)
    if isinstance(node, Not):
        return isinstance(node.item, (Compare, Like, Between, InList)) and rejects_null(node.item, column)
    if isinstance(node, IsNull):
        return node.negate and node.prop.column == column
    if isinstance(node, (Compare, Like, Between, InList)):
        return node.prop.name != ID and node.prop.column == column
    return False
