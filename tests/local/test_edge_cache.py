"""The local edge caches like CloudFront, from the distribution as deployed, and follows its invalidations.

A real emulator (moto server) holds a bucket with the site's objects (Cache-Control as
``ops.publish_frontend`` sets it) and a distribution like env-local's: the default behaviour on the
bucket under CachingOptimized, ``/api/*`` under CachingDisabled through a VPC origin to a small
aiohttp server standing in for the load balancer. The edge is built from ``read_distribution``
as the data plane builds it. Origin fetches are counted independently of the edge: every
``GetObject`` the edge's boto3 client sends, and every request the API stand-in answers.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiohttp import ClientSession, web
from multidict import CIMultiDict

from localaws import LocalAWS
from localaws.dataplane.edge import Edge
from localaws.dataplane.edgecache import EdgeCache, ttl
from localaws.dataplane.managed_policies import CACHE_POLICIES
from localaws.dataplane.readback import read_distribution
from ops.publish_frontend import CACHE_HTML, CACHE_IMMUTABLE, CACHE_OTHER
from tests.local.helpers import client_factory

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
BUCKET, PREFIX = "edge-cache-site", "site/current"
ASSET = "/assets/index-3f9a1c2b.js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(coroutine):
    """``asyncio.run`` in a thread of its own (a test before this one may hold a loop in this thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def deployed():
    """(client factory, distribution id) of a site bucket and an API behind one distribution."""
    with LocalAWS(port=0, quiet=True) as server:
        aws = client_factory(server.endpoint)
        s3, cf = aws("s3"), aws("cloudfront")
        s3.create_bucket(Bucket=BUCKET)
        for key, body, cache_control in (
            ("index.html", b"<html>v1</html>", CACHE_HTML),
            (ASSET[1:], b"console.log(1)", CACHE_IMMUTABLE),
            ("favicon.ico", b"icon v1", CACHE_OTHER),
        ):
            s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}", Body=body, CacheControl=cache_control, ContentType="text/plain")
        ec2 = aws("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        lb = aws("elbv2").create_load_balancer(Name="edge-cache", Subnets=[subnet], Type="network", Scheme="internal")["LoadBalancers"][0]
        endpoint = {
            "Name": "edge-cache",
            "Arn": lb["LoadBalancerArn"],
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "http-only",
        }
        vpc_origin = cf.create_vpc_origin(VpcOriginEndpointConfig=endpoint)["VpcOrigin"]["Id"]
        site = {
            "Id": "site",
            "DomainName": f"{BUCKET}.s3.us-east-1.amazonaws.com",
            "OriginPath": f"/{PREFIX}",
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }
        api = {"Id": "api", "DomainName": "edge-cache.elb.amazonaws.com", "VpcOriginConfig": {"VpcOriginId": vpc_origin}}
        api_behaviour = {
            "PathPattern": "/api/*",
            "TargetOriginId": "api",
            "ViewerProtocolPolicy": "https-only",
            "CachePolicyId": CACHING_DISABLED,
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
        }
        distribution = cf.create_distribution(
            DistributionConfig={
                "CallerReference": uuid.uuid4().hex,
                "Comment": "edge cache test",
                "Enabled": True,
                "DefaultRootObject": "index.html",
                "Origins": {"Quantity": 2, "Items": [site, api]},
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": CACHING_OPTIMIZED,
                },
                "CacheBehaviors": {"Quantity": 1, "Items": [api_behaviour]},
            }
        )["Distribution"]["Id"]
        yield aws, distribution, lb["LoadBalancerArn"]


