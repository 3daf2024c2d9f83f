"""Fixtures for the frontend tests: the SPA served the way CloudFront serves it, in headless Chromium.

* ``site`` (session): what the browser tests run against: a base URL, the database behind its API,
  the issuer its sign-in uses. Today it is ``local_site``; when ``make local`` serves the whole
  system through its edge, override ``site`` to return that site URL (and that database and
  issuer) and every test here runs through the local edge unchanged.
* ``local_site`` (session): a fresh ``vite build`` of frontend/, served with the proposed CSP by
  :func:`tests.frontend.site.serve_site`, its ``/api`` proxied to gunicorn (the container's
  command) on a private MariaDB holding backend/sample plus a ``sketches`` collection for edits;
  sign-in through the local OIDC issuer (oidc-provider), whose JWKS the API trusts.
* ``browser`` (session) and ``page`` (per test): Debian's Chromium driven by Playwright, with every
  console error, page error and CSP violation recorded (``page.problems()``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from tests.backend import serving
from tests.backend.conftest import Database, _make_database
from tests.backend.conftest import mariadb as mariadb  # noqa: PLC0414 - fixture reused from the backend tests
from tests.backend.serving import AUDIENCE, gunicorn_api
from tests.frontend.site import CHROMIUM_ARGS, LocalIssuer, build_frontend, chromium_path, csp_for, local_issuer, serve_site

SKETCHES = {
    "type": "FeatureCollection",
    "name": "Sketches",
    "features": [
        {
            "type": "Feature",
            "id": "start",
            "geometry": {"type": "Point", "coordinates": [-30.0, 40.0]},
            "properties": {"name": "Start here"},
        }
    ],
}
"""A collection the edit tests write to (sorted after ``places``, so ``places`` stays the first)."""


@dataclass
class Site:
    url: str
    """``http://host:port`` of the site (no trailing slash); the API is under ``/api``."""
    db: Database
    issuer: LocalIssuer
    csp: str
    config: dict[str, Any] = field(default_factory=dict)
    """The config.json the local site serves (a test may change it and put it back)."""
    api_requests: list[str] = field(default_factory=list)
    """Paths of the /api requests the site has proxied (local site only)."""

    def rows(self, sql: str, *args: Any) -> list[tuple]:
        return self.db.rows(sql, *args)


@pytest.fixture(scope="session")
def frontend_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_frontend(tmp_path_factory.mktemp("frontend") / "dist")


@pytest.fixture(scope="session")
def site_db(mariadb) -> Iterator[Database]:
    from geoapi.db import make_engine
    from geoapi.seed import seed

    db = _make_database(mariadb)
    sketches = Path(mariadb.basedir) / "sketches.geojson"
    sketches.write_text(json.dumps(SKETCHES))
    # the seed checks a file against its recorded SHA-256 (sha256sum format, beside it)
    Path(f"{sketches}.sha256").write_text(f"{hashlib.sha256(sketches.read_bytes()).hexdigest()}  sketches.geojson\n")
    engine = make_engine(db.settings(), pool_size=1, max_overflow=0)
    try:
        seed(engine, str(sketches), collection_id="sketches", title="Sketches")
    finally:
        engine.dispose()
    yield db
    mariadb.execute(f"DROP DATABASE `{db.name}`")


@pytest.fixture(scope="session")
def local_site(frontend_dist: Path, site_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("site")
    port = serving.free_port()
    url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        issuer = stack.enter_context(
            local_issuer(redirect_uris=[f"{url}/auth/callback"], post_logout_redirect_uris=[f"{url}/"], audience=AUDIENCE, work_dir=work)
        )
        # gunicorn_api trusts tests.backend.conftest.ISSUER; this API trusts the local issuer instead
        # (patched only while the server starts, so no other test sees it)
        with patch.object(serving, "ISSUER", issuer.url):
            api = stack.enter_context(gunicorn_api(database_url=site_db.url, jwks_url=issuer.jwks_url, log_dir=work))
        config = {
            "apiBase": "/api",
            "auth0": {"authority": issuer.url, "clientId": issuer.client_id, "audience": AUDIENCE},
            "basemapStyleUrl": None,
            "defaultCollection": None,
            "publicReads": True,
        }
        csp = csp_for(issuer.url)
        server = stack.enter_context(serve_site(frontend_dist, port=port, api_root=api.root, config=config, csp=csp))
        yield Site(url=server.url, db=site_db, issuer=issuer, csp=csp, config=server.config, api_requests=server.api_requests)


@pytest.fixture(scope="session")
def site(local_site: Site) -> Site:
    """The site under test (override this to run the same tests through ``make local``'s edge)."""
    return local_site


# -- the browser ----------------------------------------------------------------------------
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: `.venv/bin/pip install 'playwright==1.65.*'` (a Pipfile dev package)")
    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Problems:
    """Console errors, uncaught page errors and CSP violations seen by one page."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text} ({m.location.get('url')})") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))

    def all(self) -> list[str]:
        violations: list[str] = []
        try:
            violations = self.page.evaluate("window.__cspViolations || []")
        except Exception as exc:  # the page may be on the issuer's origin, or closing
            violations = [] if "Execution context" in str(exc) else [f"cannot read CSP violations: {exc}"]
        return self.console + [f"CSP violation: {v}" for v in violations]


@pytest.fixture
def page(browser, tmp_path: Path):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(RECORD_CSP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.problems = Problems(page)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """Where a test saves screenshots (a pytest tmp dir; the path is printed)."""
    out = tmp_path / "artifacts"
    out.mkdir()
    return out
