"""The site's response headers policy: HSTS, nosniff, frame options, referrer policy and the CSP."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import CloudfrontResponseHeadersPolicy
from constructs import Construct

from environment.site_headers import (
    FRAME_OPTION,
    HSTS_INCLUDE_SUBDOMAINS,
    HSTS_MAX_AGE_SECONDS,
    HSTS_PRELOAD,
    REFERRER_POLICY,
    content_security_policy,
)


class SecurityHeadersPolicy:
    """A CloudFront response headers policy with the headers of :mod:`environment.site_headers`.

    A part of :class:`modules.site.StaticSite`, created in its scope (id ``response-headers``).
    Every header overrides one the origin may send: the site decides them, not S3 or the API.

    Args:
        name_prefix: the policy is ``<name_prefix>-security-headers``.
        auth_origin: sign-in origin (``https://<Auth0 domain>``) the CSP lets the SPA connect to.
        basemap_origins: basemap origins the CSP lets the SPA fetch from. Default: none.

    Attributes: ``policy`` (the ``CloudfrontResponseHeadersPolicy``), ``id`` (its id, a token),
    ``content_security_policy`` (the CSP it sends).
    """

    def __init__(self, scope: Construct, *, name_prefix: str, auth_origin: str | None, basemap_origins: Sequence[str] = ()):
        self.content_security_policy = content_security_policy(auth_origin, basemap_origins)
        self.policy = CloudfrontResponseHeadersPolicy(
            scope,
            "response-headers",
            name=f"{name_prefix}-security-headers",
            comment=f"{name_prefix}: HSTS, nosniff, frame and referrer policy, CSP of the SPA",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": HSTS_MAX_AGE_SECONDS,
                    "include_subdomains": HSTS_INCLUDE_SUBDOMAINS,
                    "preload": HSTS_PRELOAD,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": FRAME_OPTION, "override": True},
                "referrer_policy": {"referrer_policy": REFERRER_POLICY, "override": True},
                "content_security_policy": {"content_security_policy": self.content_security_policy, "override": True},
            },
        )
        self.id: str = self.policy.id
