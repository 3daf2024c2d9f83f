"""The static site: a private S3 bucket served by CloudFront, which also proxies ``/api/*``.

One distribution is the only public entry point of an environment:

* the default behaviour serves the SPA's files from S3 under ``assets_prefix``
  (``origin_path``), read through origin access control (OAC) and nothing else;
* ``/api/*`` goes to the API's load balancer with caching off, every method allowed, and
  the viewer's headers (``Authorization`` included), cookies and query strings forwarded;
* SPA fallback: a client-side route (``/map/42``) is answered with ``/index.html`` and 200.

SPA fallback comes in two forms (``spa_fallback``):

* ``"function"`` (default): a CloudFront Function on the default behaviour only rewrites
  paths whose last segment has no file extension to ``/index.html``. ``/api/*`` responses
  pass through untouched.
* ``"error_responses"``: the distribution's custom error responses turn every 403 and 404
  into ``/index.html`` with 200. CloudFront applies custom error responses to the whole
  distribution, so the API's own 403 (missing ``write:features``) and 404 (no such
  feature) also become a 200 HTML page. Use it only where CloudFront Functions are not
  available: moto (the local emulator) has no ``PublishFunction``.

The bucket is encrypted with the environment's customer-managed KMS key. CloudFront can
only read such objects when the key policy lets ``cloudfront.amazonaws.com`` decrypt on
behalf of this distribution: :attr:`StaticSite.kms_key_policy_statement` is that statement,
ready to be added to the key policy by whoever owns the key.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionCustomErrorResponse,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation,
    CloudfrontDistributionOrderedCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginCustomOriginConfig,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_function import CloudfrontFunction
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from environment.config import SiteSettings
from modules.storage import PrivateBucket

# AWS-managed CloudFront policies, referenced by their documented, fixed ids
# (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
#  and .../using-managed-origin-request-policies.html). Ids, not data-source look-ups: moto does
# not model cache or origin-request policies, so a look-up would fail on the emulator, while a
# distribution that names the ids is stored and read back unchanged.
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""Managed-CachingOptimized: long TTLs, no cookies/query strings in the key (static assets)."""
CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
"""Managed-CachingDisabled: min/default/max TTL 0, nothing is cached."""
ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
"""Managed-AllViewerExceptHostHeader: every viewer header (Authorization included), cookie and
query string reaches the origin; Host is the origin's own name."""

ASSETS_ORIGIN_ID = "assets"
API_ORIGIN_ID = "api"
API_PATH_PATTERN = "/api/*"
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
SPA_FALLBACK_STATUS_CODES = (403, 404)
"""``error_responses`` mode: S3 answers 403 for a missing key (no s3:ListBucket grant)."""

SpaFallback = Literal["function", "error_responses"]

