"""CI access to AWS without stored keys: GitHub's OIDC provider and two roles per environment.

* **plan role** ``<role_name_prefix>-<env>-plan``: read-only (:mod:`modules.ci.plan_policy`),
  assumable by pull-request workflows and by workflows running on ``main`` (the drift check);
* **deploy role** ``<role_name_prefix>-<env>-deploy`` (:mod:`modules.ci.deploy_policy`):
  assumable only by a job of a deploy workflow (``job_workflow_ref``: the workflow file as on
  ``main``), on ``main``, running in the GitHub environment of the same name, in this repository.
  GitHub's environment protection rules (required reviewers, allowed branches) guard each deploy.

The claim keys beyond ``sub``/``aud`` (``repository``, ``environment``, ``ref``,
``job_workflow_ref``) are GitHub claims AWS STS checks in trust policies since early 2026.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environment.names import DEFAULT_CI_ROLE_NAME_PREFIX, ci_role_name, permissions_boundary_name
from modules.ci.deploy_policy import deploy_policy
from modules.ci.environment import DEFAULT_DEPLOY_WORKFLOWS, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, Arns, CiEnvironment
from modules.ci.plan_policy import plan_policy

GITHUB_THUMBPRINTS = ("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd")
"""GitHub's published certificate thumbprints (AWS now trusts GitHub's CA itself; kept for older accounts)."""
DEFAULT_PLAN_SUBJECTS = ("pull_request", "ref:refs/heads/main")
"""``sub`` claim suffixes allowed to plan: pull requests, and runs on ``main`` (drift detection)."""
DEPLOY_REF = "refs/heads/main"

_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")


def _claim(name: str) -> str:
    return f"{GITHUB_OIDC_HOST}:{name}"


def _web_identity(provider_arn: str, conditions: dict) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GithubActions",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {_claim("aud"): GITHUB_OIDC_AUDIENCE, **conditions}},
            }
        ],
    }


def plan_trust_policy(provider_arn: str, repository: str, subjects: Sequence[str]) -> dict:
    """GitHub's tokens for ``repository`` whose ``sub`` is one of ``subjects``."""
    return _web_identity(provider_arn, {_claim("sub"): [f"repo:{repository}:{s}" for s in subjects], _claim("repository"): repository})


def deploy_trust_policy(provider_arn: str, repository: str, environment: str, workflows: Sequence[str]) -> dict:
    """Only a job of one of ``workflows`` (as on ``main``), on ``main``, in GitHub environment ``environment``."""
    return _web_identity(
        provider_arn,
        {
            _claim("sub"): f"repo:{repository}:environment:{environment}",
            _claim("repository"): repository,
            _claim("environment"): environment,
            _claim("ref"): DEPLOY_REF,
            _claim("job_workflow_ref"): [f"{repository}/{w}@{DEPLOY_REF}" for w in workflows],
        },
    )


