"""Policy gates over the synthesized JSON, for what checkov cannot see.

checkov reads ``container_definitions`` as an opaque string, knows nothing of the env files
(accounts, tiers) or of which resource types take tags. These tests read ``cdk.tf.json``
themselves. Each policy is a function returning a list of problems; it must return none for
every real stack and must report a deliberately broken copy (``mutated``), so no policy is a
check that cannot fail.

Where the same rule also runs at synth time (modules/guardrails.py), the JSON test runs the
same rule object through ``evaluate_synthesized``: what synth refuses and what the gates
refuse cannot drift apart.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping

import pytest

from environment.config import MANDATORY_TAGS, load_environments
from environment.names import bootstrap_stack_name
from modules.guardrails import (
    REFERENCE,
    container_secrets_by_arn,
    containers_hardened,
    evaluate_synthesized,
    production_database_protected,
    provider_pinned_to_account,
    service_deploys_safely,
)
from modules.network import CLOUDFRONT_VPC_ORIGINS_SG
from tests.synth import ROOT, only, resources_of, task_definition

ENVS = {env.name: env for env in load_environments([ROOT / "envs"])}
ENV_STACKS = sorted(f"env-{name}" for name in ENVS)
BOOTSTRAP_STACKS = sorted({bootstrap_stack_name(e.state.bucket) for e in ENVS.values()})


def containers(stack: dict) -> list[dict]:
    return json.loads(task_definition(stack)["container_definitions"])


# ---- container -----------------------------------------------------------------------------


@pytest.mark.parametrize("stack_name", ENV_STACKS)
def test_container_is_read_only_unprivileged_non_root_and_logs_to_cloudwatch(stacks, stack_name):
    stack = stacks[stack_name]
    assert evaluate_synthesized(stack, [containers_hardened]) == []
    [api] = containers(stack)
    assert api["readonlyRootFilesystem"] is True and api["privileged"] is False
    assert api["user"] == "10001:10001"  # the container contract's uid:gid
    assert api["linuxParameters"]["capabilities"]["drop"] == ["ALL"]
    logs = api["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    [api_logs] = [n for n, g in resources_of(stack, "aws_cloudwatch_log_group").items() if g["name"].startswith("/ecs/")]
    assert logs["options"]["awslogs-group"] == f"${{aws_cloudwatch_log_group.{api_logs}.name}}"
    assert logs["options"]["awslogs-region"] == ENVS[stack_name.removeprefix("env-")].aws.region


@pytest.mark.parametrize("stack_name", ENV_STACKS)
def test_container_gets_secrets_only_as_references_to_their_arns(stacks, stack_name):
    stack = stacks[stack_name]
    assert evaluate_synthesized(stack, [container_secrets_by_arn]) == []
    [api] = containers(stack)
    env = {e["name"]: e["value"] for e in api["environment"]}
    assert "secrets" not in api  # the app reads its secrets itself, by ARN (container contract)
    secret_vars = {k for k in env if re.search(r"SECRET|PASSWORD|TOKEN|KEY", k)}
    assert secret_vars == {"DB_SECRET_ARN", "AUTH0_SECRET_ARN"}
    assert re.fullmatch(r"\$\{aws_secretsmanager_secret\.[^.]+\.arn\}", env["DB_SECRET_ARN"])  # the app user's, never the master's
    assert re.fullmatch(r"\$\{aws_secretsmanager_secret\.[^.]+\.arn\}", env["AUTH0_SECRET_ARN"])
    literals = {k: v for k, v in env.items() if not REFERENCE.fullmatch(v)}
    assert set(literals) <= {"AWS_REGION", "DB_NAME", "DB_PORT", "PUBLIC_READS", "LOG_LEVEL", "PORT", "CPU_UNITS", "PUBLIC_URL"}, literals


def _add_env(name: str, value: str):
    def change(doc):
        task = next(t for t in doc["resource"]["aws_ecs_task_definition"].values() if t["family"].endswith("-api"))
        defs = json.loads(task["container_definitions"])
        defs[0]["environment"].append({"name": name, "value": value})
        task["container_definitions"] = json.dumps(defs)

    return change


def _container_field(key: str, value):
    def change(doc):
        task = next(t for t in doc["resource"]["aws_ecs_task_definition"].values() if t["family"].endswith("-api"))
        defs = json.loads(task["container_definitions"])
        if value is None:
            defs[0].pop(key)
        else:
            defs[0][key] = value
        task["container_definitions"] = json.dumps(defs)

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_add_env("DB_PASSWORD", "hunter2-but-longer"), "[ECS-002] aws_ecs_task_definition.api_task_"),
        (_add_env("AUTH0_SECRET_ARN_OVERRIDE", "plain"), "environment AUTH0_SECRET_ARN_OVERRIDE looks like a secret value"),
        (_add_env("SENTRY_DSN", "https://user:pa55word@sentry.example.com/1"), "holds a password in a URL"),
        (_container_field("readonlyRootFilesystem", False), "root file system is writable"),
        (_container_field("privileged", True), "api: privileged"),
        (_container_field("user", "0:0"), "runs as root (user 0:0)"),
        (_container_field("logConfiguration", {"logDriver": "json-file"}), "logs do not go to CloudWatch"),
        (_container_field("secrets", [{"name": "X", "valueFrom": "literal"}]), "secret X valueFrom is not"),
    ],
)
def test_container_policies_catch_an_unsafe_task_definition(stacks, mutated, change, expected):
    assert expected in "\n".join(
        evaluate_synthesized(mutated(stacks["env-staging"], change), [containers_hardened, container_secrets_by_arn])
    )


# ---- service -------------------------------------------------------------------------------


@pytest.mark.parametrize("stack_name", ENV_STACKS)
def test_service_rolls_back_failed_deploys_and_has_no_public_ip(stacks, stack_name):
    stack = stacks[stack_name]
    assert evaluate_synthesized(stack, [service_deploys_safely]) == []
    service = only(stack, "aws_ecs_service")
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["network_configuration"]["assign_public_ip"] is False


def test_service_policy_catches_no_rollback_and_a_public_ip(stacks, mutated):
    def change(doc):
        [service] = doc["resource"]["aws_ecs_service"].values()
        service["deployment_circuit_breaker"] = {"enable": True, "rollback": False}
        service["network_configuration"]["assign_public_ip"] = True

    [failure] = evaluate_synthesized(mutated(stacks["env-staging"], change), [service_deploys_safely])
    assert "circuit breaker with rollback is off" in failure and "public IP" in failure


# ---- the production database ---------------------------------------------------------------


def test_production_database_is_protected_snapshotted_and_backed_up_a_week(stacks):
    production = stacks["env-production"]
    assert ENVS["production"].is_production
    assert evaluate_synthesized(production, [production_database_protected]) == []
    cluster = only(production, "aws_rds_cluster")
    assert cluster["deletion_protection"] is True
    assert cluster["skip_final_snapshot"] is False and cluster["final_snapshot_identifier"]
    assert cluster["backup_retention_period"] >= 7


@pytest.mark.parametrize(
    ("attr", "value", "expected"),
    [
        ("deletion_protection", False, "deletion_protection is off"),
        ("skip_final_snapshot", True, "no final snapshot on destroy"),
        ("backup_retention_period", 3, "backup_retention_period 3 < 7 days"),
    ],
)
def test_production_database_policy_catches_each_weakening(stacks, mutated, attr, value, expected):
    doc = mutated(stacks["env-production"], lambda d: next(iter(d["resource"]["aws_rds_cluster"].values())).__setitem__(attr, value))
    assert expected in "\n".join(evaluate_synthesized(doc, [production_database_protected]))


# ---- state bucket and lock table -------------------------------------------------------------


def state_backend_problems(stack: Mapping, *, allow_destroy: bool) -> list[str]:
    """What a bootstrap stack's state bucket and lock table lack."""
    problems = []
    [(bucket_id, bucket)] = resources_of(stack, "aws_s3_bucket").items()
    [(key_id, key)] = resources_of(stack, "aws_kms_key").items()
    bucket_ref = f"${{aws_s3_bucket.{bucket_id}.id}}"
    key_arn = f"${{aws_kms_key.{key_id}.arn}}"

    def of_bucket(rtype):
        return [r for r in resources_of(stack, rtype).values() if r.get("bucket") == bucket_ref]

    if key.get("enable_key_rotation") is not True:
        problems.append("state key does not rotate")
    if not [v for v in of_bucket("aws_s3_bucket_versioning") if v["versioning_configuration"]["status"] == "Enabled"]:
        problems.append("bucket is not versioned")
    sse = [r for c in of_bucket("aws_s3_bucket_server_side_encryption_configuration") for r in c["rule"]]
    if not any(
        r["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn}
        and r.get("bucket_key_enabled")
        for r in sse
    ):
        problems.append("bucket is not SSE-KMS with the state key")
    flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    if not any(all(b.get(f) is True for f in flags) for b in of_bucket("aws_s3_bucket_public_access_block")):
        problems.append("public access is not fully blocked")
    if not any(o["rule"]["object_ownership"] == "BucketOwnerEnforced" for o in of_bucket("aws_s3_bucket_ownership_controls")):
        problems.append("ACLs are not disabled (BucketOwnerEnforced)")
    tls_only = re.compile(r'"Effect" = "Deny".*"Principal" = "\*".*"aws:SecureTransport" = "false"', re.S)
    if not any(tls_only.search(p["policy"]) for p in of_bucket("aws_s3_bucket_policy")):
        problems.append("bucket policy does not deny plain HTTP")
    rules = [r for c in of_bucket("aws_s3_bucket_lifecycle_configuration") for r in c["rule"] if r["status"] == "Enabled"]
    if not any(r.get("noncurrent_version_expiration") for r in rules):
        problems.append("old state versions never expire")
    if not any(r.get("abort_incomplete_multipart_upload") and r["filter"] in ([{"prefix": ""}], [{}]) for r in rules):
        problems.append("incomplete uploads are never aborted")
    for table in resources_of(stack, "aws_dynamodb_table").values():
        if table.get("point_in_time_recovery") != {"enabled": True}:
            problems.append(f"lock table {table['name']} has no point-in-time recovery")
        if table.get("server_side_encryption") != {"enabled": True, "kms_key_arn": key_arn}:
            problems.append(f"lock table {table['name']} is not encrypted with the state key")
        if not allow_destroy and table.get("deletion_protection_enabled") is not True:
            problems.append(f"lock table {table['name']} has no deletion protection")
    if not allow_destroy:
        for name, resource in [("bucket", bucket), *((t["name"], t) for t in resources_of(stack, "aws_dynamodb_table").values())]:
            if resource.get("lifecycle") != {"prevent_destroy": True}:
                problems.append(f"{name} is not prevent_destroy")
    return problems


def _allow_destroy(stack_name: str) -> bool:
    return any(bootstrap_stack_name(e.state.bucket) == stack_name and e.state.allow_destroy for e in ENVS.values())


@pytest.mark.parametrize("stack_name", BOOTSTRAP_STACKS)
def test_state_bucket_and_lock_table_are_hardened(stacks, stack_name):
    assert state_backend_problems(stacks[stack_name], allow_destroy=_allow_destroy(stack_name)) == []


def _first(rtype, change):
    return lambda doc: change(next(iter(doc["resource"][rtype].values())))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_first("aws_s3_bucket_versioning", lambda v: v["versioning_configuration"].update(status="Suspended")), "not versioned"),
        (_first("aws_s3_bucket_public_access_block", lambda b: b.update(restrict_public_buckets=False)), "public access"),
        (_first("aws_dynamodb_table", lambda t: t.update(point_in_time_recovery={"enabled": False})), "point-in-time recovery"),
        (_first("aws_s3_bucket_policy", lambda p: p.update(policy=p["policy"].replace("Deny", "Allow"))), "plain HTTP"),
        (_first("aws_s3_bucket", lambda b: b.pop("lifecycle")), "bucket is not prevent_destroy"),
        (_first("aws_kms_key", lambda k: k.update(enable_key_rotation=False)), "does not rotate"),
    ],
)
def test_state_policy_catches_each_weakening(stacks, mutated, change, expected):
    stack_name = next(s for s in BOOTSTRAP_STACKS if not _allow_destroy(s))
    assert expected in "\n".join(state_backend_problems(mutated(stacks[stack_name], change), allow_destroy=False))


