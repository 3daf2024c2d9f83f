"""One-off tasks of the API's image: the database admin and loader tasks.

A one-off task is not part of the service: ``ops.data_load`` starts it with ``RunTask`` (a
container override gives the command). Each has a task role
of its own that may read (and, for a secret marked writable, put) exactly the secrets of its
own :class:`~modules.secrets.ServiceSecrets`, so the service's role never sees the master
secret and the admin task's role never sees the Auth0 settings.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.api.task import ApiTask, container_definition, ecs_task_role, fargate_task_definition
from modules.iam import policy_document
from modules.secrets import ServiceSecrets


class OneOffTask(Construct):
    """A Fargate task definition ``<name_prefix>-<name>`` running ``command`` in the API's image.

    Args:
        api: the API's task: its settings (CPU, memory), name prefix (``<app>-<env>``), image, region,
            execution role (pulls the image, writes the log) and log group (this task's streams are
            prefixed ``<name>``).
        name: the task's name (``db-admin``, ``db-loader``); family ``<name_prefix>-<name>``.
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
        api: ApiTask,
        name: str,
        secrets: ServiceSecrets,
        environment: dict[str, str],
        command: Sequence[str],
        statements: Sequence[dict] = (),
    ):
        super().__init__(scope, id_)
        self.task_role = ecs_task_role(self, "task-role", f"{api.name_prefix}-{name}-task")
        IamRolePolicy(self, "task-policy", role=self.task_role.id, policy=policy_document(*secrets.read_statements(), *statements))
        container = container_definition(
            image=api.image,
            settings=api.settings,
            environment=environment,
            secrets=secrets,
            log_group=api.log_group.name,
            region=api.region,
        )
        for key in ("healthCheck", "portMappings"):  # nothing listens: a one-off runs its command and exits
            container.pop(key)
        container["command"] = list(command)
        container["logConfiguration"]["options"]["awslogs-stream-prefix"] = name
        self.container_definition = container
        self.task_definition = fargate_task_definition(
            self,
            family=f"{api.name_prefix}-{name}",
            settings=api.settings,
            execution_role_arn=api.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container=container,
        )
