"""The plan role's policy: read the environment's state without locking it, refresh-read the env
stack, and never read a credential (every secret value is denied but the credential-free ones
Terraform manages, :attr:`CiEnvironment.plan_readable_secrets`)."""

from __future__ import annotations

from modules.ci.environment import Arns, CiEnvironment
from modules.ci.state_access import state_statements

READ_ACTIONS = (
    "ecs:Describe*",
    "ecs:List*",
    "ecr:Describe*",
    "ecr:List*",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "rds:Describe*",
    "rds:List*",
    "elasticloadbalancing:Describe*",
    "application-autoscaling:Describe*",
    "application-autoscaling:ListTagsForResource",
    "cloudwatch:Describe*",
    "cloudwatch:List*",
    "logs:Describe*",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "kms:Describe*",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:List*",
    "ec2:Describe*",
    "ec2:GetManagedPrefixListEntries",
    "cloudfront:Get*",
    "cloudfront:List*",
    "wafv2:Get*",
    "wafv2:List*",
    "budgets:Describe*",
    "budgets:View*",
    "budgets:ListTagsForResource",
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "acm:ListTagsForCertificate",
    "route53:GetHostedZone",
    "route53:ListResourceRecordSets",
    "route53:ListTagsForResource",
    "route53:GetChange",
    "events:DescribeRule",
    "events:ListTargetsByRule",
    "events:ListTagsForResource",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "sns:ListSubscriptionsByTopic",
    "ssm:DescribeParameters",
    "ssm:ListTagsForResource",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRoleTags",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:ListSecrets",
    "s3:GetBucket*",
    "s3:GetAccelerateConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:ListAllMyBuckets",
)
"""What a refresh of the env stack reads, on ``*`` (AWS lists and describes need it). Read and list
calls only (the gate checks each against AWS's access levels): no object reads, no secret values.
If a plan fails with AccessDenied on a read action of a new resource type, add that action here."""


def readable_secret_arns(env: CiEnvironment, arns: Arns) -> list[str]:
    """ARNs (with Secrets Manager's six-character suffix) of the secrets the plan role may read."""
    return [arns.regional("secretsmanager", env.region, f"secret:{env.name_prefix}/{name}-??????") for name in env.plan_readable_secrets]


def plan_policy(env: CiEnvironment, *, partition: str, account: str, state_kms_key_arn: str | None = None) -> dict:
    """The plan role's inline policy: state (read, no lock), refresh reads, no credential."""
    arns = Arns(partition, account)
    statements = state_statements(env, arns, state_kms_key_arn=state_kms_key_arn, write=False)
    statements.append(
        {
            "Sid": "RefreshReads",
            "Effect": "Allow",
            "Action": list(READ_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": env.regions}},
        }
    )
    # the env's own plain String parameters (the frontend publish target), never another parameter
    statements.append(
        {
            "Sid": "OwnParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": arns.regional("ssm", env.region, f"parameter/{env.name_prefix}/*"),
        }
    )
    readable = readable_secret_arns(env, arns)
    if readable:
        statements += [
            {"Sid": "CredentialFreeSecretValues", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": readable},
            {
                "Sid": "DecryptThoseThroughSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": arns.regional("kms", env.region, "key/*"),
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{env.region}.amazonaws.com"}},
            },
        ]
    # the database users' secrets (rds!*, <prefix>/db*), the Auth0 client secret and anything else
    deny = {"Sid": "NoCredentialValues", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue"}
    statements.append({**deny, "NotResource": readable} if readable else {**deny, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}
