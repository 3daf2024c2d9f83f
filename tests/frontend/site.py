"""The pieces the browser tests (and bench/frontend.py) put together to serve the SPA locally.

* :func:`build_frontend`: ``vite build`` of the current sources into a directory.
* :func:`local_issuer`: the local OpenID Connect issuer (frontend/devtools/oidc-issuer.mjs, the
  ``oidc-provider`` package), standing in for Auth0, with an RSA key this process also holds, so
  a test can mint tokens with the issuer's own key (expired ones, for instance).
* :func:`serve_site`: a stand-in for the CloudFront distribution: the built files, ``/config.json``,
  ``/api/*`` proxied to the API with the viewer's Host header, the SPA fallback (``index.html`` for
  any path that is not a file) and the security headers, the CSP among them.
  Built from werkzeug's ``SharedDataMiddleware`` and ``ProxyMiddleware``.
* :func:`csp_for` and :data:`SECURITY_HEADERS`: the headers the CloudFront response headers policy sends,
  from their one home, ``environment/site_headers.py``.

When ``make local`` serves the site through its own edge, the tests get its URL instead (see
``site`` in conftest.py); nothing here is then used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.middleware.http_proxy import ProxyMiddleware
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from environment.site_headers import SECURITY_HEADERS, content_security_policy

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
WRITE_SCOPE = "write:features"


def csp_for(auth_origin: str | None) -> str:
    """The site's CSP for sign-in at ``auth_origin``: the one the CloudFront response headers policy sends."""
    return content_security_policy(auth_origin)


def require_node_modules() -> Path:
    """frontend/node_modules/.bin, or fail the test saying how to install it."""
    bin_dir = FRONTEND / "node_modules" / ".bin"
    if not (bin_dir / "vite").exists():
        pytest.fail("frontend/node_modules is missing: run `make install` (it runs `npm ci` in frontend/)")
    return bin_dir


def build_frontend(out_dir: Path) -> Path:
    """``vite build`` of the current sources into ``out_dir`` (frontend/dist is left alone)."""
    bin_dir = require_node_modules()
    result = subprocess.run(
        [str(bin_dir / "vite"), "build", "--outDir", str(out_dir), "--emptyOutDir", "--logLevel", "warn"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"vite build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return out_dir


# -- the local OpenID Connect issuer ------------------------------------------------------------
@dataclass
class LocalIssuer:
    url: str
    """Issuer identifier (``iss``), e.g. ``http://127.0.0.1:41234``."""
    jwks_url: str
    kid: str
    key: rsa.RSAPrivateKey
    audience: str
    client_id: str
    users: dict[str, str]
    """user name -> password; ``editor`` holds write:features, ``viewer`` does not."""
    log: Path

    def token(
        self, *, expires_in: int = 300, scope: str = f"openid {WRITE_SCOPE}", key: rsa.RSAPrivateKey | None = None, **claims: Any
    ) -> str:
        """An access token shaped like the issuer's own, signed with its key (or ``key``)."""
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": self.audience,
            "sub": "editor",
            "client_id": self.client_id,
            "iat": min(now - 5, now + expires_in - 60),
            "exp": now + expires_in,
            "scope": scope,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid, "typ": "at+jwt"})


@contextmanager
def local_issuer(
    *, redirect_uris: list[str], post_logout_redirect_uris: list[str] = (), audience: str, work_dir: Path, client_id: str = "geoapp-spa"
) -> Iterator[LocalIssuer]:
    require_node_modules()
    node = shutil.which("node")
    if not node:
        pytest.fail("node is not on PATH: install Node.js 20 (the frontend toolchain)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = "local-test-key"
    keys_file = work_dir / "issuer-keys.json"
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    jwk.pop("key_ops", None)  # PyJWT writes ["sign"]; the issuer also verifies with it (id_token_hint at logout)
    keys_file.write_text(json.dumps({"keys": [{**jwk, "kid": kid}]}))
    keys_file.chmod(0o600)
    users = {"editor": "editor-pass", "viewer": "viewer-pass"}
    args = [node, str(FRONTEND / "devtools" / "oidc-issuer.mjs"), "--port", "0", "--client-id", client_id, "--audience", audience]
    args += ["--keys", str(keys_file), "--user", f"editor:{users['editor']}:{WRITE_SCOPE}", "--user", f"viewer:{users['viewer']}:"]
    for uri in redirect_uris:
        args += ["--redirect-uri", uri]
    for uri in post_logout_redirect_uris:
        args += ["--post-logout-redirect-uri", uri]
    log = work_dir / "issuer.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(args, cwd=FRONTEND, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        line = _first_line(process, timeout=30)
        if not line:
            pytest.fail(f"the local OIDC issuer did not start:\n{log.read_text()[-3000:]}")
        started = json.loads(line)
        yield LocalIssuer(started["issuer"], started["jwks_uri"], kid, key, audience, client_id, users, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline() if process.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


# -- the site: static files, /config.json, /api proxy, SPA fallback, security headers ---------------
@dataclass
class SiteServer:
    url: str
    csp: str
    config: dict[str, Any]
    """What /config.json serves (the same dict: changes show at the next request)."""
    api_requests: list[str] = field(default_factory=list)


def _site_app(dist: Path, *, api_root: str, config: dict[str, Any], csp: str, api_requests: list[str]) -> Callable:
    index = (dist / "index.html").read_bytes()

    @Request.application
    def fallback(request: Request) -> Response:
        if request.path == "/config.json":
            # read at each request: a test may change the served config (SiteServer.config)
            return Response(json.dumps(config), mimetype="application/json", headers={"Cache-Control": "no-cache"})
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed", status=405)
        # CloudFront's custom error responses: 403/404 from S3 -> /index.html with 200
        return Response(index, mimetype="text/html", headers={"Cache-Control": "no-cache"})

    static = SharedDataMiddleware(fallback, {"/": str(dist)}, cache_timeout=3600)
    proxied = ProxyMiddleware(static, {"/api/": {"target": api_root, "host": None}}, timeout=30)

    def app(environ: dict, start_response: Callable) -> Any:
        if environ["PATH_INFO"].startswith("/api/"):
            api_requests.append(environ["PATH_INFO"] + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""))

        def with_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            names = {name.lower() for name, _ in headers}
            extra = [(k, v) for k, v in {"Content-Security-Policy": csp, **SECURITY_HEADERS}.items() if k.lower() not in names]
            return start_response(status, headers + extra, exc_info)

        return proxied(environ, with_headers)

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def serve_site(dist: Path, *, port: int, api_root: str, config: dict[str, Any], csp: str) -> Iterator[SiteServer]:
    """Serve ``dist`` on 127.0.0.1:``port`` until the block ends."""
    site = SiteServer(url=f"http://127.0.0.1:{port}", csp=csp, config=config)
    server = make_server(
        "127.0.0.1",
        port,
        _site_app(dist, api_root=api_root, config=config, csp=csp, api_requests=site.api_requests),
        threaded=True,
        request_handler=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str:
    """Debian's chromium, or fail the test naming the install step (never skip: CI counts skips as failures)."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "chromium is not installed: `apt-get install -y chromium` (Debian package; Playwright's own download needs the internet)"
        )
    return path


CHROMIUM_ARGS = ["--no-sandbox", "--enable-unsafe-swiftshader"]
"""Headless Chromium as root, with WebGL 2 through SwiftShader (never add --disable-gpu: it turns WebGL off)."""
