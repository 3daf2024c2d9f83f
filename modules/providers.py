"""The AWS provider and the S3 state backend, both built from an env file.

An emulator endpoint (``[aws] endpoint``) is configuration: when it is set, every
AWS service the stacks use is pointed at it here, in one place, and the
constructs stay unaware of where AWS is.
"""

from __future__ import annotations

from cdktf import S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import Construct

from environment.aws_services import AWS_ENDPOINT_KEYS
from environment.config import AwsSettings, StateBackendSettings


def _emulator_flags(endpoint: str | None, *, metadata_flag_type=bool) -> dict:
    if endpoint is None:
        return {}
    return {
        "skip_credentials_validation": True,
        # the provider schema types this one as a string, the backend's as a bool
        "skip_metadata_api_check": metadata_flag_type(True) if metadata_flag_type is bool else "true",
        "skip_region_validation": True,
    }


def aws_provider(scope: Construct, aws: AwsSettings, *, tags: dict[str, str], id_: str = "aws", alias: str | None = None) -> AwsProvider:
    """The environment's AWS provider: pinned to its account, tagging everything it creates.

    ``alias`` makes a second provider of the same account (e.g. us-east-1 for CloudFront's WAF).
    """
    endpoint_kwargs = {}
    if aws.endpoint is not None:
        endpoint_kwargs = {
            "endpoints": [AwsProviderEndpoints(**{service: aws.endpoint for service in AWS_ENDPOINT_KEYS})],
            "s3_use_path_style": True,
            **_emulator_flags(aws.endpoint, metadata_flag_type=str),
        }
    return AwsProvider(
        scope,
        id_,
        region=aws.region,
        alias=alias,
        allowed_account_ids=[aws.account_id],
        default_tags=[AwsProviderDefaultTags(tags=tags)],
        **endpoint_kwargs,
    )


def s3_state_backend(stack: TerraformStack, state: StateBackendSettings, *, endpoint: str | None) -> S3Backend:
    """Remote state in S3, encrypted, locked by DynamoDB and/or an S3 lock file."""
    extra = {}
    if endpoint is not None:
        extra = {
            "endpoints": {"s3": endpoint, "dynamodb": endpoint, "sts": endpoint, "iam": endpoint},
            "use_path_style": True,
            "skip_requesting_account_id": True,
            **_emulator_flags(endpoint),
        }
    backend = S3Backend(
        stack,
        bucket=state.bucket,
        key=state.key,
        region=state.region,
        encrypt=True,
        dynamodb_table=state.lock_table,
        **extra,
    )
    if state.use_lockfile:
        # cdktf 0.21's S3Backend predates Terraform 1.10's S3-native locking.
        backend.add_override("use_lockfile", True)
    return backend