class Counted:
    """The edge, its API stand-in and the origin fetches each served (GetObject calls, API requests)."""

    def __init__(self, aws, distribution_id: str, load_balancer_arn: str) -> None:
        self.aws, self.distribution_id, self.load_balancer_arn = aws, distribution_id, load_balancer_arn
        self.get_objects = 0
        self.api_requests = 0
        # a client of its own, so the counter sees the edge's GetObject calls only
        self.s3 = client_factory(aws("s3").meta.endpoint_url)("s3")
        self.s3.meta.events.register("before-call.s3.GetObject", self._count_get_object)

    def _count_get_object(self, **_) -> None:
        self.get_objects += 1

    async def __aenter__(self):
        async def api(request: web.Request) -> web.Response:
            self.api_requests += 1
            return web.Response(text=f"api answer {self.api_requests}", headers={"Cache-Control": "public, max-age=600"})

        app = web.Application()
        app.router.add_get("/{tail:.*}", api)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        address = ("127.0.0.1", _free_port())
        await web.TCPSite(self._runner, *address).start()
        spec = await asyncio.to_thread(read_distribution, self.aws, self.distribution_id)
        cloudfront = self.aws("cloudfront")
        self.edge = Edge(
            spec,
            s3_client=lambda: self.s3,
            cloudfront_client=lambda: cloudfront,
            invalidation_poll=0.2,
            balancers={self.load_balancer_arn: address},
            host="127.0.0.1",
            port=_free_port(),
        )
        await self.edge.start()
        self.session = ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()
        await self.edge.close()
        await self._runner.cleanup()

    async def get(self, path: str, method: str = "GET") -> tuple[int, bytes, CIMultiDict[str]]:
        async with self.session.request(method, self.edge.url + path) as response:
            return response.status, await response.read(), response.headers.copy()


def test_a_hashed_asset_is_fetched_from_s3_once_then_served_from_the_cache(deployed):
    async def scenario(edge: Counted):
        first = await edge.get(ASSET)
        fetched = edge.get_objects
        second = await edge.get(ASSET)
        head = await edge.get(ASSET, "HEAD")
        return first, fetched, second, head, edge.get_objects

    first, fetched, second, head, fetched_after = _run(_in_edge(deployed, scenario))
    # THEN the first GET reaches S3 and is a miss, without Age
    assert fetched == 1
    assert (first[0], first[1]) == (200, b"console.log(1)")
    assert first[2]["X-Cache"] == "Miss from cloudfront" and "Age" not in first[2]
    # AND the second GET and a HEAD come from the cache: no GetObject, CloudFront's hit headers, the origin's Cache-Control
    assert fetched_after == 1
    assert (second[0], second[1]) == (200, b"console.log(1)")
    assert second[2]["X-Cache"] == "Hit from cloudfront" and second[2]["Age"].isdigit()
    assert second[2]["Cache-Control"] == CACHE_IMMUTABLE and second[2]["ETag"] == first[2]["ETag"]
    assert head[0] == 200 and head[2]["X-Cache"] == "Hit from cloudfront"


def test_an_api_response_is_never_cached_even_when_the_api_says_it_may_be(deployed):
    async def scenario(edge: Counted):
        answers = [await edge.get("/api/collections") for _ in range(3)]
        return answers, edge.api_requests

    answers, api_requests = _run(_in_edge(deployed, scenario))
    # CachingDisabled: every request reaches the API, though it answers with max-age=600
    assert api_requests == 3
    assert [body for _, body, _ in answers] == [b"api answer 1", b"api answer 2", b"api answer 3"]
    assert all(h["X-Cache"] == "Miss from cloudfront" and "Age" not in h for _, _, h in answers)


