"""The static site: a private S3 bucket served by CloudFront, which also proxies ``/api/*``.

One distribution is the only public entry point of an environment. One module per part a
reader looks for:

* ``bucket.py``: the assets bucket (:class:`modules.storage.PrivateBucket`) and its policy
  (TLS only; origin access control of this distribution is the only reader);
* ``distribution.py``: the distribution, its origins and behaviours, the SPA fallback
  (CloudFront Function or custom error responses) and the viewer certificate;
* ``response_headers.py``: the response headers policy on both behaviours (HSTS, nosniff,
  frame options, referrer policy, and the CSP of :mod:`environment.site_headers`);
* ``site.py``: :class:`StaticSite`, which composes them;
* ``publish_role.py``: :class:`FrontendPublishRole`, the role a frontend pipeline assumes to publish.

SPA fallback comes in two forms (``spa_fallback``):

* ``"function"`` (default): a CloudFront Function on the default behaviour only rewrites
  paths whose last segment has no file extension to ``/index.html``. ``/api/*`` responses
  pass through untouched.
* ``"error_responses"``: the distribution's custom error responses turn every 403 and 404
  into ``/index.html`` with 200. CloudFront applies custom error responses to the whole
  distribution, so the API's own 403 (missing ``write:features``) and 404 (no such
  feature) also become a 200 HTML page. Use it only where CloudFront Functions are not
  available: moto (the local emulator) has no ``PublishFunction``.

The bucket is encrypted with the environment's customer-managed KMS key (SSE-KMS). CloudFront
can read such objects through OAC only because that key's policy lets ``cloudfront.amazonaws.com``
decrypt for this account's distributions (``modules/kms.py``, statement
``CloudFrontReadsAssetsOfThisAccount``); the bucket policy narrows reads to this distribution.
"""

from modules.site.distribution import (
    ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID,
    API_PATH_PATTERN,
    CACHING_DISABLED_POLICY_ID,
    CACHING_OPTIMIZED_POLICY_ID,
    SPA_ROUTING_FUNCTION_CODE,
    SpaFallback,
)
from modules.site.publish_role import FrontendPublishRole
from modules.site.site import StaticSite

__all__ = [
    "ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID",
    "API_PATH_PATTERN",
    "CACHING_DISABLED_POLICY_ID",
    "CACHING_OPTIMIZED_POLICY_ID",
    "FrontendPublishRole",
    "SPA_ROUTING_FUNCTION_CODE",
    "SpaFallback",
    "StaticSite",
]
