"""StaticSite: the assets bucket, the distribution and its response headers, composed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from constructs import Construct

from environment.config import SiteSettings
from modules.site.bucket import AssetsBucket
from modules.site.distribution import ApiOrigin, SiteDistribution, SpaFallback
from modules.site.response_headers import SecurityHeadersPolicy

_BUCKET_PREFIX_MAX = 37  # Terraform's limit for bucket_prefix
_NAME_PREFIX = re.compile(r"[a-z][a-z0-9-]*")


class StaticSite(Construct):
    """Private assets bucket + CloudFront distribution (SPA at ``/``, API at ``/api/*``).

    Attributes (after construction):
        bucket: the assets ``S3Bucket`` (its ``bucket`` is the name ops uploads to).
        bucket_policy: its ``S3BucketPolicy`` (TLS only; this distribution is the only reader).
        origin_access_control: the ``CloudfrontOriginAccessControl`` CloudFront signs with.
        spa_routing_function: the ``CloudfrontFunction`` of the ``function`` SPA fallback
            (None with ``error_responses``).
        response_headers_policy: the ``CloudfrontResponseHeadersPolicy`` of both behaviours.
        content_security_policy: the CSP that policy sends.
        distribution: the ``CloudfrontDistribution``.
        distribution_arn: ARN of the distribution (token).
        site_url: ``https://<cname>`` when the site has a CNAME, else
            ``https://<distribution domain>`` (token). No trailing slash.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        assets_prefix: str,
        api_origin_domain: str,
        api_vpc_origin_id: str,
        site: SiteSettings,
        kms_key_arn: str,
        auth_origin: str | None,
        basemap_origins: Sequence[str] = (),
        force_destroy: bool = False,
        spa_fallback: SpaFallback = "function",
        comment: str | None = None,
        web_acl_arn: str | None = None,
        access_logs: dict | None = None,
    ) -> None:
        """Build the bucket, its policy, the response headers policy, the OAC and the distribution.

        Args:
            name_prefix: lower-case prefix for names, e.g. ``geoapp-staging``. The bucket is
                ``<name_prefix>-assets-<random suffix>`` (Terraform ``bucket_prefix``), so the
                prefix may be at most 29 characters.
            assets_prefix: key prefix in the bucket CloudFront serves, without leading or
                trailing ``/`` (``site/current``); the origin path is ``/`` + it.
            api_origin_domain: the name CloudFront sends the API as ``Host`` (and TLS SNI): the
                internal load balancer's DNS name, or the origin TLS domain (a token is fine).
            api_vpc_origin_id: the CloudFront VPC origin (``aws_cloudfront_vpc_origin``) of the
                API's internal load balancer: ``/api/*`` reaches it through that origin only,
                on the port and protocol the VPC origin sets.
            site: CNAME, ACM certificate and price class from the env file. With a CNAME the
                distribution answers to it with that certificate (SNI, TLSv1.2_2021);
                without, it uses the default ``*.cloudfront.net`` certificate.
            kms_key_arn: the environment's customer-managed KMS key (SSE-KMS, bucket key on).
                Its key policy must let ``cloudfront.amazonaws.com`` decrypt for this account's
                distributions (``modules/kms.py`` does).
            auth_origin: the sign-in origin (``https://<Auth0 domain>``) the CSP lets the SPA connect to; None for none.
            basemap_origins: basemap origins the CSP lets the SPA fetch from. Default: none.
            force_destroy: let ``terraform destroy`` delete a non-empty bucket. Default: False
                (turn on only for throw-away environments).
            spa_fallback: ``"function"`` (a CloudFront Function rewrites client-side routes to
                ``/index.html``; API errors untouched) or ``"error_responses"`` (403/404 of
                every origin, the API's included, become ``/index.html`` with 200; for the
                moto emulator, which cannot publish functions). Default: ``"function"``.
            comment: distribution comment. Default: ``<name_prefix> static site and API``.
            web_acl_arn: WAF v2 web ACL (CLOUDFRONT scope) in front of the distribution. Default: none.
            access_logs: standard logging (``logging_config``; :attr:`modules.edge_logs.EdgeLogs.cloudfront_logging`). Default: none.

        Raises:
            ValueError: every bad argument, named, in one message starting ``StaticSite: ``.
        """
        super().__init__(scope, id_)
        _check_args(name_prefix=name_prefix, assets_prefix=assets_prefix, spa_fallback=spa_fallback)
        assets = AssetsBucket(self, name_prefix=name_prefix, kms_key_arn=kms_key_arn, force_destroy=force_destroy)
        headers = SecurityHeadersPolicy(self, name_prefix=name_prefix, auth_origin=auth_origin, basemap_origins=basemap_origins)
        cdn = SiteDistribution(
            self,
            name_prefix=name_prefix,
            bucket=assets.bucket,
            assets_prefix=assets_prefix,
            api=ApiOrigin(domain=api_origin_domain, vpc_origin_id=api_vpc_origin_id),
            site=site,
            response_headers_policy_id=headers.id,
            spa_fallback=spa_fallback,
            comment=comment if comment is not None else f"{name_prefix} static site and API",
            web_acl_arn=web_acl_arn,
            access_logs=access_logs,
        )
        self.bucket = assets.bucket
        self.bucket_policy = assets.readable_only_by(cdn.distribution.arn)
        self.response_headers_policy = headers.policy
        self.content_security_policy = headers.content_security_policy
        self.origin_access_control = cdn.origin_access_control
        self.spa_routing_function = cdn.spa_routing_function
        self.distribution = cdn.distribution
        self.distribution_arn: str = self.distribution.arn
        self.site_url: str = f"https://{site.cname}" if site.cname is not None else f"https://{self.distribution.domain_name}"


def _check_args(*, name_prefix: str, assets_prefix: str, spa_fallback: str) -> None:
    problems = []
    bucket_prefix = f"{name_prefix}-assets-"
    if len(bucket_prefix) > _BUCKET_PREFIX_MAX:
        problems.append(
            f"name_prefix {name_prefix!r} is too long: the bucket prefix {bucket_prefix!r} must be at most {_BUCKET_PREFIX_MAX} characters"
        )
    if not _NAME_PREFIX.fullmatch(name_prefix):
        problems.append(f"name_prefix {name_prefix!r} must be lower-case letters, digits and '-', starting with a letter")
    if not assets_prefix or assets_prefix.startswith("/") or assets_prefix.endswith("/"):
        problems.append(f"assets_prefix {assets_prefix!r} must be non-empty, without leading or trailing '/'")
    if spa_fallback not in ("function", "error_responses"):
        problems.append(f"spa_fallback {spa_fallback!r} must be 'function' or 'error_responses'")
    if problems:
        raise ValueError("StaticSite: " + "; ".join(problems))