def test_after_changed_objects_and_an_invalidation_the_edge_serves_the_new_ones(deployed):
    aws, distribution_id, _ = deployed
    paths = ("/", "/favicon.ico", ASSET)

    async def until(edge: Counted, path: str, body: bytes) -> bytes:
        """What the edge serves at ``path`` once it is ``body``, or after 5 s (the edge polls every 0.2 s)."""
        deadline, served = time.monotonic() + 5, b""
        while time.monotonic() < deadline and served != body:
            served = (await edge.get(path))[1]
            await asyncio.sleep(0.1)
        return served

    async def scenario(edge: Counted):
        before = [(await edge.get(p))[1] for p in paths]
        # GIVEN new objects in the bucket (a re-publish: favicon.ico max-age=300, the asset immutable)
        for key, body, cache_control in (
            ("index.html", b"<html>v2</html>", CACHE_HTML),
            ("favicon.ico", b"icon v2", CACHE_OTHER),
            (ASSET[1:], b"console.log(2)", CACHE_IMMUTABLE),
        ):
            await asyncio.to_thread(aws("s3").put_object, Bucket=BUCKET, Key=f"{PREFIX}/{key}", Body=body, CacheControl=cache_control)
        stale = [(await edge.get(p))[1] for p in paths[1:]]
        # WHEN /favicon.ico alone is invalidated
        await asyncio.to_thread(_invalidate, aws, distribution_id, ["/favicon.ico"])
        icon = await until(edge, "/favicon.ico", b"icon v2")
        asset_still = (await edge.get(ASSET))[1]
        # AND then everything, as ops.publish_frontend does
        await asyncio.to_thread(_invalidate, aws, distribution_id, ["/*"])
        return before, stale, icon, asset_still, await until(edge, ASSET, b"console.log(2)"), (await edge.get("/"))[1]

    before, stale, icon, asset_still, asset, index = _run(_in_edge(deployed, scenario))
    assert before == [b"<html>v1</html>", b"icon v1", b"console.log(1)"]
    # nothing invalidated yet: the cached favicon.ico and asset are served (CloudFront would too)
    assert stale == [b"icon v1", b"console.log(1)"]
    # THEN the invalidated path is the new object within the poll interval, the other one untouched
    assert icon == b"icon v2" and asset_still == b"console.log(1)"
    # AND after /* everything is new
    assert (asset, index) == (b"console.log(2)", b"<html>v2</html>")


def _invalidate(aws, distribution_id: str, paths: list[str]) -> None:
    batch = {"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": uuid.uuid4().hex}
    aws("cloudfront").create_invalidation(DistributionId=distribution_id, InvalidationBatch=batch)


async def _in_edge(deployed, scenario):
    async with Counted(*deployed) as edge:
        return await scenario(edge)


@pytest.mark.parametrize(
    ("policy", "cache_control", "seconds"),
    [
        (CACHING_OPTIMIZED, CACHE_IMMUTABLE, 31536000),  # hashed assets: a year
        (CACHING_OPTIMIZED, CACHE_OTHER, 300),
        (CACHING_OPTIMIZED, CACHE_HTML, 1),  # no-cache: the minimum TTL
        (CACHING_OPTIMIZED, "private, max-age=600", 1),
        (CACHING_OPTIMIZED, None, 86400),  # no Cache-Control: the default TTL
        (CACHING_OPTIMIZED, "max-age=99999999999, s-maxage=60", 60),  # s-maxage first
        (CACHING_OPTIMIZED, "max-age=0", 1),  # clamped to the minimum
        (CACHING_DISABLED, "public, max-age=600", 0),
    ],
)
def test_ttl_follows_cloudfronts_rules(policy, cache_control, seconds):
    assert ttl(CACHE_POLICIES[policy], cache_control) == seconds


def test_the_cache_is_bounded_and_drops_the_least_recently_used_first():
    from localaws.dataplane.edgecache import Entry

    cache = EdgeCache(max_bytes=10, max_entry_bytes=6)
    now = time.monotonic()

    def entry(path: str, size: int) -> Entry:
        return Entry(path, 200, b"x" * size, (), now, now + 60)

    assert cache.put(("/a",), entry("/a", 4), 0) and cache.put(("/b",), entry("/b", 4), 0)
    assert cache.get(("/a",)) is not None  # /a is now the most recently used
    assert cache.put(("/c",), entry("/c", 4), 0)
    assert cache.get(("/b",)) is None and cache.get(("/a",)) is not None and cache.get(("/c",)) is not None
    assert not cache.put(("/big",), entry("/big", 7), 0)  # over max_entry_bytes
    cache.invalidate(["/a"])
    assert not cache.put(("/d",), entry("/d", 1), 0)  # a fetch from before the invalidation is not stored
