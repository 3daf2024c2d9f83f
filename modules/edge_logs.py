"""The edge's logs: CloudFront access logs and WAF logs in one private bucket, kept ``retention_days``."""

from __future__ import annotations

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from modules.iam import deny_insecure_transport, policy_document
from modules.kms import account_and_partition
from modules.storage import PrivateBucket

WAF_LOG_BUCKET_PREFIX = "aws-waf-logs-"
"""AWS WAF writes only to a destination whose name starts with this (an S3 bucket here)."""
CLOUDFRONT_LOG_PREFIX = "cloudfront/"
"""Key prefix of the CloudFront access logs; WAF writes under ``AWSLogs/<account>/WAFLogs/``."""
REDACTED_HEADERS = ("authorization", "cookie")
"""Headers WAF logs never hold: bearer tokens and session cookies."""


class EdgeLogs(Construct):
    """A log bucket for the distribution's standard logging and the web ACL's logging.

    One :class:`modules.storage.PrivateBucket` named ``bucket_name`` (it must start with
    ``aws-waf-logs-`` for WAF): public access blocked, SSE-KMS with the environment's key (whose
    policy lets log delivery encrypt, :class:`modules.kms.EnvironmentKey`), versioned, every object
    expiring ``retention_days`` after it was written. ACLs are on (``BucketOwnerPreferred``):
    CloudFront standard logging grants its log delivery account through the bucket ACL.
    Its policy: TLS only; log delivery writes WAF logs under ``AWSLogs/<account>/`` for this account.

    Args:
        bucket_name: exact bucket name (``environment.names.edge_log_bucket_name``).
        kms_key_arn: the environment's key.
        retention_days: days a log object is kept (``[logs] retention_days``).
        force_destroy: let ``destroy`` delete a bucket that still holds logs. Default: False.

    Attributes: ``bucket`` (the ``S3Bucket``), ``cloudfront_logging`` (the distribution's
    ``logging_config``), ``policy``; call :meth:`log_waf` to log a web ACL here.
    """

    def __init__(self, scope: Construct, id_: str, *, bucket_name: str, kms_key_arn: str, retention_days: int, force_destroy: bool = False):
        super().__init__(scope, id_)
        if not bucket_name.startswith(WAF_LOG_BUCKET_PREFIX):
            raise ValueError(f"bucket_name {bucket_name!r} must start with {WAF_LOG_BUCKET_PREFIX!r} (AWS WAF logs only there)")
        if retention_days < 1:
            raise ValueError(f"retention_days {retention_days} must be at least 1")
        account, partition = account_and_partition(self)
        self.bucket = PrivateBucket(
            self,
            "bucket",
            name=bucket_name,
            kms_key_arn=kms_key_arn,
            force_destroy=force_destroy,
            noncurrent_days=1,
            expire_days=retention_days,
            object_ownership="BucketOwnerPreferred",
        ).bucket
        arn = self.bucket.arn
        delivery = {"Service": "delivery.logs.amazonaws.com"}
        this_account = {"StringEquals": {"aws:SourceAccount": account}}
        self.policy = S3BucketPolicy(
            self,
            "policy",
            bucket=self.bucket.id,
            policy=policy_document(
                deny_insecure_transport(arn),
                {
                    "Sid": "WafLogDeliveryWrites",
                    "Effect": "Allow",
                    "Principal": delivery,
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/AWSLogs/{account}/*",
                    "Condition": {
                        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": account},
                        "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:*:{account}:*"},
                    },
                },
                {
                    "Sid": "WafLogDeliveryChecksTheAcl",
                    "Effect": "Allow",
                    "Principal": delivery,
                    "Action": "s3:GetBucketAcl",
                    "Resource": arn,
                }
                | {"Condition": this_account},
            ),
        )
        self.cloudfront_logging = {"bucket": self.bucket.bucket_domain_name, "prefix": CLOUDFRONT_LOG_PREFIX, "include_cookies": False}

    def log_waf(self, web_acl_arn: str, *, provider: TerraformProvider | None) -> Wafv2WebAclLoggingConfiguration:
        """Send ``web_acl_arn``'s request logs here (the ``Authorization`` and ``Cookie`` headers redacted)."""
        return Wafv2WebAclLoggingConfiguration(
            self,
            "waf",
            provider=provider,
            resource_arn=web_acl_arn,
            log_destination_configs=[self.bucket.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=n)
                )
                for n in REDACTED_HEADERS
            ],
            depends_on=[self.policy],
        )
