"""What the CI roles and the permissions boundary of one environment are scoped to."""

from __future__ import annotations

from dataclasses import dataclass

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
GLOBAL_SERVICE_REGION = "us-east-1"
"""Where IAM, CloudFront, WAF (CLOUDFRONT scope) and Budgets calls land (``aws:RequestedRegion``)."""
ENVIRONMENT_TAG = "Environment"
"""The tag every env-stack resource carries (provider default tags); tag-scoped grants match it."""
DEFAULT_DEPLOY_WORKFLOWS = (".github/workflows/infra-main.yml", ".github/workflows/backend.yml", ".github/workflows/frontend.yml")
"""Workflow files (on ``main``) whose jobs may assume the deploy role."""


@dataclass(frozen=True)
class CiEnvironment:
    """What the roles of one environment may touch. Build it with :meth:`from_config`."""

    name: str
    """Environment name (``staging``); roles are ``<prefix>-<name>-plan|deploy``."""
    region: str
    """Region of the environment's resources."""
    name_prefix: str
    """Prefix of every resource name in the env stack (``<application>-<env>``)."""
    ecr_repository: str
    """The environment's ECR repository name (CI pushes images there)."""
    state_bucket: str
    state_key: str
    state_region: str
    environment_tag: str = ""
    """Value of the ``Environment`` tag of the env's resources. Default: the environment name."""
    vpc_id: str | None = None
    """VPC the env's security groups are created in. Default: any VPC of the account and region."""
    lock_table: str | None = None
    """DynamoDB lock table. Default: none (S3 lock file only)."""
    github_environment: str | None = None
    """GitHub environment whose jobs may deploy. Default: the environment name."""
    plan_readable_secrets: tuple[str, ...] = ()
    """Secrets (``<name_prefix>/<name>``) whose Terraform-managed value holds no credential: the plan
    role may read them (to refresh their version). Default: none; every other secret value is denied."""
    seed_source: str | None = None
    """``s3://bucket/key`` the env's one-off seed task may read (the boundary allows it). Default: none."""
    hosted_zone_id: str | None = None
    """Route 53 zone whose records the env stack manages (``[dns] hosted_zone_id``). Default: none."""

    @classmethod
    def from_config(cls, config, *, name_prefix: str, github_environment: str | None = None) -> CiEnvironment:
        """From a validated :class:`environment.config.EnvironmentConfig` and its name prefix."""
        return cls(
            name=config.name,
            region=config.aws.region,
            name_prefix=name_prefix,
            ecr_repository=config.api.image.repository,
            state_bucket=config.state.bucket,
            state_key=config.state.key,
            state_region=config.state.region,
            environment_tag=config.tags.Environment,
            vpc_id=config.network.vpc_id,
            lock_table=config.state.lock_table,
            github_environment=github_environment,
            # managed mode writes {domain, audience, client_id} (no client secret) as a Terraform-managed version
            plan_readable_secrets=("auth0",) if config.auth0.mode == "managed" else (),
            seed_source=config.database.seed_source,
            hosted_zone_id=config.dns.hosted_zone_id,
        )

    @property
    def deploy_environment(self) -> str:
        return self.github_environment or self.name

    @property
    def tag(self) -> str:
        return self.environment_tag or self.name

    @property
    def regions(self) -> list[str]:
        return sorted({self.region, GLOBAL_SERVICE_REGION})


@dataclass(frozen=True)
class Arns:
    """ARN builder for one account (values may be Terraform references)."""

    partition: str
    account: str

    def iam(self, resource: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:{resource}"

    def regional(self, service: str, region: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{region}:{self.account}:{resource}"

    def s3(self, resource: str) -> str:
        return f"arn:{self.partition}:s3:::{resource}"
