"""No privilege escalation through the CI roles: the synthesized plan and deploy policies run through
cloudsplaining's escalation finder and our own rule (tests/gates/iam_analysis.py), which catch the
policy the deploy role had before issue 15 (kept as a fixture), and which find nothing today."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from policy_sentry.querying.actions import get_action_data

from modules.ci.deploy_policy import UNSCOPED_WRITES
from tests.gates.iam_analysis import (
    access_level,
    actions_on_star_without_tag_condition,
    authorized,
    concrete,
    env_role_policies,
    env_role_requests,
    escalation_paths,
    role_policies,
    star_only,
    unguarded_iam_changes,
    untagged_service_wildcards_on_star,
)

FIXTURE = Path(__file__).parent / "fixtures" / "ci_policies_before_issue15.json"
"""The CI roles' policies as synthesized at the commit before issue 15 (bootstrap of staging)."""
ACCOUNT = "111111111111"


@pytest.fixture(scope="module")
def before() -> dict[str, dict]:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def ci_policies(stacks) -> dict[str, dict]:
    """``{role name: policy}`` of every CI role of every bootstrap stack."""
    found = {}
    for name, stack in stacks.items():
        if name.startswith("bootstrap-"):
            found.update(role_policies(stack, account=ACCOUNT))
    assert {r.rsplit("-", 1)[1] for r in found} == {"plan", "deploy"}, sorted(found)
    return found


@pytest.fixture(scope="module")
def boundaries(stacks) -> dict[str, dict]:
    found = {}
    for name, stack in stacks.items():
        if name.startswith("bootstrap-"):
            for policy in stack["resource"].get("aws_iam_policy", {}).values():
                found[policy["name"]] = concrete(policy["policy"], account=ACCOUNT)
    return found


def test_the_analysis_catches_the_deploy_policy_before_issue_15(before):
    deploy = before["geoapp-ci-staging-deploy"]
    paths = escalation_paths(deploy)
    # cloudsplaining's paths (scoped to role/<prefix>-*, which it ignores by default) ...
    assert any(p.startswith("PutRolePolicy (") for p in paths), paths
    assert any(p.startswith("AttachRolePolicy (") for p in paths), paths
    # ... and our rule: IAM changes with no boundary or policy-ARN condition
    assert "EnvironmentRolesAndPolicies: iam:createrole without iam:PermissionsBoundary" in paths
    assert "EnvironmentRolesAndPolicies: iam:attachrolepolicy without iam:PermissionsBoundary, iam:PolicyARN" in paths
    assert "EnvironmentRolesAndPolicies: iam:createpolicyversion (no condition key caps it)" in paths
    assert untagged_service_wildcards_on_star(deploy), "ecs:*, rds:*, kms:* ... on * went unnoticed"


def test_no_escalation_path_through_any_ci_role(ci_policies):
    for role, policy in ci_policies.items():
        assert escalation_paths(policy) == [], role


def test_every_boundary_is_escalation_free(boundaries, stacks):
    assert boundaries, "the bootstrap stacks make no boundary"
    for name, policy in boundaries.items():
        assert escalation_paths(policy) == [], name
        assert not any(a.startswith(("iam:", "sts:")) for s in policy["Statement"] for a in _list(s["Action"])), name


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_no_role_allows_a_service_wildcard_on_star_without_a_tag_condition(ci_policies, boundaries, stacks):
    policies = {**ci_policies, **boundaries}
    for name, stack in stacks.items():
        if name.startswith("env-"):
            policies.update({f"{name}/{k}": v for k, v in env_role_policies(stack).items()})
    assert any(k.startswith("env-") for k in policies)
    problems = {name: found for name, policy in policies.items() if (found := untagged_service_wildcards_on_star(policy))}
    assert problems == {}


def test_star_is_only_for_reads_and_for_writes_aws_offers_on_star_only(ci_policies):
    """Unconditioned-by-tag ``*`` grants: Read/List access level, or a listed write AWS cannot scope."""
    for role, policy in ci_policies.items():
        for sid, action in actions_on_star_without_tag_condition(policy):
            if access_level(action) in ("Read", "List"):
                continue
            assert action in UNSCOPED_WRITES, f"{role} {sid}: {action} is a write on * (scope it, or list it with a reason)"
            assert star_only(action), f"{action}: AWS offers a resource scope for it; use it instead of *"


