"""``GET /collections/{id}/items``: query parameters in, one GeoJSON page out.

Parameters (Part 1, Part 3 and the usual extensions): ``bbox``, ``limit`` (<= 1,000),
``offset`` (<= 10,000), ``datetime`` (on the collection's temporal property, if it
declares one; otherwise checked and ignored), ``filter`` + ``filter-lang`` +
``filter-crs`` (CQL2), ``sortby``, ``properties``, and ``<queryable>=<value>`` for
every queryable.  Anything else is a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from geoapi.core import cql2
from geoapi.core.errors import InvalidParameter
from geoapi.core.model import Collection, Page
from geoapi.core.params import (
    MAX_OFFSET,
    QueryParams,
    datetime_interval,
    parse_bbox,
    parse_datetime,
    parse_format,
    parse_limit,
    parse_offset,
    parse_properties,
    parse_sortby,
    reject_unknown,
    single,
)
from geoapi.core.query import (
    ID_QUERYABLE,
    Between,
    Compare,
    ItemsQuery,
    Node,
    Queryable,
    SortKey,
    all_of,
)

ITEMS_PARAMS = ("bbox", "limit", "offset", "datetime", "f", "filter", "filter-lang", "filter-crs", "sortby", "properties")


def queryables_of(collection: Collection) -> dict[str, Queryable]:
    """The collection's queryables by name, the feature id included."""
    return {ID_QUERYABLE.name: ID_QUERYABLE, **{q.name: q for q in collection.queryables}}


# -- parameters -> ItemsQuery ---------------------------------------------------------
def _typed(prop: Queryable, raw: str) -> Any:
    """A ``?name=value`` parameter's value, read as the queryable's type."""
    try:
        if prop.type in ("string",):
            return raw
        if prop.type == "integer":
            return int(raw)
        if prop.type == "number":
            return cql2.coerce(prop, float(raw))
        if prop.type == "boolean" and raw in ("true", "false"):
            return raw == "true"
        if prop.type == "date":
            return date.fromisoformat(raw)
        if prop.type == "timestamp":
            return cql2.coerce(prop, datetime.fromisoformat(raw))
    except (ValueError, InvalidParameter):
        pass
    raise InvalidParameter(f"{prop.name}={raw[:40]!r}: {prop.name!r} is a {prop.type}")


def _temporal(collection: Collection, raw: str | None) -> Node | None:
    prop = collection.temporal
    if raw is None or prop is None:
        return None
    start, end = datetime_interval(raw)
    nodes: list[Node] = []
    if start is not None:
        nodes.append(Compare(">=", prop, start.date() if prop.type == "date" else start))
    if end is not None:
        nodes.append(Compare("<=", prop, end.date() if prop.type == "date" else end))
    if len(nodes) == 2:
        return Between(prop, nodes[0].value, nodes[1].value)  # type: ignore[union-attr]
    return all_of(nodes)


def _filter(collection: Collection, params: QueryParams, queryables: dict[str, Queryable]) -> Node | None:
    text = single(params, "filter")
    lang = single(params, "filter-lang") or "cql2-text"
    crs = single(params, "filter-crs")
    if crs is not None and crs != cql2.CRS84:
        raise InvalidParameter(f"filter-crs must be {cql2.CRS84} (the only CRS served)")
    if text is None:
        if "filter-lang" in params:
            cql2.parse_filter(" ", lang, queryables, collection.id)  # checks the language name, then says "empty filter"
        return None
    return cql2.parse_filter(text, lang, queryables, collection.id)


def items_query(collection: Collection, params: QueryParams) -> ItemsQuery:
    """Check every parameter against the collection and build its :class:`ItemsQuery`."""
    queryables = queryables_of(collection)
    reject_unknown(params, [*ITEMS_PARAMS, *queryables])
    conditions: list[Node] = []
    for name, prop in queryables.items():
        raw = single(params, name)
        if raw is not None:
            conditions.append(Compare("=", prop, _typed(prop, raw)))
    when = _temporal(collection, parse_datetime(single(params, "datetime")))
    for node in (when, _filter(collection, params, queryables)):
        if node is not None:
            conditions.append(node)
    sortby = parse_sortby(single(params, "sortby"), queryables)
    return ItemsQuery(
        limit=parse_limit(single(params, "limit")),
        offset=parse_offset(single(params, "offset")),
        bbox=parse_bbox(single(params, "bbox")),
        where=all_of(conditions),
        sortby=tuple(SortKey(queryables[name], ascending) for name, ascending in sortby),
        properties=parse_properties(single(params, "properties")),
    )


def check_generic(params: QueryParams) -> None:
    """The checks that need no collection (so a bad bbox is a 400 even for an unknown collection)."""
    parse_format(params)
    parse_bbox(single(params, "bbox"))
    parse_limit(single(params, "limit"))
    parse_offset(single(params, "offset"))
    parse_datetime(single(params, "datetime"))


# -- Page -> GeoJSON ------------------------------------------------------------------------
def _select(features: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, Any]]:
    for feature in features:
        props = feature.get("properties") or {}
        feature["properties"] = {k: props[k] for k in names if k in props}
    return features


def page_features(page: Page, properties: tuple[str, ...] | None, render: Callable[[Any], dict[str, Any]]) -> Any:
    """The ``features`` member: the store's pre-encoded array when it gave one and nothing is to be cut."""
    if page.encoded is not None:
        if properties is None:
            return orjson.Fragment(page.encoded)
        return _select(orjson.loads(page.encoded), properties)
    features = [render(f) for f in page.features]
    return features if properties is None else _select(features, properties)


def page_links(items_url: str, params: QueryParams, query: ItemsQuery, page: Page, link: Callable[..., dict[str, str]]) -> list:
    """self / next / prev, each repeating every parameter of the request but offset."""
    kept = [(k, v) for k, values in params.items() if k != "offset" for v in values]

    def url(offset: int) -> str:
        pairs = kept + ([("offset", str(offset))] if offset else [])
        return f"{items_url}?{urlencode(pairs)}" if pairs else items_url

    links = [link(url(query.offset), "self", "application/geo+json", "This page")]
    following = query.offset + query.limit
    if page.more and following <= MAX_OFFSET:
        links.append(link(url(following), "next", "application/geo+json", "Next page"))
    if query.offset > 0:
        links.append(link(url(max(query.offset - query.limit, 0)), "prev", "application/geo+json", "Previous page"))
    return links
