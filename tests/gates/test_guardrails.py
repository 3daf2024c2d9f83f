"""Guard-rails at synth time: tiny stacks built in-process, each unsafe in exactly one way, must fail synth.

GIVEN a stack whose resources are all safe, WHEN one thing is made unsafe, THEN ``app.synth()``
fails with that rule's id. The all-safe stack synthesizes, so each failure is caused by the
one change, not by an over-broad rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from modules.guardrails import DEFAULT_RULES, PRODUCTION_RULES, GuardRails
from stacks.guarded import GuardedStack

TAGS = {"Environment": "gates", "Owner": "platform-team", "Application": "geo-data-app"}
ACCOUNT = "123456789012"
SAFE_CONTAINER = {
    "name": "api",
    "image": "example/api:1",
    "user": "10001:10001",
    "privileged": False,
    "readonlyRootFilesystem": True,
    "environment": [{"name": "LOG_LEVEL", "value": "info"}],
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/x", "awslogs-region": "eu-west-1"}},
}


def build(tmp_path: Path, *, unsafe: Callable[[dict], None] | None = None, production: bool = False) -> None:
    """Synthesize one stack of safe resources; ``unsafe(knobs)`` changes one knob first."""
    from cdktf import App
    from cdktf_cdktf_provider_aws.ecs_service import EcsService
    from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition
    from cdktf_cdktf_provider_aws.kms_key import KmsKey
    from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
    from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
    from cdktf_cdktf_provider_aws.s3_bucket_acl import S3BucketAcl
    from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
    from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
        S3BucketServerSideEncryptionConfigurationA,
        S3BucketServerSideEncryptionConfigurationRuleA,
    )

    knobs = {
        "tags": dict(TAGS),
        "accounts": [ACCOUNT],
        "public_bucket": False,
        "bucket_sse": True,
        "key_rotation": True,
        "storage_encrypted": True,
        "deletion_protection": True,
        "container": json.loads(json.dumps(SAFE_CONTAINER)),
        "circuit_breaker": {"enable": True, "rollback": True},
        "public_ip": False,
    }
    if unsafe:
        unsafe(knobs)

    app = App(outdir=str(tmp_path))
    stack = GuardedStack(app, "gates", guard_rails=GuardRails(DEFAULT_RULES + PRODUCTION_RULES if production else DEFAULT_RULES))
    AwsProvider(
        stack, "aws", region="eu-west-1", allowed_account_ids=knobs["accounts"], default_tags=[AwsProviderDefaultTags(tags=knobs["tags"])]
    )
    key = KmsKey(stack, "key", enable_key_rotation=knobs["key_rotation"])
    bucket = S3Bucket(stack, "bucket", bucket="gates-bucket")
    if knobs["public_bucket"]:
        S3BucketAcl(stack, "acl", bucket=bucket.id, acl="public-read")
    else:
        flags = dict.fromkeys(("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"), True)
        S3BucketPublicAccessBlock(stack, "public-access", bucket=bucket.id, **flags)
    if knobs["bucket_sse"]:
        S3BucketServerSideEncryptionConfigurationA(
            stack,
            "sse",
            bucket=bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default={"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}
                )
            ],
        )
    RdsCluster(
        stack,
        "cluster",
        engine="aurora-mysql",
        cluster_identifier="gates",
        master_username="admin",
        manage_master_user_password=True,
        storage_encrypted=knobs["storage_encrypted"],
        kms_key_id=key.arn if knobs["storage_encrypted"] else None,
        deletion_protection=knobs["deletion_protection"],
        skip_final_snapshot=False,
        final_snapshot_identifier="gates-final",
        backup_retention_period=14,
    )
    task = EcsTaskDefinition(stack, "task", family="gates", container_definitions=json.dumps([knobs["container"]]))
    EcsService(
        stack,
        "service",
        name="gates",
        task_definition=task.arn,
        deployment_circuit_breaker=knobs["circuit_breaker"],
        network_configuration={"subnets": ["subnet-1"], "assign_public_ip": knobs["public_ip"]},
    )
    app.synth()


def test_the_all_safe_stack_synthesizes(tmp_path):
    build(tmp_path, production=True)
    doc = json.loads((tmp_path / "stacks" / "gates" / "cdk.tf.json").read_text())
    assert {"aws_s3_bucket", "aws_rds_cluster", "aws_ecs_task_definition", "aws_ecs_service"} <= set(doc["resource"])


def _set(key, value):
    return lambda knobs: knobs.__setitem__(key, value)


def _container(change):
    return lambda knobs: change(knobs["container"])


UNSAFE = {
    # the four cases of the issue
    "public bucket": (_set("public_bucket", True), "[S3-001] aws_s3_bucket_acl grants the public ACL 'public-read'"),
    "unencrypted cluster": (_set("storage_encrypted", False), "[ENC-001] aws_rds_cluster is not encrypted at rest"),
    "plaintext secret in a container's environment": (
        _container(lambda c: c["environment"].append({"name": "DB_PASSWORD", "value": "correct-horse-battery-staple"})),
        "[ECS-002] api: environment DB_PASSWORD looks like a secret value",
    ),
    "missing tag": (lambda knobs: knobs["tags"].pop("Owner"), "[TAG-001] aws_s3_bucket would be created without tag(s) Owner"),
    # the other rules
    "AWS key in an innocent-looking variable": (
        _container(lambda c: c["environment"].append({"name": "UPLOAD_ID", "value": "AKIA" + "QWERTYUIOPASDFGH"})),
        "[ECS-002] api: environment UPLOAD_ID holds a AWS access key id",
    ),
    "secret ARN given as a literal value": (
        _container(lambda c: c["environment"].append({"name": "AUTH0_CLIENT_SECRET", "value": "s3cr3t"})),
        "[ECS-002] api: environment AUTH0_CLIENT_SECRET looks like a secret value",
    ),
    "writable root file system": (
        _container(lambda c: c.update(readonlyRootFilesystem=False)),
        "[ECS-001] api: root file system is writable",
    ),
    "privileged container": (_container(lambda c: c.update(privileged=True)), "[ECS-001] api: privileged"),
    "root user": (_container(lambda c: c.pop("user")), "[ECS-001] api: runs as root (user unset)"),
    "no awslogs": (_container(lambda c: c.pop("logConfiguration")), "[ECS-001] api: logs do not go to CloudWatch"),
    "no rollback": (
        _set("circuit_breaker", {"enable": True, "rollback": False}),
        "[ECS-003] deployment circuit breaker with rollback is off",
    ),
    "public task IP": (_set("public_ip", True), "[ECS-003] tasks get public IP addresses"),
    "unpinned provider": (_set("accounts", None), "[ACC-001] AWS provider allows accounts any"),
    "bucket without SSE-KMS": (_set("bucket_sse", False), "[S3-002] aws_s3_bucket has no SSE-KMS"),
    "key without rotation": (_set("key_rotation", False), "[KMS-001] aws_kms_key has enable_key_rotation off"),
    "production DB without deletion protection": (
        _set("deletion_protection", False),
        "[RDS-002] production aws_rds_cluster: deletion_protection is off",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_guard_rails_refuse_an_unsafe_stack_at_synth(tmp_path, case):
    unsafe, expected = UNSAFE[case]
    with pytest.raises(RuntimeError) as caught:
        build(tmp_path, unsafe=unsafe, production=True)
    assert expected in str(caught.value)


def test_production_rules_apply_to_production_only(tmp_path):
    build(tmp_path, unsafe=_set("deletion_protection", False), production=False)  # staging may be torn down
