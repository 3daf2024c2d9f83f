"""Terraform settings that aim the AWS provider and the S3 backend at the emulator.

Plain data (Terraform JSON syntax), so a stack, a test or a hand-written config can use
the same settings; ``NOTES.md`` explains each one. Credentials are never part of these
blocks: put :data:`localaws.DUMMY_CREDENTIALS` in the environment of the command.
"""

from __future__ import annotations

from typing import Any

from environment.aws_services import AWS_ENDPOINT_KEYS

BACKEND_ENDPOINT_KEYS: tuple[str, ...] = ("s3", "dynamodb", "sts", "iam")
"""``endpoints`` keys of Terraform's S3 backend (Terraform >= 1.6 syntax)."""


def provider_settings(endpoint: str, region: str = "us-east-1") -> dict[str, Any]:
    """``provider "aws"`` arguments for the emulator at ``endpoint`` (no credentials)."""
    return {
        "region": region,
        "skip_credentials_validation": True,
        # Keep the account-id lookup (moto's STS answers it): without it the provider
        # cannot tell "own account" from "other account" and, e.g., writes
        # referenced_security_group_id as "123456789012/sg-..." -> drift on every plan.
        "skip_requesting_account_id": False,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
        "s3_use_path_style": True,
        "endpoints": [{key: endpoint for key in AWS_ENDPOINT_KEYS}],
    }


def backend_settings(endpoint: str, bucket: str, key: str, lock_table: str | None, region: str = "us-east-1") -> dict[str, Any]:
    """``backend "s3"`` arguments for a state bucket (and optional lock table) in the emulator."""
    settings: dict[str, Any] = {
        "bucket": bucket,
        "key": key,
        "region": region,
        "encrypt": True,
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
        "endpoints": {name: endpoint for name in BACKEND_ENDPOINT_KEYS},
    }
    if lock_table:
        settings["dynamodb_table"] = lock_table
    return settings
