"""The API: ECR image, Fargate service behind a Network Load Balancer, scaled on CPU."""

from __future__ import annotations

import json

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository, EcrRepositoryEncryptionConfiguration
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_service import EcsService, EcsServiceLoadBalancer
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition, EcsTaskDefinitionVolume
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup
from constructs import Construct

from environment.config import ApiSettings
from modules.iam import policy_document, service_assume_role_policy
from modules.network import Network
from modules.secrets import ServiceSecrets

CONTAINER_NAME = "api"
CONTAINER_USER = "10001:10001"
CONTAINER_HEALTH_COMMAND = ["CMD", "python", "-m", "geoapi.healthcheck"]
HTTP_LISTENER_PORT = 80
TLS_LISTENER_PORT = 443
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def listener_port(settings: ApiSettings) -> int:
    """The NLB's port: 443 (TLS) when the env file sets ``api.origin_tls``, else 80 (TCP)."""
    return TLS_LISTENER_PORT if settings.origin_tls else HTTP_LISTENER_PORT


class ApiService(Construct):
    """The Flask API on ECS Fargate, behind an internet-facing NLB, scaled on CPU.

    Args:
        settings: the env file's ``[api]`` (image, size, task counts, thresholds).
        name_prefix: prefix of every name (``<app>-<env>``).
        network: security groups and subnets (tasks in private subnets, NLB in public ones).
        secrets: the secrets the container reads; their ARNs go into its
            environment and the task role may read exactly those.
        kms_key_arn: encrypts the image repository and the log group.
        environment: plain (non-secret) container environment. Default: none.
        protect: deletion protection on the load balancer (production). Default: True.
        scale_out_cooldown_seconds / scale_in_cooldown_seconds: pauses after a
            scaling step. Defaults: 60 and 300 (scale in slowly).
        seed_source: ``s3://bucket/key-or-prefix`` the one-off seed task (same task
            role) may read. Default: none.

    Attributes: ``repository``, ``cluster``, ``task_definition``, ``service``,
    ``load_balancer``, ``target_group``, ``listener``, ``scale_out_alarm``,
    ``scale_in_alarm``, ``task_role``, ``execution_role``, ``log_group``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: ApiSettings,
        name_prefix: str,
        network: Network,
        secrets: ServiceSecrets,
        kms_key_arn: str,
        region: str,
        environment: dict[str, str] | None = None,
        protect: bool = True,
        log_retention_days: int | None = None,
        scale_out_cooldown_seconds: int = 60,
        scale_in_cooldown_seconds: int = 300,
        seed_source: str | None = None,
    ):
        super().__init__(scope, id_)

        # ---- image repository ---------------------------------------------
        self.repository = EcrRepository(
            self,
            "repository",
            name=settings.image.repository,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=kms_key_arn)],
            force_delete=not protect,
        )
        EcrLifecyclePolicy(
            self,
            "repository-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": "drop untagged layers after 7 days",
                            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
                            "action": {"type": "expire"},
                        },
                        {
                            "rulePriority": 2,
                            "description": "keep the 50 newest images (rollbacks)",
                            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50},
                            "action": {"type": "expire"},
                        },
                    ]
                }
            ),
        )
        self.image = f"{self.repository.repository_url}:{settings.image.tag}"

        # ---- logs and cluster ---------------------------------------------
        self.log_group = CloudwatchLogGroup(
            self,
            "logs",
            name=f"/ecs/{name_prefix}/api",
            retention_in_days=log_retention_days or settings.log_retention_days,
            kms_key_id=kms_key_arn,
        )
        self.cluster = EcsCluster(self, "cluster", name=name_prefix, setting=[EcsClusterSetting(name="containerInsights", value="enabled")])

        # ---- IAM: what ECS needs to start the task, what the app may do ---
        self.execution_role = IamRole(
            self,
            "execution-role",
            name=f"{name_prefix}-api-execution",
            assume_role_policy=service_assume_role_policy("ecs-tasks.amazonaws.com"),
        )
        IamRolePolicy(
            self,
            "execution-policy",
            role=self.execution_role.id,
            policy=policy_document(
                {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Sid": "PullOwnImage",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    "Resource": self.repository.arn,
                },
                {"Sid": "DecryptOwnImage", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": kms_key_arn},
                {
                    "Sid": "WriteOwnLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{self.log_group.arn}:*",
                },
            ),
        )
        self.task_role = IamRole(
            self, "task-role", name=f"{name_prefix}-api-task", assume_role_policy=service_assume_role_policy("ecs-tasks.amazonaws.com")
        )
        task_statements = secrets.read_statements()
        if seed_source is not None:
            bucket, _, key = seed_source.removeprefix("s3://").partition("/")
            task_statements.append(
                {"Sid": "ReadSeedData", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{key}*"}
            )
        IamRolePolicy(self, "task-policy", role=self.task_role.id, policy=policy_document(*task_statements))

        # ---- task definition ----------------------------------------------
        plain_env = {"AWS_REGION": region, "PUBLIC_READS": str(settings.public_reads).lower(), **(environment or {})}
        container = {
            "name": CONTAINER_NAME,
            "image": self.image,
            "essential": True,
            "user": CONTAINER_USER,
            "privileged": False,
            "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": settings.container_port, "protocol": "tcp"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(plain_env.items())] + secrets.environment,
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],  # noqa: S108 - the task-scoped writable volume
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "healthCheck": {"command": CONTAINER_HEALTH_COMMAND, "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 30},
            "stopTimeout": 30,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": self.log_group.name, "awslogs-region": region, "awslogs-stream-prefix": "api"},
            },
        }
        self.task_definition = EcsTaskDefinition(
            self,
            "task",
            family=f"{name_prefix}-api",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            volume=[EcsTaskDefinitionVolume(name="tmp")],
            # plain JSON (references become "${...}" inside strings), so reviewers and policy tests can read it
            container_definitions=json.dumps([container]),
        )

        # ---- network load balancer ----------------------------------------
        self.load_balancer = Lb(
            self,
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
            self,
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
            self,
            "listener",
            load_balancer_arn=self.load_balancer.arn,
            port=listener_port(settings),
            protocol="TLS" if tls else "TCP",
            certificate_arn=tls.certificate_arn if tls else None,
            ssl_policy=TLS_POLICY if tls else None,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
        )

        # ---- service --------------------------------------------------------
        self.service = EcsService(
            self,
            "service",
            name="api",
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=settings.min_tasks,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration={
                "subnets": network.private_subnet_ids,
                "security_groups": [network.task_sg.id],
                "assign_public_ip": False,
            },
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=self.target_group.arn, container_name=CONTAINER_NAME, container_port=settings.container_port
                )
            ],
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            health_check_grace_period_seconds=settings.health_check_grace_seconds,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            # Application Auto Scaling owns the running count once the service exists.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),
            depends_on=[self.listener],
        )

        # ---- scaling on CPU -------------------------------------------------
        # Step scaling on two alarms, not target tracking: target tracking takes a
        # single target value and scales in at its own (undocumented) margin
        # below it, so it cannot honour both numbers of the env file. Here the
        # scale-out alarm fires at average CPU >= scale_up_cpu_percent and the
        # scale-in alarm at <= scale_down_cpu_percent, each exactly as written.
        resource_id = f"service/{self.cluster.name}/{self.service.name}"
        self.scaling_target = AppautoscalingTarget(
            self,
            "scaling-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=resource_id,
            min_capacity=settings.min_tasks,
            max_capacity=settings.max_tasks,
        )

        def step_policy(name: str, adjustment: int, cooldown: int, bounds: dict) -> AppautoscalingPolicy:
            return AppautoscalingPolicy(
                self,
                name,
                name=f"{name_prefix}-api-{name}",
                policy_type="StepScaling",
                service_namespace=self.scaling_target.service_namespace,
                scalable_dimension=self.scaling_target.scalable_dimension,
                resource_id=self.scaling_target.resource_id,
                step_scaling_policy_configuration={
                    "adjustment_type": "ChangeInCapacity",
                    "metric_aggregation_type": "Average",
                    "cooldown": cooldown,
                    "step_adjustment": [
                        AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment(scaling_adjustment=adjustment, **bounds)
                    ],
                },
            )

        self.scale_out_policy = step_policy("scale-out", 1, scale_out_cooldown_seconds, {"metric_interval_lower_bound": "0"})
        self.scale_in_policy = step_policy("scale-in", -1, scale_in_cooldown_seconds, {"metric_interval_upper_bound": "0"})

        def cpu_alarm(name: str, comparison: str, threshold: int, periods: int, policy: AppautoscalingPolicy) -> CloudwatchMetricAlarm:
            return CloudwatchMetricAlarm(
                self,
                name,
                alarm_name=f"{name_prefix}-api-{name}",
                alarm_description=f"API average CPU {comparison} {threshold}% for {periods} minute(s)",
                namespace="AWS/ECS",
                metric_name="CPUUtilization",
                dimensions={"ClusterName": self.cluster.name, "ServiceName": self.service.name},
                statistic="Average",
                period=60,
                evaluation_periods=periods,
                threshold=threshold,
                comparison_operator=comparison,
                alarm_actions=[policy.arn],
                treat_missing_data="notBreaching" if "Greater" in comparison else "missing",
            )

        self.scale_out_alarm = cpu_alarm(
            "cpu-high", "GreaterThanOrEqualToThreshold", settings.scale_up_cpu_percent, 3, self.scale_out_policy
        )
        self.scale_in_alarm = cpu_alarm("cpu-low", "LessThanOrEqualToThreshold", settings.scale_down_cpu_percent, 15, self.scale_in_policy)
        self.container_definition = container
