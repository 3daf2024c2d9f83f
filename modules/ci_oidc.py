"""CI access to AWS without stored keys: GitHub's OIDC provider and two roles per environment.

For each environment the construct makes:

* a **plan role** ``<role_name_prefix>-<env>-plan``: read-only (what ``terraform plan`` refreshes,
  the environment's own state object and lock). Assumable by pull-request workflows and by
  workflows running on ``main`` (the nightly drift check), never for a deploy;
* a **deploy role** ``<role_name_prefix>-<env>-deploy``: what ``terraform apply`` of the
  ``env-<env>`` stack, the image push and the ops commands need. Assumable only by a job that
  runs in the GitHub environment of the same name (``environment: staging``), so GitHub's
  environment protection rules (required reviewers, allowed branches) guard every deploy.

Least privilege, as enforced by the deploy policy (see :func:`deploy_policy`):

* state: read/write only the environment's own state key (and its ``.tflock``), lock rows only
  for that key (``dynamodb:LeadingKeys``), the state KMS key only through S3/DynamoDB;
* IAM: only roles and policies named ``<name_prefix>-*`` (the stack's naming rule), passable
  only to ECS tasks and RDS monitoring; service-linked roles only for ECS, RDS, ELB and
  Application Auto Scaling; no users, access keys or login profiles anywhere;
* S3 only on ``<name_prefix>-*`` buckets; ECR only on the environment's repository; Secrets
  Manager only on ``<name_prefix>/*`` secrets and RDS-managed ones;
* the other services the stack uses (ECS, RDS, ELB, CloudFront, WAF, KMS, logs, CloudWatch,
  Application Auto Scaling, Budgets, EC2 security groups) in the environment's region (and
  ``us-east-1`` for the global ones); ``tests/ops/test_ci_oidc.py`` checks that every resource
  type the env stacks synthesize is covered by both roles;
* explicit denies: the CI roles and the OIDC provider themselves, and deleting or
  re-configuring the state bucket, lock table and state key.

The residual breadth is per service within the region (for example ``ecs:*`` on any cluster of
the account and region); put one environment per account and region to close it, which the
env files already do for staging and production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from environment.names import DEFAULT_CI_ROLE_NAME_PREFIX, ci_role_name

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
GITHUB_THUMBPRINTS = ("6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd")
"""GitHub's published certificate thumbprints (AWS now trusts GitHub's CA itself; kept for older accounts)."""
DEFAULT_PLAN_SUBJECTS = ("pull_request", "ref:refs/heads/main")
"""``sub`` claim suffixes allowed to plan: pull requests, and runs on ``main`` (drift detection)."""
GLOBAL_SERVICE_REGION = "us-east-1"
"""Where IAM, CloudFront and Budgets calls land (``aws:RequestedRegion``)."""

_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")

REGIONAL_SERVICES = (
    "ecs:*",
    "rds:*",
    "elasticloadbalancing:*",
    "application-autoscaling:*",
    "cloudwatch:*",
    "logs:*",
    "kms:*",
    "ec2:Describe*",
    "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:ModifySecurityGroupRules",
    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "ec2:GetManagedPrefixListEntries",
    "cloudfront:*",
    "wafv2:*",
    "budgets:*",
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "acm:ListTagsForCertificate",
)
"""Services of the env stack with no name-based scoping here; limited to the environment's region."""

READ_ACTIONS = (
    "ecs:Describe*",
    "ecs:List*",
    "ecr:Describe*",
    "ecr:List*",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "rds:Describe*",
    "rds:List*",
    "elasticloadbalancing:Describe*",
    "application-autoscaling:Describe*",
    "application-autoscaling:ListTagsForResource",
    "cloudwatch:Describe*",
    "cloudwatch:List*",
    "logs:Describe*",
    "logs:List*",
    "kms:Describe*",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:List*",
    "ec2:Describe*",
    "ec2:GetManagedPrefixListEntries",
    "cloudfront:Get*",
    "cloudfront:List*",
    "wafv2:Get*",
    "wafv2:List*",
    "budgets:Describe*",
    "budgets:View*",
    "budgets:ListTagsForResource",
    "acm:DescribeCertificate",
    "acm:ListTagsForCertificate",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRoleTags",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:ListSecrets",
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:ListAllMyBuckets",
)
"""What a refresh of the env stack reads. No object reads (state aside) and no secret values
outside the environment's own secrets. If a plan fails with AccessDenied on a read action of a
new resource type, add that action here."""

