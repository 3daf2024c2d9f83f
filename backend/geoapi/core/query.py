"""What an items request asks for, as plain data: the queryables of a collection and a filter tree.

The API core builds these from query parameters (``bbox``, ``datetime``, ``filter``,
``sortby``, ``properties``, ``?name=value``); a :class:`~geoapi.core.model.FeatureStore`
turns them into its own query language (:mod:`geoapi.sqlfilter` for SQL).  Nothing here
knows SQL or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from geoapi.core.params import BBox

QueryableType = Literal["string", "number", "integer", "boolean", "date", "timestamp"]
QUERYABLE_TYPES: tuple[QueryableType, ...] = ("string", "number", "integer", "boolean", "date", "timestamp")

#: the pseudo-queryables every collection has: the feature id and its geometry
ID = "id"
GEOMETRY = "geometry"


@dataclass(frozen=True)
class Queryable:
    """A property of a collection's features that can be filtered and sorted on.

    ``column`` is where the store keeps an indexed copy of it (a generated column of
    ``features`` for SQL); ``temporal`` marks the property ``datetime=`` filters on.
    """

    name: str
    type: QueryableType
    column: str
    title: str = ""
    temporal: bool = False

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"title": self.title or self.name}
        schema.update(_JSON_TYPES[self.type])
        return schema


_JSON_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "timestamp": {"type": "string", "format": "date-time"},
}

#: the feature id, a queryable of every collection (stored as the primary key)
ID_QUERYABLE = Queryable(ID, "integer", "id", "Feature id")

Literal_ = str | int | float | bool | date | datetime


# -- the filter tree ---------------------------------------------------------------
@dataclass(frozen=True)
class Compare:
    """``property <op> value`` with op one of = <> < <= > >=."""

    op: Literal["=", "<>", "<", "<=", ">", ">="]
    prop: Queryable
    value: Literal_


@dataclass(frozen=True)
class PropertyTest:
    """A test of one property that CQL2 can negate (``NOT LIKE``, ``NOT BETWEEN``, ``NOT IN``, ``IS NOT NULL``)."""

    prop: Queryable
    negate: bool = field(default=False, kw_only=True)


@dataclass(frozen=True)
class Like(PropertyTest):
    """CQL2 LIKE: ``%`` any run, ``_`` one character, ``\\`` escapes (SQL's own LIKE rules)."""

    pattern: str


@dataclass(frozen=True)
class Between(PropertyTest):
    low: Literal_
    high: Literal_


@dataclass(frozen=True)
class InList(PropertyTest):
    values: tuple[Literal_, ...]


@dataclass(frozen=True)
class IsNull(PropertyTest):
    """``IS NULL`` (``IS NOT NULL`` negated)."""


@dataclass(frozen=True)
class Intersects:
    """The feature's geometry intersects ``geometry`` (a GeoJSON dict, lon/lat)."""

    geometry: dict[str, Any]


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | Like | Between | InList | IsNull | Intersects | And | Or | Not


@dataclass(frozen=True)
class SortKey:
    prop: Queryable
    ascending: bool = True


@dataclass(frozen=True)
class ItemsQuery:
    """One page of a collection's features.

    ``where`` holds every condition but ``bbox`` (the filter, ``?name=value`` parameters and
    ``datetime``, ANDed).  ``sortby`` is the client's order; the store always breaks ties by
    id, in the direction of the last key, so pages never overlap or skip a feature.
    """

    limit: int
    offset: int = 0
    bbox: BBox | None = None
    where: Node | None = None
    sortby: tuple[SortKey, ...] = field(default_factory=tuple)
    #: properties to return (None: all)
    properties: tuple[str, ...] | None = None
    #: numberMatched is wanted (always, from the API; stores may still omit it)
    count: bool = True


def all_of(nodes: list[Node]) -> Node | None:
    """AND of ``nodes`` (None for none, the node itself for one)."""
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def uses_geometry(node: Node | None) -> bool:
    """True when the tree holds a spatial test (the store then prefers its spatial index)."""
    if node is None:
        return False
    if isinstance(node, Intersects):
        return True
    if isinstance(node, (And, Or)):
        return any(uses_geometry(n) for n in node.items)
    if isinstance(node, Not):
        return uses_geometry(node.item)
    return False
