"""The site's security response headers and its Content-Security-Policy: the one home.

Plain Python (no jsii): the CloudFront response headers policy (``modules/site/response_headers.py``)
is built from it, and the browser tests (``tests/frontend/site.py``) serve the SPA with the same
headers, so a CSP that breaks the SPA fails a browser test before it reaches an environment.

* :func:`content_security_policy`: the CSP for an environment's sign-in origin and basemap origins.
* :data:`SECURITY_HEADERS`: every other header, as the browser receives it.
* The ``HSTS_*``, :data:`FRAME_OPTION` and :data:`REFERRER_POLICY` constants: the same values in
  the shape CloudFront's ``security_headers_config`` takes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

HSTS_MAX_AGE_SECONDS = 63_072_000
"""Strict-Transport-Security max-age: two years (what hstspreload.org asks for)."""
HSTS_INCLUDE_SUBDOMAINS = True
HSTS_PRELOAD = True
FRAME_OPTION = "DENY"
"""X-Frame-Options: the SPA is never framed (CSP ``frame-ancestors 'none'`` says the same)."""
REFERRER_POLICY = "strict-origin-when-cross-origin"
CONTENT_TYPE_OPTIONS = "nosniff"


def strict_transport_security() -> str:
    """The Strict-Transport-Security value the constants above give."""
    parts = [f"max-age={HSTS_MAX_AGE_SECONDS}"]
    if HSTS_INCLUDE_SUBDOMAINS:
        parts.append("includeSubDomains")
    if HSTS_PRELOAD:
        parts.append("preload")
    return "; ".join(parts)


SECURITY_HEADERS: dict[str, str] = {
    "Strict-Transport-Security": strict_transport_security(),
    "X-Content-Type-Options": CONTENT_TYPE_OPTIONS,
    "X-Frame-Options": FRAME_OPTION,
    "Referrer-Policy": REFERRER_POLICY,
}
"""Every security header but the CSP, name -> value as sent (browsers ignore HSTS over plain HTTP)."""

# Why each directive (the SPA in frontend/, built by Vite, MapLibre for the map, oidc-client for sign-in):
#   script-src 'self'          the bundle only: no inline scripts, no eval (zod runs jitless)
#   style-src 'self'           the bundled CSS files; the app sets no style attributes or <style> tags
#   img-src data: blob:        MapLibre's control icons are data: SVGs; images it decodes become blob: URLs
#   worker-src 'self'          MapLibre's worker is a file of the build (setWorkerUrl), not a blob:
#   connect-src                /api and config.json ('self'), the issuer's discovery and token endpoints,
#                              a basemap's style, tiles, glyphs and sprites
#   frame-src 'none'           no silent-renew iframe (automaticSilentRenew is off)
_DIRECTIVES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("default-src", ("'self'",)),
    ("script-src", ("'self'",)),
    ("style-src", ("'self'",)),
    ("img-src", ("'self'", "data:", "blob:")),
    ("font-src", ("'self'",)),
    ("connect-src", ("'self'",)),
    ("worker-src", ("'self'",)),
    ("frame-src", ("'none'",)),
    ("frame-ancestors", ("'none'",)),
    ("form-action", ("'self'",)),
    ("base-uri", ("'self'",)),
    ("object-src", ("'none'",)),
)
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?")


def _origin(value: str, what: str) -> str:
    if not _ORIGIN.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not an origin (scheme://host[:port], no path)")
    return value


def content_security_policy(auth_origin: str | None, basemap_origins: Iterable[str] = ()) -> str:
    """The site's CSP.

    Args:
        auth_origin: the sign-in origin (Auth0: ``https://<tenant domain>``), added to
            ``connect-src``. None: no sign-in origin (a site that only reads).
        basemap_origins: origins of a basemap's style, tiles, glyphs and sprites, added to
            ``connect-src`` and ``img-src``. Default: none (the SPA draws its own land layer).

    Raises:
        ValueError: an argument is not an origin (``scheme://host[:port]``).
    """
    basemaps = tuple(_origin(o, "basemap origin") for o in basemap_origins)
    extra = {"connect-src": ((_origin(auth_origin, "auth_origin"),) if auth_origin else ()) + basemaps, "img-src": basemaps}
    directives = []
    for name, sources in _DIRECTIVES:
        added = [s for s in extra.get(name, ()) if s not in sources]
        directives.append(" ".join((name, *sources, *dict.fromkeys(added))))
    return "; ".join(directives)
