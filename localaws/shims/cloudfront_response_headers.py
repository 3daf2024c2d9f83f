"""CloudFront response headers policies: create, read, list, update and delete, with real state.

Each policy lives on moto's CloudFront backend (``_localaws_response_headers``, keyed by id) as
the ``ResponseHeadersPolicyConfig`` it was given, and is read back exactly so. What AWS checks
and Terraform relies on is checked here too: names are unique (``ResponseHeadersPolicyAlreadyExists``),
``IfMatch`` must be the current ETag (``PreconditionFailed``), an unknown id is
``NoSuchResponseHeadersPolicy``, and a policy a distribution's behaviour still names cannot be
deleted (``ResponseHeadersPolicyInUse``). The local edge reads the policies back through the same
API (``localaws/dataplane/readback.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudfront import urls as cloudfront_urls
from moto.cloudfront.models import CloudFrontBackend
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult

from ._cloudfront import EtagStore, error, new_etag
from ._patch import Patches

GAP = (
    "moto 5.2.5: CloudFront CreateResponseHeadersPolicy, GetResponseHeadersPolicy, "
    "GetResponseHeadersPolicyConfig, UpdateResponseHeadersPolicy, DeleteResponseHeadersPolicy "
    "and ListResponseHeadersPolicies are not implemented (no route: 404). The env stack's "
    "aws_cloudfront_response_headers_policy (the site's security headers and CSP) cannot be "
    "created, so env-local does not deploy."
)

_PATHS = {
    "{0}/2020-05-31/response-headers-policy$": CloudFrontResponse.dispatch,
    "{0}/2020-05-31/response-headers-policy/(?P<Id>[^/]+)$": CloudFrontResponse.dispatch,
    "{0}/2020-05-31/response-headers-policy/(?P<Id>[^/]+)/config$": CloudFrontResponse.dispatch,
}


@dataclass
class _Policy:
    id: str
    config: dict[str, Any]
    etag: str
    last_modified: datetime

    def as_result(self) -> dict[str, Any]:
        return {"Id": self.id, "LastModifiedTime": self.last_modified, "ResponseHeadersPolicyConfig": self.config}


_POLICIES = EtagStore(
    "_localaws_response_headers",
    "NoSuchResponseHeadersPolicy",
    "The response headers policy does not exist.",
    element="ResponseHeadersPolicy",
    path="response-headers-policy",
)


def _check_unique_name(response: CloudFrontResponse, config: dict[str, Any], own_id: str | None = None) -> None:
    name = config.get("Name")
    if not name:
        raise error("InvalidArgument", "ResponseHeadersPolicyConfig.Name is required.")
    for other in _POLICIES.of(response.backend).values():
        if other.id != own_id and other.config.get("Name") == name:
            raise error("ResponseHeadersPolicyAlreadyExists", f"A response headers policy named {name} already exists.")


def _in_use(backend: CloudFrontBackend, policy_id: str) -> bool:
    for distribution in backend.distributions.values():
        config = distribution.distribution_config
        behaviours = [config.DefaultCacheBehavior, *((config.CacheBehaviors or {}).get("Items") or [])]
        if any(getattr(b, "response_headers_policy_id", None) == policy_id for b in behaviours):
            return True
    return False


def _create_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    config = self._get_param("ResponseHeadersPolicyConfig", {})
    _check_unique_name(self, config)
    policy = _Policy(str(uuid.uuid4()), config, new_etag(), datetime.now(UTC))
    _POLICIES.of(self.backend)[policy.id] = policy
    return _POLICIES.answer(policy, created=True)


def _get_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    return _POLICIES.answer(_POLICIES.named(self))


def _get_response_headers_policy_config(self: CloudFrontResponse) -> ActionResult:
    policy = _POLICIES.named(self)
    return ActionResult({"ResponseHeadersPolicyConfig": policy.config, "ETag": policy.etag})


def _update_response_headers_policy(self: CloudFrontResponse) -> ActionResult:
    policy = _POLICIES.current(self)
    config = self._get_param("ResponseHeadersPolicyConfig", {})
    _check_unique_name(self, config, own_id=policy.id)
    policy.config, policy.etag, policy.last_modified = config, new_etag(), datetime.now(UTC)
    return _POLICIES.answer(policy)


def _delete_response_headers_policy(self: CloudFrontResponse) -> EmptyResult:
    policy = _POLICIES.current(self)
    if _in_use(self.backend, policy.id):
        raise error("ResponseHeadersPolicyInUse", "Cannot delete the response headers policy because it is attached to a cache behavior.")
    del _POLICIES.of(self.backend)[policy.id]
    return EmptyResult()


def _list_response_headers_policies(self: CloudFrontResponse) -> ActionResult:
    wanted = self._get_param("Type")
    # only custom policies live here (AWS-managed ones are referenced by their documented ids)
    policies = [] if wanted == "managed" else list(_POLICIES.of(self.backend).values())
    items = [{"Type": "custom", "ResponseHeadersPolicy": p.as_result()} for p in policies]
    listing = {"MaxItems": self._get_int_param("MaxItems") or 100, "Quantity": len(items), "Items": items or None}
    return ActionResult({"ResponseHeadersPolicyList": listing})


def patches() -> Patches:
    """Route the response-headers-policy URLs to CloudFrontResponse (a dict update, idempotent) and add the six actions."""
    cloudfront_urls.url_paths.update(_PATHS)
    return {
        CloudFrontResponse: {
            "create_response_headers_policy": _create_response_headers_policy,
            "get_response_headers_policy": _get_response_headers_policy,
            "get_response_headers_policy_config": _get_response_headers_policy_config,
            "update_response_headers_policy": _update_response_headers_policy,
            "delete_response_headers_policy": _delete_response_headers_policy,
            "list_response_headers_policies": _list_response_headers_policies,
        }
    }
