"""The simulated map user: list collections, pan (bbox queries), click features (item by id).

Requests, as the API contract names them (OGC API - Features under ``/api``):

* once per user: ``GET /api/collections`` (the app's start-up), giving each collection's extent;
* weight 3: ``GET /api/collections/{id}/items?bbox=...&limit=100``. The box is a map viewport:
  width a random 1-25 % of the collection's extent (log-uniform, so small boxes are more common,
  as at higher zoom levels), 3:2 aspect, centred on a feature seen before in 70 % of the panning
  (users look where the data is) and anywhere in the extent otherwise;
* weight 1: ``GET /api/collections/{id}/items/{featureId}`` for a feature seen in an earlier
  response (a click); a bbox query instead while none has been seen.

Locust groups the statistics by the request names ``bbox`` and ``feature``.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from urllib.parse import quote

from locust import HttpUser, between, task

from ops.loadtest.geometry import extent_of, point_of, viewport

PAGE_LIMIT = 100
SEEN_LIMIT = 5000
"""How many clicked-on candidates are remembered (shared by all users of the process)."""


@dataclass(frozen=True)
class Seen:
    collection: str
    feature_id: str
    lon: float
    lat: float


_seen: deque[Seen] = deque(maxlen=SEEN_LIMIT)


class MapUser(HttpUser):
    """One person using the map. ``host`` is the API's base URL (e.g. ``https://site/`` or ``http://127.0.0.1:8000``)."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.rng = random.Random()  # noqa: S311 - a traffic pattern, not a secret
        self.collections: dict[str, tuple[float, float, float, float]] = {}
        with self.client.get("/api/collections", name="collections", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"collections: HTTP {response.status_code}")
                return
            for collection in response.json().get("collections", []):
                self.collections[collection["id"]] = extent_of(collection)
            if not self.collections:
                response.failure("the API lists no collections: load data first (make data-load)")

    @task(3)
    def pan(self) -> None:
        if not self.collections:
            return
        collection = self.rng.choice(list(self.collections))
        around = None
        if _seen and self.rng.random() < 0.7:
            candidates = [s for s in list(_seen)[-200:] if s.collection == collection]
            if candidates:
                pick = self.rng.choice(candidates)
                around = (pick.lon, pick.lat)
        bbox = viewport(self.collections[collection], self.rng, around)
        with self.client.get(
            f"/api/collections/{quote(collection, safe='')}/items",
            params={"bbox": bbox, "limit": PAGE_LIMIT},
            name="bbox",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"bbox: HTTP {response.status_code}")
                return
            for feature in response.json().get("features", [])[:20]:
                point = point_of(feature.get("geometry"))
                if feature.get("id") is not None and point is not None:
                    _seen.append(Seen(collection, str(feature["id"]), *point))

    @task(1)
    def click(self) -> None:
        if not _seen:
            self.pan()
            return
        pick = self.rng.choice(_seen)
        path = f"/api/collections/{quote(pick.collection, safe='')}/items/{quote(pick.feature_id, safe='')}"
        with self.client.get(path, name="feature", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"feature: HTTP {response.status_code}")
