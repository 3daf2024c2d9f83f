"""A private, versioned, KMS-encrypted S3 bucket: the one shape every bucket here has."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from constructs import Construct


class PrivateBucket(Construct):
    """An S3 bucket nobody outside the account can reach, whose old versions expire.

    Public access blocked (all four switches), ACLs off (owner enforced), SSE-KMS with
    an S3 bucket key, versioning on, and a lifecycle rule that expires noncurrent
    versions and aborts stale multipart uploads. The bucket policy is the caller's
    (who may read differs per bucket).

    Args:
        kms_key_arn: customer-managed key for SSE-KMS.
        name: exact bucket name; or
        name_prefix: a prefix Terraform completes with a random suffix.
        force_destroy: let ``destroy`` delete a non-empty bucket. Default: False.
        noncurrent_days: days an overwritten or deleted object version is kept. Default: 90.
        prevent_destroy: Terraform refuses to destroy the bucket. Default: False.
        expire_days: objects expire this many days after they were written (log buckets). Default:
            never.
        object_ownership: ``BucketOwnerEnforced`` (ACLs off) or ``BucketOwnerPreferred`` (ACLs on,
            objects owned by the bucket owner: what CloudFront standard logging needs, since it
            grants its log delivery account through an ACL). Default: ``BucketOwnerEnforced``.

    Attributes: ``bucket`` (the ``S3Bucket``), ``arn``, ``name``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        kms_key_arn: str,
        name: str | None = None,
        name_prefix: str | None = None,
        force_destroy: bool = False,
        noncurrent_days: int = 90,
        prevent_destroy: bool = False,
        expire_days: int | None = None,
        object_ownership: str = "BucketOwnerEnforced",
    ):
        super().__init__(scope, id_)
        if (name is None) == (name_prefix is None):
            raise ValueError("PrivateBucket takes exactly one of name and name_prefix")
        if object_ownership not in ("BucketOwnerEnforced", "BucketOwnerPreferred"):
            raise ValueError(f"object_ownership {object_ownership!r} is not BucketOwnerEnforced or BucketOwnerPreferred")
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=name,
            bucket_prefix=name_prefix,
            force_destroy=force_destroy,
            lifecycle={"prevent_destroy": True} if prevent_destroy else None,
        )
        bucket_id = self.bucket.id
        S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(self, "ownership", bucket=bucket_id, rule={"object_ownership": object_ownership})
        S3BucketVersioningA(self, "versioning", bucket=bucket_id, versioning_configuration={"status": "Enabled"})
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default={"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
                    bucket_key_enabled=True,
                )
            ],
        )
        S3BucketLifecycleConfiguration(
            self,
            "old-versions",
            bucket=bucket_id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent_days)
                    ],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)] if expire_days else None,
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
        )
        self.arn = self.bucket.arn
        self.name = self.bucket.bucket
