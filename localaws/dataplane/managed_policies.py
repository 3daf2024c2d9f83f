"""AWS-managed CloudFront cache and origin-request policies, by id: the one table of the harness.

moto does not model these policies, and distributions name them by their fixed, documented
ids (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html,
.../using-managed-origin-request-policies.html). What reaches the origin is the union of the
cache policy's key (headers, cookies, query strings) and the origin request policy's list.
A cache policy's TTLs (minimum, default, maximum, in seconds) are what the local edge's cache
(``edgecache.py``) honours, with the origin's ``Cache-Control``.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = "all"
NONE = "none"


@dataclass(frozen=True)
class Forwarded:
    """What a policy sends to the origin: ``headers`` is ALL, NONE or a set of lower-case names."""

    name: str
    headers: str | frozenset[str]
    query_strings: str  # ALL | NONE
    cookies: str  # ALL | NONE
    except_headers: frozenset[str] = frozenset()
    default_ttl: int | None = None
    min_ttl: int = 0
    max_ttl: int = 0
    """A cache policy's TTLs (seconds); ``max_ttl`` 0 means nothing is cached (CachingDisabled)."""


ORIGIN_CACHE_CONTROL_KEY = frozenset({"host", "origin", "x-http-method-override", "x-http-method", "x-method-override"})
"""The headers in the cache key of both UseOriginCacheControlHeaders policies (with and without query strings)."""

CACHE_POLICIES: dict[str, Forwarded] = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": Forwarded(
        "Managed-CachingOptimized", NONE, NONE, NONE, default_ttl=86400, min_ttl=1, max_ttl=31536000
    ),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": Forwarded("Managed-CachingDisabled", NONE, NONE, NONE, default_ttl=0),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": Forwarded(
        "Managed-CachingOptimizedForUncompressedObjects", NONE, NONE, NONE, default_ttl=86400, min_ttl=1, max_ttl=31536000
    ),
    "08627262-05a9-4f76-9ded-b50ca2e3a84f": Forwarded(
        "Managed-Elemental-MediaPackage", frozenset({"origin"}), ALL, NONE, default_ttl=86400, max_ttl=31536000
    ),
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": Forwarded(
        "Managed-UseOriginCacheControlHeaders", ORIGIN_CACHE_CONTROL_KEY, NONE, ALL, default_ttl=0, max_ttl=31536000
    ),
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": Forwarded(
        "Managed-UseOriginCacheControlHeaders-QueryStrings", ORIGIN_CACHE_CONTROL_KEY, ALL, ALL, default_ttl=0, max_ttl=31536000
    ),
}

ORIGIN_REQUEST_POLICIES: dict[str, Forwarded] = {
    "216adef6-5c7f-47e4-b989-5492eafa07d3": Forwarded("Managed-AllViewer", ALL, ALL, ALL),
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": Forwarded(
        "Managed-AllViewerExceptHostHeader", ALL, ALL, ALL, except_headers=frozenset({"host"})
    ),
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": Forwarded("Managed-AllViewerAndCloudFrontHeaders-2022-06", ALL, ALL, ALL),
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": Forwarded(
        "Managed-CORS-S3Origin", frozenset({"origin", "access-control-request-headers", "access-control-request-method"}), NONE, NONE
    ),
    "59781a5b-3903-41f3-afcb-af62929ccde1": Forwarded("Managed-CORS-CustomOrigin", frozenset({"origin"}), NONE, NONE),
    "acba4595-bd28-49b8-b9fe-13317c0390fa": Forwarded("Managed-UserAgentRefererHeaders", frozenset({"user-agent", "referer"}), NONE, NONE),
}


class UnknownPolicy(LookupError):
    """A distribution names a policy id that is neither AWS-managed (this table) nor known."""


def forwarded(cache_policy_id: str | None, origin_request_policy_id: str | None) -> Forwarded:
    """What reaches the origin for a behaviour with these policies."""
    parts = []
    for table, policy_id in ((CACHE_POLICIES, cache_policy_id), (ORIGIN_REQUEST_POLICIES, origin_request_policy_id)):
        if policy_id is None:
            continue
        if policy_id not in table:
            raise UnknownPolicy(
                f"policy {policy_id} is not an AWS-managed policy the local edge knows (localaws/dataplane/managed_policies.py)"
            )
        parts.append(table[policy_id])
    if not parts:
        return Forwarded("legacy", NONE, NONE, NONE)
    headers: str | frozenset[str] = NONE
    excepted: frozenset[str] = frozenset()
    for p in parts:
        if p.headers == ALL:
            headers, excepted = ALL, p.except_headers
        elif headers != ALL and isinstance(p.headers, frozenset):
            headers = (headers if isinstance(headers, frozenset) else frozenset()) | p.headers
    query = ALL if any(p.query_strings == ALL for p in parts) else NONE
    cookies = ALL if any(p.cookies == ALL for p in parts) else NONE
    return Forwarded("+".join(p.name for p in parts), headers, query, cookies, except_headers=excepted)
