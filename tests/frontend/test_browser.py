"""The SPA in a real browser (headless Chromium), served with the proposed CSP, over the real API.

Every test ends by checking that the page logged no console error, threw nothing and broke no
CSP rule (only the HTTP error a test provokes on purpose is allowed).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, Request, expect

MAP = "[data-testid=map]"
CANVAS = f"{MAP} canvas.maplibregl-canvas"
FEATURE_COLOURS = [(0xD6, 0x33, 0x6C), (0x19, 0x71, 0xC2)]  # point and cluster circles (frontend/src/features/map/style.ts)


# -- helpers ------------------------------------------------------------------------------------
def wait_drawn(page: Page, at_least: int = 1) -> None:
    """Until the map has drawn at least ``at_least`` features (the map sets data-drawn-count on idle)."""
    page.wait_for_function("n => Number(document.querySelector('[data-testid=map]')?.dataset.drawnCount ?? -1) >= n", arg=at_least)


def wait_for(check: Callable[[], Any], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def items_requests(page: Page) -> list[str]:
    seen: list[str] = []

    def record(request: Request) -> None:
        if "/items?" in request.url and "bbox=" in request.url:
            seen.append(request.url)

    page.on("request", record)
    return seen


def bbox_of(url: str) -> str:
    match = re.search(r"bbox=([^&]+)", url)
    assert match, url
    return match.group(1)


def assert_clean(page: Page, allowed: tuple[str, ...] = ()) -> None:
    problems = [p for p in page.problems.all() if not any(a in p for a in allowed)]
    assert problems == [], "the page logged errors or CSP violations:\n" + "\n".join(problems)


def canvas_box(page: Page) -> dict[str, float]:
    box = page.locator(CANVAS).bounding_box()
    assert box, "no map canvas"
    return box


def drawn_pixels(page: Page, png: bytes) -> int:
    """Pixels of a screenshot in the colour of a point or cluster circle (decoded by the browser, on a blank page)."""
    blank = page.context.new_page()
    try:
        return blank.evaluate(
            """async ([b64, colours]) => {
                const blob = await (await fetch('data:image/png;base64,' + b64)).blob();
                const bitmap = await createImageBitmap(blob);
                const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
                const g = canvas.getContext('2d');
                g.drawImage(bitmap, 0, 0);
                const d = g.getImageData(0, 0, bitmap.width, bitmap.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4) {
                  if (colours.some((c) => Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) < 40)) n++;
                }
                return n;
            }""",
            [base64.b64encode(png).decode(), FEATURE_COLOURS],
        )
    finally:
        blank.close()


def map_screenshot(page: Page, path) -> bytes:
    """The map canvas without the controls strip on its right edge."""
    box = canvas_box(page)
    return page.screenshot(path=str(path), clip={"x": box["x"], "y": box["y"], "width": box["width"] - 70, "height": box["height"]})


def feature_id(site, collection: str, key: str) -> int:
    rows = site.rows("SELECT id FROM features WHERE collection_id = %s AND source_key = %s", collection, key)
    assert rows, f"{collection}/{key} is not in the test database"
    return int(rows[0][0])


def sign_in(page: Page, site, user: str) -> None:
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.issuer.url}/**")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(site.issuer.users[user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(site.url) + r"/collections/"))
    expect(page.locator(".session .user")).to_contain_text(user)


def sketches(site) -> dict[int, tuple[str, dict]]:
    rows = site.rows("SELECT id, ST_AsText(geom), properties FROM features WHERE collection_id = 'sketches'")
    return {int(i): (wkt, json.loads(props)) for i, wkt, props in rows}


# -- reading -------------------------------------------------------------------------------------
def test_the_map_opens_on_the_first_collection_and_draws_its_features(site, page: Page, artifacts) -> None:
    requests = items_requests(page)
    page.goto(site.url + "/")
    wait_drawn(page)

    expect(page.get_by_test_id("collection-title")).to_have_text("Capital cities")
    expect(page.get_by_label("Collection")).to_have_value("places")
    expect(page).to_have_url(re.compile(r"/collections/places\?view=[\d.]+/-?[\d.]+/-?[\d.]+$"))
    (count,) = site.rows("SELECT COUNT(*) FROM features WHERE collection_id = 'places'")[0]
    expect(page.get_by_test_id("items-status")).to_have_text(f"{count} features in view")
    expect(page.locator("[aria-label='Features in view'] li")).to_have_count(count)
    assert len(requests) == 1, f"one request for the opening view, not one per step of the start-up: {requests}"
    assert requests[0].startswith(f"{site.url}/api/collections/places/items?bbox="), requests

    png = map_screenshot(page, artifacts / "map.png")
    print(f"screenshot: {artifacts / 'map.png'}")
    assert drawn_pixels(page, png) > 400, "the map canvas shows no features"
    assert_clean(page)


def test_panning_asks_the_api_for_the_new_bbox(site, page: Page) -> None:
    requests = items_requests(page)
    page.goto(site.url + "/collections/places?view=5/50/10")
    wait_drawn(page)
    first = bbox_of(requests[-1])
    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    with page.expect_response(lambda r: "/items?bbox=" in r.url and bbox_of(r.url) != first) as answer:
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx - 300, cy + 50, steps=12)
        page.mouse.up()
    response = answer.value
    assert response.ok and response.url.startswith(f"{site.url}/api/collections/places/items?bbox="), response.url
    west, _, east, _ = (float(v) for v in bbox_of(response.url).split(","))
    old_west, _, old_east, _ = (float(v) for v in first.split(","))
    assert west > old_west and east > old_east, f"dragging left should move the view east: {first} -> {bbox_of(response.url)}"
    if site.api_requests:  # the local site records what it proxied
        assert any(bbox_of(response.url) in r for r in site.api_requests)
    # the URL follows the view once the map rests; the items request may answer first
    page.wait_for_url(lambda url: (v := re.search(r"view=([\d.]+)/([-\d.]+)/([-\d.]+)", url)) is not None and float(v.group(3)) > 10, timeout=10_000)
    assert_clean(page)


def test_clicking_a_feature_shows_its_properties(site, page: Page) -> None:
    paris = feature_id(site, "places", "paris")
    page.goto(site.url + "/collections/places?view=9/48.8566/2.3522")  # Paris in the middle of the map
    wait_drawn(page)
    box = canvas_box(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    details = page.get_by_role("region", name="Feature properties")
    expect(details.get_by_role("heading")).to_have_text("Paris")
    expect(details.locator("tr", has_text="country")).to_contain_text("France")
    expect(page).to_have_url(re.compile(rf"feature={paris}$"))
    expect(page.locator(f"[data-feature-id='{paris}']")).to_have_attribute("aria-current", "true")
    assert_clean(page)


def test_a_deep_link_opens_the_same_map_after_a_reload(site, page: Page) -> None:
    route = feature_id(site, "routes", "london--paris")
    link = f"{site.url}/collections/routes?view=5/50/2&feature={route}"
    page.goto(link)
    for attempt in ("first load", "reload"):
        wait_drawn(page)
        expect(page.get_by_test_id("collection-title")).to_have_text("Capital-to-capital lines")
        expect(page.get_by_label("Collection")).to_have_value("routes")
        expect(page.get_by_role("region", name="Feature properties").locator("tr", has_text="from")).to_contain_text("london")
        assert page.url == link, f"{attempt}: the URL changed to {page.url}"
        if attempt == "first load":
            page.reload()
    assert_clean(page)


def test_an_api_error_shows_its_title_and_detail(site, page: Page) -> None:
    page.goto(site.url + "/collections/places?view=4/50/10&feature=987654321")
    wait_drawn(page)  # the map still draws the features of the view
    alert = page.get_by_role("region", name="Feature properties").get_by_role("alert")
    expect(alert).to_contain_text("NotFound")
    expect(alert).to_contain_text("feature '987654321' not found in collection 'places'")
    assert_clean(page, allowed=("status of 404",))


def test_an_empty_view_says_so(site, page: Page) -> None:
    page.goto(site.url + "/collections/places?view=6/-30/-140")  # the South Pacific: no capital
    expect(page.get_by_test_id("items-status")).to_have_text("No features in this view.")
    wait_drawn(page, at_least=0)
    expect(page.locator("[aria-label='Features in view'] li")).to_have_count(0)
    assert_clean(page)


def test_where_reads_need_a_token_the_map_waits_for_sign_in(local_site, page: Page) -> None:
    """config.json with publicReads false (changed on the local site only, then put back)."""
    site = local_site
    site.config["publicReads"] = False
    try:
        page.goto(site.url + "/collections/sketches?view=6/40/-30")
        expect(page.get_by_role("heading", name="Sign in to see the map")).to_be_visible()
        expect(page.get_by_test_id("map")).to_have_count(0)
        sign_in(page, site, "viewer")
        wait_drawn(page)
        expect(page.get_by_role("button", name="Start here")).to_be_visible()
    finally:
        site.config["publicReads"] = True
    assert_clean(page)


def test_without_sign_in_the_opening_view_is_fetched_once(local_site, page: Page) -> None:
    """config.json with auth0 null (as make local publishes it): no Sign-in button sets the top bar's height."""
    site = local_site
    saved = site.config["auth0"]
    site.config["auth0"] = None
    try:
        requests = items_requests(page)
        page.goto(site.url + "/")
        wait_drawn(page)
        page.wait_for_timeout(1000)  # a resize after the first fetch would report (and fetch) the view again within 250 ms
        assert len(requests) == 1, f"the map resized after the first fetch and asked again: {requests}"
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    finally:
        site.config["auth0"] = saved
    assert_clean(page)


