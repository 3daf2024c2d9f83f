"""Frontend benchmark: bundle size, time to the first features drawn, frame time while panning.

Prints figures; asserts nothing about speed. Targets (issue 13, software WebGL on 2 shared cores):
first features drawn <= 1.5 s, p95 frame time while panning with 10,000 features in view <= 50 ms.

    .venv/bin/python bench/frontend.py                  # builds frontend/, starts MariaDB + API + site
    .venv/bin/python bench/frontend.py --runs 3 --pan-seconds 4
    .venv/bin/python bench/frontend.py --site-url http://127.0.0.1:8080   # first features only, any running site

What is measured:
* **initial JS / CSS**: the files index.html loads (module script, modulepreloads, stylesheets),
  gzip level 6 as a CDN compresses them; the MapLibre worker and the land outline, fetched right
  after, are listed on their own.
* **first features drawn**: from navigation start to the app's User Timing mark
  ``geoapp:first-features-drawn`` (set when MapLibre goes idle after drawing the first non-empty
  set of features), in a fresh browser context (cold cache) each run; for the sample collection
  and for a view holding 10,000 generated points (10 pages of 1,000).
* **frame time while panning**: requestAnimationFrame intervals while the mouse drags the map
  back and forth over the 10,000 points (clustered by the GeoJSON source), for ``--pan-seconds``;
  and, as a reference for what software WebGL costs by itself here, over an empty stretch of sea.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "backend"))

from tests.frontend.site import CHROMIUM_ARGS, build_frontend, chromium_path, csp_for, serve_site  # noqa: E402

POINTS = 10_000
BOX = (4.0, 44.0, 16.0, 52.0)  # where the generated points lie (central Europe)
PAN_VIEW = "5.2/48/10"  # zoom/lat/lon that holds the whole box in the map of a 1280x800 window
FIRST_DRAW = "geoapp:first-features-drawn"


# -- bundle size ----------------------------------------------------------------------------------
def bundle_sizes(dist: Path) -> dict[str, int]:
    html = (dist / "index.html").read_text()
    initial = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"', html)
    css = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)

    def gz(paths: list[str]) -> int:
        return sum(len(gzip.compress((dist / p.lstrip("/")).read_bytes(), compresslevel=6)) for p in paths)

    assets = dist / "assets"
    worker = sorted(assets.glob("maplibre-gl-worker-*.mjs"))
    land = sorted(assets.glob("land-110m-*.json"))
    return {
        "initial JS": gz(initial),
        "initial CSS": gz(css),
        "MapLibre worker": gz([f"/assets/{p.name}" for p in worker]),
        "land outline": gz([f"/assets/{p.name}" for p in land]),
        "files": len(initial) + len(css),
    }


# -- the local stack: MariaDB with the sample data and 10,000 points, the API, the site -------------
def points_geojson(path: Path, count: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    minx, miny, maxx, maxy = BOX
    features = [
        {
            "type": "Feature",
            "id": f"p{i}",
            "geometry": {"type": "Point", "coordinates": [round(rng.uniform(minx, maxx), 5), round(rng.uniform(miny, maxy), 5)]},
            "properties": {"name": f"Point {i}", "n": i},
        }
        for i in range(count)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "Benchmark points", "features": features}))
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")


def local_stack(stack: ExitStack, work: Path) -> str:
    from devtools.mariadb_sandbox import MariaDBSandbox, free_port
    from geoapi.db import make_engine
    from geoapi.seed import seed
    from tests.backend.conftest import APP_PASSWORD, APP_USER, _make_database
    from tests.backend.serving import gunicorn_api

    sandbox = MariaDBSandbox().start()
    stack.callback(sandbox.stop)
    sandbox.create_user(APP_USER, APP_PASSWORD, grant_on="`geoapi\\_%`.*")
    db = _make_database(sandbox)
    points = work / "bench_points.geojson"
    points_geojson(points, POINTS)
    engine = make_engine(db.settings(), pool_size=1, max_overflow=0)
    try:
        seed(engine, str(points), collection_id="zz_bench", title="Benchmark points")
    finally:
        engine.dispose()
    api = stack.enter_context(gunicorn_api(database_url=db.url, jwks_url="http://127.0.0.1:9/jwks", log_dir=work, access_log=False))
    dist = build_frontend(work / "dist")
    config = {"apiBase": "/api", "auth0": None, "basemapStyleUrl": None, "defaultCollection": None, "publicReads": True}
    site = stack.enter_context(serve_site(dist, port=free_port(), api_root=api.root, config=config, csp=csp_for(None)))
    return site.url


# -- browser measurements -------------------------------------------------------------------------
TIMELINE = """(mark) => {
  const at = (e) => Math.round(e.responseEnd ?? e.startTime);
  const short = (u) => u.replace(location.origin, '').replace(/[?].*/, '').replace(/-[0-9a-f]{8}[.]/, '.');
  const nav = performance.getEntriesByType('navigation')[0];
  const rows = [['DOMContentLoaded', Math.round(nav.domContentLoadedEventEnd)]];
  for (const r of performance.getEntriesByType('resource')) rows.push([short(r.name), Math.round(r.startTime), at(r)]);
  for (const m of performance.getEntriesByType('mark')) rows.push([m.name, Math.round(m.startTime)]);
  return rows;
}"""


def first_draw_ms(browser, url: str, timeline: bool = False) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(f"() => performance.getEntriesByName('{FIRST_DRAW}').length > 0", timeout=60_000)
        if timeline:
            for row in page.evaluate(TIMELINE, FIRST_DRAW):
                print("    " + "  ".join(str(v) for v in row))
        return page.evaluate(f"() => performance.getEntriesByName('{FIRST_DRAW}')[0].startTime")
    finally:
        context.close()


RECORD_FRAMES = """() => {
  window.__frames = [];
  let last = performance.now();
  const tick = (now) => { window.__frames.push(now - last); last = now; if (window.__recording) requestAnimationFrame(tick); };
  window.__recording = true;
  requestAnimationFrame(tick);
}"""


def pan_frame_times(browser, url: str, seconds: float, expect: int) -> tuple[list[float], int]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(
            f"() => Number(document.querySelector('[data-testid=map]')?.dataset.drawnCount ?? -1) >= {expect}", timeout=120_000
        )
        page.wait_for_timeout(2500)  # the land outline comes 2 s after the start when no feature is drawn
        drawn = int(page.get_attribute("[data-testid=map]", "data-drawn-count") or 0)
        box = page.locator("[data-testid=map] canvas").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        # one drag first, checked: a pan that stopped after its first step would draw nothing and look fast
        start = page.url
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx - 250, cy, steps=10)
        page.mouse.up()
        page.wait_for_function("start => location.href !== start", arg=start, timeout=30_000)
        zoom, _, lon0 = (float(v) for v in re.search(r"view=([\d.]+)/([-\d.]+)/([-\d.]+)", start).groups())
        moved = float(re.search(r"view=[\d.]+/[-\d.]+/([-\d.]+)", page.url).group(1)) - lon0
        if moved < 0.9 * 250 / (512 * 2**zoom) * 360:
            raise SystemExit(f"a 250 px drag moved the map only {moved:.3f} degrees: the pan is broken, the frame times would mean nothing")
        page.evaluate(RECORD_FRAMES)
        deadline = time.monotonic() + seconds
        direction = 1
        while time.monotonic() < deadline:
            page.mouse.move(cx, cy)
            page.mouse.down()
            page.mouse.move(cx + direction * 250, cy + direction * 60, steps=25)
            page.mouse.up()
            direction = -direction
        page.evaluate("() => { window.__recording = false; }")
        return page.evaluate("() => window.__frames.slice(1)"), drawn
    finally:
        context.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site-url", help="measure an already running site (first features of its default view only)")
    parser.add_argument("--runs", type=int, default=5, help="navigations per first-draw figure (default 5)")
    parser.add_argument("--pan-seconds", type=float, default=6.0, help="how long to pan (default 6 s)")
    parser.add_argument("--timeline", action="store_true", help="print when each resource arrived (ms after navigation) for one run")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-frontend-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        url = args.site_url.rstrip("/") if args.site_url else local_stack(stack, work)
        print(f"site: {url} (ready in {time.perf_counter() - started:.1f} s); load average {os.getloadavg()[0]:.2f}")
        if not args.site_url:
            sizes = bundle_sizes(work / "dist")
            print(
                f"initial JS {sizes['initial JS'] / 1024:.1f} KiB gzip, initial CSS {sizes['initial CSS'] / 1024:.1f} KiB gzip "
                f"({sizes['files']} files); then the MapLibre worker {sizes['MapLibre worker'] / 1024:.1f} KiB "
                f"and the land outline {sizes['land outline'] / 1024:.1f} KiB"
            )
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        stack.callback(browser.close)

        views = {"default view": f"{url}/"}
        if not args.site_url:
            views[f"{POINTS:,} points"] = f"{url}/collections/zz_bench?view={PAN_VIEW}"
        for name, view_url in views.items():
            first_draw_ms(browser, view_url, timeline=args.timeline)  # warms the server side (pools, caches), not the browser
            times = [first_draw_ms(browser, view_url) for _ in range(args.runs)]
            print(
                f"first features drawn, {name}: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms "
                f"over {len(times)} cold navigations (target <= 1500 ms)"
            )
        if not args.site_url:
            pans = {
                f"the {POINTS:,} points": (views[f"{POINTS:,} points"], POINTS),
                "an empty sea (reference: the map alone)": (f"{url}/collections/zz_bench?view=5.2/0/-150", 0),
            }
            for name, (pan_url, expect) in pans.items():
                frames, drawn = pan_frame_times(browser, pan_url, args.pan_seconds, expect)
                print(
                    f"frame time while panning over {name}, {drawn:,} features in view, {len(frames)} frames: "
                    f"p50 {percentile(frames, 50):.1f} ms, p95 {percentile(frames, 95):.1f} ms, max {max(frames):.1f} ms (target p95 <= 50 ms)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
