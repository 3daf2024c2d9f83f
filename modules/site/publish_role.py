"""The role a frontend pipeline (Jenkins) assumes to publish the SPA, and where it publishes to."""

from __future__ import annotations

import json

from cdktf import Fn
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from modules.ci import environment_boundary_arn
from modules.iam import policy_document


class FrontendPublishRole(Construct):
    """``role_name``, assumable by ``principal_arn`` only, that may publish under one prefix and invalidate one distribution.

    What the role may do, and nothing else (its permissions boundary is the environment's, like
    every role of the env stack):

    * list the assets bucket under ``assets_prefix/`` only (``s3:prefix`` condition);
    * put, get and delete objects under ``<bucket>/<assets_prefix>/*`` (``ops.publish_frontend``
      skips unchanged hashed assets, uploads, then deletes stale objects);
    * use the environment's key through S3 only (the bucket is SSE-KMS);
    * create and read invalidations of ``distribution_arn``;
    * read :attr:`parameter`, which says where to publish (the role cannot read the Terraform state).

    Args:
        role_name: exact role name (``environment.names.frontend_publish_role_name``).
        principal_arn: the only principal allowed to ``sts:AssumeRole`` it (``[publish] jenkins_principal_arn``).
        bucket_arn / bucket_name: the assets bucket.
        assets_prefix: key prefix the distribution serves (no leading or trailing ``/``).
        distribution_arn / distribution_id: the site's distribution.
        kms_key_arn: the environment's key (the bucket's SSE-KMS key).
        parameter_name: SSM parameter that records bucket, prefix and distribution id
            (``environment.names.publish_target_parameter_name``).
        region: the region of the assets bucket (the ``kms:ViaService`` condition).

    Attributes: ``role`` (the ``IamRole``), ``policy`` (its ``IamRolePolicy``), ``parameter`` (the ``SsmParameter``).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        role_name: str,
        principal_arn: str,
        bucket_arn: str,
        bucket_name: str,
        assets_prefix: str,
        distribution_arn: str,
        distribution_id: str,
        kms_key_arn: str,
        parameter_name: str,
        region: str,
    ):
        super().__init__(scope, id_)
        if assets_prefix.startswith("/") or assets_prefix.endswith("/"):
            raise ValueError(f"assets_prefix {assets_prefix!r} must not start or end with '/'")
        self.parameter = SsmParameter(
            self,
            "target",
            name=parameter_name,
            type="String",
            description="Where the frontend publish role uploads the SPA: the three stack outputs, as JSON",
            value=Fn.jsonencode(
                {"assets_bucket": bucket_name, "assets_prefix": assets_prefix, "cloudfront_distribution_id": distribution_id}
            ),
        )
        self.role = IamRole(
            self,
            "role",
            name=role_name,
            description="Publishes the SPA: writes under the assets prefix and invalidates the distribution",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}],
                }
            ),
            max_session_duration=3600,
            permissions_boundary=environment_boundary_arn(self),
        )
        self.policy = IamRolePolicy(
            self,
            "policy",
            role=self.role.id,
            policy=policy_document(
                {
                    "Sid": "ListTheAssetsPrefix",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                    "Condition": {"StringLike": {"s3:prefix": [f"{assets_prefix}/", f"{assets_prefix}/*"]}},
                },
                {
                    "Sid": "WriteUnderTheAssetsPrefix",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{bucket_arn}/{assets_prefix}/*",
                },
                {
                    "Sid": "EncryptThroughS3",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": kms_key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                },
                {
                    "Sid": "InvalidateTheDistribution",
                    "Effect": "Allow",
                    "Action": ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                    "Resource": distribution_arn,
                },
                {"Sid": "ReadThePublishTarget", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": self.parameter.arn},
            ),
        )