# -- signed out, signed in, editing -----------------------------------------------------------------
def test_signed_out_the_map_is_read_only(site, page: Page) -> None:
    page.goto(site.url + "/collections/sketches?view=6/40/-30")
    wait_drawn(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_role("button", name="Start here").click()
    expect(page.get_by_role("region", name="Feature properties")).to_contain_text("Start here")
    for control in ("Add point", "Edit properties", "Delete"):
        expect(page.get_by_role("button", name=control)).to_have_count(0)
    assert_clean(page)


def test_a_signed_in_user_without_the_write_scope_gets_no_edit_controls(site, page: Page) -> None:
    page.goto(site.url + "/collections/sketches?view=6/40/-30")
    wait_drawn(page)
    sign_in(page, site, "viewer")
    expect(page.locator(".session .user")).to_contain_text("read-only")
    wait_drawn(page)
    page.get_by_role("button", name="Start here").click()
    expect(page.get_by_role("region", name="Feature properties")).to_contain_text("Start here")
    for control in ("Add point", "Edit properties", "Delete"):
        expect(page.get_by_role("button", name=control)).to_have_count(0)

    # sign out at the issuer too (RP-initiated logout), back to the site signed out
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.issuer.url}/**")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.url}/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user:'))") == []
    assert_clean(page)


def test_an_editor_adds_edits_and_deletes_a_point(site, page: Page) -> None:
    page.goto(site.url + "/collections/sketches?view=6/40/-30")
    wait_drawn(page)
    sign_in(page, site, "editor")
    expect(page).to_have_url(re.compile(r"/collections/sketches\?view=6/40/-30$"))  # back where sign-in started
    wait_drawn(page)
    before = sketches(site)

    # add: a click 150 px east of the centre of a zoom-6 view of (40 N, 30 W)
    page.get_by_role("button", name="Add point").click()
    box = canvas_box(page)
    page.mouse.click(box["x"] + box["width"] / 2 + 150, box["y"] + box["height"] / 2)
    new = wait_for(lambda: set(sketches(site)) - set(before), "the new point in the database")
    (new_id,) = new
    wkt, properties = sketches(site)[new_id]
    lon, lat = (float(v) for v in re.fullmatch(r"POINT\((\S+) (\S+)\)", wkt).groups())
    assert properties == {"name": "New point"}
    assert -30 < lon < -25 and abs(lat - 40) < 0.01, wkt
    expect(page).to_have_url(re.compile(rf"feature={new_id}$"))

    # edit: the new point opens in the form
    form = page.get_by_role("form", name="Edit properties")
    form.get_by_label("Value of name").fill("Edited in the browser")
    form.get_by_role("button", name="+ property").click()
    form.get_by_label("Name of property 2").fill("note")
    form.get_by_label("Value of note").fill("42 is text here")
    form.get_by_role("button", name="Save").click()
    wait_for(lambda: sketches(site)[new_id][1] == {"name": "Edited in the browser", "note": "42 is text here"}, "the edit in the database")
    assert sketches(site)[new_id][0] == wkt, "the edit moved the point"
    details = page.get_by_role("region", name="Feature properties")
    expect(details.get_by_role("heading")).to_have_text("Edited in the browser")
    expect(page.get_by_role("button", name="Edited in the browser")).to_be_visible()  # the list follows

    # delete
    details.get_by_role("button", name="Delete").click()
    details.get_by_role("button", name="Yes, delete").click()
    wait_for(lambda: new_id not in sketches(site), "the point to leave the database")
    expect(page.get_by_role("region", name="Feature properties")).to_have_count(0)
    expect(page.get_by_role("button", name="Edited in the browser")).to_have_count(0)
    assert sketches(site) == before
    assert_clean(page)


@pytest.mark.parametrize(
    ("kind", "detail"),
    [("forged", "token rejected"), ("expired", "token expired")],
)
def test_a_forged_or_expired_token_is_refused_and_nothing_is_written(site, page: Page, kind: str, detail: str) -> None:
    page.goto(site.url + "/collections/sketches?view=6/40/-30")
    wait_drawn(page)
    sign_in(page, site, "editor")
    if kind == "forged":  # claims the write scope, signed with a key that is not the issuer's
        token = site.issuer.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    else:  # the issuer's own key, expired two minutes ago (beyond the API's 30 s leeway)
        token = site.issuer.token(expires_in=-120)
    page.evaluate(
        """token => {
            const key = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:'));
            const user = JSON.parse(sessionStorage.getItem(key));
            user.access_token = token;
            sessionStorage.setItem(key, JSON.stringify(user));
        }""",
        token,
    )
    page.reload()
    wait_drawn(page)
    snapshot = site.db.snapshot()

    page.get_by_role("button", name="Add point").click()  # the app still believes the token
    box = canvas_box(page)
    page.mouse.click(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2)
    alert = page.locator(".edit-tools").get_by_role("alert")
    expect(alert).to_contain_text("The point was not added.")
    expect(alert).to_contain_text("Unauthorized (HTTP 401)")
    expect(alert).to_contain_text(detail)
    assert site.db.snapshot() == snapshot
    assert_clean(page, allowed=("status of 401",))


def test_on_software_webgl_the_map_pans_at_half_resolution_and_rests_at_full(site, page: Page) -> None:
    """Adaptive resolution (frontend/src/features/map/resolution.ts): SwiftShader is software, so a pan draws a quarter of the pixels."""
    start = site.url + "/collections/places?view=4/50/10"
    page.goto(start)
    wait_drawn(page)
    canvas = page.locator(CANVAS)
    css_width = canvas.evaluate("c => c.clientWidth")
    full = canvas.evaluate("c => c.width")
    assert full == css_width, f"at rest the canvas is drawn at full resolution (devicePixelRatio 1): {full} != {css_width}"

    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 150, cy, steps=8)
    moving = canvas.evaluate("c => c.width")  # the mouse is still down: the map is moving
    page.mouse.move(cx - 200, cy, steps=4)
    page.mouse.up()
    assert moving == round(css_width / 2), f"while moving on SwiftShader the canvas is {moving} px wide, not half of {css_width}"
    expect(page.get_by_test_id("map")).to_have_attribute("data-pixel-ratio", "1")
    assert canvas.evaluate("c => c.width") == full, "the full resolution came back once the map rested"
    # the change of resolution did not end the drag: all 200 px moved the map (512 px tiles: 200 / (512 * 2**4) * 360 = 8.79 degrees)
    page.wait_for_url(lambda url: url != start)  # the view is reported once the map rests
    lon = float(re.search(r"view=[\d.]+/[-\d.]+/([-\d.]+)", page.url).group(1))
    assert abs(lon - 18.79) < 0.3, f"dragging 200 px left at zoom 4 should move the centre from 10 to 18.79 E: {page.url}"
    assert_clean(page)
