"""The API's load balancing: an internal Network Load Balancer, its target group and listener, and
the CloudFront VPC origin through which the distribution (and nothing else) reaches it."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudfront_vpc_origin import (
    CloudfrontVpcOrigin,
    CloudfrontVpcOriginVpcOriginEndpointConfig,
    CloudfrontVpcOriginVpcOriginEndpointConfigOriginSslProtocols,
)
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from constructs import Construct

from environment.config import ApiSettings
from modules.network import Network

HTTP_LISTENER_PORT = 80
TLS_LISTENER_PORT = 443
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def listener_port(settings: ApiSettings) -> int:
    """The NLB's port: 443 (TLS) when the env file sets ``api.origin_tls``, else 80 (TCP)."""
    return TLS_LISTENER_PORT if settings.origin_tls else HTTP_LISTENER_PORT


class LoadBalancing:
    """Internal NLB in the private subnets, IP target group on the container port, TCP or TLS
    listener, and the CloudFront VPC origin of the NLB.

    The NLB has no public address: CloudFront reaches it through the VPC origin (network
    interfaces CloudFront places in the private subnets), on the listener's port, over TLS
    (``https-only``, TLSv1.2) when ``origin_tls`` is set, else plain HTTP. Its security group
    admits the VPC origin only (:meth:`modules.network.Network.admit_cloudfront_vpc_origins`).

    A part of :class:`modules.api.ApiService`, created in its scope with the ids it had before
    the split (``nlb``, ``targets``, ``listener``), so Terraform's logical ids do not change.

    Args:
        settings: the env file's ``[api]`` (container port, health check path, ``origin_tls``).
        name_prefix: ``<app>-<env>``; NLB and target group are ``<name_prefix>-api`` (32 characters at most).
        network: private subnets, VPC and the load balancer's security group.
        protect: deletion protection on the load balancer.

    Attributes: ``load_balancer``, ``target_group``, ``listener``, ``vpc_origin``.
    """

    def __init__(self, scope: Construct, *, settings: ApiSettings, name_prefix: str, network: Network, protect: bool):
        self.load_balancer = Lb(
            scope,
            "nlb",
            name=f"{name_prefix}-api"[:32],
            load_balancer_type="network",
            internal=True,
            subnets=network.private_subnet_ids,
            security_groups=[network.load_balancer_sg.id],
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=protect,
        )
        self.target_group = LbTargetGroup(
            scope,
            "targets",
            name=f"{name_prefix}-api"[:32],
            port=settings.container_port,
            protocol="TCP",
            target_type="ip",
            vpc_id=network.vpc_id,
            deregistration_delay="30",
            health_check={
                "protocol": "HTTP",
                "path": settings.health_check_path,
                "port": "traffic-port",
                "matcher": "200",
                "healthy_threshold": 3,
                "unhealthy_threshold": 3,
                "interval": 30,
                "timeout": 10,
            },
        )
        tls = settings.origin_tls
        self.listener = LbListener(
            scope,
            "listener",
            load_balancer_arn=self.load_balancer.arn,
            port=listener_port(settings),
            protocol="TLS" if tls else "TCP",
            certificate_arn=tls.certificate_arn if tls else None,
            ssl_policy=TLS_POLICY if tls else None,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
        )
        port = listener_port(settings)
        self.vpc_origin = CloudfrontVpcOrigin(
            scope,
            "vpc-origin",
            vpc_origin_endpoint_config=[
                CloudfrontVpcOriginVpcOriginEndpointConfig(
                    name=f"{name_prefix}-api",
                    arn=self.load_balancer.arn,
                    origin_protocol_policy="https-only" if tls else "http-only",
                    http_port=HTTP_LISTENER_PORT if tls else port,
                    https_port=port if tls else TLS_LISTENER_PORT,
                    origin_ssl_protocols=[CloudfrontVpcOriginVpcOriginEndpointConfigOriginSslProtocols(items=["TLSv1.2"], quantity=1)],
                )
            ],
            depends_on=[self.listener],
        )
