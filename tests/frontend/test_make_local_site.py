"""The published SPA in a real browser, through ``make local``'s edge (the session's shared env-local).

Here nothing is the test harness's own: the files and ``config.json`` come from the assets
bucket the way ``make local`` published them, the CSP and the other headers from the
distribution's deployed response headers policy, ``/api`` from the deployed behaviour through
the load balancer to the API tasks and the TLS-only database. A CSP that does not fit the app
shows up here as a violation.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.frontend.test_browser import assert_clean, items_requests, wait_drawn
from tests.local.helpers import EnvLocal

pytestmark = [pytest.mark.emulator, pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")]


def _matched(api_url: str, collection: str, bbox: str) -> int:
    with urllib.request.urlopen(f"{api_url}/collections/{collection}/items?bbox={bbox}&limit=1000") as response:  # noqa: S310 - the local edge
        return len(json.loads(response.read())["features"])


def test_the_published_map_draws_the_sample_data_through_the_deployed_edge(env_local: EnvLocal, page: Page) -> None:
    running = env_local.deployment.dataplane
    requests = items_requests(page)
    response = page.goto(running.site_url + "/")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    wait_drawn(page)
    expect(page.get_by_label("Collection")).to_have_value("places")
    expect(page).to_have_url(re.compile(r"/collections/places\?view="))
    assert requests and requests[0].startswith(running.api_url + "/collections/places/items?bbox=")
    bbox = re.search(r"bbox=([^&]+)", requests[-1]).group(1)
    count = _matched(running.api_url, "places", bbox)
    expect(page.get_by_test_id("items-status")).to_have_text(f"{count} features in view")
    assert_clean(page)


def test_a_deep_link_reloads_through_the_distributions_fallback(env_local: EnvLocal, page: Page) -> None:
    running = env_local.deployment.dataplane
    page.goto(running.site_url + "/collections/regions?view=2/10/10")
    wait_drawn(page)
    expect(page.get_by_label("Collection")).to_have_value("regions")
    page.reload()
    wait_drawn(page)
    expect(page.get_by_label("Collection")).to_have_value("regions")
    assert_clean(page)
