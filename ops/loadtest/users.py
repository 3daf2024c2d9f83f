"""The simulated map user: list collections, pan (bbox queries), click features (item by id).

Requests, as the API contract names them (OGC API - Features under ``/api``):

* once per user: ``GET /api/collections`` (the app's start-up), giving each collection's extent;
* weight 3: ``GET /api/collections/{id}/items?bbox=...&limit=100``. The box is a map viewport:
  width a random 1-25 % of the collection's extent (log-uniform, so small boxes are more common,
  as at higher zoom levels), 3:2 aspect, centred on a feature seen before in 70 % of the panning
  (users look where the data is) and anywhere in the extent otherwise;
* weight 1: ``GET /api/collections/{id}/items/{featureId}`` for a feature seen in an earlier
  response (a click); a bbox query instead while none has been seen.

Locust groups the statistics by the request names ``bbox`` and ``feature``. A 403/429 made by the
edge (CloudFront's WAF: ``X-Cache: Error from cloudfront``, not a JSON body) is recorded as a
``WAF block``, every other non-200 as ``HTTP <status>``, so the report tells them apart.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from urllib.parse import quote

from locust import HttpUser, between, task

from ops.loadtest.geometry import extent_of, point_of, viewport
from ops.loadtest.profiles import THINK_SECONDS

PAGE_LIMIT = 100
WAF_BLOCK = "WAF block"
"""Failure text of a request the edge refused (see :func:`edge_refusal`): not an API error."""


def edge_refusal(status: int, headers) -> bool:
    """A 403/429 that CloudFront's WAF produced, not the API: CloudFront marks responses it made
    itself ``X-Cache: Error from cloudfront``, and the API's own 403/429 are JSON problem documents."""
    if status not in (403, 429):
        return False
    from_edge = "error from cloudfront" in headers.get("X-Cache", "").lower()
    api_body = "json" in headers.get("Content-Type", "").lower()
    return from_edge and not api_body


def failure_text(request: str, status: int, headers) -> str:
    """The failure a user records: ``<request>: WAF block (HTTP 403 from the edge)`` or ``<request>: HTTP 500``."""
    if edge_refusal(status, headers):
        return f"{request}: {WAF_BLOCK} (HTTP {status} from the edge)"
    return f"{request}: HTTP {status}"


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

    wait_time = between(*THINK_SECONDS)

    def on_start(self) -> None:
        self.rng = random.Random()  # noqa: S311 - a traffic pattern, not a secret
        self.collections: dict[str, tuple[float, float, float, float]] = {}
        with self.client.get("/api/collections", name="collections", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(failure_text("collections", response.status_code, response.headers))
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
                response.failure(failure_text("bbox", response.status_code, response.headers))
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
                response.failure(failure_text("feature", response.status_code, response.headers))
