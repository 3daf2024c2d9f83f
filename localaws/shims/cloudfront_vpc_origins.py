"""CloudFront VPC origins: create, read, list, update and delete, with real state; a distribution
origin keeps its ``VpcOriginConfig``.

A VPC origin lives on moto's CloudFront backend (``_localaws_vpc_origins``, keyed by id) with the
``VpcOriginEndpointConfig`` it was given, and is read back exactly so. What AWS does and Terraform
relies on is done here too:

* the endpoint ``Arn`` must name a load balancer the emulator has (``EntityNotFound`` otherwise);
* the origin is ``Deployed`` at once (the provider waits for that status);
* CloudFront's service-managed security group ``CloudFront-VPCOrigins-Service-SG`` exists in the
  load balancer's VPC from the first VPC origin there (an origin's own group admits CloudFront by
  referencing it); the emulator removes it with the last VPC origin of that VPC;
* ``IfMatch`` must be the current ETag (``PreconditionFailed``); an unknown id is ``EntityNotFound``;
  an origin a distribution still uses cannot be deleted (``CannotDeleteEntityWhileInUse``);
* tags given at creation are the resource's tags (``ListTagsForResource`` on its ARN).

The local edge resolves a distribution's VPC origin to its load balancer through the same API
(``localaws/dataplane/readback.py``).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudfront import models as cloudfront_models
from moto.cloudfront import urls as cloudfront_urls
from moto.cloudfront.models import CloudFrontBackend
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.elbv2.models import elbv2_backends

from ._cloudfront import EtagStore, error, new_etag
from ._patch import Patches

GAP = (
    "moto 5.2.5: CloudFront CreateVpcOrigin, GetVpcOrigin, UpdateVpcOrigin, DeleteVpcOrigin and "
    "ListVpcOrigins are not implemented (no route: 404), and a distribution origin's VpcOriginConfig "
    "is dropped. The env stack's aws_cloudfront_vpc_origin (the only way CloudFront reaches the "
    "internal API load balancer) cannot be created, and the service-managed security group "
    "CloudFront-VPCOrigins-Service-SG the load balancer's group admits never appears."
)

SERVICE_GROUP = "CloudFront-VPCOrigins-Service-SG"
_ID_ALPHABET = string.ascii_letters + string.digits

_PATHS = {
    "{0}/2020-05-31/vpc-origin$": CloudFrontResponse.dispatch,
    "{0}/2020-05-31/vpc-origin/(?P<Id>[^/]+)$": CloudFrontResponse.dispatch,
}


@dataclass
class _VpcOrigin:
    id: str
    arn: str
    account_id: str
    config: dict[str, Any]
    etag: str
    created: datetime
    modified: datetime
    vpc_id: str
    region: str
    status: str = "Deployed"

    def as_result(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Arn": self.arn,
            "AccountId": self.account_id,
            "Status": self.status,
            "CreatedTime": self.created,
            "LastModifiedTime": self.modified,
            "VpcOriginEndpointConfig": self.config,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Name": self.config["Name"],
            "Status": self.status,
            "CreatedTime": self.created,
            "LastModifiedTime": self.modified,
            "Arn": self.arn,
            "OriginEndpointArn": self.config["Arn"],
        }


_VPC_ORIGINS = EtagStore(
    "_localaws_vpc_origins", "EntityNotFound", "The VPC origin does not exist.", element="VpcOrigin", path="vpc-origin"
)


def _endpoint(response: CloudFrontResponse) -> tuple[dict[str, Any], str, str]:
    """(the ``VpcOriginEndpointConfig``, the VPC and the region of the load balancer it names)."""
    config = response._get_param("VpcOriginEndpointConfig", {}) or {}
    missing = [k for k in ("Name", "Arn", "HTTPPort", "HTTPSPort", "OriginProtocolPolicy") if config.get(k) in (None, "")]
    if missing:
        raise error("InvalidArgument", f"VpcOriginEndpointConfig: {', '.join(missing)} required.")
    parts = str(config["Arn"]).split(":")
    if len(parts) < 6 or parts[2] != "elasticloadbalancing":
        raise error("InvalidArgument", f"VpcOriginEndpointConfig.Arn {config['Arn']} is not a load balancer ARN.")
    region, account = parts[3], parts[4]
    balancer = elbv2_backends[account][region].load_balancers.get(config["Arn"])
    if balancer is None:
        raise error("EntityNotFound", f"No load balancer {config['Arn']}.")
    return config, balancer.vpc_id, region


def _service_group(backend: CloudFrontBackend, region: str, vpc_id: str, *, wanted: bool) -> None:
    """Make (``wanted``) or remove CloudFront's service-managed group in ``vpc_id``."""
    ec2 = ec2_backends[backend.account_id][region]
    group = ec2.get_security_group_from_name(SERVICE_GROUP, vpc_id=vpc_id)
    if wanted and group is None:
        ec2.create_security_group(SERVICE_GROUP, "CloudFront VPC origins service-managed security group", vpc_id=vpc_id)
    elif not wanted and group is not None:
        ec2.delete_security_group(group_id=group.id)


