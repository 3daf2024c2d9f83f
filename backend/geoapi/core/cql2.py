"""CQL2 filters (OGC API - Features Part 3): parsed by pygeofilter, checked against a collection's queryables.

:func:`parse_filter` returns a :mod:`geoapi.core.query` tree whose every property is a
declared queryable and whose every literal has that queryable's type, or raises
:class:`InvalidParameter` (400) saying where (line and column of a CQL2-text syntax
error) or what (the unknown property, the unsupported operator, the mistyped value).

Implemented (and claimed in /conformance): CQL2-text, CQL2-JSON, Basic CQL2
(comparisons, AND/OR/NOT, IS NULL, string/number/boolean/DATE/TIMESTAMP literals),
Advanced Comparison Operators (LIKE, BETWEEN, IN) and Basic Spatial Functions with
additional Spatial Literals (S_INTERSECTS with points, BBOX, lines, polygons, multi
geometries and collections).  Not implemented, so refused by name: other spatial and
temporal functions, arrays, CASEI/ACCENTI, arithmetic, property-property comparisons.

pygeofilter quirks handled here: its CQL2-JSON reader expects BETWEEN's bounds as one
array (an older draft), so the final form ``[prop, low, high]`` is rewritten first; its
LIKE node names ``.`` as the single-character wildcard, but the pattern is passed on
untouched and read with CQL2's (and SQL's) rules: ``%``, ``_``, ``\\`` escapes.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import UTC, date, datetime
from typing import Any

from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from geoapi.core.errors import InvalidBody, InvalidParameter
from geoapi.core.geojson import validate_geometry
from geoapi.core.query import GEOMETRY, And, Between, Compare, InList, Intersects, IsNull, Like, Node, Not, Or, Queryable

FILTER_LANGS = ("cql2-text", "cql2-json")
MAX_FILTER_CHARS = 20_000
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

CONFORMANCE = [
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
]

_COMPARISONS: dict[type, str] = {
    ast.Equal: "=",
    ast.NotEqual: "<>",
    ast.LessThan: "<",
    ast.LessEqual: "<=",
    ast.GreaterThan: ">",
    ast.GreaterEqual: ">=",
}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDERED = ("number", "integer", "date", "timestamp", "string")


def _fail(message: str) -> InvalidParameter:
    return InvalidParameter(f"filter: {message}")


# -- parsing ---------------------------------------------------------------------------
def _syntax_error(exc: UnexpectedInput, text: str) -> InvalidParameter:
    where = f"line {exc.line}, column {exc.column}"
    if isinstance(exc, UnexpectedCharacters):
        return _fail(f"unexpected character {text[exc.pos_in_stream]!r} at {where}")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return _fail(f"the filter ends too early (at {where})")
    token = getattr(exc, "token", None)
    return _fail(f"unexpected {str(token)[:40]!r} at {where}")


def _between_final_form(node: Any) -> Any:
    """CQL2-JSON 1.0's ``{"op": "between", "args": [p, lo, hi]}`` -> pygeofilter's ``[p, [lo, hi]]``."""
    if isinstance(node, list):
        return [_between_final_form(n) for n in node]
    if not isinstance(node, dict):
        return node
    fixed = {k: _between_final_form(v) for k, v in node.items()}
    args = fixed.get("args")
    if fixed.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        fixed["args"] = [args[0], [args[1], args[2]]]
    return fixed


def _parse_json(text: str) -> Any:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise _fail(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise _fail("a CQL2-JSON filter is a JSON object")
    try:
        return parse_cql2_json(_between_final_form(document))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        op = document.get("op")
        raise _fail(f"not a valid CQL2-JSON expression ({type(exc).__name__}: {str(exc)[:120]}); top-level op {op!r}") from None


@functools.lru_cache(maxsize=512)
def _parse(text: str, lang: str) -> Any:
    if lang == "cql2-json":
        return _parse_json(text)
    try:
        return parse_cql2_text(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    except (LarkError, ValueError, TypeError) as exc:
        raise _fail(f"cannot parse: {str(exc).splitlines()[0][:160]}") from None


# -- checking against the queryables ---------------------------------------------------------
class _Checker:
    def __init__(self, queryables: dict[str, Queryable], collection_id: str) -> None:
        self.queryables = queryables
        self.collection_id = collection_id

    def prop(self, node: Any) -> Queryable:
        if not isinstance(node, ast.Attribute):
            raise _fail(f"the left side of a comparison must be a property name, not {_describe(node)}")
        found = self.queryables.get(node.name)
        if found is None:
            names = ", ".join(sorted([*self.queryables, GEOMETRY]))
            raise _fail(f"unknown property {node.name!r} in collection {self.collection_id!r}; queryables: {names}")
        return found

    def node(self, node: Any) -> Node:
        if isinstance(node, ast.And):
            return And((self.node(node.lhs), self.node(node.rhs)))
        if isinstance(node, ast.Or):
            return Or((self.node(node.lhs), self.node(node.rhs)))
        if isinstance(node, ast.Not):
            return Not(self.node(node.sub_node))
        if type(node) in _COMPARISONS:
            lhs, rhs, op = node.lhs, node.rhs, _COMPARISONS[type(node)]
            if isinstance(rhs, ast.Attribute) and not isinstance(lhs, ast.Node):
                lhs, rhs, op = rhs, lhs, _FLIPPED[op]  # 5 < population -> population > 5
            prop = self.prop(lhs)
            if op not in ("=", "<>") and prop.type == "boolean":
                raise _fail(f"{prop.name!r} is a boolean: only = and <> compare it")
            return Compare(op, prop, self.literal(prop, rhs))  # type: ignore[arg-type]
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.Between):
            prop = self.prop(node.lhs)
            if prop.type not in _ORDERED[:-1]:
                raise _fail(f"BETWEEN needs a numeric or temporal property; {prop.name!r} is a {prop.type}")
            return Between(prop, self.literal(prop, node.low), self.literal(prop, node.high), negate=node.not_)
        if isinstance(node, ast.In):
            prop = self.prop(node.lhs)
            if not node.sub_nodes:
                raise _fail(f"IN needs at least one value for {prop.name!r}")
            return InList(prop, tuple(self.literal(prop, v) for v in node.sub_nodes), negate=node.not_)
        if isinstance(node, ast.IsNull):
            return IsNull(self.prop(node.lhs), negate=node.not_)
        if isinstance(node, ast.GeometryIntersects):
            return self.intersects(node)
        raise _fail(f"{_describe(node)} is not supported; supported: basic CQL2, LIKE, BETWEEN, IN, S_INTERSECTS")

    def like(self, node: ast.Like) -> Like:
        prop = self.prop(node.lhs)
        if node.nocase:
            raise _fail("ILIKE / CASEI is not supported (comparisons are case-sensitive)")
        if prop.type != "string":
            raise _fail(f"LIKE needs a string property; {prop.name!r} is a {prop.type}")
        if not isinstance(node.pattern, str):
            raise _fail(f"the LIKE pattern for {prop.name!r} must be a string")
        return Like(prop, node.pattern, negate=node.not_)

    def literal(self, prop: Queryable, value: Any) -> Any:
        if isinstance(value, ast.Attribute):
            raise _fail(f"comparing two properties ({prop.name!r} and {value.name!r}) is not supported")
        if isinstance(value, ast.Node):
            raise _fail(f"{_describe(value)} is not supported as a value for {prop.name!r}")
        return coerce(prop, value)

    def intersects(self, node: ast.GeometryIntersects) -> Intersects:
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute):
            lhs, rhs = rhs, lhs
        if not isinstance(lhs, ast.Attribute) or lhs.name != GEOMETRY:
            raise _fail(f"S_INTERSECTS compares the {GEOMETRY!r} property with a geometry literal")
        return Intersects(_geometry_literal(rhs))


def _describe(node: Any) -> str:
    if isinstance(node, ast.Function):
        return f"function {node.name.upper()}()"
    if isinstance(node, ast.SpatialComparisonPredicate):
        return f"S_{node.op.name}"
    if isinstance(node, ast.TemporalPredicate):
        return f"T_{node.op.name}"
    if isinstance(node, ast.ArrayPredicate):
        return f"A_{node.op.name}"
    if isinstance(node, ast.Node):
        return type(node).__name__ if not isinstance(node, ast.Attribute) else f"property {node.name!r}"
    return repr(node)[:40]


def _as_lists(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    return value


def box_polygon(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, Any]:
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return {"type": "Polygon", "coordinates": [ring]}


def _box(numbers: list[Any]) -> dict[str, Any]:
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        raise _fail("BBOX takes 4 (or 6) numbers: minLon, minLat, maxLon, maxLat")
    minx, miny, maxx, maxy = (float(n) for n in numbers)
    if minx > maxx or miny > maxy:
        raise _fail("BBOX minimums must not exceed its maximums (boxes crossing the antimeridian are not supported)")
    return box_polygon(minx, miny, maxx, maxy)


def _geometry_literal(value: Any) -> dict[str, Any]:
    if isinstance(value, values.Envelope):
        geometry = _box([value.x1, value.y1, value.x2, value.y2])
    elif isinstance(value, ast.Function) and value.name.lower() == "bbox":
        geometry = _box(list(value.arguments))
    elif isinstance(value, values.Geometry):
        geometry = _as_lists(dict(value.geometry))
        geometry.pop("crs", None)
    else:
        raise _fail(f"S_INTERSECTS needs a geometry literal (POINT, LINESTRING, POLYGON, MULTI*, BBOX), not {_describe(value)}")
    try:
        validate_geometry(geometry)
    except InvalidBody as exc:
        raise _fail(f"spatial literal: {exc.description}") from None
    except (KeyError, TypeError, IndexError):
        raise _fail("spatial literal is not a valid geometry") from None
    return geometry


def coerce(prop: Queryable, value: Any) -> Any:
    """``value`` checked against ``prop``'s type (numbers for numbers, DATE() for dates, ...)."""
    kind = prop.type
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in ("number", "integer") and isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(f"{prop.name!r} cannot be compared with {value}")
        return value
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "date" and isinstance(value, date) and not isinstance(value, datetime):
        return value
    if kind == "timestamp" and isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    hint = {"date": " (write DATE('YYYY-MM-DD'))", "timestamp": " (write TIMESTAMP('YYYY-MM-DDTHH:MM:SSZ'))"}.get(kind, "")
    raise _fail(f"{prop.name!r} is a {kind}; {value!r} is not{hint}")


def parse_filter(text: str, lang: str, queryables: dict[str, Queryable], collection_id: str) -> Node:
    """The filter tree of ``text`` (CQL2-text or CQL2-JSON) for a collection with ``queryables``."""
    if lang not in FILTER_LANGS:
        raise InvalidParameter(f"filter-lang must be one of {', '.join(FILTER_LANGS)}, not {lang[:40]!r}")
    if not text.strip():
        raise _fail("empty filter")
    if len(text) > MAX_FILTER_CHARS:
        raise _fail(f"longer than {MAX_FILTER_CHARS} characters")
    try:
        return _Checker(queryables, collection_id).node(_parse(text, lang))
    except RecursionError:
        raise _fail("nested too deeply") from None
