"""The state backend resources: the bucket and lock table environments keep their Terraform state in."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from environment.config import StateBackendSettings
from modules.iam import deny_insecure_transport, policy_document
from modules.kms import account_and_partition, rotating_key
from modules.storage import PrivateBucket

STATE_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation")
"""All a plan role may do in the state bucket (plans run with ``-lock=false``: no lock file written)."""


def state_bucket_statements(bucket_arn: str, *, role_arn_prefix: str, writers: Sequence[str], readers: Sequence[str] = ()) -> list[dict]:
    """Bucket-policy statements: TLS only; nobody but the ``writers`` and ``readers`` (role names,
    a path and ``*`` allowed) reaches the bucket at all (``aws:PrincipalArn``, which for an assumed
    role is the role's ARN); the ``readers`` only read. Empty ``writers``: no principal restriction."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    statements = [deny_insecure_transport(bucket_arn)]
    if writers:
        statements.append(
            {
                "Sid": "OnlyTheStateRoles",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"StringNotLike": {"aws:PrincipalArn": [f"{role_arn_prefix}{r}" for r in [*writers, *readers]]}},
            }
        )
    if writers and readers:
        statements.append(
            {
                "Sid": "PlanRolesOnlyRead",
                "Effect": "Deny",
                "Principal": "*",
                "NotAction": list(STATE_READ_ACTIONS),
                "Resource": resources,
                "Condition": {"StringLike": {"aws:PrincipalArn": [f"{role_arn_prefix}{r}" for r in readers]}},
            }
        )
    return statements


class StateBackendResources(Construct):
    """A hardened state bucket and lock table.

    Bucket: versioned (old states kept 90 days), SSE-KMS with a rotating key
    (its key policy leaves key use to the account's IAM policies),
    public access blocked, owner-enforced, TLS-only, and (when ``writers`` is given) reachable
    only by the named roles: its policy denies every other principal of any account, the
    account's administrators and root included (root can still delete the bucket policy: the
    way back in, see docs/runbooks/new-environment.md). Lock table: on-demand,
    point-in-time recovery, encrypted with the same key. Both are protected
    from ``terraform destroy`` unless ``allow_destroy``.

    Args:
        state: the shared ``[state]`` settings.
        allow_destroy: let ``destroy`` remove them (emulator only). Default: False.
        writers: role names (in this account; a path and ``*`` allowed) that may read and write
            state: the deploy roles and the break-glass role that applies this stack. Default:
            none, and then no principal restriction (the emulator: moto cannot evaluate it).
        readers: role names that may only read state (the plan roles). Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        state: StateBackendSettings,
        allow_destroy: bool = False,
        writers: Sequence[str] = (),
        readers: Sequence[str] = (),
    ):
        super().__init__(scope, id_)
        if readers and not writers:
            raise ValueError("readers without writers: nobody could write the state (name the deploy and break-glass roles)")
        lifecycle = None if allow_destroy else {"prevent_destroy": True}
        account, partition = account_and_partition(self)
        # The policy is written out rather than left to AWS's default, so a review sees who may use
        # the key: the account's IAM policies decide (the deploy roles), nobody outside the account.
        self.key = rotating_key(self, description=f"Terraform state in {state.bucket}", account=account, partition=partition)
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
            "tls-only",  # the id of when it was TLS only: a new id would replace the policy
            bucket=self.bucket.id,
            policy=policy_document(
                *state_bucket_statements(
                    self.bucket.arn, role_arn_prefix=f"arn:{partition}:iam::{account}:role/", writers=writers, readers=readers
                )
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
