"""The site's assets bucket and its policy: TLS only, and this distribution is the only reader."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from modules.storage import PrivateBucket

NONCURRENT_DAYS = 30
"""Old asset versions expire after 30 days: publishes replace whole builds, and a rollback
re-publishes from CI rather than from S3 history."""


class AssetsBucket:
    """A :class:`modules.storage.PrivateBucket` for the SPA's files, read by CloudFront only.

    A part of :class:`modules.site.StaticSite`, created in its scope with the ids it had before
    the split (``bucket``, ``bucket-policy-document``, ``bucket-policy``), so Terraform's logical
    ids do not change. The policy needs the distribution, which needs the bucket: build the
    bucket first, then call :meth:`readable_only_by` with the distribution's ARN.

    Args:
        name_prefix: the bucket is ``<name_prefix>-assets-<random suffix>``.
        kms_key_arn: the environment's key (SSE-KMS, bucket key on).
        force_destroy: let ``terraform destroy`` delete a non-empty bucket.

    Attributes: ``bucket`` (the ``S3Bucket``), ``policy`` (the ``S3BucketPolicy``, after
    :meth:`readable_only_by`).
    """

    def __init__(self, scope: Construct, *, name_prefix: str, kms_key_arn: str, force_destroy: bool):
        self._scope = scope
        self.bucket = PrivateBucket(
            scope,
            "bucket",
            kms_key_arn=kms_key_arn,
            name_prefix=f"{name_prefix}-assets-",
            force_destroy=force_destroy,
            noncurrent_days=NONCURRENT_DAYS,
        ).bucket
        self.policy: S3BucketPolicy | None = None

    def readable_only_by(self, distribution_arn: str) -> S3BucketPolicy:
        """The bucket policy: deny plain HTTP; let CloudFront (OAC) get objects for ``distribution_arn`` only."""
        bucket_objects = f"{self.bucket.arn}/*"
        document = DataAwsIamPolicyDocument(
            self._scope,
            "bucket-policy-document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    actions=["s3:*"],
                    resources=[self.bucket.arn, bucket_objects],
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="Bool", variable="aws:SecureTransport", values=["false"])],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowCloudFrontOriginAccessControl",
                    effect="Allow",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["cloudfront.amazonaws.com"])],
                    actions=["s3:GetObject"],
                    resources=[bucket_objects],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="AWS:SourceArn", values=[distribution_arn])
                    ],
                ),
            ],
        )
        self.policy = S3BucketPolicy(self._scope, "bucket-policy", bucket=self.bucket.id, policy=document.json)
        return self.policy
