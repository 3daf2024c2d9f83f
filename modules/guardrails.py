"""Guard-rails: rules every resource in a stack must obey, run over the JSON the stack synthesizes.

Each rule is a small object with an ``id``, a one-line ``why`` and a ``check``
that returns ``None`` (pass) or the reason it fails; a resource rule is its check
function declared with :func:`resource_rule` (id, why, resource types). A stack
built on :class:`stacks.guarded.GuardedStack` hands the JSON it is about to write to
:meth:`GuardRails.problems`; any problem stops ``cdktf synth`` with the construct path,
the rule id and the reason, and nothing is written. New rules are added to ``DEFAULT_RULES``
(every stack) or ``PRODUCTION_RULES`` (production tier only); no construct repeats these
checks itself.

Two kinds of rule:

* stack rules (``check(synthesized)``) read the whole stack: ``RequiredTags`` asks the
  provider binding whether a resource type takes tags, then follows the provider block
  the resource names to its default tags;
* resource rules (``resource_types`` + ``check(resource)``) look at a resource as
  it will be written to ``cdk.tf.json``: attributes resolved, references as
  ``"${type.name.attr}"`` strings, escape-hatch overrides included. The same
  rules run over a synthesized ``cdk.tf.json`` with :func:`evaluate_synthesized`
  (the gates in ``tests/gates`` do), so what synth refuses and what the gates
  refuse cannot drift apart.

Why not an aspect: an aspect is called back once per construct (hundreds per stack, each a
round trip through the jsii runtime) and needs its own synthesis of the stack to see
resolved attributes; checking the JSON synth produces anyway costs neither.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf import (
    TerraformProvider,
    TerraformResource,
    TerraformStack,
)
from constructs import IConstruct

from environment.config import MANDATORY_TAGS

_TAGGABLE: dict[str, bool] = {}
"""Whether a resource type takes tags, by type (read from its binding class once)."""


def _takes_tags(rtype: str) -> bool:
    """Whether the AWS binding of ``rtype`` (module ``cdktf_cdktf_provider_aws.<type without aws_>``, loaded by
    whoever created the resource) has ``tags``: a class-level look, no call into jsii."""
    if rtype not in _TAGGABLE:
        module = sys.modules.get(f"cdktf_cdktf_provider_aws.{rtype.removeprefix('aws_')}") if rtype.startswith("aws_") else None
        classes = vars(module).values() if module is not None else ()
        _TAGGABLE[rtype] = any(isinstance(c, type) and issubclass(c, TerraformResource) and hasattr(c, "tags_input") for c in classes)
    return _TAGGABLE[rtype]


def _provider_default_tags(synthesized: Mapping[str, Any], provider: str | None) -> dict[str, str]:
    """The default tags of the AWS provider block a resource names (``aws.<alias>``; none: the default one)."""
    alias = provider.removeprefix("aws.") if provider else None
    merged: dict[str, str] = {}
    for block in (synthesized.get("provider") or {}).get("aws") or []:
        if block.get("alias") == alias:
            for tags in block.get("default_tags") or []:
                merged.update(tags.get("tags") or {})
    return merged


@dataclass(frozen=True)
class RequiredTags:
    """Every taggable AWS resource ends up with the mandatory cost tags (its own, or its provider's default tags)."""

    keys: Sequence[str] = MANDATORY_TAGS
    id: str = "TAG-001"
    why: str = "cost reports by Environment/Owner/Application miss untagged resources"

    def check(self, synthesized: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
        """(type, logical id, reason) of every taggable AWS resource of the stack's JSON that lacks a mandatory tag."""
        for rtype, by_name in (synthesized.get("resource") or {}).items():
            if not _takes_tags(rtype):
                continue
            for name, attrs in by_name.items():
                effective = {**_provider_default_tags(synthesized, attrs.get("provider")), **(attrs.get("tags") or {})}
                missing = [k for k in self.keys if not str(effective.get(k, "")).strip()]
                if missing:
                    yield rtype, name, f"{rtype} would be created without tag(s) {', '.join(missing)}"


# ---- the resource view shared by synth-time rules and the gates over cdk.tf.json ----------


@dataclass(frozen=True)
class Resource:
    """One resource (or provider block, type ``provider.<name>``) as written to ``cdk.tf.json``."""

    type: str
    name: str
    attrs: Mapping[str, Any]
    stack: StackResources = field(repr=False, compare=False)


class StackResources:
    """Every resource of one stack by type and logical id (the ``resource`` section of ``cdk.tf.json``)."""

    def __init__(self, resources: Mapping[str, Mapping[str, Mapping[str, Any]]]):
        self._resources = resources

    def of_type(self, rtype: str) -> Mapping[str, Mapping[str, Any]]:
        return self._resources.get(rtype, {})

    def pointing_at(self, rtype: str, attr: str, target: Resource, *, name_attr: str | None = None) -> list[Mapping[str, Any]]:
        """Resources of ``rtype`` whose ``attr`` refers to ``target``, or holds its literal ``name_attr`` value."""
        literal = target.attrs.get(name_attr) if name_attr else None
        ref = re.compile(rf"\$\{{{re.escape(target.type)}\.{re.escape(target.name)}\.[a-z_]+\}}")
        return [r for r in self.of_type(rtype).values() if ref.fullmatch(str(r.get(attr, ""))) or (literal and r.get(attr) == literal)]


#: A Terraform reference (``${aws_x.y.arn}``): a value Terraform computes, not a literal.
REFERENCE = re.compile(r"\$\{[^{}]+\}")

#: Key shapes that are credentials whatever their context (checked in container environments).
SECRET_SHAPES: Mapping[str, re.Pattern[str]] = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    "PEM private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "JSON Web Token": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    "Slack token": re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"),
}

