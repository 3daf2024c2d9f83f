"""What the API core needs from storage: a few records and one interface (pygeoapi's "provider").

:class:`geoapi.repository.FeatureRepository` implements :class:`FeatureStore` over
MySQL/MariaDB; the core never imports it, so it can be tested or reused with another store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from geoapi.core.query import ItemsQuery, Queryable


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    #: [minLon, minLat, maxLon, maxLat] of the data, when known (set by the seed command)
    bbox: list[float] | None
    #: the declared properties that can be filtered and sorted on (created by migrations)
    queryables: tuple[Queryable, ...] = ()

    @property
    def temporal(self) -> Queryable | None:
        """The property ``datetime=`` filters on, if the collection declares one."""
        return next((q for q in self.queryables if q.temporal), None)


@dataclass(frozen=True)
class Feature:
    id: int
    collection_id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One page of features, in order, and what the store knows about the rest.

    A store may hand the features over already encoded (``encoded``: a JSON array of
    GeoJSON Features, each without links) instead of as :class:`Feature` records.
    """

    features: list[Feature] = field(default_factory=list)
    #: True when at least one more feature follows this page
    more: bool = False
    #: how many features match in all, when the store could count them within its budget
    number_matched: int | None = None
    encoded: str | bytes | None = None
    returned: int = 0


class FeatureStore(Protocol):
    """Reads and writes of collections and features. Geometries are GeoJSON dicts in lon/lat."""

    def list_collections(self) -> list[Collection]: ...

    def get_collection(self, collection_id: str) -> Collection | None: ...

    def list_features(self, collection: Collection, query: ItemsQuery) -> Page:
        """A page of ``query``'s features, ordered by ``query.sortby`` then id."""
        ...

    def get_feature(self, collection_id: str, feature_id: int) -> Feature | None: ...

    def create_feature(self, collection_id: str, geometry: dict[str, Any], properties: dict[str, Any]) -> int: ...

    def replace_feature(self, collection_id: str, feature_id: int, geometry: dict[str, Any], properties: dict[str, Any]) -> bool: ...

    def delete_feature(self, collection_id: str, feature_id: int) -> bool: ...
