"""The edge: an HTTP server standing in for the CloudFront distribution (aiohttp).

Built from the distribution read back from the emulator (:class:`~.readback.DistributionSpec`):

* **Behaviours** in CloudFront's order: the ordered ones by path pattern (``*`` and ``?``
  wildcards, case-sensitive), the default last. A method the behaviour does not allow gets
  CloudFront's 403.
* **S3 origins** (the site): the object ``<origin path>/<request path>`` read from the
  emulated bucket; ``/`` is the default root object. A missing key is S3's answer to an
  origin access control without ``s3:ListBucket``: 403.
* **VPC origins** (``/api/*``): the origin's VPC origin names a load balancer; the request is
  proxied to the local balancer standing in for it (``balancers``, by load balancer ARN), with
  what the behaviour's cache and origin-request policies forward (``managed_policies.py``: for
  AllViewerExceptHostHeader every viewer header but ``Host``, which names the origin), plus
  ``X-Forwarded-For``; no caching (CachingDisabled). A VPC origin naming a load balancer the
  data plane does not run, and any other custom origin (CloudFront would go over the internet,
  where an internal load balancer has no address), get CloudFront's 502.
* **Custom error responses**: an S3 origin's 403/404 becomes the configured page and status
  (the SPA fallback of ``spa_fallback = "error_responses"``). CloudFront applies them to
  every origin; here they apply to S3 origins only, so the API's own 404 problem details
  pass through. docs/local.md lists this difference.
* **Response headers policy** of the behaviour: its security headers (CSP, HSTS, ...) and
  custom headers, on every response, honouring ``Override``.

* **Cache** (``edgecache.py``): a GET/HEAD under a behaviour whose cache policy caches
  (CachingOptimized for the site) is answered from memory when its cache key is there and
  fresh, with ``Age`` and ``X-Cache: Hit from cloudfront``; otherwise from the origin with
  ``X-Cache: Miss from cloudfront``. TTLs follow the policy's min/default/max and the origin's
  ``Cache-Control``. CachingDisabled (``/api/*``) caches nothing. Error responses and custom
  error pages are not cached (CloudFront keeps them for ``ErrorCachingMinTTL``).
* **Invalidations**: given ``cloudfront_client``, the edge reads the distribution's
  invalidations (ListInvalidations, then GetInvalidation for a new one) every
  ``invalidation_poll`` seconds (1 s) and drops the cached paths they name. moto reports an
  invalidation Completed at once, so for up to that second after it the edge may still serve
  the old object (real CloudFront takes longer).

The edge does not compress, revalidate (``If-None-Match`` goes to no origin and gets the full
object) or terminate TLS: it listens on plain HTTP on loopback. Its cache is per process, in
memory (64 MiB, least recently used first out) and starts empty.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web
from botocore.exceptions import BotoCoreError, ClientError

from .edgecache import CACHEABLE_STATUSES, EdgeCache, Entry, cache_key, ttl
from .managed_policies import ALL, CACHE_POLICIES, forwarded
from .readback import BehaviourSpec, DistributionSpec, OriginSpec

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"}
)


def _pattern(path_pattern: str) -> re.Pattern[str]:
    """CloudFront path pattern (``*``, ``?``; case-sensitive) as a regex on the whole path."""
    pattern = path_pattern if path_pattern.startswith("/") or path_pattern == "*" else "/" + path_pattern
    return re.compile(fnmatch.translate(pattern))


def _unreachable() -> web.Response:
    """CloudFront's answer when it cannot connect to the origin."""
    return web.Response(status=502, text="502 ERROR: CloudFront wasn't able to connect to the origin.\n")


def pick_behaviour(behaviours: list[BehaviourSpec], path: str) -> BehaviourSpec:
    """The first ordered behaviour whose pattern matches ``path``, else the default (last)."""
    for behaviour in behaviours[:-1]:
        if _pattern(behaviour.path_pattern).match(path):
            return behaviour
    return behaviours[-1]


@dataclass
class EdgeStats:
    """What the edge served (read by ``status.json`` and the tests)."""

    requests: int = 0
    by_origin: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    origin_fetches: int = 0
    """Requests that reached an origin (every one but the cache hits and the refused methods)."""
    invalidations: int = 0


