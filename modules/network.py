"""The existing network, looked up by id, and the security groups between the tiers."""

from __future__ import annotations

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_security_group import DataAwsSecurityGroup, DataAwsSecurityGroupFilter
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from environment.config import NetworkSettings

MYSQL_PORT = 3306
CLOUDFRONT_VPC_ORIGINS_SG = "CloudFront-VPCOrigins-Service-SG"
"""The security group CloudFront creates (and manages) in a VPC with its first VPC origin there. The
network interfaces a VPC origin reaches its load balancer through carry it, so an origin's group
admits CloudFront by referencing it, and admits no one else. Nothing here may change it."""


class Network(Construct):
    """Security groups for load balancer -> tasks -> database, in an existing VPC.

    Nothing network-level is created: the VPC and subnets come from the env
    file (the seed reuses an existing VPC). Traffic rules:

    * the load balancer is internal (private subnets); CloudFront reaches it through a VPC
      origin, whose network interfaces carry the service-managed group
      ``CloudFront-VPCOrigins-Service-SG``: that group, and nothing else, may reach the load
      balancer on ``listener_port`` (:meth:`admit_cloudfront_vpc_origins`, called once the VPC
      origin exists, since CloudFront creates the group with it). Not CloudFront's origin-facing
      prefix list: any distribution of any account connects from those addresses;
    * the load balancer reaches the tasks on ``container_port`` (traffic and health checks);
    * the tasks reach the database on 3306 and AWS APIs on 443;
    * nothing else reaches the database, and the database initiates nothing.

    Args:
        settings: the env file's ``[network]``.
        name_prefix: prefix of the security group names.
        container_port: the API's port in the task.
        listener_port: the load balancer's port. Default: 80.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: NetworkSettings,
        name_prefix: str,
        container_port: int,
        listener_port: int = 80,
    ):
        super().__init__(scope, id_)
        self.vpc = DataAwsVpc(self, "vpc", id=settings.vpc_id)
        self.vpc_id = settings.vpc_id
        self.listener_port = listener_port
        self.public_subnet_ids = list(settings.public_subnet_ids)
        self.private_subnet_ids = list(settings.private_subnet_ids)

        def group(name: str, description: str) -> SecurityGroup:
            return SecurityGroup(
                self,
                name,
                name=f"{name_prefix}-{name}",
                description=description,
                vpc_id=settings.vpc_id,
                revoke_rules_on_delete=True,
            )

        self.load_balancer_sg = group("lb", "API load balancer: from CloudFront only")
        self.task_sg = group("tasks", "API tasks: from the load balancer only")
        self.database_sg = group("db", "Aurora: from the API tasks only")

        def rule(kind, name, sg, port, description, *, peer_sg=None, cidr=None):
            """One TCP rule of ``sg`` on ``port``; ``kind`` is the ingress or the egress rule class."""
            kind(
                self,
                name,
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=peer_sg.id if peer_sg else None,
                cidr_ipv4=cidr,
                description=description,
            )

        def ingress(name, sg, port, description, *, source_sg=None, cidr=None):
            rule(VpcSecurityGroupIngressRule, name, sg, port, description, peer_sg=source_sg, cidr=cidr)

        def egress(name, sg, port, description, *, target_sg=None, cidr=None):
            rule(VpcSecurityGroupEgressRule, name, sg, port, description, peer_sg=target_sg, cidr=cidr)

        egress("lb-to-tasks", self.load_balancer_sg, container_port, "to API tasks", target_sg=self.task_sg)
        ingress("tasks-from-lb", self.task_sg, container_port, "from the load balancer", source_sg=self.load_balancer_sg)
        egress("tasks-to-db", self.task_sg, MYSQL_PORT, "to Aurora", target_sg=self.database_sg)
        egress("tasks-to-aws", self.task_sg, 443, "AWS APIs (ECR, Secrets Manager, logs)", cidr="0.0.0.0/0")
        ingress("db-from-tasks", self.database_sg, MYSQL_PORT, "from API tasks", source_sg=self.task_sg)

    def admit_cloudfront_vpc_origins(self, vpc_origin: ITerraformDependable) -> DataAwsSecurityGroup:
        """Let CloudFront's VPC origins (and only them) reach the load balancer on its listener port.

        ``vpc_origin`` is the ``aws_cloudfront_vpc_origin`` of the load balancer: the group
        ``CloudFront-VPCOrigins-Service-SG`` exists in the VPC once it does, so the lookup waits
        for it. Returns the looked-up group.
        """
        group = DataAwsSecurityGroup(
            self,
            "cloudfront-vpc-origins",
            filter=[
                DataAwsSecurityGroupFilter(name="group-name", values=[CLOUDFRONT_VPC_ORIGINS_SG]),
                DataAwsSecurityGroupFilter(name="vpc-id", values=[self.vpc_id]),
            ],
            depends_on=[vpc_origin],
        )
        VpcSecurityGroupIngressRule(
            self,
            "lb-from-cloudfront",
            security_group_id=self.load_balancer_sg.id,
            ip_protocol="tcp",
            from_port=self.listener_port,
            to_port=self.listener_port,
            referenced_security_group_id=group.id,
            description="from CloudFront VPC origins only",
        )
        return group
