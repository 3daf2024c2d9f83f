"""The permissions boundary of an environment's roles, made by the bootstrap stack.

Every role the env stack creates carries it (the deploy role can create roles only with it), so
whatever a role's own policies say, it can do at most what the environment's runtime needs:

* pull the environment's image, write logs (its own log groups and RDS enhanced monitoring's);
* read the environment's secrets (``<name_prefix>/*`` and RDS-managed ``rds!*``) and use the
  keys tagged ``Environment=<env>``;
* read and write the environment's buckets (``<name_prefix>-*``), read the seed source;
* the frontend publish role only (``aws:PrincipalArn``): delete objects in those buckets,
  invalidate the environment's (tagged) distributions, read the environment's parameters.

Nothing in IAM, STS or any other service: no role under it can make, change or assume roles.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Sequence

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from constructs import Construct

from environment.names import (
    DEFAULT_CI_ROLE_NAME_PREFIX,
    boundary_policy_arn,
    environment_of_stack,
    frontend_publish_role_name,
    permissions_boundary_name,
)
from modules.ci.environment import ENVIRONMENT_TAG, Arns, CiEnvironment

BOUNDARY_PARTITION_ID = "permissions-boundary-partition"
BOUNDARY_ACCOUNT_ID = "permissions-boundary-account"
"""Ids of the two data sources (one each per env stack) the boundary ARN is built from."""

_BOUNDARY_ARNS: weakref.WeakKeyDictionary[TerraformStack, str] = weakref.WeakKeyDictionary()
"""The boundary ARN per stack, built once: each build is ~9 jsii round trips, and a stack has several roles."""


def environment_boundary_arn(scope: Construct) -> str:
    """The ARN every role of the env stack that ``scope`` belongs to carries as ``permissions_boundary``.

    The boundary of environment ``<env>`` (from the stack's id, ``env-<env>``) in the account and
    partition the stack deploys to (its provider is pinned to the env file's account), i.e.
    :func:`environment.names.permissions_boundary_arn`; the bootstrap stack made it
    (:class:`PermissionsBoundaries`). A construct outside an env stack gets a ``ValueError``.
    """
    stack = TerraformStack.of(scope)
    if stack not in _BOUNDARY_ARNS:
        env = environment_of_stack(stack.node.id)
        partition = stack.node.try_find_child(BOUNDARY_PARTITION_ID) or DataAwsPartition(stack, BOUNDARY_PARTITION_ID)
        account = stack.node.try_find_child(BOUNDARY_ACCOUNT_ID) or DataAwsCallerIdentity(stack, BOUNDARY_ACCOUNT_ID)
        _BOUNDARY_ARNS[stack] = boundary_policy_arn(env, account=account.account_id, partition=partition.partition)
    return _BOUNDARY_ARNS[stack]


def boundary_policy(env: CiEnvironment, *, partition: str, account: str) -> dict:
    """The boundary document of ``env`` (allows only; anything else is outside every env role)."""
    arns = Arns(partition, account)
    prefix, region = env.name_prefix, env.region
    logs = [f"log-group:*{prefix}*", f"log-group:*{prefix}*:*", "log-group:RDSOSMetrics", "log-group:RDSOSMetrics:*"]
    statements = [
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "PullOwnImage",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": arns.regional("ecr", region, f"repository/{env.ecr_repository}"),
        },
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:PutRetentionPolicy",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
            ],
            "Resource": [arns.regional("logs", region, g) for g in logs],
        },
        {
            "Sid": "OwnSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": [
                arns.regional("secretsmanager", region, f"secret:{prefix}/*"),
                arns.regional("secretsmanager", region, "secret:rds!*"),
            ],
        },
        {
            "Sid": "WriteDatabaseUserSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:PutSecretValue",
            "Resource": arns.regional("secretsmanager", region, f"secret:{prefix}/db-*"),
        },
        {
            "Sid": "OwnKeys",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": env.tag}},
        },
        {
            "Sid": "OwnBuckets",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
            "Resource": [arns.s3(f"{prefix}-*"), arns.s3(f"{prefix}-*/*")],
        },
        *_publish_statements(env, arns),
    ]
    if env.seed_source:
        bucket, _, key = env.seed_source.removeprefix("s3://").partition("/")
        statements.append({"Sid": "ReadSeedSource", "Effect": "Allow", "Action": "s3:GetObject", "Resource": arns.s3(f"{bucket}/{key}*")})
    return {"Version": "2012-10-17", "Statement": statements}


def _publish_statements(env: CiEnvironment, arns: Arns) -> list[dict]:
    """What only ``geoapp-frontend-publish-<env>`` needs beyond the runtime: stale objects go, the
    distribution is invalidated, the publish target (``/<name_prefix>/frontend-publish``) is read."""
    only_publisher = {"ArnEquals": {"aws:PrincipalArn": arns.iam(f"role/{frontend_publish_role_name(env.name)}")}}
    return [
        {
            "Sid": "PublisherDeletesStaleAssets",
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": arns.s3(f"{env.name_prefix}-*/*"),
            "Condition": only_publisher,
        },
        {
            "Sid": "PublisherInvalidatesOwnDistributions",
            "Effect": "Allow",
            "Action": ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
            "Resource": f"arn:{arns.partition}:cloudfront::{arns.account}:distribution/*",
            "Condition": {**only_publisher, "StringEquals": {f"aws:ResourceTag/{ENVIRONMENT_TAG}": env.tag}},
        },
        {
            "Sid": "PublisherReadsOwnParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": arns.regional("ssm", env.region, f"parameter/{env.name_prefix}/*"),
            "Condition": only_publisher,
        },
    ]


class PermissionsBoundaries(Construct):
    """One managed boundary policy per environment, ``<role_name_prefix>-<env>-boundary``.

    Args:
        environments: the environments whose state lives in this bootstrap stack's bucket.
        role_name_prefix: prefix of the policy names. Default: ``geoapp-ci``.

    Attributes: ``policies`` (``{env name: IamPolicy}``).
    """

    def __init__(
        self, scope: Construct, id_: str, *, environments: Sequence[CiEnvironment], role_name_prefix: str = DEFAULT_CI_ROLE_NAME_PREFIX
    ):
        super().__init__(scope, id_)
        partition = DataAwsPartition(self, "partition").partition
        account = DataAwsCallerIdentity(self, "account").account_id
        self.policies: dict[str, IamPolicy] = {
            env.name: IamPolicy(
                self,
                env.name,
                name=permissions_boundary_name(env.name, role_name_prefix),
                description=f"Permissions boundary of every role of env-{env.name}",
                policy=json.dumps(boundary_policy(env, partition=partition, account=account)),
            )
            for env in environments
        }