def test_the_guarding_conditions_are_ones_those_actions_support(ci_policies):
    """A condition key an action does not support never matches: the statement would silently allow nothing."""
    deploy = next(p for r, p in ci_policies.items() if r.endswith("-deploy"))
    checked = 0
    for statement in deploy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        keys = {
            re.sub(r"^(aws:RequestTag)/.*", r"\1/${TagKey}", k)
            for block in statement.get("Condition", {}).values()
            for k in block
            if k.startswith(("iam:", "aws:RequestTag/"))
        }
        for action in _list(statement["Action"]) if keys else []:
            service, name = action.split(":")
            rows = get_action_data(service, name).get(service)
            assert rows, f"{statement['Sid']}: {action} is not an IAM action"
            supported = {k for row in rows for k in row["condition_keys"]}
            assert keys <= supported, (statement["Sid"], action, keys - supported)
            checked += 1
    assert checked > 10


# ---- the rule can fail: each weakening of today's deploy policy is caught -------------------


def _weakened(policy: dict, sid: str, change) -> dict:
    policy = copy.deepcopy(policy)
    statement = next(s for s in policy["Statement"] if s.get("Sid") == sid)
    change(statement, policy)
    return policy


WEAKENINGS = {
    "role changes without the boundary condition": (
        "EnvironmentRolesOnlyWithTheBoundary",
        lambda s, _: s.pop("Condition"),
        "iam:createrole without iam:PermissionsBoundary",
    ),
    "attachments of any policy": (
        "AttachOnlyOwnPoliciesUnderTheBoundary",
        lambda s, _: s["Condition"].pop("ArnLike"),
        "iam:attachrolepolicy without iam:PolicyARN",
    ),
    "PassRole of any role": ("PassEnvironmentRolesToEcsAndRds", lambda s, _: s.update(Resource="*"), "a named role resource"),
    "the boundary may be removed": (
        "BoundaryIsNeverRemoved",
        lambda s, p: (p["Statement"].remove(s), p["Statement"].append({"Sid": "X", "Effect": "Allow", "Action": "iam:*", "Resource": "x"})),
        "iam:deleterolepermissionsboundary (no condition key caps it)",
    ),
}


@pytest.mark.parametrize("weakening", WEAKENINGS, ids=list(WEAKENINGS))
def test_the_rule_catches_each_weakening(ci_policies, weakening):
    sid, change, expected = WEAKENINGS[weakening]
    deploy = next(p for r, p in ci_policies.items() if r.endswith("-deploy"))
    findings = unguarded_iam_changes(_weakened(deploy, sid, change))
    assert any(expected in f for f in findings), findings
    assert escalation_paths(_weakened(deploy, sid, change))


# ---- every env-stack role carries the boundary (guard-rail IAM-001) -------------------------


def test_the_boundary_rule_catches_a_role_without_it_or_with_another_policy():
    from modules.guardrails import ENVIRONMENT_RULES, evaluate_synthesized

    def stack(**role) -> dict:
        return {"resource": {"aws_iam_role": {"r": {"name": "geo-data-app-staging-api-task", **role}}}}

    good = "arn:aws:iam::210987654321:policy/geoapp-ci-staging-boundary"
    assert evaluate_synthesized(stack(permissions_boundary=good), ENVIRONMENT_RULES) == []
    assert evaluate_synthesized(stack(), ENVIRONMENT_RULES) == [
        "[IAM-001] aws_iam_role.r: aws_iam_role 'geo-data-app-staging-api-task' has no permissions_boundary"
    ]
    (failure,) = evaluate_synthesized(stack(permissions_boundary="arn:aws:iam::aws:policy/AdministratorAccess"), ENVIRONMENT_RULES)
    assert "is not an environment boundary" in failure


def test_every_env_stack_role_carries_the_boundary(stacks):
    from modules.guardrails import ENVIRONMENT_RULES, evaluate_synthesized

    envs = {name: stack for name, stack in stacks.items() if name.startswith("env-")}
    assert envs
    for name, stack in envs.items():
        assert stack["resource"]["aws_iam_role"], name
        assert evaluate_synthesized(stack, ENVIRONMENT_RULES) == [], name


def _env_configs() -> dict:
    from environment.config import load_environments
    from tests.synth import ROOT

    return {c.name: c for c in load_environments([ROOT / "envs"])}


def test_every_env_role_carries_its_own_environments_boundary(stacks):
    """Not just any ``*-boundary``: the one the bootstrap stack made for this environment, in its account."""
    from environment.names import env_stack_name, permissions_boundary_arn

    for env, config in _env_configs().items():
        roles = stacks[env_stack_name(env)]["resource"]["aws_iam_role"].values()
        for role in roles:
            arn = concrete(json.dumps(role["permissions_boundary"]), account=config.aws.account_id)
            assert arn == permissions_boundary_arn(config), (env, role["name"])


