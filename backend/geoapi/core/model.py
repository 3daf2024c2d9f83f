"""What the API core needs from storage: two records and one interface (pygeoapi's "provider").

:class:`geoapi.repository.FeatureRepository` implements :class:`FeatureStore` over
MySQL/MariaDB; the core never imports it, so it can be tested or reused with another store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from geoapi.core.params import BBox


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    #: [minLon, minLat, maxLon, maxLat] of the data, when known (set by the seed command)
    bbox: list[float] | None


@dataclass(frozen=True)
class Feature:
    id: int
    collection_id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]


class FeatureStore(Protocol):
    """Reads and writes of collections and features. Geometries are GeoJSON dicts in lon/lat."""

    def list_collections(self) -> list[Collection]: ...

    def get_collection(self, collection_id: str) -> Collection | None: ...

    def list_features(self, collection_id: str, *, bbox: BBox | None, limit: int, offset: int) -> list[Feature]:
        """Features ordered by id; ``bbox`` keeps those whose geometry intersects it."""
        ...

    def get_feature(self, collection_id: str, feature_id: int) -> Feature | None: ...

    def create_feature(self, collection_id: str, geometry: dict[str, Any], properties: dict[str, Any]) -> int: ...

    def replace_feature(self, collection_id: str, feature_id: int, geometry: dict[str, Any], properties: dict[str, Any]) -> bool: ...

    def delete_feature(self, collection_id: str, feature_id: int) -> bool: ...
