"""Small helpers for IAM policy documents written as data."""

from __future__ import annotations

from cdktf import Fn


def policy_document(*statements: dict) -> str:
    """An IAM policy JSON document; statements may hold Terraform references."""
    return Fn.jsonencode({"Version": "2012-10-17", "Statement": list(statements)})


def key_admin_through_iam(partition: str, account: str) -> dict:
    """Key-policy statement: the account's IAM policies decide who uses the key; nobody outside it."""
    return {
        "Sid": "AccountAdministersThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def deny_insecure_transport(bucket_arn: str) -> dict:
    """Bucket-policy statement: every request to the bucket or its objects without TLS is denied."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def service_assume_role_policy(service: str) -> str:
    return policy_document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"},
    )
