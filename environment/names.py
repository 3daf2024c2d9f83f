"""Every name derived from an environment, defined once.

The stacks name their resources with these, and the operator commands, the emulator and CI
find them again with the same functions, so a rule changes in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from environment.config import EnvironmentConfig

ENV_STACK_PREFIX = "env-"
BOOTSTRAP_STACK_PREFIX = "bootstrap-"

DEFAULT_CI_ROLE_NAME_PREFIX = "geoapp-ci"
"""CI roles are ``<prefix>-<env>-plan|deploy``."""

CiRoleKind = Literal["plan", "deploy"]

DbCluster = Literal["blue", "green"]
"""The two Aurora cluster slots: a restore builds the other one beside the live one."""


def env_stack_name(env: str) -> str:
    """The stack of environment ``env`` (``envs/<env>.toml``): ``env-<env>``."""
    return f"{ENV_STACK_PREFIX}{env}"


def bootstrap_stack_name(bucket: str) -> str:
    """The bootstrap stack that owns state bucket ``bucket``: ``bootstrap-<slug>``."""
    return BOOTSTRAP_STACK_PREFIX + re.sub(r"[^a-z0-9-]+", "-", bucket.lower()).strip("-")


def name_prefix(config: EnvironmentConfig) -> str:
    """``<application>-<env>`` in the lower-case form AWS names accept: every resource name starts with it."""
    app = "".join(c if c.isalnum() else "-" for c in config.tags.Application.lower()).strip("-")
    return f"{app}-{config.name}"


def db_cluster_identifier(prefix: str, cluster: DbCluster) -> str:
    """``<prefix>-db`` for the first cluster (blue, as before restores had slots), ``<prefix>-db-green``."""
    return f"{prefix}-db" if cluster == "blue" else f"{prefix}-db-{cluster}"


def ci_role_name(env: str, kind: str, role_name_prefix: str = DEFAULT_CI_ROLE_NAME_PREFIX) -> str:
    """``<prefix>-<env>-<kind>``; ``kind`` is ``plan`` or ``deploy``."""
    if kind not in ("plan", "deploy"):
        raise ValueError(f"kind must be 'plan' or 'deploy', not {kind!r}")
    return f"{role_name_prefix}-{env}-{kind}"


def group_by_backend(envs: list[EnvironmentConfig]) -> dict[str, list[EnvironmentConfig]]:
    """Environments by state bucket: one bootstrap stack each (the loader checked that a group agrees)."""
    groups: dict[str, list[EnvironmentConfig]] = {}
    for env in envs:
        groups.setdefault(env.state.bucket, []).append(env)
    return groups


# ---- permissions boundary (issue 15) ----------------------------------------------------------


def permissions_boundary_name(env: str, role_name_prefix: str = DEFAULT_CI_ROLE_NAME_PREFIX) -> str:
    """The managed policy the bootstrap stack makes as the boundary of every role of env ``env``:
    ``<prefix>-<env>-boundary`` (outside the env's own ``<name_prefix>-*`` names, so the deploy
    role, which may change those, cannot change its boundary)."""
    return f"{role_name_prefix}-{env}-boundary"


def permissions_boundary_arn(
    config: EnvironmentConfig, *, partition: str = "aws", role_name_prefix: str = DEFAULT_CI_ROLE_NAME_PREFIX
) -> str:
    """ARN of :func:`permissions_boundary_name` in the environment's account; the env stack puts it
    on every role it creates (the deploy role may create roles only with it)."""
    return boundary_policy_arn(config.name, account=config.aws.account_id, partition=partition, role_name_prefix=role_name_prefix)


def boundary_policy_arn(env: str, *, account: str, partition: str = "aws", role_name_prefix: str = DEFAULT_CI_ROLE_NAME_PREFIX) -> str:
    """:func:`permissions_boundary_arn` from the env name and account (either may be a Terraform reference)."""
    return f"arn:{partition}:iam::{account}:policy/{permissions_boundary_name(env, role_name_prefix)}"


def environment_of_stack(stack_name: str) -> str:
    """The environment of env stack ``stack_name`` (the inverse of :func:`env_stack_name`)."""
    if not stack_name.startswith(ENV_STACK_PREFIX) or stack_name == ENV_STACK_PREFIX:
        raise ValueError(f"{stack_name!r} is not an environment stack (env-<name>)")
    return stack_name.removeprefix(ENV_STACK_PREFIX)


SPA_CALLBACK_PATH = "/auth/callback"
"""Where the SPA receives the sign-in redirect (``CALLBACK_PATH`` in frontend/src/lib/auth.tsx; a
test keeps them equal). The Auth0 application allows exactly ``<site><SPA_CALLBACK_PATH>``."""
SPA_LOGOUT_PATH = "/"
"""Where sign-out returns (``post_logout_redirect_uri`` = the site's origin + ``/``)."""


# ---- frontend publishing (issue 14) -------------------------------------------------------------

FRONTEND_PUBLISH_ROLE_PREFIX = "geoapp-frontend-publish"
"""The role Jenkins assumes to publish the SPA is ``<prefix>-<env>`` (the Jenkinsfile reads it from ``ops.ci env``)."""


def frontend_publish_role_name(env: str) -> str:
    """``geoapp-frontend-publish-<env>``: the env stack creates it when ``[publish] jenkins_principal_arn`` is set."""
    return f"{FRONTEND_PUBLISH_ROLE_PREFIX}-{env}"


def publish_target_parameter_name(config: EnvironmentConfig) -> str:
    """SSM parameter (``/<name_prefix>/frontend-publish``) holding where the SPA goes: the assets bucket,
    prefix and distribution id, as JSON ``{output name: value}`` (the stack outputs' names). The publish role may
    read it (it may not read the Terraform state)."""
    return f"/{name_prefix(config)}/frontend-publish"


def awslogs_stream(container: Mapping[str, Any], task_arn: str) -> tuple[str, str] | None:
    """``(log group, log stream)`` an ECS task's container writes to with the awslogs driver, or None without it.

    ``container`` is its container definition (``logConfiguration.options``); the stream is
    ``<awslogs-stream-prefix>/<container name>/<task id>``, as ECS names it.
    """
    config = container.get("logConfiguration") or {}
    options = config.get("options") or {}
    if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
        return None
    stream = f"{options.get('awslogs-stream-prefix', '')}/{container['name']}/{task_arn.rsplit('/', 1)[-1]}".lstrip("/")
    return options["awslogs-group"], stream


def edge_log_bucket_name(config: EnvironmentConfig) -> str:
    """``aws-waf-logs-<name_prefix>-<account>``: CloudFront access logs and WAF logs (AWS WAF writes only
    to a destination named ``aws-waf-logs-*``; the account makes the global bucket name unique)."""
    return f"aws-waf-logs-{name_prefix(config)}-{config.aws.account_id}"
