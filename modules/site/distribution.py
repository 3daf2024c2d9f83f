"""The site's CloudFront distribution: origins, behaviours, SPA fallback, certificate.

* the default behaviour serves the SPA's files from S3 under ``assets_prefix``
  (``origin_path``), read through origin access control (OAC) and nothing else;
* ``/api/*`` goes to the API's internal load balancer through its CloudFront VPC origin
  (``vpc_origin_config``; port and protocol are the VPC origin's), with caching off, every method allowed, and
  the viewer's headers (``Authorization`` included), cookies and query strings forwarded;
* both behaviours send the site's response headers policy (``response_headers_policy_id``);
* SPA fallback: a client-side route (``/map/42``) is answered with ``/index.html`` and 200,
  by a CloudFront Function (``"function"``) or by distribution-wide custom error responses
  (``"error_responses"``); see :class:`modules.site.StaticSite`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionCustomErrorResponse,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation,
    CloudfrontDistributionOrderedCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginVpcOriginConfig,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_function import CloudfrontFunction
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct

from environment.config import SiteSettings

# AWS-managed policies, referenced by their documented fixed ids (see
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
# and .../using-managed-origin-request-policies.html).
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""Managed-CachingOptimized: long TTLs, gzip/brotli, no headers/cookies/query strings in the key."""
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


@dataclass(frozen=True)
class ApiOrigin:
    """Where CloudFront reaches the API: the VPC origin ``vpc_origin_id`` (the internal load
    balancer; its port and protocol), sending ``domain`` as ``Host`` and TLS SNI."""

    domain: str
    vpc_origin_id: str


