"""The environment's customer-managed KMS key: secrets, logs, state of the app's data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules.iam import key_admin_through_iam, policy_document


def account_and_partition(scope: Construct) -> tuple[str, str]:
    """The account id and partition ``scope`` deploys to: data sources ``account`` and ``partition`` in ``scope``."""
    return DataAwsCallerIdentity(scope, "account").account_id, DataAwsPartition(scope, "partition").partition


def rotating_key(
    scope: Construct,
    id_: str = "key",
    *,
    description: str,
    account: str,
    partition: str,
    deletion_window_days: int = 30,
    statements: Sequence[Mapping[str, Any]] = (),
    provider: TerraformProvider | None = None,
) -> KmsKey:
    """A customer-managed key in ``scope`` with yearly rotation; its policy lets the account administer
    it through IAM, plus ``statements``. Defaults: id ``key``, no other statement, 30 days' deletion
    window, the stack's default provider."""
    return KmsKey(
        scope,
        id_,
        provider=provider,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_days,
        policy=policy_document(key_admin_through_iam(partition, account), *statements),
    )


class EnvironmentKey(Construct):
    """One customer-managed key per environment, with yearly rotation.

    The key policy lets the account administer it through IAM, and lets
    CloudWatch Logs use it for the environment's log groups only. Other
    services (Secrets Manager, RDS, S3 for CloudFront) are granted through
    IAM policies.

    Args:
        name_prefix: prefix of the alias (``alias/<name_prefix>``).
        region: region of the log groups the key may encrypt.
        deletion_window_days: waiting period before deletion. Default: 30.

    Log delivery (``delivery.logs.amazonaws.com``) may encrypt with it for this account only: the
    edge log bucket (:mod:`modules.edge_logs`) receives CloudFront and WAF logs with SSE-KMS.

    CloudFront may decrypt with it for distributions of this account only (the
    assets bucket's policy narrows reads to the environment's own distribution;
    naming that ARN here would make a key -> bucket -> distribution -> key cycle).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name_prefix: str,
        region: str,
        deletion_window_days: int = 30,
    ):
        super().__init__(scope, id_)
        account, partition = account_and_partition(self)
        self.key = rotating_key(
            self,
            description=f"{name_prefix}: secrets, logs and data of this environment",
            deletion_window_days=deletion_window_days,
            account=account,
            partition=partition,
            statements=(
                {
                    "Sid": "CloudWatchLogsForThisEnvironment",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*{name_prefix}*"
                        }
                    },
                },
                {
                    "Sid": "LogDeliveryWritesEdgeLogsOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": "delivery.logs.amazonaws.com"},
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
                {
                    "Sid": "CloudFrontReadsAssetsOfThisAccount",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringLike": {"aws:SourceArn": f"arn:{partition}:cloudfront::{account}:distribution/*"}},
                },
            ),
        )
        KmsAlias(self, "alias", name=f"alias/{name_prefix}", target_key_id=self.key.key_id)
        self.arn = self.key.arn
        self.account_id = account
        self.partition = partition