SERVICE_LINKED_ROLE_SERVICES = (
    "ecs.amazonaws.com",
    "rds.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
)
PASS_ROLE_SERVICES = ("ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com")


@dataclass(frozen=True)
class CiEnvironment:
    """What the roles of one environment may touch. Build it with :meth:`from_config`."""

    name: str
    """Environment name (``staging``); roles are ``<prefix>-<name>-plan|deploy``."""
    region: str
    """Region of the environment's resources."""
    name_prefix: str
    """Prefix of every resource name in the env stack (``<application>-<env>``)."""
    ecr_repository: str
    """The environment's ECR repository name (CI pushes images there)."""
    state_bucket: str
    state_key: str
    state_region: str
    lock_table: str | None = None
    """DynamoDB lock table. Default: none (S3 lock file only)."""
    github_environment: str | None = None
    """GitHub environment whose jobs may deploy. Default: the environment name."""

    @classmethod
    def from_config(cls, config, *, name_prefix: str, github_environment: str | None = None) -> CiEnvironment:
        """From a validated :class:`environment.config.EnvironmentConfig` and its name prefix."""
        return cls(
            name=config.name,
            region=config.aws.region,
            name_prefix=name_prefix,
            ecr_repository=config.api.image.repository,
            state_bucket=config.state.bucket,
            state_key=config.state.key,
            state_region=config.state.region,
            lock_table=config.state.lock_table,
            github_environment=github_environment,
        )

    @property
    def deploy_environment(self) -> str:
        return self.github_environment or self.name


# --------------------------------------------------------------------------
# Policy documents (plain data: json.dumps keeps them readable in cdk.tf.json)
# --------------------------------------------------------------------------


def _state_statements(env: CiEnvironment, *, partition: str, account: str, state_kms_key_arn: str | None, write: bool) -> list[dict]:
    bucket_arn = f"arn:{partition}:s3:::{env.state_bucket}"
    key_arns = [f"{bucket_arn}/{env.state_key}", f"{bucket_arn}/{env.state_key}.tflock"]
    object_actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"]
    statements = [
        {"Sid": "OwnStateObject", "Effect": "Allow", "Action": object_actions, "Resource": key_arns[0]},
        # Lock file (use_lockfile): planning takes the lock too.
        {
            "Sid": "OwnStateLockFile",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": key_arns[1],
        },
        {
            "Sid": "ListOwnStateKey",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"s3:prefix": [env.state_key, f"{env.state_key}.tflock"]}},
        },
    ]
    if env.lock_table:
        statements.append(
            {
                "Sid": "OwnStateLockRows",
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": f"arn:{partition}:dynamodb:{env.state_region}:{account}:table/{env.lock_table}",
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "dynamodb:LeadingKeys": [f"{env.state_bucket}/{env.state_key}", f"{env.state_bucket}/{env.state_key}-md5"]
                    }
                },
            }
        )
    if state_kms_key_arn:
        statements.append(
            {
                "Sid": "StateKeyThroughS3AndDynamodb",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": state_kms_key_arn,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": [f"s3.{env.state_region}.amazonaws.com", f"dynamodb.{env.state_region}.amazonaws.com"]
                    }
                },
            }
        )
    return statements


def _regions(env: CiEnvironment) -> list[str]:
    return sorted({env.region, GLOBAL_SERVICE_REGION})


