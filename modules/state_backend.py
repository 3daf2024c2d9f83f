"""The state backend resources: the bucket and lock table environments keep their Terraform state in."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from environment.config import StateBackendSettings
from modules.iam import key_admin_through_iam, policy_document
from modules.storage import PrivateBucket


class StateBackendResources(Construct):
    """A hardened state bucket and lock table.

    Bucket: versioned (old states kept 90 days), SSE-KMS with a rotating key
    (its key policy leaves key use to the account's IAM policies),
    public access blocked, owner-enforced, TLS-only. Lock table: on-demand,
    point-in-time recovery, encrypted with the same key. Both are protected
    from ``terraform destroy`` unless ``allow_destroy``.

    Args:
        state: the shared ``[state]`` settings.
        allow_destroy: let ``destroy`` remove them (emulator only). Default: False.
    """

    def __init__(self, scope: Construct, id_: str, *, state: StateBackendSettings, allow_destroy: bool = False):
        super().__init__(scope, id_)
        lifecycle = None if allow_destroy else {"prevent_destroy": True}
        account = DataAwsCallerIdentity(self, "account").account_id
        partition = DataAwsPartition(self, "partition").partition
        self.key = KmsKey(
            self,
            "key",
            description=f"Terraform state in {state.bucket}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            # Written out rather than left to AWS's default, so a review sees who may use the key:
            # the account's IAM policies decide (the deploy roles), nobody outside the account.
            policy=policy_document(
                key_admin_through_iam(partition, account),
            ),
        )
        KmsAlias(self, "key-alias", name=f"alias/tfstate-{state.bucket}"[:250], target_key_id=self.key.key_id)
        self.bucket = PrivateBucket(
            self,
            "bucket",
            kms_key_arn=self.key.arn,
            name=state.bucket,
            force_destroy=allow_destroy,
            prevent_destroy=not allow_destroy,
        ).bucket
        S3BucketPolicy(
            self,
            "tls-only",
            bucket=self.bucket.id,
            policy=policy_document(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [self.bucket.arn, f"{self.bucket.arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ),
        )
        self.lock_table = None
        if state.lock_table is not None:
            self.lock_table = DynamodbTable(
                self,
                "lock-table",
                name=state.lock_table,
                billing_mode="PAY_PER_REQUEST",
                hash_key="LockID",
                attribute=[DynamodbTableAttribute(name="LockID", type="S")],
                point_in_time_recovery={"enabled": True},
                server_side_encryption={"enabled": True, "kms_key_arn": self.key.arn},
                deletion_protection_enabled=not allow_destroy,
                lifecycle=lifecycle,
            )
