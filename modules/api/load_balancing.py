"""The API's load balancing: an internet-facing Network Load Balancer, its target group and listener."""

from __future__ import annotations

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
    """NLB in the public subnets, IP target group on the container port, TCP or TLS listener.

    A part of :class:`modules.api.ApiService`, created in its scope with the ids it had before
    the split (``nlb``, ``targets``, ``listener``), so Terraform's logical ids do not change.

    Args:
        settings: the env file's ``[api]`` (container port, health check path, ``origin_tls``).
        name_prefix: ``<app>-<env>``; NLB and target group are ``<name_prefix>-api`` (32 characters at most).
        network: public subnets, VPC and the load balancer's security group.
        protect: deletion protection on the load balancer.

    Attributes: ``load_balancer``, ``target_group``, ``listener``.
    """

    def __init__(self, scope: Construct, *, settings: ApiSettings, name_prefix: str, network: Network, protect: bool):
        self.load_balancer = Lb(
            scope,
            "nlb",
            name=f"{name_prefix}-api"[:32],
            load_balancer_type="network",
            internal=False,
            subnets=network.public_subnet_ids,
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
