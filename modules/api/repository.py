"""The API's image repository: ECR, KMS-encrypted, immutable tags, scanned on push."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository, EcrRepositoryEncryptionConfiguration
from constructs import Construct

UNTAGGED_EXPIRY_DAYS = 7
"""Untagged layers are dropped after this many days."""
KEPT_IMAGES = 50
"""The newest images kept (rollback targets); older ones expire."""


class ImageRepository:
    """ECR repository + lifecycle policy, created in ``scope`` (ids ``repository``, ``repository-lifecycle``).

    A part of :class:`modules.api.ApiService`, not a construct of its own: its resources keep
    the ids (and so the Terraform logical ids) they had before the API service was split.

    Attributes: ``repository`` (the ``EcrRepository``), ``image`` (``<repository url>:<tag>``).
    """

    def __init__(self, scope: Construct, *, name: str, tag: str, kms_key_arn: str, force_delete: bool):
        self.repository = EcrRepository(
            scope,
            "repository",
            name=name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=kms_key_arn)],
            force_delete=force_delete,
        )
        EcrLifecyclePolicy(scope, "repository-lifecycle", repository=self.repository.name, policy=json.dumps(lifecycle_rules()))
        self.image = f"{self.repository.repository_url}:{tag}"


def lifecycle_rules() -> dict:
    """The lifecycle policy document: expire untagged layers, keep the newest images."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"drop untagged layers after {UNTAGGED_EXPIRY_DAYS} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_EXPIRY_DAYS,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"keep the {KEPT_IMAGES} newest images (rollbacks)",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": KEPT_IMAGES},
                "action": {"type": "expire"},
            },
        ]
    }