# ---- account guard ---------------------------------------------------------------------------


def expected_accounts(stack_name: str) -> set[str]:
    if stack_name.startswith("env-"):
        return {ENVS[stack_name.removeprefix("env-")].aws.account_id}
    return {e.aws.account_id for e in ENVS.values() if bootstrap_stack_name(e.state.bucket) == stack_name}


def account_problems(stack: Mapping, accounts: set[str]) -> list[str]:
    problems = evaluate_synthesized(stack, [provider_pinned_to_account])
    for block in stack.get("provider", {}).get("aws", []):
        if set(block.get("allowed_account_ids") or []) - accounts or not block.get("allowed_account_ids"):
            problems.append(
                f"aws provider {block.get('alias', 'default')} allows {block.get('allowed_account_ids')}, not {sorted(accounts)}"
            )
    return problems


def test_every_stack_has_an_aws_provider(stacks):
    assert all(stack.get("provider", {}).get("aws") for stack in stacks.values())


@pytest.mark.parametrize("stack_name", ENV_STACKS + BOOTSTRAP_STACKS)
def test_every_aws_provider_is_pinned_to_its_environments_account(stacks, stack_name):
    accounts = expected_accounts(stack_name)
    assert len(accounts) == 1
    assert account_problems(stacks[stack_name], accounts) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda doc: doc["provider"]["aws"][0].pop("allowed_account_ids"), "[ACC-001]"),
        (lambda doc: doc["provider"]["aws"][0].update(allowed_account_ids=["999999999999"]), "allows ['999999999999']"),
        (lambda doc: doc["provider"]["aws"].append({"alias": "other", "region": "us-east-1"}), "aws provider other allows None"),
    ],
)
def test_account_guard_catches_an_unpinned_or_foreign_provider(stacks, mutated, change, expected):
    doc = mutated(stacks["env-staging"], change)
    assert expected in "\n".join(account_problems(doc, expected_accounts("env-staging")))


