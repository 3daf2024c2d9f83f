"""Load profiles: how many concurrent map users, for how long."""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_SECONDS = (0.5, 2.0)
"""Think time between one user's requests (uniform; :class:`ops.loadtest.users.MapUser`)."""
REQUESTS_PER_USER_SECOND = 2 / sum(THINK_SECONDS)
"""What one user sends at most: one request per mean think time (0.8/s; slower answers lower it)."""
WAF_WINDOW_SECONDS = 300
"""The window AWS WAF's rate-based rule counts one address's requests over (5 minutes)."""

DEFAULT_USERS = {"low": 5, "average": 25, "high": 75}
"""Concurrent users per profile. With 0.5-2 s think time one user sends about 0.8 requests/s."""
DEFAULT_DURATION_SECONDS = 180.0
"""Per profile, after ramp-up. CloudWatch has one point a minute: use at least 180 s against AWS."""
DEFAULT_SPAWN_SECONDS = 10.0
"""Time to ramp a profile's users up (spawn rate = users / this); stats start after the ramp."""


@dataclass(frozen=True)
class Profile:
    name: str
    users: int
    duration_seconds: float = DEFAULT_DURATION_SECONDS
    spawn_seconds: float = DEFAULT_SPAWN_SECONDS

    @property
    def spawn_rate(self) -> float:
        return max(self.users / max(self.spawn_seconds, 0.1), 1.0)


_ITEM = re.compile(r"([a-z][a-z0-9_-]*)=(\d+)")


def parse_profiles(spec: str | None, duration_seconds: float, spawn_seconds: float = DEFAULT_SPAWN_SECONDS) -> list[Profile]:
    """``"low=5,average=25,high=75"`` (default :data:`DEFAULT_USERS`) -> profiles in that order."""
    pairs: list[tuple[str, int]]
    if not spec:
        pairs = list(DEFAULT_USERS.items())
    else:
        pairs = []
        for item in spec.split(","):
            match = _ITEM.fullmatch(item.strip())
            if not match or int(match.group(2)) < 1:
                raise ValueError(f"profile {item!r} is not name=users (users >= 1), e.g. low=5,average=25,high=75")
            pairs.append((match.group(1), int(match.group(2))))
    if duration_seconds <= 0:
        raise ValueError("duration must be positive")
    return [Profile(name, users, duration_seconds, spawn_seconds) for name, users in pairs]


def peak_requests_per_window(profiles: list[Profile], window: float = WAF_WINDOW_SECONDS) -> tuple[int, Profile | None]:
    """The most requests the profiles, run back to back from one address, send within any ``window``
    seconds (each profile at :data:`REQUESTS_PER_USER_SECOND` per user from the start of its ramp up),
    and the busiest profile in that window."""
    spans, t = [], 0.0
    for p in profiles:
        spans.append((t, t + p.spawn_seconds + p.duration_seconds, p.users * REQUESTS_PER_USER_SECOND, p))
        t = spans[-1][1]

    def sent(start: float, end: float) -> float:
        return sum(rate * max(0.0, min(end, b) - max(start, a)) for a, b, rate, _ in spans)

    def busiest(start: float, end: float) -> Profile:
        return max((s for s in spans if min(end, s[1]) > max(start, s[0])), key=lambda s: s[2])[3]

    best, where = 0.0, None
    # rates are constant per profile, so the densest window starts or ends where a profile does
    for a, b, _, _ in spans:
        for start, end in ((b - window, b), (a, a + window)):
            count = sent(start, end)
            if count > best:
                best, where = count, busiest(start, end)
    return round(best), where
