"""Environment files: the typed schema, and the one loader that validates them.

An environment file (``envs/<name>.toml``) is data that the operations team fills
in: it holds every deployment parameter of the seed's "Putting it all together"
list, and never a secret value. This module is the edge where that data is
checked, once, before any construct is built or any output is written.

Every problem in every file is collected and reported together, one line each,
as ``<file>: <field>: <reason>``; nothing here raises a traceback at the user.

Run ``python -m environment.config [envs/]`` to check files without synthesizing.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from environment.names import DbCluster, env_stack_name

# --------------------------------------------------------------------------
# Field types: each one names the shape it accepts, so errors read well.
# --------------------------------------------------------------------------


def _text(regex: str, what: str) -> Any:
    """A string field type that accepts what ``regex`` matches in full; the error says it is not ``what``."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return Annotated[str, AfterValidator(check)]


AccountId = _text(r"\d{12}", "a 12-digit AWS account id")
Region = _text(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region such as eu-west-1")
VpcId = _text(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})", "a VPC id (vpc- and 8 or 17 hex digits)")
SubnetId = _text(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})", "a subnet id (subnet- and 8 or 17 hex digits)")
BucketName = _text(r"(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "a valid S3 bucket name")
BreakGlassRole = _text(r"[A-Za-z0-9+=,.@_*-]+(/[A-Za-z0-9+=,.@_*-]+)*", "an IAM role name, optionally with its path")
TableName = _text(r"[A-Za-z0-9_.-]{3,255}", "a valid DynamoDB table name")
StateKey = _text(r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*\.tfstate", "an S3 object key ending in .tfstate")
Hostname = _text(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", "a lower-case DNS name such as app.example.com")
AcmCertificateArn = _text(
    r"arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}",
    "an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from us-east-1)",
)
EcrRepositoryName = _text(
    r"(?=.{2,256}$)([a-z0-9]+([._-][a-z0-9]+)*/)*[a-z0-9]+([._-][a-z0-9]+)*", "an ECR repository name (lower case, digits, . _ - /)"
)
ImageTag = _text(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "an image tag (letters, digits, _ . -, at most 128)")
RegionalAcmCertificateArn = _text(r"arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}", "an ACM certificate ARN")
HttpUrl = _text(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?/?", "an http(s) URL such as http://127.0.0.1:4599")
SnapshotRef = _text(
    r"(arn:aws:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:)?[A-Za-z][A-Za-z0-9-]{0,254}", "a DB cluster snapshot identifier or ARN"
)
Email = _text(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an e-mail address")
DbIdentifier = _text(r"[A-Za-z][A-Za-z0-9_]{0,15}", "a MySQL user name (a letter, then letters, digits, _; at most 16)")
DbName = _text(r"[A-Za-z][A-Za-z0-9_]{0,63}", "a database name (a letter, then letters, digits, _)")
S3Prefix = _text(r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*", "an S3 key prefix without leading or trailing '/'")
TagValue = Annotated[str, Field(min_length=1, max_length=256)]

#: Retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

#: Fargate CPU units and the memory sizes (MiB) each allows.
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}

MANDATORY_TAGS = ("Environment", "Owner", "Application")


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------
# Sections of an environment file
# --------------------------------------------------------------------------


class AwsSettings(_Strict):
    region: Region
    """Region every resource of the environment lives in."""
    account_id: AccountId
    """The only account the provider may touch (``allowed_account_ids``)."""
    endpoint: HttpUrl | None = None
    """Emulator only: one URL that serves every AWS API (moto server). Default: real AWS."""


class StateBackendSettings(_Strict):
    bucket: BucketName
    """S3 bucket that holds the Terraform state (created by the bootstrap stack)."""
    key: StateKey
    """Object key of this environment's state; unique across environments."""
    region: Region
    """Region of the state bucket and lock table."""
    lock_table: TableName | None = None
    """DynamoDB lock table. Default: none, which requires ``use_lockfile``."""
    use_lockfile: bool = False
    """S3-native locking (Terraform >= 1.10). Default: off; both may be on while migrating."""
    bootstrap_state: Literal["local", "s3"] = "local"
    """Where the bootstrap stack keeps its own state: local for the first apply, then s3. Default: local."""
    allow_destroy: bool = False
    """Let ``destroy`` remove the state bucket and table (throw-away emulator backends only). Default: false."""
    break_glass_role: BreakGlassRole = "geoapp-break-glass"
    """Role name (in the env's account; a path and ``*`` allowed) that, besides the CI deploy and plan
    roles, may reach the state bucket: the administrators' role that applies the bootstrap stack.
    Every other principal is denied by the bucket policy. Default: ``geoapp-break-glass``."""
    restrict_to_roles: bool = True
    """The bucket policy denies every principal but the CI roles and ``break_glass_role``. Default: true;
    false is allowed only with ``[aws] endpoint`` (moto 5.2.5 cannot evaluate ``StringNotLike`` on
    ``aws:PrincipalArn`` and would deny every request; the bucket then stays TLS-only)."""

    @model_validator(mode="after")
    def _some_locking(self):
        if self.lock_table is None and not self.use_lockfile:
            raise ValueError("state has no locking: set lock_table, use_lockfile = true, or both")
        return self


class Tags(BaseModel):
    """Cost-allocation tags put on every resource. Extra tags are allowed."""

    model_config = ConfigDict(extra="allow", frozen=True)
    Environment: TagValue
    Owner: TagValue
    Application: TagValue

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump().items()}


class NetworkSettings(_Strict):
    vpc_id: VpcId
    """The existing VPC; nothing network-level is created."""
    public_subnet_ids: list[SubnetId] = Field(min_length=1)
    """Subnets of the internet-facing load balancer."""
    private_subnet_ids: list[SubnetId] = Field(min_length=2)
    """Subnets of the tasks and the DB (two or more AZs, as Aurora requires)."""

    @model_validator(mode="after")
    def _distinct(self):
        for name in ("public_subnet_ids", "private_subnet_ids"):
            ids = getattr(self, name)
            if len(set(ids)) != len(ids):
                raise ValueError(f"{name} lists a subnet twice")
        return self


class ImageSettings(_Strict):
    repository: EcrRepositoryName
    """ECR repository name; the stack creates it."""
    tag: ImageTag
    """Immutable tag to run (CI sets it to the git SHA)."""


class OriginTlsSettings(_Strict):
    """TLS between CloudFront and the load balancer (a TLS listener on the NLB)."""

    domain: Hostname
    """Name CloudFront connects to; a DNS CNAME to the NLB (output ``api_load_balancer_dns``)."""
    certificate_arn: RegionalAcmCertificateArn | None = None
    """ACM certificate for ``domain`` in the environment's own region. Required unless ``[dns]
    hosted_zone_id`` is set (the stack then issues and validates one)."""


class ApiSettings(_Strict):
    image: ImageSettings
    cpu: Literal[256, 512, 1024, 2048, 4096] = 512
    """Fargate CPU units per task. Default: 512."""
    memory: int = 1024
    """MiB per task; must be a size Fargate allows for ``cpu``. Default: 1024."""
    container_port: int = Field(8000, ge=1024, le=65535)
    """Port gunicorn listens on. Default: 8000."""
    min_tasks: int = Field(ge=1)
    max_tasks: int = Field(ge=1)
    scale_up_cpu_percent: int = Field(ge=1, le=100)
    """Add tasks while average CPU is at or above this. """
    scale_down_cpu_percent: int = Field(ge=0, le=99)
    """Remove tasks while average CPU is at or below this."""
    health_check_path: str = Field("/api/health/live", pattern=r"/api/[A-Za-z0-9/_-]*")
    """HTTP path the load balancer probes. Default: the liveness path, which does not touch the
    database (a database blip must not mark every task unhealthy; readiness stays for diagnostics)."""
    health_check_grace_seconds: int = Field(60, ge=0, le=2_147_483_647)
    log_retention_days: int = 30
    """CloudWatch retention for API logs. Default: 30."""
    public_reads: bool = True
    """Feature reads need no token. Default: true; writes always need one."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """The API's log level (``LOG_LEVEL`` in the task definition). Default: INFO."""
    origin_tls: OriginTlsSettings | None = None
    """CloudFront -> NLB over TLS. Default: plain HTTP on port 80 (required in production)."""

    @model_validator(mode="after")
    def _consistent(self):
        problems = []
        if self.memory not in FARGATE_MEMORY[self.cpu]:
            allowed = FARGATE_MEMORY[self.cpu]
            problems.append(
                f"memory {self.memory} is not a Fargate size for cpu {self.cpu} "
                f"(allowed: {allowed[0]}..{allowed[-1]} in steps of {allowed[1] - allowed[0]})"
            )
        if self.min_tasks > self.max_tasks:
            problems.append(f"min_tasks ({self.min_tasks}) is greater than max_tasks ({self.max_tasks})")
        if self.scale_down_cpu_percent >= self.scale_up_cpu_percent:
            problems.append(
                f"scale_down_cpu_percent ({self.scale_down_cpu_percent}) must be lower than "
                f"scale_up_cpu_percent ({self.scale_up_cpu_percent})"
            )
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(f"log_retention_days {self.log_retention_days} is not one CloudWatch accepts")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class DatabaseSettings(_Strict):
    username: DbIdentifier
    """Master user name. The password is generated and kept by RDS in Secrets Manager."""
    name: DbName = "geodata"
    engine_version: str = Field("8.0.mysql_aurora.3.08.0", pattern=r"8\.0\.mysql_aurora\.3\.\d{2}\.\d+")
    """Aurora MySQL 3.x version. Default: 8.0.mysql_aurora.3.08.0."""
    min_capacity_acu: float = Field(0.5, ge=0, le=256)
    max_capacity_acu: float = Field(4, ge=1, le=256)
    instances: int = Field(1, ge=1, le=15)
    """db.serverless instances (writer + readers). Default: 1."""
    backup_retention_days: int = Field(7, ge=1, le=35)
    clusters: list[DbCluster] = Field(["blue"], min_length=1)
    """The Aurora clusters that exist, of the two slots ``blue`` and ``green``. Default: ``["blue"]``.
    A restore adds the other slot beside the live one; removing a slot deletes its cluster
    (after ``retire``; see docs/runbooks/backup-and-restore.md)."""
    serve: DbCluster | None = None
    """The cluster the API and the one-off tasks use (the cutover). Default: the first of ``clusters``."""
    restore: dict[DbCluster, SnapshotRef] = {}
    """Clusters created from a snapshot, e.g. ``{ green = "<snapshot>" }``. Keep the entry while that
    cluster lives: changing it replaces the cluster. Default: none (every cluster starts empty)."""
    retire: list[DbCluster] = []
    """Clusters on their way out: deletion protection off, so that a later apply may delete them
    once they leave ``clusters``. Never the served one. Default: none."""
    monitoring: bool = True
    """Performance Insights and enhanced monitoring on every instance. Default: true."""
    deletion_protection: bool = True
    """RDS refuses to delete the cluster while on. Default: true; production cannot turn it off
    (envs/local.toml turns it off: ``make down`` destroys the emulator's cluster)."""
    final_snapshot: bool = True
    """Take a final snapshot when the cluster is destroyed. Default: true; production cannot turn it
    off (envs/local.toml turns it off: the emulator's data is throw-away)."""
    seed_source: _text(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s*?]*)?", "an s3://bucket/key-or-prefix URL") | None = None
    """Where ``make data-load SEED=...`` reads dumps from; the task role may read exactly that
    object or prefix. Default: none (seeding from S3 is refused by IAM)."""

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data):
        if isinstance(data, dict) and "restore_snapshot" in data:
            raise ValueError(
                "restore_snapshot (restore in place) is gone: restore beside the live cluster with "
                'clusters = ["blue", "green"] and restore = { green = "<snapshot>" }, then cut over with '
                'serve = "green" (docs/runbooks/backup-and-restore.md)'
            )
        return data

    @model_validator(mode="after")
    def _slots(self):
        problems = []
        if len(set(self.clusters)) != len(self.clusters):
            problems.append(f"clusters {self.clusters} names a cluster twice")
        if self.serve is not None and self.serve not in self.clusters:
            problems.append(f"serve {self.serve!r} is not one of clusters {self.clusters}")
        problems += [
            f"restore names {name!r}, which is not one of clusters {self.clusters}" for name in self.restore if name not in self.clusters
        ]
        problems += [
            f"retire names {name!r}, which is not one of clusters {self.clusters}" for name in self.retire if name not in self.clusters
        ]
        if self.served_cluster in self.retire:
            problems.append(f"retire names {self.served_cluster!r}, the cluster the API uses (serve): cut over first")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def served_cluster(self) -> DbCluster:
        """The cluster the API uses: ``serve``, or the first of ``clusters``."""
        return self.serve or self.clusters[0]

    @model_validator(mode="after")
    def _capacity(self):
        if self.min_capacity_acu > self.max_capacity_acu:
            raise ValueError(f"min_capacity_acu ({self.min_capacity_acu}) is greater than max_capacity_acu ({self.max_capacity_acu})")
        if (self.min_capacity_acu * 2) % 1 or (self.max_capacity_acu * 2) % 1:
            raise ValueError("capacities are set in steps of 0.5 ACU")
        return self


class Auth0Settings(_Strict):
    mode: Literal["managed", "external"]
    """managed: the stack creates the Auth0 applications; external: set up by hand (see docs)."""
    domain: Hostname
    """Tenant domain, e.g. geoapp-staging.eu.auth0.com."""
    audience: Annotated[str, Field(min_length=1, max_length=600)]
    """API identifier that access tokens are issued for."""


class SiteSettings(_Strict):
    cname: Hostname | None = None
    """Public host name. Default: the CloudFront domain."""
    certificate_arn: AcmCertificateArn | None = None
    """ACM certificate for ``cname`` (us-east-1). Required with ``cname`` unless ``[dns] hosted_zone_id``
    is set (the stack then issues and validates one)."""
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    waf: bool = True
    """AWS WAF in front of CloudFront (managed rules + per-IP rate limit). Default: true."""
    waf_rate_limit_per_5min: int = Field(2000, ge=10, le=2_000_000_000)
    """Requests one IP may send in 5 minutes. Default: 2000."""

    @model_validator(mode="after")
    def _pair(self):
        if self.cname is None and self.certificate_arn is not None:
            raise ValueError("certificate_arn without cname: the certificate is for cname")
        return self


class FrontendSettings(_Strict):
    assets_prefix: S3Prefix = "site/current"
    """Key prefix in the assets bucket that CloudFront serves (``origin_path``)."""
    spa_fallback: Literal["function", "error_responses"] = "function"
    """How client-side routes get ``/index.html``: a CloudFront Function on the SPA behaviour
    only (API errors stay as they are), or distribution-wide 403/404 error responses.
    Default: function."""


class CostSettings(_Strict):
    monthly_budget_usd: float = Field(gt=0)
    alert_emails: list[Email] = Field(min_length=1)
    activate_allocation_tags: bool = False
    """Activate Environment/Owner/Application as cost allocation tags (bootstrap stack). Only the
    paying (management) account can; member accounts leave it false. Default: false."""


class CiSettings(_Strict):
    """GitHub Actions access: the bootstrap stack creates a plan and a deploy role for this env."""

    github_repository: _text(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", "a GitHub repository owner/name")
    github_environment: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    """GitHub environment whose jobs may deploy (protect it for production). Default: the env name."""
    existing_oidc_provider_arn: (
        _text(r"arn:aws:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com", "the ARN of the account's GitHub OIDC provider")
        | None
    ) = None
    """Use the account's existing GitHub OIDC provider instead of creating it. Default: create it."""


HostedZoneId = _text(r"Z[A-Z0-9]{1,31}", "a Route 53 hosted zone id (Z and upper-case letters/digits)")
Cidr = _text(r"((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)/(3[0-2]|[12]?\d)", "an IPv4 CIDR such as 203.0.113.0/24")
IamPrincipalArn = _text(
    r"arn:aws:(iam::\d{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+|sts::\d{12}:assumed-role/[A-Za-z0-9+=,.@_/-]+)", "an IAM role or user ARN"
)


class AlarmSettings(_Strict):
    """Operations alarms: one SNS topic per environment (KMS-encrypted) and what goes to it."""

    enabled: bool = True
    """Create the topic and the alarms. Default: true (env-local too: the emulator serves SNS,
    EventBridge and CloudWatch alarms)."""
    emails: list[Email] = []
    """Subscribers of the alarm topic (each confirms by e-mail). Default: the ``[cost]`` alert_emails."""
    evaluation_minutes: int = Field(5, ge=1, le=60)
    """Consecutive minutes a condition must hold before an alarm fires. Default: 5."""
    unhealthy_targets: int = Field(1, ge=1)
    """Alarm when at least this many load-balancer targets are unhealthy. Default: 1."""
    api_5xx_percent: float = Field(5, gt=0, le=100)
    """Alarm when this share of API responses (gunicorn access log) are 5xx. Default: 5 %."""
    api_latency_p99_ms: int = Field(2000, ge=10)
    """Alarm when the 99th percentile API response time exceeds this. Default: 2000 ms."""
    cdn_5xx_percent: float = Field(5, gt=0, le=100)
    """Alarm when this share of CloudFront responses are 5xx (``5xxErrorRate``; counts the 502/504s
    of an API with no healthy target, which never reach the access log). Default: 5 %."""
    aurora_capacity_percent: float = Field(100, gt=0, le=100)
    """Alarm when Aurora's capacity (``ServerlessDatabaseCapacity``) reaches this share of
    ``[database] max_capacity_acu``. Default: 100 % (pinned at its maximum)."""
    aurora_cpu_percent: float = Field(80, gt=0, le=100)
    """Alarm when the cluster's CPU is at or above this. Default: 80 %."""
    aurora_connections: int = Field(500, ge=1)
    """Alarm when the cluster holds at least this many connections. Default: 500."""


class DnsSettings(_Strict):
    hosted_zone_id: HostedZoneId | None = None
    """Route 53 zone of the site and API origin names. With it the stack creates the alias records and the
    ACM DNS validation records; without it, output ``dns_records`` lists the records to create by hand.
    Default: none."""


class LogSettings(_Strict):
    retention_days: int = 90
    """Days the environment's logs other than the API's own (``[api] log_retention_days``) are kept:
    Aurora's exported audit, error and slow-query logs, CloudFront access logs and WAF logs. One of
    the periods CloudWatch Logs accepts. Default: 90."""

    @model_validator(mode="after")
    def _cloudwatch_period(self):
        if self.retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"retention_days {self.retention_days} is not one CloudWatch accepts ({', '.join(map(str, LOG_RETENTION_DAYS))})"
            )
        return self


class PublishSettings(_Strict):
    """The role Jenkins assumes to publish the SPA (``geoapp-frontend-publish-<env>``)."""

    jenkins_principal_arn: IamPrincipalArn | None = None
    """The only principal that may assume the publish role. Default: none (no role is created)."""


class LoadTestSettings(_Strict):
    """Load-test sources the WAF's per-IP rate rule does not count, until ``expires``."""

    source_cidrs: list[Cidr] = []
    """Addresses the load-test kit runs from. Default: none (every address is rate limited)."""
    expires: date | None = None
    """Last day the exemption is meant to stay (synth warns after it). Required with ``source_cidrs``."""

    @model_validator(mode="after")
    def _expiry(self):
        if self.source_cidrs and self.expires is None:
            raise ValueError("source_cidrs needs an expires date: a rate-limit exemption must not stay by accident")
        return self

    def expired(self, today: date | None = None) -> bool:
        return bool(self.source_cidrs) and self.expires is not None and self.expires < (today or date.today())


class EnvironmentConfig(_Strict):
    """One environment, as written in ``envs/<name>.toml``."""

    name: str = Field(pattern=r"[a-z][a-z0-9-]{0,30}", exclude=True)
    """Taken from the file name; the stack is ``env-<name>``."""
    source: str = Field("", exclude=True)
    """The file this was read from, for messages."""
    tier: Literal["production", "staging", "development"]
    """production turns on deletion protection and final snapshots."""
    aws: AwsSettings
    state: StateBackendSettings
    tags: Tags
    network: NetworkSettings
    api: ApiSettings
    database: DatabaseSettings
    auth0: Auth0Settings
    site: SiteSettings = SiteSettings()
    frontend: FrontendSettings = FrontendSettings()
    cost: CostSettings
    ci: CiSettings | None = None
    """GitHub Actions roles for this environment. Default: none."""
    alarms: AlarmSettings = AlarmSettings()
    dns: DnsSettings = DnsSettings()
    logs: LogSettings = LogSettings()
    publish: PublishSettings = PublishSettings()
    loadtest: LoadTestSettings = LoadTestSettings()

    @property
    def is_emulator(self) -> bool:
        """The env targets the emulator (``[aws] endpoint``), i.e. env-local."""
        return self.aws.endpoint is not None

    @property
    def alarm_emails(self) -> list[str]:
        return list(self.alarms.emails or self.cost.alert_emails)

    @property
    def stack_name(self) -> str:
        return env_stack_name(self.name)

    @property
    def is_production(self) -> bool:
        return self.tier == "production"

    @model_validator(mode="after")
    def _origin_certificate_region(self):
        tls = self.api.origin_tls
        if tls is not None and tls.certificate_arn is not None and tls.certificate_arn.split(":")[3] != self.aws.region:
            raise ValueError(f"api.origin_tls.certificate_arn must be in the environment's region {self.aws.region} (the NLB uses it)")
        return self

    @model_validator(mode="after")
    def _certificates_or_zone(self):
        """A name needs a certificate: the file's, or one the stack issues in ``[dns] hosted_zone_id``."""
        if self.dns.hosted_zone_id is not None:
            return self
        problems = []
        if self.site.cname is not None and self.site.certificate_arn is None:
            problems.append("site.cname needs site.certificate_arn, or [dns] hosted_zone_id (the stack then issues and validates one)")
        tls = self.api.origin_tls
        if tls is not None and tls.certificate_arn is None:
            problems.append("api.origin_tls needs certificate_arn, or [dns] hosted_zone_id (the stack then issues and validates one)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _state_restriction_off_only_on_an_emulator(self):
        if not self.state.restrict_to_roles and self.aws.endpoint is None:
            raise ValueError(
                "state.restrict_to_roles = false is only for an emulator backend (with [aws] endpoint): "
                "on AWS the state bucket must deny every principal but the CI roles and state.break_glass_role"
            )
        return self

    @model_validator(mode="after")
    def _production_rules(self):
        if self.is_production:
            if self.database.backup_retention_days < 7:
                raise ValueError("production needs database.backup_retention_days >= 7")
            if self.aws.endpoint is not None:
                raise ValueError("production cannot target an emulator endpoint")
            if self.api.origin_tls is None:
                raise ValueError("production needs api.origin_tls: bearer tokens must not cross the internet in clear text")
            if self.state.allow_destroy:
                raise ValueError("production cannot set state.allow_destroy: its state bucket must survive")
            if not (self.database.deletion_protection and self.database.final_snapshot):
                raise ValueError("production cannot turn off database.deletion_protection or database.final_snapshot")
        return self


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


class ConfigError(Exception):
    """Every problem found in a set of environment files, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    return ".".join(parts) or "(file)"


def _describe(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see envs/README.md for the keys)"
    if kind == "missing":
        return "is required but missing"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def parse_environment(path: Path, text: str) -> EnvironmentConfig:
    """Validate one file's text; raise ConfigError listing all its problems."""
    label = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{label}: (file): not valid TOML: {err}"]) from None
    data = {"name": path.stem, "source": label, **data}
    try:
        return EnvironmentConfig.model_validate(data)
    except ValidationError as err:
        problems = [f"{label}: {_field_path(e['loc'])}: {_describe(e)}" for e in err.errors()]
        raise ConfigError(problems) from None


def _cross_file_problems(envs: list[EnvironmentConfig]) -> list[str]:
    problems = []
    by_state = defaultdict(list)
    by_bucket = defaultdict(list)
    for env in envs:
        by_state[(env.state.bucket, env.state.key)].append(env.source)
        by_bucket[env.state.bucket].append(env)
    for (bucket, key), sources in by_state.items():
        if len(sources) > 1:
            problems.append(
                f"{', '.join(sources)}: state.key: these environments share the state s3://{bucket}/{key}; each needs its own key"
            )
    for bucket, group in by_bucket.items():
        shape = {
            (
                e.state.region,
                e.state.lock_table,
                e.state.bootstrap_state,
                e.state.allow_destroy,
                e.state.break_glass_role,
                e.state.restrict_to_roles,
                e.aws.account_id,
                e.aws.endpoint,
                e.cost.activate_allocation_tags,
                e.ci.github_repository if e.ci else None,
                e.ci.existing_oidc_provider_arn if e.ci else None,
            )
            for e in group
        }
        if len(shape) > 1:
            problems.append(
                f"{', '.join(e.source for e in group)}: state: environments sharing bucket {bucket} must agree "
                "on state.region, lock_table, bootstrap_state, allow_destroy, break_glass_role, restrict_to_roles, aws.account_id, aws.endpoint, "
                "cost.activate_allocation_tags and the [ci] repository and OIDC provider (they share one bootstrap stack)"
            )
    return problems


def load_environments(paths: list[Path]) -> list[EnvironmentConfig]:
    """Load and validate env files (or directories of ``*.toml``), all problems at once."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.toml")))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: (file): does not exist")
    if not files and not problems:
        problems.append(f"{', '.join(map(str, paths))}: (file): no environment files (*.toml) found")
    envs = []
    for file in files:
        try:
            envs.append(parse_environment(file, file.read_text(encoding="utf-8")))
        except ConfigError as err:
            problems.extend(err.problems)
        except OSError as err:
            problems.append(f"{file}: (file): cannot be read: {err.strerror}")
    problems.extend(_cross_file_problems(envs))
    if problems:
        raise ConfigError(problems)
    return envs


def load_environment(path: Path) -> EnvironmentConfig:
    """One env file, through :func:`load_environments` (the one loader)."""
    (config,) = load_environments([path])
    return config


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [Path("envs")]
    try:
        envs = load_environments(paths)
    except ConfigError as err:
        print(f"Invalid environment configuration ({len(err.problems)} problem(s)):", file=sys.stderr)
        for line in err.problems:
            print(f"  - {line}", file=sys.stderr)
        return 1
    for env in envs:
        print(f"ok: {env.source} -> stack {env.stack_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