class GithubCiAccess(Construct):
    """GitHub Actions OIDC provider (optional) and a plan + deploy role per environment.

    Args:
        repository: ``owner/name`` of the GitHub repository whose workflows may assume the roles.
        environments: one :class:`CiEnvironment` per environment whose state lives in this account.
        create_provider: create the account's GitHub OIDC provider. Default: True (pass False and
            ``existing_provider_arn`` when the account already has one).
        existing_provider_arn: ARN of an existing provider (only with ``create_provider=False``).
        role_name_prefix: roles are ``<prefix>-<env>-plan|deploy``, boundaries
            ``<prefix>-<env>-boundary``. Default: ``geoapp-ci`` (``ops/ci.py`` derives the ARNs).
        plan_subjects: ``sub`` claim suffixes allowed to plan. Default: ``pull_request`` and
            ``ref:refs/heads/main``.
        deploy_workflows: workflow files whose jobs (on ``main``) may deploy. Default:
            :data:`~modules.ci.environment.DEFAULT_DEPLOY_WORKFLOWS`.
        state_kms_key_arn: the state bucket's KMS key. Default: none.
        max_session_seconds: role session length. Default: 3600.
        thumbprints: provider certificate thumbprints. Default: :data:`GITHUB_THUMBPRINTS`.

    Attributes: ``provider`` (None when an existing one is used), ``provider_arn``,
    ``plan_roles`` and ``deploy_roles`` (``{env name: IamRole}``).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        repository: str,
        environments: Sequence[CiEnvironment],
        create_provider: bool = True,
        existing_provider_arn: str | None = None,
        role_name_prefix: str = DEFAULT_CI_ROLE_NAME_PREFIX,
        plan_subjects: Sequence[str] = DEFAULT_PLAN_SUBJECTS,
        deploy_workflows: Sequence[str] = DEFAULT_DEPLOY_WORKFLOWS,
        state_kms_key_arn: str | None = None,
        max_session_seconds: int = 3600,
        thumbprints: Sequence[str] = GITHUB_THUMBPRINTS,
    ):
        super().__init__(scope, id_)
        _validate(repository, environments, create_provider, existing_provider_arn, max_session_seconds, plan_subjects, deploy_workflows)
        arns = Arns(DataAwsPartition(self, "partition").partition, DataAwsCallerIdentity(self, "account").account_id)

        self.provider: IamOpenidConnectProvider | None = None
        if create_provider:
            self.provider = IamOpenidConnectProvider(
                self, "github", url=f"https://{GITHUB_OIDC_HOST}", client_id_list=[GITHUB_OIDC_AUDIENCE], thumbprint_list=list(thumbprints)
            )
            self.provider_arn: str = self.provider.arn
        else:
            self.provider_arn = existing_provider_arn  # type: ignore[assignment]

        self.plan_roles: dict[str, IamRole] = {}
        self.deploy_roles: dict[str, IamRole] = {}
        for env in environments:
            policies = {
                "plan": plan_policy(env, partition=arns.partition, account=arns.account, state_kms_key_arn=state_kms_key_arn),
                "deploy": deploy_policy(
                    env,
                    partition=arns.partition,
                    account=arns.account,
                    role_name_prefix=role_name_prefix,
                    boundary_arn=arns.iam(f"policy/{permissions_boundary_name(env.name, role_name_prefix)}"),
                    state_kms_key_arn=state_kms_key_arn,
                ),
            }
            trusts = {
                "plan": plan_trust_policy(self.provider_arn, repository, plan_subjects),
                "deploy": deploy_trust_policy(self.provider_arn, repository, env.deploy_environment, deploy_workflows),
            }
            descriptions = {
                "plan": f"CI: terraform plan of env-{env.name} (read-only, no lock, no credentials), from pull requests and main",
                "deploy": f"CI: deploy env-{env.name}, only from the deploy workflows on main in GitHub environment '{env.deploy_environment}'",
            }
            for kind, roles in (("plan", self.plan_roles), ("deploy", self.deploy_roles)):
                role = IamRole(
                    self,
                    f"{env.name}-{kind}",
                    name=ci_role_name(env.name, kind, role_name_prefix),
                    description=descriptions[kind],
                    assume_role_policy=json.dumps(trusts[kind]),
                    max_session_duration=max_session_seconds,
                )
                IamRolePolicy(self, f"{env.name}-{kind}-policy", name=kind, role=role.id, policy=json.dumps(policies[kind]))
                roles[env.name] = role


def _validate(
    repository, environments, create_provider, existing_provider_arn, max_session_seconds, plan_subjects, deploy_workflows
) -> None:
    if not _REPOSITORY.fullmatch(repository or ""):
        raise ValueError(f"repository must be 'owner/name' as on GitHub, got {repository!r}")
    if not environments:
        raise ValueError("environments is empty: give at least one CiEnvironment")
    names = [e.name for e in environments]
    if len(set(names)) != len(names):
        raise ValueError(f"environments lists a name twice: {names}")
    for name in names:
        if not _ENV_NAME.fullmatch(name):
            raise ValueError(f"environment name {name!r} is not a valid env name")
    if create_provider and existing_provider_arn:
        raise ValueError("create_provider=True and existing_provider_arn are exclusive: set create_provider=False to reuse a provider")
    if not create_provider and not existing_provider_arn:
        raise ValueError("create_provider=False needs existing_provider_arn (the account's GitHub OIDC provider)")
    if not 3600 <= max_session_seconds <= 43200:
        raise ValueError(f"max_session_seconds must be 3600..43200, got {max_session_seconds}")
    if not plan_subjects or any(s.startswith("environment:") for s in plan_subjects):
        raise ValueError("plan_subjects must be non-empty and must not name a GitHub environment (those are for deploy roles)")
    if not deploy_workflows or any(not re.fullmatch(r"\.github/workflows/[\w.-]+\.ya?ml", w) for w in deploy_workflows):
        raise ValueError(f"deploy_workflows must be non-empty paths .github/workflows/<file>.yml, got {list(deploy_workflows)}")
