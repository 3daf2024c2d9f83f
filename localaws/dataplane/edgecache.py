"""The edge's cache: what a CloudFront edge location keeps, per the behaviour's cache policy.

* **Key**: the request path plus what the behaviour's cache policy (``managed_policies.py``) puts
  in the key: the query string when it includes all query strings, the named headers' values,
  the ``Cookie`` header when it includes all cookies. GET and HEAD share an entry (CloudFront's
  cached methods); only GET responses are stored.
* **TTL** (CloudFront's rules, "Managing how long content stays in the cache"): the origin's
  ``s-maxage``, else ``max-age``, clamped to the policy's minimum and maximum TTL; no
  ``Cache-Control`` (or no age in it): the default TTL; ``no-cache``, ``no-store`` or ``private``:
  the minimum TTL (so 1 s under CachingOptimized). A policy whose maximum TTL is 0
  (CachingDisabled) caches nothing.
* **Statuses**: 200, 203, 300, 301 and 410 are stored. Error responses (and custom error pages,
  which CloudFront keeps for ``ErrorCachingMinTTL``) are not.
* **Bounded**: least recently used entries go first past ``max_bytes``; a body over
  ``max_entry_bytes`` is not stored.
* **Invalidations**: :meth:`EdgeCache.invalidate` drops every entry whose path matches one of the
  paths (``*`` at the end matches any rest, as in CloudFront). A fetch that started before an
  invalidation is not stored after it (the cache's ``generation``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .managed_policies import ALL, Forwarded

CACHEABLE_STATUSES = frozenset({200, 203, 300, 301, 410})
CACHED_METHODS = frozenset({"GET", "HEAD"})
NOT_STORED = frozenset({"no-cache", "no-store", "private"})

Key = tuple[str, ...]


def directives(cache_control: str | None) -> dict[str, str | None]:
    """``Cache-Control`` as {lower-case directive: value or None}."""
    out: dict[str, str | None] = {}
    for part in (cache_control or "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            out[name.lower()] = value.strip().strip('"') or None
    return out


def ttl(policy: Forwarded, cache_control: str | None) -> int:
    """Seconds CloudFront keeps a response with this ``Cache-Control`` under ``policy``."""
    if policy.max_ttl <= 0:
        return 0
    found = directives(cache_control)
    if NOT_STORED & found.keys():
        return policy.min_ttl
    for name in ("s-maxage", "max-age"):
        value = found.get(name)
        if value is not None and value.isdigit():
            return max(policy.min_ttl, min(int(value), policy.max_ttl))
    return max(policy.min_ttl, min(policy.default_ttl or 0, policy.max_ttl))


def cache_key(policy: Forwarded, method: str, path: str, query_string: str, headers: Mapping[str, str]) -> Key | None:
    """The cache key of a request under ``policy``, or None when it is not cached at all."""
    if policy.max_ttl <= 0 or method not in CACHED_METHODS:
        return None
    parts = [path, query_string if policy.query_strings == ALL else ""]
    if isinstance(policy.headers, frozenset):
        parts += [f"{name}={headers.get(name, '')}" for name in sorted(policy.headers)]
    if policy.cookies == ALL:
        parts.append(headers.get("cookie", ""))
    return tuple(parts)


def path_matches(invalidation_path: str, path: str) -> bool:
    """Whether an invalidation path (``/*``, ``/assets/*``, ``/index.html``) covers ``path``."""
    if invalidation_path.endswith("*"):
        return path.startswith(invalidation_path[:-1])
    return path == invalidation_path


@dataclass(frozen=True)
class Entry:
    path: str
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    stored: float  # time.monotonic()
    expires: float

    def age(self) -> int:
        return int(time.monotonic() - self.stored)


class EdgeCache:
    """In-memory LRU of responses (see module doc). Used from the event loop's thread only."""

    def __init__(self, *, max_bytes: int = 64 * 1024 * 1024, max_entry_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self.generation = 0
        """Bumped by every invalidation: a fetch that started under an older generation is not stored."""

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Key, entry: Entry, generation: int) -> bool:
        """Store ``entry`` unless it expires at once, is too big, or an invalidation came after ``generation``."""
        if generation != self.generation or entry.expires <= entry.stored or len(entry.body) > self.max_entry_bytes:
            return False
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))
        return True

    def invalidate(self, paths: Iterable[str]) -> int:
        """Drop the entries these invalidation paths cover; how many were dropped."""
        paths = list(paths)
        self.generation += 1
        doomed = [k for k, e in self._entries.items() if any(path_matches(p, e.path) for p in paths)]
        for key in doomed:
            self._drop(key)
        return len(doomed)

    def _drop(self, key: Key) -> None:
        self._bytes -= len(self._entries.pop(key).body)