# ---- tags ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def taggable_types(tmp_path_factory) -> frozenset[str]:
    """Resource types whose schema has ``tags``, from ``terraform providers schema`` of hashicorp/aws 5.100.0."""
    from toolchain.terraform import terraform_env

    work = tmp_path_factory.mktemp("aws-schema")
    required = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}}}
    (work / "main.tf.json").write_text(json.dumps(required))
    env = terraform_env()
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=work, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    dump = subprocess.run(["terraform", "providers", "schema", "-json"], cwd=work, env=env, capture_output=True, text=True, check=True)
    schemas = json.loads(dump.stdout)["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["resource_schemas"]
    return frozenset(t for t, s in schemas.items() if "tags" in s["block"].get("attributes", {}))


def untagged(stack: Mapping, taggable: frozenset[str]) -> tuple[list[str], int]:
    """(resources that would lack a mandatory tag, number of taggable resources checked)."""
    defaults = {}
    for block in stack.get("provider", {}).get("aws", []):
        merged = {}
        for tags in block.get("default_tags") or []:
            merged.update(tags.get("tags") or {})
        defaults["aws." + block["alias"] if "alias" in block else "aws"] = merged
    problems, checked = [], 0
    for rtype, by_name in stack.get("resource", {}).items():
        if rtype not in taggable:
            continue
        for name, body in by_name.items():
            checked += 1
            effective = {**defaults.get(body.get("provider", "aws"), {}), **(body.get("tags") or {})}
            missing = [k for k in MANDATORY_TAGS if not str(effective.get(k, "")).strip()]
            if missing:
                problems.append(f"{rtype}.{name} lacks {', '.join(missing)}")
    return problems, checked


@pytest.mark.parametrize("stack_name", ENV_STACKS + BOOTSTRAP_STACKS)
def test_every_taggable_resource_is_tagged(stacks, taggable_types, stack_name):
    assert {"aws_s3_bucket", "aws_rds_cluster", "aws_ecs_service"} <= taggable_types
    assert "aws_s3_bucket_policy" not in taggable_types
    problems, checked = untagged(stacks[stack_name], taggable_types)
    assert checked >= (20 if stack_name.startswith("env-") else 3)
    assert problems == []


def test_tag_policy_catches_lost_default_tags_and_a_blanked_tag(stacks, mutated, taggable_types):
    no_defaults = mutated(stacks["env-staging"], lambda d: [p.pop("default_tags") for p in d["provider"]["aws"]])
    problems, checked = untagged(no_defaults, taggable_types)
    assert len(problems) == checked and "lacks Environment, Owner, Application" in problems[0]
    blanked = mutated(stacks["env-staging"], _first("aws_rds_cluster", lambda c: c.update(tags={"Owner": " "})))
    assert [p for p in untagged(blanked, taggable_types)[0]] == [
        f"aws_rds_cluster.{next(iter(resources_of(blanked, 'aws_rds_cluster')))} lacks Owner"
    ]


# ---- the API is reachable through CloudFront only ----------------------------------------------
#
# One way in: every load balancer is internal, the distribution reaches the API's through a
# CloudFront VPC origin, and the load balancer's security group admits CloudFront's service-managed
# VPC-origin group (CloudFront-VPCOrigins-Service-SG) and nothing else: no address range, no prefix
# list (CloudFront's origin-facing list is shared by every distribution of every account).


def internet_facing_load_balancers(stack: Mapping) -> list[str]:
    return [f"aws_lb.{name} is internet-facing" for name, lb in resources_of(stack, "aws_lb").items() if lb.get("internal") is not True]


def _ref(value: object, rtype: str, attribute: str) -> str | None:
    """The logical id in ``${<rtype>.<id>.<attribute>}``, else None."""
    match = re.fullmatch(rf"\$\{{{re.escape(rtype)}\.([^.]+)\.{attribute}\}}", str(value or ""))
    return match.group(1) if match else None


def api_origin_problems(stack: Mapping) -> list[str]:
    """The ``/api/*`` behaviour's origin must be a VPC origin (no custom origin) of a load balancer of this stack."""
    distribution = only(stack, "aws_cloudfront_distribution")
    behaviours = [b for b in distribution.get("ordered_cache_behavior") or [] if b["path_pattern"] == "/api/*"]
    if len(behaviours) != 1:
        return ["the distribution has no single /api/* behaviour"]
    [origin] = [o for o in distribution["origin"] if o["origin_id"] == behaviours[0]["target_origin_id"]]
    problems = []
    if "custom_origin_config" in origin:
        problems.append("the API origin is a custom origin (reached over the internet)")
    vpc_origin = _ref((origin.get("vpc_origin_config") or {}).get("vpc_origin_id"), "aws_cloudfront_vpc_origin", "id")
    vpc_origins = resources_of(stack, "aws_cloudfront_vpc_origin")
    if vpc_origin not in vpc_origins:
        return [*problems, "the API origin is not a VPC origin of this stack"]
    [endpoint] = vpc_origins[vpc_origin]["vpc_origin_endpoint_config"]
    if _ref(endpoint["arn"], "aws_lb", "arn") not in resources_of(stack, "aws_lb"):
        problems.append(f"VPC origin {vpc_origin} does not name a load balancer of this stack")
    return problems


def _is_vpc_origins_group(stack: Mapping, value: object) -> bool:
    """``value`` is ``${data.aws_security_group.X.id}`` and X looks up CloudFront-VPCOrigins-Service-SG after a VPC origin."""
    lookup = stack.get("data", {}).get("aws_security_group", {}).get(_ref(value, "data.aws_security_group", "id") or "")
    if not lookup:
        return False
    filters = {f["name"]: f["values"] for f in lookup.get("filter", [])}
    waits = any(d.startswith("aws_cloudfront_vpc_origin.") for d in lookup.get("depends_on", []))
    return filters.get("group-name") == [CLOUDFRONT_VPC_ORIGINS_SG] and "vpc-id" in filters and waits


def open_ingress_problems(stack: Mapping) -> list[str]:
    problems = []
    for name, rule in resources_of(stack, "aws_vpc_security_group_ingress_rule").items():
        if rule.get("cidr_ipv4") == "0.0.0.0/0" or rule.get("cidr_ipv6") == "::/0":
            problems.append(f"{name} is open to the internet")
    lb_groups = {g for lb in resources_of(stack, "aws_lb").values() for g in lb.get("security_groups", [])}
    for name, group in resources_of(stack, "aws_security_group").items():
        for rule in group.get("ingress") or []:
            if "0.0.0.0/0" in (rule.get("cidr_blocks") or []):
                problems.append(f"{name} has an inline ingress open to the internet")
            if f"${{aws_security_group.{name}.id}}" in lb_groups:
                problems.append(f"{name}: the load balancer's group has an inline ingress rule")
    for name, rule in resources_of(stack, "aws_security_group_rule").items():
        if rule.get("type") == "ingress" and rule.get("security_group_id") in lb_groups:
            problems.append(f"{name}: the load balancer admits something other than CloudFront's VPC origins")
    for name, rule in resources_of(stack, "aws_vpc_security_group_ingress_rule").items():
        if rule["security_group_id"] not in lb_groups:
            continue
        peers = {k for k in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id") if rule.get(k)}
        if peers or not _is_vpc_origins_group(stack, rule.get("referenced_security_group_id")):
            problems.append(f"{name}: the load balancer admits something other than CloudFront's VPC origins")
    return problems


@pytest.mark.parametrize("stack_name", ENV_STACKS)
def test_every_load_balancer_is_internal(stacks, stack_name):
    assert resources_of(stacks[stack_name], "aws_lb"), "the stack has its load balancer"
    assert internet_facing_load_balancers(stacks[stack_name]) == []


@pytest.mark.parametrize("stack_name", ENV_STACKS)
def test_the_api_origin_is_a_vpc_origin_of_the_load_balancer(stacks, stack_name):
    assert api_origin_problems(stacks[stack_name]) == []


@pytest.mark.parametrize("stack_name", ENV_STACKS)
def test_nothing_but_cloudfront_vpc_origins_reaches_the_load_balancer(stacks, stack_name):
    stack = stacks[stack_name]
    assert open_ingress_problems(stack) == []
    lb_groups = only(stack, "aws_lb")["security_groups"]
    assert lb_groups, "an NLB without a security group admits every source its subnets route"
    admitted = [r for r in resources_of(stack, "aws_vpc_security_group_ingress_rule").values() if r["security_group_id"] in lb_groups]
    assert len(admitted) == 1, "exactly one way in: CloudFront's VPC origins"


def test_one_way_in_policies_catch_a_public_load_balancer_a_custom_origin_and_open_ingress(stacks, mutated):
    staging = stacks["env-staging"]
    public = mutated(staging, _first("aws_lb", lambda lb: lb.update(internal=False)))
    assert internet_facing_load_balancers(public) == [f"aws_lb.{next(iter(resources_of(staging, 'aws_lb')))} is internet-facing"]

    def custom_origin(doc):
        [api] = [o for o in only(doc, "aws_cloudfront_distribution")["origin"] if o["origin_id"] == "api"]
        api.pop("vpc_origin_config")
        api["custom_origin_config"] = {
            "http_port": 80,
            "https_port": 443,
            "origin_protocol_policy": "http-only",
            "origin_ssl_protocols": ["TLSv1.2"],
        }

    assert api_origin_problems(mutated(staging, custom_origin)) == [
        "the API origin is a custom origin (reached over the internet)",
        "the API origin is not a VPC origin of this stack",
    ]

    def open_to_internet(doc):
        rule = next(r for n, r in doc["resource"]["aws_vpc_security_group_ingress_rule"].items() if "lb-from-cloudfront" in n)
        rule.pop("referenced_security_group_id")
        rule["cidr_ipv4"] = "0.0.0.0/0"

    problems = open_ingress_problems(mutated(staging, open_to_internet))
    assert any("open to the internet" in p for p in problems) and any("other than CloudFront" in p for p in problems)

    def prefix_list(doc):
        rule = next(r for n, r in doc["resource"]["aws_vpc_security_group_ingress_rule"].items() if "lb-from-cloudfront" in n)
        rule.pop("referenced_security_group_id")
        rule["prefix_list_id"] = "pl-3b927c52"  # CloudFront's origin-facing list: any distribution of any account

    assert any("other than CloudFront's VPC origins" in p for p in open_ingress_problems(mutated(staging, prefix_list)))