def _in_use(backend: CloudFrontBackend, origin_id: str) -> bool:
    for distribution in backend.distributions.values():
        for origin in (distribution.distribution_config.Origins or {}).get("Items") or []:
            if (getattr(origin, "vpc_origin_config", None) or {}).get("VpcOriginId") == origin_id:
                return True
    return False


def _create_vpc_origin(self: CloudFrontResponse) -> ActionResult:
    config, vpc_id, region = _endpoint(self)
    backend, now = self.backend, datetime.now(UTC)
    origin_id = "vo_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))
    arn = f"arn:aws:cloudfront::{backend.account_id}:vpcorigin/{origin_id}"
    origin = _VpcOrigin(origin_id, arn, backend.account_id, config, new_etag(), now, now, vpc_id, region)
    _service_group(backend, region, vpc_id, wanted=True)
    _VPC_ORIGINS.of(backend)[origin_id] = origin
    tags = self._get_param("Tags.Items", []) or []
    if tags:
        backend.tag_resource(arn, {t["Key"]: t.get("Value") for t in tags})
    return _VPC_ORIGINS.answer(origin, created=True)


def _get_vpc_origin(self: CloudFrontResponse) -> ActionResult:
    return _VPC_ORIGINS.answer(_VPC_ORIGINS.named(self))


def _update_vpc_origin(self: CloudFrontResponse) -> ActionResult:
    origin = _VPC_ORIGINS.current(self)
    config, vpc_id, region = _endpoint(self)
    origin.config, origin.etag, origin.modified = config, new_etag(), datetime.now(UTC)
    if (vpc_id, region) != (origin.vpc_id, origin.region):
        previous = (origin.region, origin.vpc_id)
        origin.vpc_id, origin.region = vpc_id, region
        _service_group(self.backend, region, vpc_id, wanted=True)
        _forget_group_if_unused(self.backend, *previous)
    return _VPC_ORIGINS.answer(origin)


def _forget_group_if_unused(backend: CloudFrontBackend, region: str, vpc_id: str) -> None:
    if not any(o.vpc_id == vpc_id and o.region == region for o in _VPC_ORIGINS.of(backend).values()):
        _service_group(backend, region, vpc_id, wanted=False)


def _delete_vpc_origin(self: CloudFrontResponse) -> ActionResult:
    origin = _VPC_ORIGINS.current(self)
    if _in_use(self.backend, origin.id):
        raise error("CannotDeleteEntityWhileInUse", "The VPC origin is in use by a distribution.")
    del _VPC_ORIGINS.of(self.backend)[origin.id]
    self.backend.tagger.delete_all_tags_for_resource(origin.arn)
    _forget_group_if_unused(self.backend, origin.region, origin.vpc_id)
    origin.status = "Deleting"
    return _VPC_ORIGINS.answer(origin)


def _list_vpc_origins(self: CloudFrontResponse) -> ActionResult:
    items = [o.summary() for o in _VPC_ORIGINS.of(self.backend).values()]
    listing = {"Marker": "", "MaxItems": self._get_int_param("MaxItems") or 100, "IsTruncated": False, "Quantity": len(items)}
    return ActionResult({"VpcOriginList": {**listing, "Items": items or None}})


def patches() -> Patches:
    """Route the vpc-origin URLs to CloudFrontResponse (a dict update, idempotent), add the five
    actions, and wrap moto's Origin ``__init__`` so a distribution origin keeps ``VpcOriginConfig``."""
    cloudfront_urls.url_paths.update(_PATHS)
    origin_cls = cloudfront_models.Origin
    origin_init = origin_cls.__init__

    def origin_init_shim(self: Any, origin: dict[str, Any]) -> None:
        origin_init(self, origin)
        if origin.get("VpcOriginConfig"):
            self.vpc_origin_config = dict(origin["VpcOriginConfig"])  # moto drops it

    return {
        origin_cls: {"__init__": origin_init_shim},
        CloudFrontResponse: {
            "create_vpc_origin": _create_vpc_origin,
            "get_vpc_origin": _get_vpc_origin,
            "update_vpc_origin": _update_vpc_origin,
            "delete_vpc_origin": _delete_vpc_origin,
            "list_vpc_origins": _list_vpc_origins,
        },
    }