#: Environment variable names that announce a secret.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY", re.IGNORECASE)
SECRET_ARN = re.compile(r"arn:aws[a-z-]*:(?:secretsmanager|ssm):[a-z0-9-]+:\d{12}:\S+")


def secret_shapes_in(text: str) -> list[str]:
    """Names of the credential shapes found in ``text``."""
    return [name for name, pattern in SECRET_SHAPES.items() if pattern.search(text)]


def _is_reference_or_secret_arn(value: Any) -> bool:
    return isinstance(value, str) and bool(REFERENCE.fullmatch(value) or SECRET_ARN.fullmatch(value))


def _block(attrs: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested block, written by cdktf either as a dict or as a one-element list."""
    value = attrs.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def container_definitions(resource: Resource) -> list[dict] | str:
    """The task definition's containers, or the reason they cannot be read."""
    raw = resource.attrs.get("container_definitions")
    try:
        containers = json.loads(raw) if isinstance(raw, str) else None
    except json.JSONDecodeError:
        containers = None
    if not isinstance(containers, list):
        return "container_definitions is not a literal JSON list (use json.dumps, not jsonencode), so it cannot be checked"
    return containers


def each_container(check: Callable[[Mapping[str, Any]], Iterable[str]]) -> Callable[[Resource], str | None]:
    """A task-definition check made from a per-container one: each problem prefixed with its container's name."""

    def over_containers(resource: Resource) -> str | None:
        containers = container_definitions(resource)
        if isinstance(containers, str):
            return containers
        return "; ".join(f"{c.get('name', '?')}: {problem}" for c in containers for problem in check(c)) or None

    return over_containers


# ---- resource rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceRule:
    """A rule over one resource as written to ``cdk.tf.json``: ``check`` returns None (pass) or why it fails."""

    id: str
    why: str
    resource_types: tuple[str, ...]
    check: Callable[[Resource], str | None]


def resource_rule(rule_id: str, why: str, *resource_types: str) -> Callable[[Callable[[Resource], str | None]], ResourceRule]:
    """Declare the decorated check function as the rule ``rule_id`` over ``resource_types``."""

    def declare(check: Callable[[Resource], str | None]) -> ResourceRule:
        return ResourceRule(rule_id, why, resource_types, check)

    return declare


@resource_rule("ACC-001", "an unpinned provider applies one environment's plan to whatever account the credentials reach", "provider.aws")
def provider_pinned_to_account(resource: Resource) -> str | None:
    ids = resource.attrs.get("allowed_account_ids") or []
    if len(ids) != 1 or not re.fullmatch(r"\d{12}", str(ids[0])):
        return f"AWS provider allows accounts {ids or 'any'}: pin allowed_account_ids to exactly one 12-digit account"
    return None


#: Per resource type, the attribute test that means "encrypted at rest" and how to say it failed.
_ENCRYPTION: Mapping[str, tuple[Any, str]] = {
    "aws_rds_cluster": (lambda a: a.get("storage_encrypted") is True, "storage_encrypted is not true"),
    "aws_db_instance": (lambda a: a.get("storage_encrypted") is True, "storage_encrypted is not true"),
    "aws_cloudwatch_log_group": (lambda a: bool(a.get("kms_key_id")), "no kms_key_id (customer-managed key)"),
    "aws_secretsmanager_secret": (lambda a: bool(a.get("kms_key_id")), "no kms_key_id (customer-managed key)"),
    "aws_ecr_repository": (
        lambda a: _block(a, "encryption_configuration").get("encryption_type") == "KMS",
        "encryption_configuration is not KMS",
    ),
    "aws_dynamodb_table": (lambda a: _block(a, "server_side_encryption").get("enabled") is True, "server_side_encryption is off"),
    "aws_efs_file_system": (lambda a: a.get("encrypted") is True, "encrypted is not true"),
    "aws_ebs_volume": (lambda a: a.get("encrypted") is True, "encrypted is not true"),
    "aws_sns_topic": (lambda a: bool(a.get("kms_master_key_id")), "no kms_master_key_id"),
    "aws_sqs_queue": (lambda a: bool(a.get("kms_master_key_id")) or a.get("sqs_managed_sse_enabled") is True, "no server-side encryption"),
}


@resource_rule("ENC-001", "data at rest (database, logs, secrets, images, state locks) must be unreadable without the key", *_ENCRYPTION)
def encrypted_at_rest(resource: Resource) -> str | None:
    test, failure = _ENCRYPTION[resource.type]
    return None if test(resource.attrs) else f"{resource.type} is not encrypted at rest: {failure}"


@resource_rule(
    "KMS-001", "a customer-managed key that never rotates keeps every ciphertext exposed to one leaked key version", "aws_kms_key"
)
def key_rotation(resource: Resource) -> str | None:
    return None if resource.attrs.get("enable_key_rotation") is True else "aws_kms_key has enable_key_rotation off"


_PUBLIC_ACLS = {"public-read", "public-read-write", "authenticated-read"}
_BLOCK_FLAGS = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


@resource_rule(
    "S3-001", "a bucket without a full public access block is one ACL or policy away from serving its objects to anyone", "aws_s3_bucket"
)
def bucket_not_public(resource: Resource) -> str | None:
    if resource.attrs.get("acl") in _PUBLIC_ACLS:
        return f"aws_s3_bucket has the public ACL {resource.attrs['acl']!r}"
    for acl in resource.stack.pointing_at("aws_s3_bucket_acl", "bucket", resource, name_attr="bucket"):
        if acl.get("acl") in _PUBLIC_ACLS:
            return f"aws_s3_bucket_acl grants the public ACL {acl['acl']!r}"
    blocks = resource.stack.pointing_at("aws_s3_bucket_public_access_block", "bucket", resource, name_attr="bucket")
    if not blocks:
        return "aws_s3_bucket has no aws_s3_bucket_public_access_block"
    off = [flag for flag in _BLOCK_FLAGS if not any(block.get(flag) is True for block in blocks)]
    if off:
        return f"aws_s3_bucket public access block leaves {', '.join(off)} off"
    return None


@resource_rule("S3-002", "objects must be encrypted with a key whose use is logged and can be revoked", "aws_s3_bucket")
def bucket_encrypted(resource: Resource) -> str | None:
    configs = resource.stack.pointing_at("aws_s3_bucket_server_side_encryption_configuration", "bucket", resource, name_attr="bucket")
    for config in configs:
        rules = config.get("rule") or []
        for rule in rules if isinstance(rules, list) else [rules]:
            if _block(rule, "apply_server_side_encryption_by_default").get("sse_algorithm") in ("aws:kms", "aws:kms:dsse"):
                return None
    return "aws_s3_bucket has no SSE-KMS server_side_encryption_configuration"


@resource_rule(
    "ECS-001",
    "a writable, privileged or root container turns one app bug into control of the task; no awslogs means no trail",
    "aws_ecs_task_definition",
)
@each_container
def containers_hardened(c: Mapping[str, Any]) -> Iterator[str]:
    if c.get("readonlyRootFilesystem") is not True:
        yield "root file system is writable (readonlyRootFilesystem)"
    if c.get("privileged") is True:
        yield "privileged"
    user = str(c.get("user") or "")
    if user.split(":")[0] in ("", "0", "root"):
        yield f"runs as root (user {user or 'unset'})"
    logs = c.get("logConfiguration") or {}
    options = logs.get("options") or {}
    if logs.get("logDriver") != "awslogs" or not options.get("awslogs-group") or not options.get("awslogs-region"):
        yield "logs do not go to CloudWatch (awslogs with group and region)"


@resource_rule(
    "ECS-002",
    "a secret in the task definition is readable by anyone who can describe it, and lands in the Terraform state",
    "aws_ecs_task_definition",
)
@each_container
def container_secrets_by_arn(c: Mapping[str, Any]) -> Iterator[str]:
    for entry in c.get("environment") or []:
        var, value = str(entry.get("name", "")), entry.get("value")
        shapes = secret_shapes_in(str(value))
        if shapes:
            yield f"environment {var} holds a {shapes[0]}"
        elif SECRET_NAME.search(var) and not (var.endswith("_ARN") and _is_reference_or_secret_arn(value)):
            yield f"environment {var} looks like a secret value; pass <NAME>_SECRET_ARN = a reference to the secret"
    for entry in c.get("secrets") or []:
        if not _is_reference_or_secret_arn(entry.get("valueFrom")):
            yield f"secret {entry.get('name')} valueFrom is not a Secrets Manager/SSM ARN or reference"


@resource_rule(
    "ECS-003", "a failed deploy must roll back by itself, and tasks must only be reachable through the load balancer", "aws_ecs_service"
)
def service_deploys_safely(resource: Resource) -> str | None:
    problems = []
    breaker = _block(resource.attrs, "deployment_circuit_breaker")
    if breaker.get("enable") is not True or breaker.get("rollback") is not True:
        problems.append("deployment circuit breaker with rollback is off")
    if _block(resource.attrs, "network_configuration").get("assign_public_ip") is True:
        problems.append("tasks get public IP addresses")
    return "; ".join(problems) or None


@resource_rule(
    "RDS-001",
    "a database with a public address can be attacked from the internet, whatever its security group says today",
    "aws_rds_cluster_instance",
    "aws_db_instance",
)
def database_not_public(resource: Resource) -> str | None:
    return f"{resource.type} is publicly_accessible" if resource.attrs.get("publicly_accessible") is True else None


MIN_BACKUP_RETENTION_DAYS = 7
"""Backups a production database keeps (RDS-002)."""


@resource_rule(
    "RDS-002",
    "production data survives a mistaken destroy (deletion protection, final snapshot) and a week of bad writes (backups)",
    "aws_rds_cluster",
    "aws_db_instance",
)
def production_database_protected(resource: Resource) -> str | None:
    a = resource.attrs
    problems = []
    if a.get("deletion_protection") is not True:
        problems.append("deletion_protection is off")
    if a.get("skip_final_snapshot") is True or not a.get("final_snapshot_identifier"):
        problems.append("no final snapshot on destroy")
    retention = a.get("backup_retention_period")
    if not isinstance(retention, int) or retention < MIN_BACKUP_RETENTION_DAYS:
        problems.append(f"backup_retention_period {retention} < {MIN_BACKUP_RETENTION_DAYS} days")
    return f"production {resource.type}: " + "; ".join(problems) if problems else None


DEFAULT_RULES = (
    RequiredTags(),
    provider_pinned_to_account,
    encrypted_at_rest,
    key_rotation,
    bucket_not_public,
    bucket_encrypted,
    containers_hardened,
    container_secrets_by_arn,
    service_deploys_safely,
    database_not_public,
)
PRODUCTION_RULES = (production_database_protected,)

BOUNDARY_NAME = re.compile(r"(?:arn:[^:]+:iam::[^:]*:policy/)?[\w+=,.@-]+-boundary|\$\{[^{}]+\}")
"""An environment's permissions boundary: its ARN or name (``<prefix>-boundary``), or a reference to it."""


@resource_rule(
    "IAM-001",
    "a role without the boundary can hold whatever the deploy role writes into it (the deploy role may create roles only with it)",
    "aws_iam_role",
)
def role_has_permissions_boundary(resource: Resource) -> str | None:
    """Every role of an environment stack carries the environment's permissions boundary."""
    boundary = str(resource.attrs.get("permissions_boundary") or "")
    if not boundary:
        return f"aws_iam_role {resource.attrs.get('name', resource.name)!r} has no permissions_boundary"
    if not BOUNDARY_NAME.fullmatch(boundary):
        return f"aws_iam_role permissions_boundary {boundary!r} is not an environment boundary (environment.names.permissions_boundary_arn)"
    return None


ENVIRONMENT_RULES = (role_has_permissions_boundary,)
"""Rules for the env stacks only (the bootstrap's CI roles are not under an environment's boundary)."""


def _is_resource_rule(rule) -> bool:
    return isinstance(rule, ResourceRule)


# ---- running the rules ----------------------------------------------------------------------


def _sections(synthesized: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(type, logical id, attributes) of every resource and provider block of a stack's JSON."""
    for rtype, by_name in (synthesized.get("resource") or {}).items():
        for name, attrs in by_name.items():
            yield rtype, name, attrs
    for pname, blocks in (synthesized.get("provider") or {}).items():
        for block in blocks:
            yield f"provider.{pname}", block.get("alias", "default"), block


def _failures(synthesized: Mapping[str, Any], rules: Iterable) -> Iterator[tuple[str, str, ResourceRule, str]]:
    """(type, logical id, rule, reason) of every resource rule a stack's JSON breaks."""
    stack = StackResources(synthesized.get("resource") or {})
    resource_rules = [r for r in rules if _is_resource_rule(r)]
    for rtype, name, attrs in _sections(synthesized):
        resource = Resource(rtype, name, attrs, stack)
        for rule in resource_rules:
            if rtype in rule.resource_types:
                reason = rule.check(resource)
                if reason:
                    yield rtype, name, rule, reason


def evaluate_synthesized(synthesized: Mapping[str, Any], rules: Iterable = DEFAULT_RULES) -> list[str]:
    """Run the resource rules over one synthesized ``cdk.tf.json``; return ``[RULE-ID] type.name: reason`` lines."""
    return [f"[{rule.id}] {rtype}.{name}: {reason}" for rtype, name, rule, reason in _failures(synthesized, rules)]


def _element_named(stack: TerraformStack, rtype: str, name: str) -> IConstruct:
    """The construct behind a resource (``rtype``, logical id) or provider block (``provider.<p>``, alias) of ``stack``."""
    for child in stack.node.find_all():
        if rtype.startswith("provider.") and isinstance(child, TerraformProvider):
            if (child.alias or "default") == name and child.terraform_resource_type == rtype.removeprefix("provider."):
                return child
        elif isinstance(child, TerraformResource) and child.friendly_unique_id == name:
            return child
    return stack


class GuardRails:
    """The rules one stack obeys; :meth:`problems` runs them over the JSON the stack synthesizes."""

    def __init__(self, rules: Iterable = DEFAULT_RULES):
        self.rules = tuple(rules)

    def problems(self, stack: TerraformStack, synthesized: Mapping[str, Any]) -> list[str]:
        """``[<construct path>] [RULE-ID] reason (why)``, one line per failure (none: the stack is safe)."""
        found = [(rtype, name, rule, reason) for rtype, name, rule, reason in _failures(synthesized, self.rules)]
        for rule in self.rules:
            if not _is_resource_rule(rule):
                found += [(rtype, name, rule, reason) for rtype, name, reason in rule.check(synthesized)]
        return [
            f"[{_element_named(stack, rtype, name).node.path}] [{rule.id}] {reason} ({rule.why})" for rtype, name, rule, reason in found
        ]
