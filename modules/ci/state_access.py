"""Statements for an environment's own Terraform state: the deploy role writes and locks it, the
plan role reads it without locking (plan jobs run ``terraform plan -lock=false``)."""

from __future__ import annotations

from modules.ci.environment import Arns, CiEnvironment


def state_statements(env: CiEnvironment, arns: Arns, *, state_kms_key_arn: str | None, write: bool) -> list[dict]:
    """Own state object (+ its ``.tflock`` and lock rows when ``write``), the state key only through S3/DynamoDB."""
    bucket_arn = arns.s3(env.state_bucket)
    state_arn, lock_arn = f"{bucket_arn}/{env.state_key}", f"{bucket_arn}/{env.state_key}.tflock"
    statements = [
        {
            "Sid": "OwnStateObject",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] if write else ["s3:GetObject"],
            "Resource": state_arn,
        },
        {
            "Sid": "ListOwnStateKey",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": {"s3:prefix": [env.state_key, f"{env.state_key}.tflock"]}},
        },
    ]
    if write:
        statements.append(
            {
                "Sid": "OwnStateLockFile",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": lock_arn,
            }
        )
    if env.lock_table:
        # -lock=false still reads the state's digest row (<bucket>/<key>-md5); only a deploy takes the lock
        statements.append(
            {
                "Sid": "OwnStateLockRows" if write else "OwnStateDigestRow",
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
                if write
                else ["dynamodb:DescribeTable", "dynamodb:GetItem"],
                "Resource": arns.regional("dynamodb", env.state_region, f"table/{env.lock_table}"),
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
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
                if write
                else ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": state_kms_key_arn,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": [f"s3.{env.state_region}.amazonaws.com", f"dynamodb.{env.state_region}.amazonaws.com"]
                    }
                },
            }
        )
    return statements


def state_guard_statements(env: CiEnvironment, arns: Arns, *, state_kms_key_arn: str | None) -> list[dict]:
    """Denies: the state bucket, lock table and state key are the bootstrap stack's, not a deploy's."""
    bucket_arn = arns.s3(env.state_bucket)
    statements = [
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
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
        }
    ]
    if env.lock_table:
        statements.append(
            {
                "Sid": "LockTableIsManagedByBootstrap",
                "Effect": "Deny",
                "Action": ["dynamodb:DeleteTable", "dynamodb:UpdateTable"],
                "Resource": arns.regional("dynamodb", env.state_region, f"table/{env.lock_table}"),
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
    return statements
