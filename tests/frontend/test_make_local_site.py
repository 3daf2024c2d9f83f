"""The published SPA in a real browser, through ``make local``'s edge (the session's shared env-local).

Here nothing is the test harness's own: the files and ``config.json`` come from the assets
bucket the way ``make local`` published them, the CSP and the other headers from the
distribution's deployed response headers policy (with the local issuer's origin added, the one
local override of it), ``/api`` from the deployed behaviour through the load balancer to the API
tasks and the TLS-only database. Sign-in goes to the local OpenID Connect issuer the data plane
runs in place of Auth0, whose keys the API tasks trust. A CSP that does not fit the app shows up
here as a violation.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, expect

from localaws.dataplane.database import LocalDatabase
from localaws.dataplane.plane import Running, ensure_ports
from tests.frontend.test_browser import assert_clean, bbox_of, canvas_box, items_requests, sign_in, wait_drawn, wait_for
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


# -- sign-in and editing, through the edge, against the local issuer ------------------------------------
def _rows(running: Running, sql: str, *args: object) -> list[tuple]:
    """Rows of env-local's database (root over the local server's socket: a test's view, not the API's)."""
    conn = LocalDatabase(running.directory / "db", ensure_ports(running.directory)["db"]).root(database=running.spec.database.database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())
    finally:
        conn.close()


def _places(running: Running) -> dict[int, tuple[str, dict]]:
    rows = _rows(running, "SELECT id, ST_AsText(geom), properties FROM features WHERE collection_id = 'places'")
    return {int(i): (wkt, json.loads(props)) for i, wkt, props in rows}


def _snapshot(running: Running) -> list[tuple]:
    return _rows(running, "SELECT id, collection_id, source_key, ST_AsBinary(geom), properties FROM features ORDER BY id")


def test_signed_out_there_are_no_edit_controls_and_a_signed_in_editor_adds_edits_and_deletes_a_point(
    env_local: EnvLocal, page: Page
) -> None:
    running = env_local.deployment.dataplane
    site = SimpleNamespace(url=running.site_url, issuer=running.issuer)  # what test_browser.sign_in needs
    page.goto(running.site_url + "/collections/places?view=9/48.8566/2.3522")
    wait_drawn(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_role("button", name="Paris").click()
    expect(page.get_by_role("region", name="Feature properties").get_by_role("heading")).to_have_text("Paris")
    for control in ("Add point", "Edit properties", "Delete"):
        expect(page.get_by_role("button", name=control)).to_have_count(0)

    before = _places(running)
    try:
        page.goto(running.site_url + "/collections/places?view=6/40/-30")  # the open Atlantic: no capital
        expect(page.get_by_test_id("items-status")).to_have_text("No features in this view.")
        sign_in(page, site, "editor")
        expect(page).to_have_url(re.compile(r"/collections/places\?view=6/40/-30$"))  # back where sign-in started

        # add: a click 150 px east of the centre of a zoom-6 view of (40 N, 30 W)
        page.get_by_role("button", name="Add point").click()
        box = canvas_box(page)
        page.mouse.click(box["x"] + box["width"] / 2 + 150, box["y"] + box["height"] / 2)
        (new_id,) = wait_for(lambda: set(_places(running)) - set(before), "the new point in the database")
        wkt, properties = _places(running)[new_id]
        lon, lat = (float(v) for v in re.fullmatch(r"POINT\((\S+) (\S+)\)", wkt).groups())
        assert properties == {"name": "New point"}
        assert -30 < lon < -25 and abs(lat - 40) < 0.01, wkt

        # edit: the new point opens in the form
        form = page.get_by_role("form", name="Edit properties")
        form.get_by_label("Value of name").fill("Edited through the edge")
        form.get_by_role("button", name="Save").click()
        wait_for(lambda: _places(running)[new_id][1] == {"name": "Edited through the edge"}, "the edit in the database")
        assert _places(running)[new_id][0] == wkt, "the edit moved the point"
        details = page.get_by_role("region", name="Feature properties")
        expect(details.get_by_role("heading")).to_have_text("Edited through the edge")

        # delete
        details.get_by_role("button", name="Delete").click()
        details.get_by_role("button", name="Yes, delete").click()
        wait_for(lambda: new_id not in _places(running), "the point to leave the database")
        expect(page.get_by_role("button", name="Edited through the edge")).to_have_count(0)
        assert _places(running) == before
        assert_clean(page)
    finally:  # whatever failed, the shared deploy keeps its sample data as it was
        for stray in set(_places(running)) - set(before):
            _rows(running, "DELETE FROM features WHERE id = %s", stray)


def test_a_forged_token_through_the_edge_is_refused_and_nothing_is_written(env_local: EnvLocal) -> None:
    """Claims the issuer would give an editor, under the issuer's own key id, signed with another key."""
    running = env_local.deployment.dataplane
    issuer = running.issuer
    with urllib.request.urlopen(issuer.jwks_url) as response:  # noqa: S310 - the local issuer
        kid = json.loads(response.read())["keys"][0]["kid"]
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": issuer.audience, "sub": "editor", "client_id": issuer.client_id, "iat": now - 5, "exp": now + 300}
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({**claims, "scope": "openid write:features"}, other_key, algorithm="RS256", headers={"kid": kid, "typ": "at+jwt"})
    (paris,) = [f for f in _features(running.api_url, "places", "2.3,48.8,2.4,48.9") if f["properties"].get("name") == "Paris"]
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-28, 40]}, "properties": {"name": "forged"}}
    before = _snapshot(running)
    for method, path, body in (
        ("POST", "/collections/places/items", point),
        ("PUT", f"/collections/places/items/{paris['id']}", {**point, "properties": {"name": "forged"}}),
        ("DELETE", f"/collections/places/items/{paris['id']}", None),
    ):
        request = urllib.request.Request(  # noqa: S310 - the local edge
            running.api_url + path,
            method=method,
            data=json.dumps(body).encode() if body else None,
            headers={"Authorization": f"Bearer {forged}", "Content-Type": "application/geo+json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)  # noqa: S310
        problem = json.loads(refused.value.read())
        # a signature check against the issuer's keys (not a missing key, not an unreachable JWKS: 503)
        assert (refused.value.code, problem["code"]) == (401, "Unauthorized"), problem
        assert "Signature verification failed" in problem["description"], problem
    assert _snapshot(running) == before
