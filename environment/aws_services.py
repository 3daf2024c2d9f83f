"""The AWS services an ``[aws] endpoint`` (the emulator) serves, named once.

The stacks' provider adapter (``modules/providers.py``) and the emulator's hand-written
Terraform settings (``localaws/terraform.py``) both aim every key here at the endpoint: a
service missing here goes to real AWS (and fails offline), so the list errs on the long side;
unused keys cost nothing.
"""

from __future__ import annotations

AWS_ENDPOINT_KEYS: tuple[str, ...] = (
    "acm",
    "appautoscaling",
    "budgets",
    "ce",
    "cloudfront",
    "cloudwatch",
    "cloudwatchlogs",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "events",
    "iam",
    "kms",
    "rds",
    "resourcegroupstaggingapi",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "ssm",
    "sts",
    "wafv2",
)
"""``endpoints`` keys of the hashicorp/aws 5.x provider (``cloudwatchlogs`` is the key of the
``logs`` service: the provider refuses both at once)."""