def _boundary_of(stacks, config) -> dict:
    from environment.names import bootstrap_stack_name, permissions_boundary_name

    policies = stacks[bootstrap_stack_name(config.state.bucket)]["resource"]["aws_iam_policy"].values()
    (policy,) = [p for p in policies if p["name"] == permissions_boundary_name(config.name)]
    return concrete(policy["policy"], account=config.aws.account_id)


def _through_boundary(role_arn: str, action: str, resource: str, boundary: dict, tag: str, region: str) -> bool:
    """Would a role whose own policy allows exactly this request get it under ``boundary``?"""
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    context = {"aws:ResourceTag/Environment": tag, "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
    return authorized(role_arn, action, resource, policies=[identity], boundary=boundary, context=context)


def test_the_boundary_lets_through_everything_each_env_role_is_granted(stacks):
    """ECR pull, logs, the env's secrets, the seed source, RDS enhanced monitoring: no grant of an
    env role is cut off by its boundary (else the task or the monitoring would fail on AWS)."""
    from environment.names import env_stack_name

    checked = set()
    for env, config in _env_configs().items():
        boundary, region, account = _boundary_of(stacks, config), config.aws.region, config.aws.account_id
        requests = env_role_requests(stacks[env_stack_name(env)], region=region, account=account)
        for role, wanted in requests.items():
            arn = f"arn:aws:iam::{account}:role/{role}"
            cut = [(a, r) for a, r in wanted if not _through_boundary(arn, a, r, boundary, config.tags.Environment, region)]
            assert cut == [], (role, cut)
            checked |= {a for a, _ in wanted}
    assert {"ecr:BatchGetImage", "logs:PutLogEvents", "secretsmanager:GetSecretValue", "kms:Decrypt", "s3:GetObject"} <= checked
    assert "logs:CreateLogGroup" in checked, "the RDS monitoring role's managed policy was not examined"


def test_the_boundary_stops_what_belongs_to_another_environment_or_to_iam(stacks):
    configs = _env_configs()
    staging, production = configs["staging"], configs["production"]
    boundary, account, region = _boundary_of(stacks, staging), staging.aws.account_id, staging.aws.region
    role = f"arn:aws:iam::{account}:role/geo-data-app-staging-api-task"
    tag = staging.tags.Environment
    assert _through_boundary(
        role,
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:{region}:{account}:secret:geo-data-app-staging/auth0-Ab12Cd",
        boundary,
        tag,
        region,
    )
    assert not _through_boundary(
        role,
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:{region}:{account}:secret:geo-data-app-production/auth0-Ab12Cd",
        boundary,
        tag,
        region,
    )
    assert not _through_boundary(
        role, "kms:Decrypt", f"arn:aws:kms:{region}:{account}:key/x", boundary, production.tags.Environment, region
    )
    assert not _through_boundary(role, "iam:CreateRole", f"arn:aws:iam::{account}:role/geo-data-app-staging-x", boundary, tag, region)
    assert not _through_boundary(role, "s3:DeleteObject", "arn:aws:s3:::geo-data-app-staging-site/index.html", boundary, tag, region)


def test_a_boundary_without_the_rds_log_group_is_caught(stacks):
    """The check above can fail: drop RDSOSMetrics from the boundary and the monitoring role is cut off."""
    from environment.names import env_stack_name

    config = _env_configs()["staging"]
    boundary = copy.deepcopy(_boundary_of(stacks, config))
    logs = next(s for s in boundary["Statement"] if s["Sid"] == "OwnLogs")
    logs["Resource"] = [r for r in logs["Resource"] if "RDSOSMetrics" not in r]
    requests = env_role_requests(stacks[env_stack_name("staging")], region=config.aws.region, account=config.aws.account_id)
    role = next(r for r in requests if r.endswith("-rds-monitoring"))
    arn = f"arn:aws:iam::{config.aws.account_id}:role/{role}"
    cut = [a for a, r in requests[role] if not _through_boundary(arn, a, r, boundary, config.tags.Environment, config.aws.region)]
    assert "logs:PutLogEvents" in cut and "logs:CreateLogGroup" in cut


def test_the_env_stack_can_derive_the_boundary_the_bootstrap_makes(stacks):
    from environment.config import load_environments
    from environment.names import bootstrap_stack_name, permissions_boundary_arn
    from tests.synth import ROOT

    for config in load_environments([ROOT / "envs"]):
        made = {p["name"] for p in stacks[bootstrap_stack_name(config.state.bucket)]["resource"]["aws_iam_policy"].values()}
        arn = permissions_boundary_arn(config)
        assert arn.startswith(f"arn:aws:iam::{config.aws.account_id}:policy/")
        assert arn.rsplit("/", 1)[1] in made, (config.name, made)


# ---- the state bucket: only the state roles; the plan role reads, never writes or locks ------


STAGING_BOOTSTRAP = "bootstrap-geoapp-tfstate-210987654321"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
"""AdministratorAccess: what an arbitrary role of the account might hold."""


@pytest.fixture(scope="module")
def state_bucket(stacks):
    """(bucket policy, {role name: identity policy}, config) of staging's state bucket, made concrete."""
    from tests.gates.iam_analysis import jsonencode_policy

    config = _env_configs()["staging"]
    stack = stacks[STAGING_BOOTSTRAP]
    [policy] = stack["resource"]["aws_s3_bucket_policy"].values()
    text = re.sub(
        r"\$\{aws_s3_bucket\.[\w-]+\.arn\}", f"arn:aws:s3:::{config.state.bucket}", json.dumps(jsonencode_policy(policy["policy"]))
    )
    return concrete(text, account=config.aws.account_id), role_policies(stack, account=config.aws.account_id), config


def _can(state_bucket, role: str, action: str, resource: str, identity: dict | None = None) -> bool:
    bucket_policy, roles, config = state_bucket
    arn = f"arn:aws:iam::{config.aws.account_id}:role/{role}"
    policies = [identity or roles[role]]
    return authorized(
        arn, action, resource, policies=policies, resource_policy=bucket_policy, context={"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    )


def test_an_arbitrary_role_of_the_account_is_denied_the_state_even_as_an_administrator(state_bucket):
    _, _, config = state_bucket
    state = f"arn:aws:s3:::{config.state.bucket}/{config.state.key}"
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert not _can(state_bucket, "ops-admin", action, state, identity=ADMIN), action
    assert not _can(state_bucket, "ops-admin", "s3:ListBucket", f"arn:aws:s3:::{config.state.bucket}", identity=ADMIN)
    assert not _can(state_bucket, "ops-admin", "s3:PutBucketPolicy", f"arn:aws:s3:::{config.state.bucket}", identity=ADMIN)


def test_the_plan_role_reads_the_state_but_cannot_write_it_or_take_the_lock(state_bucket):
    _, _, config = state_bucket
    plan, state = "geoapp-ci-staging-plan", f"arn:aws:s3:::{config.state.bucket}/{config.state.key}"
    assert _can(state_bucket, plan, "s3:GetObject", state)
    assert not _can(state_bucket, plan, "s3:PutObject", state)
    assert not _can(state_bucket, plan, "s3:PutObject", f"{state}.tflock")
    assert not _can(state_bucket, plan, "s3:DeleteObject", state)
    # the bucket policy alone keeps it read-only, whatever the role's own policy grew into
    assert not _can(state_bucket, plan, "s3:PutObject", state, identity=ADMIN)
    table = f"arn:aws:dynamodb:{config.state.region}:{config.aws.account_id}:table/{config.state.lock_table}"
    assert not _can(state_bucket, plan, "dynamodb:PutItem", table)
    assert not _can(state_bucket, plan, "dynamodb:DeleteItem", table)


def test_the_deploy_role_writes_its_state_and_the_break_glass_role_administers_the_bucket(state_bucket):
    _, _, config = state_bucket
    state, bucket = f"arn:aws:s3:::{config.state.bucket}/{config.state.key}", f"arn:aws:s3:::{config.state.bucket}"
    assert _can(state_bucket, "geoapp-ci-staging-deploy", "s3:GetObject", state)
    assert _can(state_bucket, "geoapp-ci-staging-deploy", "s3:PutObject", state)
    assert not _can(state_bucket, "geoapp-ci-staging-deploy", "s3:PutBucketPolicy", bucket)
    # the bootstrap stack is applied as the break-glass role: it keeps every right to the bucket
    for action, resource in (
        ("s3:PutBucketPolicy", bucket),
        ("s3:PutObject", f"{bucket}/bootstrap/terraform.tfstate"),
        ("s3:ListBucket", bucket),
    ):
        assert _can(state_bucket, config.state.break_glass_role, action, resource, identity=ADMIN), action


def test_without_the_principal_statement_an_administrator_would_read_the_state(state_bucket):
    """The test above can fail: the same evaluation without OnlyTheStateRoles lets the admin in."""
    bucket_policy, roles, config = state_bucket
    weakened = copy.deepcopy(bucket_policy)
    weakened["Statement"] = [s for s in weakened["Statement"] if s["Sid"] != "OnlyTheStateRoles"]
    state = f"arn:aws:s3:::{config.state.bucket}/{config.state.key}"
    assert _can((weakened, roles, config), "ops-admin", "s3:GetObject", state, identity=ADMIN)
