"""One-off tasks of the API's image: the database admin and loader tasks.

A one-off task is not part of the service: ``ops.data_load`` starts it with ``RunTask`` (a
container override gives the command). Each has a task role
of its own that may read (and, for a secret marked writable, put) exactly the secrets of its
own :class:`~modules.secrets.ServiceSecrets`, so the service's role never sees the master
secret and the admin task's role never sees the Auth0 settings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition, EcsTaskDefinitionVolume
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environment.config import ApiSettings
from modules.api.task import container_definition
from modules.ci import environment_boundary_arn
from modules.iam import policy_document, service_assume_role_policy
from modules.secrets import ServiceSecrets


class OneOffTask(Construct):
    """A Fargate task definition ``<name_prefix>-<name>`` running ``command`` in the API's image.

    Args:
        settings: the env file's ``[api]`` (CPU and memory of the task).
        name_prefix: ``<app>-<env>``.
        name: the task's name (``db-admin``, ``db-loader``); family ``<name_prefix>-<name>``.
        image: the API's image reference.
        execution_role_arn: the API's execution role (pulls the image, writes the log).
        log_group_name: the API's log group; this task's streams are prefixed ``<name>``.
        region: the task's region (SDK and log driver).
        secrets: the secrets this task reads (their ARNs in its environment; its role may read exactly those).
        environment: plain container environment (no secret values).
        command: the container's default command (``RunTask`` may override it).
        statements: more IAM statements for the task role. Default: none.

    Attributes: ``task_role``, ``task_definition``, ``container_definition``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: ApiSettings,
        name_prefix: str,
        name: str,
        image: str,
        execution_role_arn: str,
        log_group_name: str,
        region: str,
        secrets: ServiceSecrets,
        environment: dict[str, str],
        command: Sequence[str],
        statements: Sequence[dict] = (),
    ):
        super().__init__(scope, id_)
        self.task_role = IamRole(
            self,
            "task-role",
            name=f"{name_prefix}-{name}-task",
            assume_role_policy=service_assume_role_policy("ecs-tasks.amazonaws.com"),
            permissions_boundary=environment_boundary_arn(self),
        )
        IamRolePolicy(self, "task-policy", role=self.task_role.id, policy=policy_document(*secrets.read_statements(), *statements))
        container = container_definition(
            image=image, settings=settings, environment=environment, secrets=secrets, log_group=log_group_name, region=region
        )
        for key in ("healthCheck", "portMappings"):  # nothing listens: a one-off runs its command and exits
            container.pop(key)
        container["command"] = list(command)
        container["logConfiguration"]["options"]["awslogs-stream-prefix"] = name
        self.container_definition = container
        self.task_definition = EcsTaskDefinition(
            self,
            "task",
            family=f"{name_prefix}-{name}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            execution_role_arn=execution_role_arn,
            task_role_arn=self.task_role.arn,
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            volume=[EcsTaskDefinitionVolume(name="tmp")],
            container_definitions=json.dumps([container]),
        )