SPA_ROUTING_FUNCTION_CODE = """\
// Viewer-request handler of the default (S3) behaviour: client-side routes get the SPA.
// A path whose last segment has no '.' (/, /map, /features/42) is served /index.html;
// files (/assets/app.js, /favicon.ico) are fetched as they are, and a missing one stays 403.
function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""
"""JavaScript (``cloudfront-js-2.0``) of the ``function`` SPA fallback."""

_BUCKET_PREFIX_MAX = 37  # Terraform's limit for bucket_prefix
_NAME_PREFIX = re.compile(r"[a-z][a-z0-9-]*")


class StaticSite(Construct):
    """Private assets bucket + CloudFront distribution (SPA at ``/``, API at ``/api/*``).

    Attributes (after construction):
        bucket: the assets ``S3Bucket`` (its ``bucket`` is the name ops uploads to).
        origin_access_control: the ``CloudfrontOriginAccessControl`` CloudFront signs with.
        spa_routing_function: the ``CloudfrontFunction`` of the ``function`` SPA fallback
            (None with ``error_responses``).
        distribution: the ``CloudfrontDistribution``.
        distribution_arn: ARN of the distribution (token), for key-policy conditions.
        site_url: ``https://<cname>`` when the site has a CNAME, else
            ``https://<distribution domain>`` (token). No trailing slash.
        kms_key_policy_statement: the key-policy statement (a dict, tokens inside) that lets
            CloudFront decrypt objects of this bucket for this distribution only.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        assets_prefix: str,
        api_origin_domain: str,
        site: SiteSettings,
        kms_key_arn: str,
        api_origin_port: int = 80,
        api_origin_tls: bool = False,
        force_destroy: bool = False,
        spa_fallback: SpaFallback = "function",
        comment: str | None = None,
        web_acl_arn: str | None = None,
    ) -> None:
        """Build the bucket, its policy, the OAC and the distribution.

        Args:
            name_prefix: lower-case prefix for names, e.g. ``geoapp-staging``. The bucket is
                ``<name_prefix>-assets-<random suffix>`` (Terraform ``bucket_prefix``), so the
                prefix may be at most 29 characters.
            assets_prefix: key prefix in the bucket CloudFront serves, without leading or
                trailing ``/`` (``site/current``); the origin path is ``/`` + it.
            api_origin_domain: DNS name of the API's load balancer (a token is fine).
            site: CNAME, ACM certificate and price class from the env file. With a CNAME the
                distribution answers to it with that certificate (SNI, TLSv1.2_2021);
                without, it uses the default ``*.cloudfront.net`` certificate.
            kms_key_arn: the environment's customer-managed KMS key (SSE-KMS, bucket key on).
            api_origin_port: port of the load balancer's listener. Default: 80.
            api_origin_tls: CloudFront connects to the API over TLS (``https-only``,
                TLSv1.2) to ``api_origin_domain`` on ``api_origin_port``; the NLB then has a
                TLS listener with a certificate for that name. Default: False (HTTP).
            force_destroy: let ``terraform destroy`` delete a non-empty bucket. Default: False
                (turn on only for throw-away environments).
            spa_fallback: ``"function"`` (a CloudFront Function rewrites client-side routes to
                ``/index.html``; API errors untouched) or ``"error_responses"`` (403/404 of
                every origin, the API's included, become ``/index.html`` with 200; for the
                moto emulator, which cannot publish functions). Default: ``"function"``.
            comment: distribution comment. Default: ``<name_prefix> static site and API``.
            web_acl_arn: WAF v2 web ACL (CLOUDFRONT scope) in front of the distribution.
                Default: none.
        """
        super().__init__(scope, id_)
        _check_args(
            name_prefix=name_prefix,
            assets_prefix=assets_prefix,
            api_origin_port=api_origin_port,
            spa_fallback=spa_fallback,
        )

        # ---- bucket -------------------------------------------------------------------
        # Old asset versions expire after 30 days: publishes replace whole builds, and a
        # rollback re-publishes from CI rather than from S3 history.
        self.bucket = PrivateBucket(
            self, "bucket", kms_key_arn=kms_key_arn, name_prefix=f"{name_prefix}-assets-", force_destroy=force_destroy, noncurrent_days=30
        ).bucket

        # ---- CloudFront -----------------------------------------------------------------
        self.origin_access_control = CloudfrontOriginAccessControl(
            self,
            "oac",
            name=f"{name_prefix}-assets",
            description=f"CloudFront reads {name_prefix} site assets from S3",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )

        self.spa_routing_function: CloudfrontFunction | None = None
        function_associations = None
        custom_error_responses = None
        if spa_fallback == "function":
            self.spa_routing_function = CloudfrontFunction(
                self,
                "spa-routing",
                name=f"{name_prefix}-spa-routing",
                runtime="cloudfront-js-2.0",
                comment="Serve /index.html for client-side routes of the SPA",
                code=SPA_ROUTING_FUNCTION_CODE,
                publish=True,
            )
            function_associations = [
                CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation(
                    event_type="viewer-request", function_arn=self.spa_routing_function.arn
                )
            ]
        else:
            custom_error_responses = [
                CloudfrontDistributionCustomErrorResponse(
                    error_code=code,
                    response_code=200,
                    response_page_path="/index.html",
                    error_caching_min_ttl=10,
                )
                for code in SPA_FALLBACK_STATUS_CODES
            ]

        if site.cname is not None:
            aliases = [site.cname]
            viewer_certificate = CloudfrontDistributionViewerCertificate(
                acm_certificate_arn=site.certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            )
        else:
            aliases = None
            # The default certificate cannot pin a minimum TLS version (CloudFront keeps TLSv1
            # for *.cloudfront.net); set a CNAME + certificate to enforce TLS 1.2.
            viewer_certificate = CloudfrontDistributionViewerCertificate(cloudfront_default_certificate=True)

        self.distribution = CloudfrontDistribution(
            self,
            "distribution",
            enabled=True,
            comment=comment if comment is not None else f"{name_prefix} static site and API",
            aliases=aliases,
            default_root_object="index.html",
            web_acl_id=web_acl_arn,
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=site.price_class,
            origin=[
                CloudfrontDistributionOrigin(
                    origin_id=ASSETS_ORIGIN_ID,
                    domain_name=self.bucket.bucket_regional_domain_name,
                    origin_path=f"/{assets_prefix}",
                    origin_access_control_id=self.origin_access_control.id,
                ),
                CloudfrontDistributionOrigin(
                    origin_id=API_ORIGIN_ID,
                    domain_name=api_origin_domain,
                    custom_origin_config=CloudfrontDistributionOriginCustomOriginConfig(
                        # TLS listener on the NLB: https-only; plain TCP listener: http-only.
                        origin_protocol_policy="https-only" if api_origin_tls else "http-only",
                        http_port=80 if api_origin_tls else api_origin_port,
                        https_port=api_origin_port if api_origin_tls else 443,
                        origin_ssl_protocols=["TLSv1.2"],
                    ),
                ),
            ],
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                target_origin_id=ASSETS_ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                function_association=function_associations,
            ),
            ordered_cache_behavior=[
                # Caching off, everything forwarded: managed CachingDisabled + AllViewerExceptHostHeader
                # (the pair AWS documents for API origins). An all-viewer-headers origin request
                # policy forwards Authorization too (AWS only refuses Authorization as a named
                # whitelist entry), cookies and every query string; Host is the NLB's name.
                # Legacy forwarded_values would also work but forwards only the headers listed
                # and needs TTLs pinned to 0 by hand; the managed ids are stored and read back
                # by moto as well (it does not model the policies, it just keeps the ids).
                CloudfrontDistributionOrderedCacheBehavior(
                    path_pattern=API_PATH_PATTERN,
                    target_origin_id=API_ORIGIN_ID,
                    viewer_protocol_policy="redirect-to-https",
                    allowed_methods=list(ALL_METHODS),
                    cached_methods=["GET", "HEAD"],
                    compress=True,
                    cache_policy_id=CACHING_DISABLED_POLICY_ID,
                    origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID,
                )
            ],
            custom_error_response=custom_error_responses,
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none"),
            ),
            viewer_certificate=viewer_certificate,
        )
        self.distribution_arn: str = self.distribution.arn
        self.site_url: str = f"https://{site.cname}" if site.cname is not None else f"https://{self.distribution.domain_name}"

        # ---- bucket policy: TLS only; CloudFront (this distribution) is the only reader ----
        bucket_objects = f"{self.bucket.arn}/*"
        policy = DataAwsIamPolicyDocument(
            self,
            "bucket-policy-document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    actions=["s3:*"],
                    resources=[self.bucket.arn, bucket_objects],
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="Bool", variable="aws:SecureTransport", values=["false"])],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowCloudFrontOriginAccessControl",
                    effect="Allow",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["cloudfront.amazonaws.com"])],
                    actions=["s3:GetObject"],
                    resources=[bucket_objects],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals", variable="AWS:SourceArn", values=[self.distribution_arn]
                        )
                    ],
                ),
            ],
        )
        self.bucket_policy = S3BucketPolicy(self, "bucket-policy", bucket=self.bucket.id, policy=policy.json)

        self.kms_key_policy_statement: dict[str, Any] = {
            "Sid": "AllowCloudFrontToDecryptSiteAssets",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": ["kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"AWS:SourceArn": self.distribution_arn}},
        }


def _check_args(*, name_prefix: str, assets_prefix: str, api_origin_port: int, spa_fallback: str) -> None:
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
    if not 1 <= api_origin_port <= 65535:
        problems.append(f"api_origin_port {api_origin_port} is not a TCP port")
    if spa_fallback not in ("function", "error_responses"):
        problems.append(f"spa_fallback {spa_fallback!r} must be 'function' or 'error_responses'")
    if problems:
        raise ValueError("StaticSite: " + "; ".join(problems))
