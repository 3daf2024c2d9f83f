"""The API service: its parts composed into one construct, plus the ECS cluster and service."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_service import EcsService, EcsServiceLoadBalancer
from constructs import Construct

from environment.config import ApiSettings
from modules.api.load_balancing import LoadBalancing
from modules.api.oneoff import OneOffTask
from modules.api.repository import ImageRepository
from modules.api.scaling import CpuScaling
from modules.api.task import CONTAINER_NAME, ApiTask, container_environment
from modules.network import Network
from modules.secrets import ServiceSecrets


class ApiService(Construct):
    """The Flask API on ECS Fargate, behind an internet-facing NLB, scaled on CPU.

    Composition of its parts, each in its own module of ``modules/api/``: the image
    repository (:class:`ImageRepository`), the task (:class:`ApiTask`: log group, roles, task
    definition), load balancing (:class:`LoadBalancing`: NLB, target group, listener) and
    scaling (:class:`CpuScaling`: target, step policies, CPU alarms). The parts create their
    resources in this construct's scope, under the ids they had when this was one class.

    Args:
        settings: the env file's ``[api]`` (image, size, task counts, thresholds).
        name_prefix: prefix of every name (``<app>-<env>``).
        network: security groups and subnets (tasks in private subnets, NLB in public ones).
        secrets: the secrets the container reads; their ARNs go into its
            environment and the task role may read exactly those.
        kms_key_arn: encrypts the image repository and the log group.
        region: the task's region.
        environment: plain (non-secret) container environment, added to ``AWS_REGION`` and
            ``PUBLIC_READS`` (:func:`modules.api.task.container_environment`). Default: none.
        protect: deletion protection on the load balancer (production). Default: True.
        log_retention_days: overrides ``settings.log_retention_days``. Default: none.
        scale_out_cooldown_seconds / scale_in_cooldown_seconds: pauses after a
            scaling step. Defaults: 60 and 300 (scale in slowly).

    Attributes: ``repository``, ``image``, ``cluster``, ``task_definition``, ``container_definition``,
    ``service``, ``load_balancer``, ``target_group``, ``listener``, ``vpc_origin``, ``scaling_target``,
    ``scale_out_policy``, ``scale_in_policy``, ``scale_out_alarm``, ``scale_in_alarm``,
    ``task_role``, ``execution_role``, ``log_group``.
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
    ):
        super().__init__(scope, id_)
        image = ImageRepository(
            self, name=settings.image.repository, tag=settings.image.tag, kms_key_arn=kms_key_arn, force_delete=not protect
        )
        self.repository, self.image = image.repository, image.image
        self.cluster = EcsCluster(self, "cluster", name=name_prefix, setting=[EcsClusterSetting(name="containerInsights", value="enabled")])

        task = ApiTask(
            self,
            settings=settings,
            name_prefix=name_prefix,
            image=self.image,
            repository_arn=self.repository.arn,
            secrets=secrets,
            kms_key_arn=kms_key_arn,
            region=region,
            environment=container_environment(region=region, settings=settings, extra=environment),
            log_retention_days=log_retention_days,
        )
        self.log_group, self.execution_role, self.task_role = task.log_group, task.execution_role, task.task_role
        self.task_definition, self.container_definition = task.task_definition, task.container_definition
        self._task = task

        balancing = LoadBalancing(self, settings=settings, name_prefix=name_prefix, network=network, protect=protect)
        self.load_balancer, self.target_group, self.listener = balancing.load_balancer, balancing.target_group, balancing.listener
        self.vpc_origin = balancing.vpc_origin
        network.admit_cloudfront_vpc_origins(self.vpc_origin)

        self.service = self._service(settings, network)

        scaling = CpuScaling(
            self,
            settings=settings,
            name_prefix=name_prefix,
            cluster_name=self.cluster.name,
            service_name=self.service.name,
            scale_out_cooldown_seconds=scale_out_cooldown_seconds,
            scale_in_cooldown_seconds=scale_in_cooldown_seconds,
        )
        self.scaling_target, self.scale_out_policy, self.scale_in_policy = (
            scaling.scaling_target,
            scaling.scale_out_policy,
            scaling.scale_in_policy,
        )
        self.scale_out_alarm, self.scale_in_alarm = scaling.scale_out_alarm, scaling.scale_in_alarm

    def one_off(
        self,
        name: str,
        *,
        secrets: ServiceSecrets,
        environment: dict[str, str],
        command: list[str],
        statements: Sequence[dict] = (),
    ) -> OneOffTask:
        """A one-off task definition ``<name_prefix>-<name>`` of this image, execution role and log group,
        with its own task role reading only ``secrets`` (see :class:`modules.api.oneoff.OneOffTask`)."""
        return OneOffTask(
            self, name, api=self._task, name=name, secrets=secrets, environment=environment, command=command, statements=statements
        )

    def _service(self, settings: ApiSettings, network: Network) -> EcsService:
        """The Fargate service: tasks in the private subnets, registered with the target group."""
        return EcsService(
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
