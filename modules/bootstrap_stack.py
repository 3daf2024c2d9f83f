"""The bootstrap stack: the state bucket and lock table that environments keep their state in.

There is one bootstrap stack per distinct state bucket, so environments sharing
a bucket share it. Its own state starts local (it cannot live in a bucket that
does not exist yet); once applied, ``[state] bootstrap_state = "s3"`` moves it
into the bucket it created (see docs/runbooks/new-environment.md).
"""

from __future__ import annotations

import re

from cdktf import Aspects, LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable, DynamodbTableAttribute
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from modules.ci_oidc import CiEnvironment, GithubCiAccess
from modules.config import MANDATORY_TAGS, EnvironmentConfig, StateBackendSettings
from modules.cost import CostAllocationTags
from modules.guardrails import GuardRails
from modules.iam import key_admin_through_iam, policy_document
from modules.providers import aws_provider, s3_state_backend
from modules.storage import PrivateBucket


def bootstrap_stack_name(bucket: str) -> str:
    return "bootstrap-" + re.sub(r"[^a-z0-9-]+", "-", bucket.lower()).strip("-")


def group_by_backend(envs: list[EnvironmentConfig]) -> dict[str, list[EnvironmentConfig]]:
    """Environments by state bucket (the loader has checked that a group agrees on region, table, account)."""
    groups: dict[str, list[EnvironmentConfig]] = {}
    for env in envs:
        groups.setdefault(env.state.bucket, []).append(env)
    return groups


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


class BootstrapStack(TerraformStack):
    """The state backend shared by ``envs`` (all of which name the same bucket)."""

    def __init__(self, scope: Construct, id_: str, *, envs: list[EnvironmentConfig]):
        super().__init__(scope, id_)
        first = envs[0]
        state = first.state
        tags = {
            "Environment": first.tags.Environment if len(envs) == 1 else "shared",
            "Owner": first.tags.Owner,
            "Application": first.tags.Application,
        }
        assert set(tags) == set(MANDATORY_TAGS)
        aws_provider(self, first.aws.model_copy(update={"region": state.region}), tags=tags)
        if state.bootstrap_state == "s3":
            bootstrap_state = state.model_copy(update={"key": "bootstrap/terraform.tfstate"})
            s3_state_backend(self, bootstrap_state, endpoint=first.aws.endpoint)
        else:
            # relative to the stack's working dir (cdktf.out/stacks/<id>): the project root, the
            # same place cdktf's default uses, without writing this machine's absolute path
            LocalBackend(self, path=f"../../../terraform.{id_}.tfstate")
        resources = StateBackendResources(self, "state", state=state, allow_destroy=state.allow_destroy)
        TerraformOutput(self, "state_bucket", value=resources.bucket.bucket)
        TerraformOutput(self, "state_key_arn", value=resources.key.arn)
        if resources.lock_table is not None:
            TerraformOutput(self, "lock_table", value=resources.lock_table.name)
        # Everything below is account-level and shared by the group's environments (the loader
        # has checked that they agree on it).
        with_ci = [e for e in envs if e.ci is not None]
        self.ci_access = None
        if with_ci:
            ci = with_ci[0].ci
            self.ci_access = GithubCiAccess(
                self,
                "ci",
                repository=ci.github_repository,
                environments=[CiEnvironment.from_config(e, github_environment=e.ci.github_environment) for e in with_ci],
                create_provider=ci.existing_oidc_provider_arn is None,
                existing_provider_arn=ci.existing_oidc_provider_arn,
                state_kms_key_arn=resources.key.arn,
            )
        if first.cost.activate_allocation_tags:
            CostAllocationTags(self, "cost-allocation-tags", tag_keys=list(MANDATORY_TAGS))
        self.resources = resources
        self.envs = envs
        Aspects.of(self).add(GuardRails())
