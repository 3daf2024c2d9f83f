"""The deployed edge caches the published site and follows a re-publish (the session's shared env-local).

``ops.local.up`` published the SPA with ``ops.publish_frontend`` (hashed assets immutable,
``index.html`` no-cache, then an invalidation of ``/*``) and started the edge from the
distribution read back from the emulator: the site under CachingOptimized, ``/api/*`` under
CachingDisabled. ``tests/local/test_edge_cache.py`` proves the cache rules in process; this
checks the same wiring as ``make local`` runs it.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.request

import pytest

from ops.publish_frontend import CACHE_IMMUTABLE, publish
from ops.stack_outputs import AwsTarget
from tests.local.helpers import EnvLocal

pytestmark = [pytest.mark.emulator, pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")]


def _get(url: str) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the local edge
        return response.read(), {k.lower(): v for k, v in response.headers.items()}


def _site(env_local: EnvLocal) -> str:
    running = env_local.deployment.dataplane
    assert running is not None, "ops.local.up started no data plane"
    return running.site_url


def test_the_deployed_edge_serves_hashed_assets_from_its_cache_and_never_caches_the_api(env_local: EnvLocal):
    site = _site(env_local)
    index, _ = _get(site + "/")
    asset = re.search(rb'src="(/assets/[^"]+\.js)"', index)
    assert asset, index[:500]
    _get(site + asset.group(1).decode())
    body, headers = _get(site + asset.group(1).decode())
    # THEN the second GET is CloudFront's hit, with the object's long-lived Cache-Control
    assert headers["x-cache"] == "Hit from cloudfront" and headers["age"].isdigit(), headers
    assert headers["cache-control"] == CACHE_IMMUTABLE and body
    # AND /api/* (CachingDisabled) is a miss every time
    for _ in range(2):
        _, api = _get(site + "/api/health/live")
        assert api["x-cache"] == "Miss from cloudfront" and "age" not in api, api


@pytest.mark.mutates_env_local(order=4)
def test_a_re_publish_shows_the_new_site_through_the_edge(env_local: EnvLocal, tmp_path, monkeypatch):
    """As ``make local`` publishes (``ops.local.publish_site``): a changed index.html and a changed
    non-hashed file, then publish's invalidation of ``/*``; the original site is published back after."""
    for name, value in env_local.cmd_env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    site, outputs = _site(env_local), env_local.outputs
    published = env_local.state_dir / "dataplane" / "site"
    changed = tmp_path / "site"
    shutil.copytree(published, changed)
    target = AwsTarget(env_local.target.region, env_local.target.endpoint)
    where = {
        "bucket": outputs["assets_bucket"],
        "prefix": outputs["assets_prefix"],
        "distribution_id": outputs["cloudfront_distribution_id"],
    }
    marker = f"<!-- re-published {time.time()} -->".encode()
    try:
        # GIVEN a robots.txt (public, max-age=300: only an invalidation renews it early) the edge has cached
        (changed / "robots.txt").write_bytes(b"User-agent: *\n")
        publish(target, directory=changed, **where)
        _get(site + "/robots.txt")
        assert _get(site + "/robots.txt")[1]["x-cache"] == "Hit from cloudfront"
        # WHEN index.html and robots.txt change and are published again (publish invalidates /*)
        (changed / "index.html").write_bytes((published / "index.html").read_bytes() + marker)
        (changed / "robots.txt").write_bytes(b"User-agent: *\n" + marker)
        publish(target, directory=changed, **where)
        # THEN within the edge's poll interval both are the new ones
        deadline, index, robots = time.monotonic() + 5, b"", b""
        while time.monotonic() < deadline and not (index.endswith(marker) and robots.endswith(marker)):
            time.sleep(0.2)
            index, robots = _get(site + "/")[0], _get(site + "/robots.txt")[0]
        assert index.endswith(marker) and robots.endswith(marker), (index[-200:], robots[-200:])
    finally:
        publish(target, directory=published, **where)