class SiteDistribution:
    """The OAC, the optional SPA routing function, and the distribution.

    A part of :class:`modules.site.StaticSite`, created in its scope with the ids it had before
    the split (``oac``, ``spa-routing``, ``distribution``), so Terraform's logical ids do not change.

    Args:
        name_prefix: names the OAC (``<name_prefix>-assets``) and function (``<name_prefix>-spa-routing``).
        bucket: the assets bucket (its regional domain name is the S3 origin).
        assets_prefix: the S3 origin's path is ``/`` + it.
        api: the API origin.
        site: CNAME, certificate and price class.
        response_headers_policy_id: policy on the default and ``/api/*`` behaviours.
        spa_fallback, comment, web_acl_arn, access_logs: as in :class:`modules.site.StaticSite`.

    Attributes: ``origin_access_control``, ``spa_routing_function`` (None with
    ``error_responses``), ``distribution``.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        name_prefix: str,
        bucket: S3Bucket,
        assets_prefix: str,
        api: ApiOrigin,
        site: SiteSettings,
        response_headers_policy_id: str,
        spa_fallback: SpaFallback,
        comment: str,
        web_acl_arn: str | None,
        access_logs: dict | None = None,
    ):
        self.origin_access_control = CloudfrontOriginAccessControl(
            scope,
            "oac",
            name=f"{name_prefix}-assets",
            description=f"CloudFront reads {name_prefix} site assets from S3",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )
        self.spa_routing_function: CloudfrontFunction | None = None
        if spa_fallback == "function":
            self.spa_routing_function = CloudfrontFunction(
                scope,
                "spa-routing",
                name=f"{name_prefix}-spa-routing",
                runtime="cloudfront-js-2.0",
                comment="Serve /index.html for client-side routes of the SPA",
                code=SPA_ROUTING_FUNCTION_CODE,
                publish=True,
            )
        aliases, viewer_certificate = _certificate(site)
        self.distribution = CloudfrontDistribution(
            scope,
            "distribution",
            enabled=True,
            comment=comment,
            aliases=aliases,
            default_root_object="index.html",
            web_acl_id=web_acl_arn,
            logging_config=access_logs,
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=site.price_class,
            origin=self._origins(bucket, assets_prefix, api),
            default_cache_behavior=self._default_behaviour(response_headers_policy_id),
            ordered_cache_behavior=[_api_behaviour(response_headers_policy_id)],
            custom_error_response=None if self.spa_routing_function else _spa_error_responses(),
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none"),
            ),
            viewer_certificate=viewer_certificate,
        )

    def _origins(self, bucket: S3Bucket, assets_prefix: str, api: ApiOrigin) -> list[CloudfrontDistributionOrigin]:
        return [
            CloudfrontDistributionOrigin(
                origin_id=ASSETS_ORIGIN_ID,
                domain_name=bucket.bucket_regional_domain_name,
                origin_path=f"/{assets_prefix}",
                origin_access_control_id=self.origin_access_control.id,
            ),
            CloudfrontDistributionOrigin(
                origin_id=API_ORIGIN_ID,
                domain_name=api.domain,
                # The internal NLB has no public address: only its VPC origin reaches it.
                vpc_origin_config=CloudfrontDistributionOriginVpcOriginConfig(vpc_origin_id=api.vpc_origin_id),
            ),
        ]

    def _default_behaviour(self, response_headers_policy_id: str) -> CloudfrontDistributionDefaultCacheBehavior:
        functions = None
        if self.spa_routing_function is not None:
            functions = [
                CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation(
                    event_type="viewer-request", function_arn=self.spa_routing_function.arn
                )
            ]
        return CloudfrontDistributionDefaultCacheBehavior(
            target_origin_id=ASSETS_ORIGIN_ID,
            viewer_protocol_policy="redirect-to-https",
            allowed_methods=["GET", "HEAD", "OPTIONS"],
            cached_methods=["GET", "HEAD"],
            compress=True,
            cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
            response_headers_policy_id=response_headers_policy_id,
            function_association=functions,
        )


def _api_behaviour(response_headers_policy_id: str) -> CloudfrontDistributionOrderedCacheBehavior:
    # Caching off, everything forwarded: managed CachingDisabled + AllViewerExceptHostHeader
    # (the pair AWS documents for API origins). An all-viewer-headers origin request
    # policy forwards Authorization too (AWS only refuses Authorization as a named
    # whitelist entry), cookies and every query string; Host is the NLB's name.
    # Legacy forwarded_values would also work but forwards only the headers listed
    # and needs TTLs pinned to 0 by hand; the managed ids are stored and read back
    # by moto as well (it does not model the policies, it just keeps the ids).
    return CloudfrontDistributionOrderedCacheBehavior(
        path_pattern=API_PATH_PATTERN,
        target_origin_id=API_ORIGIN_ID,
        viewer_protocol_policy="redirect-to-https",
        allowed_methods=list(ALL_METHODS),
        cached_methods=["GET", "HEAD"],
        compress=True,
        cache_policy_id=CACHING_DISABLED_POLICY_ID,
        origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID,
        response_headers_policy_id=response_headers_policy_id,
    )


def _spa_error_responses() -> list[CloudfrontDistributionCustomErrorResponse]:
    return [
        CloudfrontDistributionCustomErrorResponse(
            error_code=code, response_code=200, response_page_path="/index.html", error_caching_min_ttl=10
        )
        for code in SPA_FALLBACK_STATUS_CODES
    ]


def _certificate(site: SiteSettings) -> tuple[list[str] | None, CloudfrontDistributionViewerCertificate]:
    """(aliases, viewer certificate): the CNAME with its ACM certificate (SNI, TLS 1.2), or the default one."""
    if site.cname is not None:
        return [site.cname], CloudfrontDistributionViewerCertificate(
            acm_certificate_arn=site.certificate_arn,
            ssl_support_method="sni-only",
            minimum_protocol_version="TLSv1.2_2021",
        )
    # The default certificate cannot pin a minimum TLS version (CloudFront keeps TLSv1
    # for *.cloudfront.net); set a CNAME + certificate to enforce TLS 1.2.
    return None, CloudfrontDistributionViewerCertificate(cloudfront_default_certificate=True)