class Edge:
    """The distribution on ``host:port``; a VPC origin goes to ``balancers[<its load balancer ARN>]``.

    With ``cloudfront_client``, the distribution's invalidations are read every ``invalidation_poll``
    seconds and applied to the cache.
    """

    def __init__(
        self,
        spec: DistributionSpec,
        *,
        s3_client: Callable[[], Any],
        balancers: dict[str, tuple[str, int]],
        host: str,
        port: int,
        cloudfront_client: Callable[[], Any] | None = None,
        invalidation_poll: float = 1.0,
        cache: EdgeCache | None = None,
    ) -> None:
        self.spec = spec
        self.s3_client = s3_client
        self.cloudfront_client = cloudfront_client
        self.invalidation_poll = invalidation_poll
        self.cache = cache if cache is not None else EdgeCache()
        self._seen_invalidations: set[str] = set()
        self._follower: asyncio.Task[None] | None = None
        self.balancers = balancers
        self.host, self.port = host, port
        self.origins: dict[str, OriginSpec] = {o.id: o for o in spec.origins}
        self.stats = EdgeStats()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- serving ---------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        behaviour = pick_behaviour(self.spec.behaviours, request.path)
        origin = self.origins[behaviour.origin_id]
        self.stats.requests += 1
        self.stats.by_origin[origin.id] = self.stats.by_origin.get(origin.id, 0) + 1
        if request.method not in behaviour.allowed_methods:
            response: web.StreamResponse = web.Response(status=403, text="403 ERROR: this distribution does not allow this method\n")
        else:
            response = await self._cached_or_fetched(behaviour, origin, request)
        self._add_headers(behaviour, response)
        return response

    async def _cached_or_fetched(self, behaviour: BehaviourSpec, origin: OriginSpec, request: web.Request) -> web.StreamResponse:
        """From the cache when the behaviour's cache policy keeps this request and it is there, else from the origin."""
        policy = CACHE_POLICIES.get(behaviour.cache_policy_id or "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        key = cache_key(policy, request.method, request.path, request.query_string, headers) if policy else None
        if key is not None and (entry := self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            hit = web.Response(status=entry.status, body=entry.body, headers=dict(entry.headers))
            hit.headers["Age"] = str(entry.age())
            hit.headers["X-Cache"] = "Hit from cloudfront"
            return hit
        generation = self.cache.generation
        self.stats.origin_fetches += 1
        response, error_page = await self._fetch(behaviour, origin, request)
        if policy and key is not None and request.method == "GET" and not error_page and response.status in CACHEABLE_STATUSES:
            now = time.monotonic()
            seconds = ttl(policy, response.headers.get("Cache-Control"))
            stored = tuple((k, v) for k, v in response.headers.items() if k.lower() != "content-length")
            self.cache.put(key, Entry(request.path, response.status, response.body or b"", stored, now, now + seconds), generation)
        return response

    async def _fetch(self, behaviour: BehaviourSpec, origin: OriginSpec, request: web.Request) -> tuple[web.Response, bool]:
        """The origin's response, and whether it is a custom error page."""
        if origin.s3:
            return await self._from_s3(origin, request.path)
        if (balancer := self.balancers.get(origin.load_balancer_arn or "")) is not None:
            return await self._proxy(behaviour, request, balancer), False
        log.warning("origin %s: no VPC origin to a load balancer this data plane runs (%s)", origin.id, origin.load_balancer_arn)
        return _unreachable(), False

    async def _from_s3(self, origin: OriginSpec, path: str) -> tuple[web.Response, bool]:
        key_path = path if path != "/" else "/" + self.spec.default_root_object
        status, body, headers = await asyncio.to_thread(self._get_object, origin, key_path)
        if status in (403, 404):
            error = next((e for e in self.spec.error_responses if e.error_code == status), None)
            if error is not None and error.response_page_path:
                page_status, body, headers = await asyncio.to_thread(self._get_object, origin, error.response_page_path)
                if page_status == 200:
                    return web.Response(status=error.response_code or status, body=body, headers=headers), True
        return web.Response(status=status, body=body, headers=headers), False

    def _get_object(self, origin: OriginSpec, path: str) -> tuple[int, bytes, dict[str, str]]:
        bucket = origin.domain.split(".s3", 1)[0]
        key = (origin.path.strip("/") + "/" + path.lstrip("/")).lstrip("/")
        s3 = self.s3_client()
        try:
            obj = s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            return 403, b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", {"Content-Type": "application/xml"}
        headers = {"Content-Type": obj.get("ContentType") or "application/octet-stream", "ETag": obj.get("ETag", "")}
        if obj.get("CacheControl"):
            headers["Cache-Control"] = obj["CacheControl"]
        return 200, obj["Body"].read(), headers

    async def _proxy(self, behaviour: BehaviourSpec, request: web.Request, balancer: tuple[str, int]) -> web.Response:
        policy = forwarded(behaviour.cache_policy_id, behaviour.origin_request_policy_id)
        headers = {}
        for name, value in request.headers.items():
            lower = name.lower()
            if lower in HOP_BY_HOP or lower == "host" or lower in policy.except_headers:
                continue
            named = isinstance(policy.headers, frozenset) and lower in policy.headers
            if policy.headers == ALL or named or (lower == "cookie" and policy.cookies == ALL):
                headers[name] = value
        peer = request.remote or "127.0.0.1"
        headers["X-Forwarded-For"] = ", ".join(v for v in (request.headers.get("X-Forwarded-For"), peer) if v)
        query = request.query_string if policy.query_strings == ALL else ""
        host, port = balancer
        url = f"http://{host}:{port}{request.path}" + (f"?{query}" if query else "")
        body = await request.read()
        assert self._session is not None
        try:
            async with self._session.request(request.method, url, headers=headers, data=body or None, allow_redirects=False) as upstream:
                payload = await upstream.read()
                out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"}
                return web.Response(status=upstream.status, body=payload, headers=out)
        except (TimeoutError, OSError) as exc:
            # CloudFront's answer when the origin cannot be reached
            log.warning("origin %s:%d unreachable: %s", host, port, exc)
            return _unreachable()

    def _add_headers(self, behaviour: BehaviourSpec, response: web.StreamResponse) -> None:
        for header in behaviour.response_headers:
            if header.override or header.name not in response.headers:
                response.headers[header.name] = header.value
        response.headers["Via"] = "1.1 localaws-edge (CloudFront)"
        response.headers.setdefault("X-Cache", "Miss from cloudfront")

    # ---- invalidations ------------------------------------------------------------
    def _new_invalidations(self) -> list[list[str]]:
        """The paths of each invalidation of the distribution not seen before (blocking: run in a thread)."""
        cloudfront = self.cloudfront_client() if self.cloudfront_client else None
        if cloudfront is None:
            return []
        new = []
        for page in cloudfront.get_paginator("list_invalidations").paginate(DistributionId=self.spec.id):
            for summary in page["InvalidationList"].get("Items") or []:
                if summary["Id"] in self._seen_invalidations:
                    continue
                batch = cloudfront.get_invalidation(DistributionId=self.spec.id, Id=summary["Id"])["Invalidation"]["InvalidationBatch"]
                new.append(batch["Paths"].get("Items") or [])
                self._seen_invalidations.add(summary["Id"])
        return new

    async def apply_invalidations(self) -> int:
        """Read the invalidations created since the last call and drop what they cover; how many there were."""
        new = await asyncio.to_thread(self._new_invalidations)
        for paths in new:
            dropped = self.cache.invalidate(paths)
            self.stats.invalidations += 1
            log.info("invalidation of %s: %d cached responses dropped", ", ".join(paths), dropped)
        return len(new)

    async def _follow_invalidations(self) -> None:
        while True:
            await asyncio.sleep(self.invalidation_poll)
            try:
                await self.apply_invalidations()
            except (BotoCoreError, ClientError) as exc:
                log.warning("reading the distribution's invalidations: %s", exc)

    # ---- lifecycle ----------------------------------------------------------------
    async def start(self) -> None:
        self._session = ClientSession(timeout=ClientTimeout(total=60), auto_decompress=False)
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        if self.cloudfront_client is not None:
            await self.apply_invalidations()  # the past ones (the cache is empty): seen before the first request
            self._follower = asyncio.get_running_loop().create_task(self._follow_invalidations())
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("edge serving %s (distribution %s)", self.url, self.spec.id)

    async def close(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