def deploy_policy(env: CiEnvironment, *, partition: str, account: str, role_name_prefix: str, state_kms_key_arn: str | None = None) -> dict:
    """The deploy role's inline policy (see the module doc for what each part allows)."""
    iam = f"arn:{partition}:iam::{account}"
    prefix = env.name_prefix
    statements = _state_statements(env, partition=partition, account=account, state_kms_key_arn=state_kms_key_arn, write=True)
    statements += [
        {
            "Sid": "EnvironmentServicesInRegion",
            "Effect": "Allow",
            "Action": list(REGIONAL_SERVICES),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": _regions(env)}},
        },
        {
            "Sid": "EnvironmentBuckets",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [f"arn:{partition}:s3:::{prefix}-*", f"arn:{partition}:s3:::{prefix}-*/*"],
        },
        {"Sid": "ListBuckets", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"},
        {
            "Sid": "EnvironmentRepository",
            "Effect": "Allow",
            "Action": "ecr:*",
            "Resource": f"arn:{partition}:ecr:{env.region}:{account}:repository/{env.ecr_repository}",
        },
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "EnvironmentSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:*",
            "Resource": [
                f"arn:{partition}:secretsmanager:{env.region}:{account}:secret:{prefix}/*",
                f"arn:{partition}:secretsmanager:{env.region}:{account}:secret:rds!*",
            ],
        },
        {
            "Sid": "SecretsRandomPassword",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetRandomPassword", "secretsmanager:ListSecrets"],
            "Resource": "*",
        },
        {
            "Sid": "EnvironmentRolesAndPolicies",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRoleTags",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:CreatePolicy",
                "iam:DeletePolicy",
                "iam:GetPolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:GetPolicyVersion",
                "iam:ListPolicyVersions",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": [f"{iam}:role/{prefix}-*", f"{iam}:policy/{prefix}-*"],
        },
        {
            "Sid": "PassEnvironmentRolesToEcsAndRds",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"{iam}:role/{prefix}-*",
            "Condition": {"StringEquals": {"iam:PassedToService": list(PASS_ROLE_SERVICES)}},
        },
        {
            "Sid": "AwsManagedPolicies",
            "Effect": "Allow",
            "Action": ["iam:GetPolicy", "iam:GetPolicyVersion"],
            "Resource": f"arn:{partition}:iam::aws:policy/*",
        },
        {
            "Sid": "ServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}},
        },
        {
            "Sid": "NoLongLivedCredentials",
            "Effect": "Deny",
            "Action": [
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:CreateLoginProfile",
                "iam:UpdateLoginProfile",
                "iam:AttachUserPolicy",
                "iam:PutUserPolicy",
                "iam:AddUserToGroup",
            ],
            "Resource": "*",
        },
        {
            "Sid": "CiAccessIsNotSelfService",
            "Effect": "Deny",
            "NotAction": ["iam:Get*", "iam:List*"],
            "Resource": [f"{iam}:role/{role_name_prefix}-*", f"{iam}:oidc-provider/{GITHUB_OIDC_HOST}"],
        },
        {
            "Sid": "StateBackendIsManagedByBootstrap",
            "Effect": "Deny",
            "Action": [
                "s3:DeleteBucket",
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
                "s3:PutBucketVersioning",
                "s3:PutLifecycleConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:PutBucketPublicAccessBlock",
                "s3:DeleteObjectVersion",
            ],
            "Resource": [f"arn:{partition}:s3:::{env.state_bucket}", f"arn:{partition}:s3:::{env.state_bucket}/*"],
        },
    ]
    if env.lock_table:
        statements.append(
            {
                "Sid": "LockTableIsManagedByBootstrap",
                "Effect": "Deny",
                "Action": ["dynamodb:DeleteTable", "dynamodb:UpdateTable"],
                "Resource": f"arn:{partition}:dynamodb:{env.state_region}:{account}:table/{env.lock_table}",
            }
        )
    if state_kms_key_arn:
        statements.append(
            {
                "Sid": "StateKeyIsManagedByBootstrap",
                "Effect": "Deny",
                "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:CreateGrant"],
                "Resource": state_kms_key_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def plan_policy(env: CiEnvironment, *, partition: str, account: str, state_kms_key_arn: str | None = None) -> dict:
    """The plan role's inline policy: state + lock of this environment, and refresh reads."""
    statements = _state_statements(env, partition=partition, account=account, state_kms_key_arn=state_kms_key_arn, write=False)
    statements += [
        {
            "Sid": "RefreshReads",
            "Effect": "Allow",
            "Action": list(READ_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": _regions(env)}},
        },
        {
            # Refreshing a secret version reads its value; only the environment's own secrets.
            "Sid": "OwnSecretValues",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:{partition}:secretsmanager:{env.region}:{account}:secret:{env.name_prefix}/*",
        },
        {
            "Sid": "DecryptOwnSecrets",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{env.region}.amazonaws.com"}},
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def trust_policy(provider_arn: str, repository: str, subjects: Sequence[str]) -> dict:
    """Web identity trust: GitHub's tokens for ``repository``, audience STS, ``sub`` one of ``subjects``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GithubActions",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": [f"repo:{repository}:{s}" for s in subjects],
                    }
                },
            }
        ],
    }


# --------------------------------------------------------------------------
# The construct
# --------------------------------------------------------------------------


class GithubCiAccess(Construct):
    """GitHub Actions OIDC provider (optional) and a plan + deploy role per environment.

    Args:
        repository: ``owner/name`` of the GitHub repository whose workflows may assume the roles.
        environments: one :class:`CiEnvironment` per environment whose state lives in this
            account (one bootstrap stack per state bucket, one bucket per account).
        create_provider: create the account's GitHub OIDC provider. Default: True. An account
            has at most one provider per URL: pass False and ``existing_provider_arn`` when it
            already exists.
        existing_provider_arn: ARN of an existing provider (only with ``create_provider=False``).
        role_name_prefix: roles are ``<prefix>-<env>-plan|deploy``. Default: ``geoapp-ci``
            (the workflows derive the ARNs from it, see ``ops/ci.py``).
        plan_subjects: ``sub`` claim suffixes allowed to assume the plan roles. Default:
            ``pull_request`` and ``ref:refs/heads/main``.
        state_kms_key_arn: the state bucket's KMS key (roles may use it only through S3 and
            DynamoDB). Default: none (an S3-managed key needs no grant).
        max_session_seconds: role session length. Default: 3600 (a deploy of the env stack,
            Aurora included, fits; raise it for slower first deploys).
        permissions_boundary_arn: boundary put on both roles. Default: none.
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
        state_kms_key_arn: str | None = None,
        max_session_seconds: int = 3600,
        permissions_boundary_arn: str | None = None,
        thumbprints: Sequence[str] = GITHUB_THUMBPRINTS,
    ):
        super().__init__(scope, id_)
        _validate(repository, environments, create_provider, existing_provider_arn, max_session_seconds, plan_subjects)

        partition = DataAwsPartition(self, "partition").partition
        account = DataAwsCallerIdentity(self, "account").account_id

        self.provider: IamOpenidConnectProvider | None = None
        if create_provider:
            self.provider = IamOpenidConnectProvider(
                self,
                "github",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_list=[GITHUB_OIDC_AUDIENCE],
                thumbprint_list=list(thumbprints),
            )
            self.provider_arn: str = self.provider.arn
        else:
            self.provider_arn = existing_provider_arn  # type: ignore[assignment]

        self.plan_roles: dict[str, IamRole] = {}
        self.deploy_roles: dict[str, IamRole] = {}
        for env in environments:
            common = {"max_session_duration": max_session_seconds, "permissions_boundary": permissions_boundary_arn}
            plan = IamRole(
                self,
                f"{env.name}-plan",
                name=ci_role_name(env.name, "plan", role_name_prefix),
                description=f"CI: terraform plan of env-{env.name} (read-only), from pull requests and main",
                assume_role_policy=json.dumps(trust_policy(self.provider_arn, repository, plan_subjects)),
                **common,
            )
            IamRolePolicy(
                self,
                f"{env.name}-plan-policy",
                name="plan",
                role=plan.id,
                policy=json.dumps(plan_policy(env, partition=partition, account=account, state_kms_key_arn=state_kms_key_arn)),
            )
            deploy = IamRole(
                self,
                f"{env.name}-deploy",
                name=ci_role_name(env.name, "deploy", role_name_prefix),
                description=f"CI: deploy env-{env.name}, only from the GitHub environment '{env.deploy_environment}'",
                assume_role_policy=json.dumps(trust_policy(self.provider_arn, repository, [f"environment:{env.deploy_environment}"])),
                **common,
            )
            IamRolePolicy(
                self,
                f"{env.name}-deploy-policy",
                name="deploy",
                role=deploy.id,
                policy=json.dumps(
                    deploy_policy(
                        env,
                        partition=partition,
                        account=account,
                        role_name_prefix=role_name_prefix,
                        state_kms_key_arn=state_kms_key_arn,
                    )
                ),
            )
            self.plan_roles[env.name] = plan
            self.deploy_roles[env.name] = deploy


def _validate(repository, environments, create_provider, existing_provider_arn, max_session_seconds, plan_subjects) -> None:
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
