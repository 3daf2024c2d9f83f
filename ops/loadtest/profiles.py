"""Load profiles: how many concurrent map users, for how long."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
