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

from tests.frontend.test_browser import assert_clean, bbox_of, canvas_box, items_requests, wait_drawn
from tests.local.helpers import EnvLocal

pytestmark = [pytest.mark.emulator, pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")]


def _features(api_url: str, collection: str, bbox: str) -> list[dict]:
    with urllib.request.urlopen(f"{api_url}/collections/{collection}/items?bbox={bbox}&limit=1000") as response:  # noqa: S310 - the local edge
        return json.loads(response.read())["features"]


def _matched(api_url: str, collection: str, bbox: str) -> int:
    return len(_features(api_url, collection, bbox))


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


def test_panning_fetches_the_new_bbox_through_the_edge_and_the_list_follows(env_local: EnvLocal, page: Page) -> None:
    running = env_local.deployment.dataplane
    requests = items_requests(page)
    page.goto(running.site_url + "/collections/places?view=4/50/10")
    wait_drawn(page)
    first = bbox_of(requests[-1])
    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_response(lambda r: "/items?bbox=" in r.url and bbox_of(r.url) != first) as answer:
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + 300, cy, steps=12)  # the view moves west, over the Atlantic
        page.mouse.up()
    response = answer.value
    assert response.ok and response.url.startswith(running.api_url + "/collections/places/items?bbox="), response.url
    bbox = bbox_of(response.url)
    assert float(bbox.split(",")[0]) < float(first.split(",")[0]), f"dragging right should move the view west: {first} -> {bbox}"
    # the list shows exactly the features the API has in the new view
    expected = sorted(str(f["id"]) for f in _features(running.api_url, "places", bbox))
    assert expected != sorted(str(f["id"]) for f in _features(running.api_url, "places", first)), "pick a pan that changes what is in view"
    listed = page.locator("[aria-label='Features in view'] button[data-feature-id]")
    expect(listed).to_have_count(len(expected))
    assert sorted(listed.evaluate_all("bs => bs.map((b) => b.dataset.featureId)")) == expected
    assert_clean(page)


def test_clicking_a_feature_shows_its_properties_through_the_edge(env_local: EnvLocal, page: Page) -> None:
    running = env_local.deployment.dataplane
    (paris,) = [f for f in _features(running.api_url, "places", "2.3,48.8,2.4,48.9") if f["properties"].get("name") == "Paris"]
    page.goto(running.site_url + "/collections/places?view=9/48.8566/2.3522")  # Paris in the middle of the map
    wait_drawn(page)
    box = canvas_box(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    details = page.get_by_role("region", name="Feature properties")
    expect(details.get_by_role("heading")).to_have_text("Paris")
    expect(details.locator("tr", has_text="country")).to_contain_text("France")
    expect(page).to_have_url(re.compile(rf"feature={paris['id']}$"))
    assert_clean(page)


def test_an_api_error_shows_its_title_and_detail_through_the_edge(env_local: EnvLocal, page: Page) -> None:
    running = env_local.deployment.dataplane
    page.goto(running.site_url + "/collections/places?view=4/50/10&feature=987654321")
    wait_drawn(page)  # the map still draws the features of the view
    alert = page.get_by_role("region", name="Feature properties").get_by_role("alert")
    expect(alert).to_contain_text("NotFound")
    expect(alert).to_contain_text("feature '987654321' not found in collection 'places'")
    assert_clean(page, allowed=("status of 404",))
