"""The API's task: log group, execution and task roles, and the Fargate task definition."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition, EcsTaskDefinitionVolume
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from backend.geoapi import envvars as ev
from environment.config import ApiSettings
from modules.ci import environment_boundary_arn
from modules.iam import policy_document, service_assume_role_policy
from modules.secrets import ServiceSecrets

CONTAINER_NAME = "api"
CONTAINER_USER = "10001:10001"
CONTAINER_HEALTH_COMMAND = ["CMD", "python", "-m", "geoapi.healthcheck"]


def container_environment(*, region: str, settings: ApiSettings, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The container's plain (non-secret) environment, then ``extra``.

    Names come from ``geoapi.envvars`` (what the backend reads; a test checks the task
    definition sets exactly ``envvars.TASK_DEFINITION``). One dict, name -> value; the task
    definition lists it sorted by name. Add a variable by passing it in ``extra``
    (``ApiService(environment=...)``).
    """
    return {
        ev.AWS_REGION: region,
        ev.PUBLIC_READS: str(settings.public_reads).lower(),
        ev.PORT: str(settings.container_port),
        ev.CPU_UNITS: str(settings.cpu),
        ev.LOG_LEVEL: settings.log_level,
        **(extra or {}),
    }


def container_definition(
    *, image: str, settings: ApiSettings, environment: dict[str, str], secrets: ServiceSecrets, log_group: str, region: str
) -> dict[str, Any]:
    """The one container of the task (plain JSON; references appear as ``"${...}"`` strings)."""
    return {
        "name": CONTAINER_NAME,
        "image": image,
        "essential": True,
        "user": CONTAINER_USER,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "portMappings": [{"containerPort": settings.container_port, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())] + secrets.environment,
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],  # noqa: S108 - the task-scoped writable volume
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "healthCheck": {"command": CONTAINER_HEALTH_COMMAND, "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 30},
        "stopTimeout": 30,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": "api"},
        },
    }


def ecs_task_role(scope: Construct, id_: str, name: str) -> IamRole:
    """A role ECS tasks assume (an execution or task role), under the environment's permissions boundary."""
    return IamRole(
        scope,
        id_,
        name=name,
        assume_role_policy=service_assume_role_policy("ecs-tasks.amazonaws.com"),
        permissions_boundary=environment_boundary_arn(scope),
    )


def fargate_task_definition(
    scope: Construct, *, family: str, settings: ApiSettings, execution_role_arn: str, task_role_arn: str, container: dict[str, Any]
) -> EcsTaskDefinition:
    """The Fargate task definition ``task`` in ``scope`` of one container (the API's or a one-off's):
    CPU and memory from ``settings``, Linux x86-64, the writable ``tmp`` volume."""
    return EcsTaskDefinition(
        scope,
        "task",
        family=family,
        requires_compatibilities=["FARGATE"],
        network_mode="awsvpc",
        cpu=str(settings.cpu),
        memory=str(settings.memory),
        execution_role_arn=execution_role_arn,
        task_role_arn=task_role_arn,
        runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
        volume=[EcsTaskDefinitionVolume(name="tmp")],
        # plain JSON (references become "${...}" inside strings), so reviewers and policy tests can read it
        container_definitions=json.dumps([container]),
    )


class ApiTask:
    """Log group, roles and task definition of the API, created in ``scope``.

    A part of :class:`modules.api.ApiService`, not a construct of its own: its resources keep
    the ids they had before the split (``logs``, ``execution-role``, ``execution-policy``,
    ``task-role``, ``task-policy``, ``task``), so Terraform's logical ids do not change.

    Args:
        settings: the env file's ``[api]``.
        name_prefix: ``<app>-<env>``.
        image: the image reference (``<repository url>:<tag>``).
        repository_arn: the only repository the execution role may pull from.
        secrets: the secrets the container reads (ARNs in its environment; the task role may read them).
        kms_key_arn: encrypts the log group; the execution role may decrypt the image with it.
        region: the task's region (SDK and log driver).
        environment: plain container environment (see :func:`container_environment`).
        log_retention_days: overrides ``settings.log_retention_days``. Default: none.

    Attributes: ``log_group``, ``execution_role``, ``task_role``, ``task_definition``, ``container_definition``,
    and what a one-off task of the same image reuses: ``settings``, ``name_prefix``, ``image``, ``region``.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        settings: ApiSettings,
        name_prefix: str,
        image: str,
        repository_arn: str,
        secrets: ServiceSecrets,
        kms_key_arn: str,
        region: str,
        environment: dict[str, str],
        log_retention_days: int | None = None,
    ):
        self.log_group = CloudwatchLogGroup(
            scope,
            "logs",
            name=f"/ecs/{name_prefix}/api",
            retention_in_days=log_retention_days or settings.log_retention_days,
            kms_key_id=kms_key_arn,
        )
        self._roles(scope, name_prefix=name_prefix, repository_arn=repository_arn, secrets=secrets, kms_key_arn=kms_key_arn)
        self.container_definition = container_definition(
            image=image, settings=settings, environment=environment, secrets=secrets, log_group=self.log_group.name, region=region
        )
        self.settings, self.name_prefix, self.image, self.region = settings, name_prefix, image, region
        self.task_definition = fargate_task_definition(
            scope,
            family=f"{name_prefix}-api",
            settings=settings,
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container=self.container_definition,
        )

    def _roles(self, scope: Construct, *, name_prefix: str, repository_arn: str, secrets: ServiceSecrets, kms_key_arn: str) -> None:
        """What ECS needs to start the task (execution role), what the app may do (task role).

        Both carry the environment's permissions boundary (:func:`modules.ci.environment_boundary_arn`).
        """
        self.execution_role = ecs_task_role(scope, "execution-role", f"{name_prefix}-api-execution")
        IamRolePolicy(
            scope,
            "execution-policy",
            role=self.execution_role.id,
            policy=policy_document(
                {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Sid": "PullOwnImage",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    "Resource": repository_arn,
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
        self.task_role = ecs_task_role(scope, "task-role", f"{name_prefix}-api-task")
        IamRolePolicy(scope, "task-policy", role=self.task_role.id, policy=policy_document(*secrets.read_statements()))
