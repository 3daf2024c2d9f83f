"""modules.ci: GitHub OIDC provider and per-environment plan/deploy roles, asserted on synthesized JSON."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import cdktf
import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.provider import AwsProvider

from environment.config import load_environments
from environment.names import ci_role_name, name_prefix
from modules.ci import CiEnvironment, GithubCiAccess
from tests.synth import ROOT

REPO = "acme/geoapp"
BOUNDARY = "arn:aws:iam::111111111111:policy/geoapp-ci-staging-boundary"
WRITE = re.compile(r":(Put|Create|Delete|Update|Tag|Untag|Attach|Detach|Modify|Authorize|Revoke|Run|Start|Stop|Register|Pass|\*)")
STATE_KEY_ARN = "arn:aws:kms:eu-west-1:210987654321:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def staging() -> CiEnvironment:
    (config,) = load_environments([ROOT / "envs" / "staging.toml"])
    return CiEnvironment.from_config(config, name_prefix=name_prefix(config))


def build(envs, **kwargs) -> tuple[TerraformStack, GithubCiAccess]:
    app = cdktf.Testing.app()
    stack = TerraformStack(app, "bootstrap-test")
    AwsProvider(stack, "aws", region="eu-west-1")
    access = GithubCiAccess(stack, "ci", repository=REPO, environments=envs, **kwargs)
    return stack, access


@pytest.fixture(scope="module")
def synthesized(staging) -> dict:
    stack, _ = build([staging], state_kms_key_arn=STATE_KEY_ARN)
    return json.loads(cdktf.Testing.synth(stack))


def roles(synth: dict) -> dict[str, dict]:
    return {r["name"]: r for r in synth["resource"]["aws_iam_role"].values()}


def inline_policy(synth: dict, role_name: str) -> dict:
    role_id = next(k for k, r in synth["resource"]["aws_iam_role"].items() if r["name"] == role_name)
    (policy,) = [p for p in synth["resource"]["aws_iam_role_policy"].values() if p["role"] == f"${{aws_iam_role.{role_id}.id}}"]
    return json.loads(policy["policy"])


def tokens(synth: dict) -> tuple[str, str]:
    """The ``${data...}`` references of the partition and the account, as they appear in policies."""
    (partition_id,) = synth["data"]["aws_partition"]
    (account_id,) = synth["data"]["aws_caller_identity"]
    return f"${{data.aws_partition.{partition_id}.partition}}", f"${{data.aws_caller_identity.{account_id}.account_id}}"


def allows(policy: dict) -> list[dict]:
    return [s for s in policy["Statement"] if s["Effect"] == "Allow"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_the_from_config_environment_matches_the_stack_naming(staging):
    assert (staging.name, staging.region, staging.name_prefix) == ("staging", "eu-west-1", "geo-data-app-staging")
    assert (staging.state_bucket, staging.state_key, staging.lock_table) == (
        "geoapp-tfstate-210987654321",
        "geoapp/staging.tfstate",
        "geoapp-tflock",
    )


def test_provider_trusts_github_for_sts(synthesized, staging):
    stack, _ = build([staging])
    assert cdktf.Testing.to_have_resource_with_properties(
        cdktf.Testing.synth(stack),
        IamOpenidConnectProvider.TF_RESOURCE_TYPE,
        {"url": "https://token.actions.githubusercontent.com", "client_id_list": ["sts.amazonaws.com"]},
    )


def test_deploy_role_only_from_the_deploy_workflows_on_main_in_the_github_environment(synthesized):
    deploy = roles(synthesized)[ci_role_name("staging", "deploy")]
    (statement,) = json.loads(deploy["assume_role_policy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert re.fullmatch(r"\$\{aws_iam_openid_connect_provider\.[\w-]+\.arn\}", statement["Principal"]["Federated"])
    claim = "token.actions.githubusercontent.com"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{claim}:aud": "sts.amazonaws.com",
            f"{claim}:sub": "repo:acme/geoapp:environment:staging",
            f"{claim}:repository": "acme/geoapp",
            f"{claim}:environment": "staging",
            f"{claim}:ref": "refs/heads/main",
            f"{claim}:job_workflow_ref": [
                "acme/geoapp/.github/workflows/infra-main.yml@refs/heads/main",
                "acme/geoapp/.github/workflows/backend.yml@refs/heads/main",
                "acme/geoapp/.github/workflows/frontend.yml@refs/heads/main",
            ],
        }
    }
    assert deploy["max_session_duration"] == 3600


def test_the_deploy_workflows_named_in_the_trust_exist_and_run_in_a_github_environment():
    from modules.ci.environment import DEFAULT_DEPLOY_WORKFLOWS

    for workflow in DEFAULT_DEPLOY_WORKFLOWS:
        text = (ROOT / workflow).read_text()
        assert "environment:" in text and "id-token: write" in text, workflow


def test_plan_role_from_pull_requests_and_main_only(synthesized):
    plan = roles(synthesized)[ci_role_name("staging", "plan")]
    (statement,) = json.loads(plan["assume_role_policy"])["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/geoapp:pull_request",
        "repo:acme/geoapp:ref:refs/heads/main",
    ]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:repository"] == "acme/geoapp"


def test_deploy_policy_touches_only_its_own_state(synthesized):
    policy = inline_policy(synthesized, ci_role_name("staging", "deploy"))
    partition, _ = tokens(synthesized)
    state_bucket = f"arn:{partition}:s3:::geoapp-tfstate-210987654321"
    state_statements = [s for s in allows(policy) if any(str(r).startswith(state_bucket) for r in as_list(s["Resource"]))]
    resources = {r for s in state_statements for r in as_list(s["Resource"])}
    assert resources == {state_bucket, f"{state_bucket}/geoapp/staging.tfstate", f"{state_bucket}/geoapp/staging.tfstate.tflock"}
    lock = next(s for s in allows(policy) if s["Sid"] == "OwnStateLockRows")
    assert lock["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"] == [
        "geoapp-tfstate-210987654321/geoapp/staging.tfstate",
        "geoapp-tfstate-210987654321/geoapp/staging.tfstate-md5",
    ]
    kms = next(s for s in allows(policy) if s["Sid"] == "StateKeyThroughS3AndDynamodb")
    assert kms["Resource"] == STATE_KEY_ARN and "kms:ViaService" in kms["Condition"]["StringEquals"]


def test_deploy_policy_changes_roles_only_under_the_boundary(synthesized):
    """What the policy says about IAM (that this closes every escalation path: tests/gates/test_escalation.py)."""
    policy = inline_policy(synthesized, ci_role_name("staging", "deploy"))
    partition, account = tokens(synthesized)
    boundary = f"arn:{partition}:iam::{account}:policy/geoapp-ci-staging-boundary"
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    changes = by_sid["EnvironmentRolesOnlyWithTheBoundary"]
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"} <= set(changes["Action"])
    assert changes["Resource"] == [
        f"arn:{partition}:iam::{account}:role/geo-data-app-staging-*",
        f"arn:{partition}:iam::{account}:role/geoapp-frontend-publish-staging",  # the Jenkins publish role, never passed
    ]
    assert by_sid["PassEnvironmentRolesToEcsAndRds"]["Resource"] == f"arn:{partition}:iam::{account}:role/geo-data-app-staging-*"
    assert changes["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": boundary}}
    attach = by_sid["AttachOnlyOwnPoliciesUnderTheBoundary"]["Condition"]
    assert attach["StringEquals"] == {"iam:PermissionsBoundary": boundary}
    assert attach["ArnLike"]["iam:PolicyARN"][0] == f"arn:{partition}:iam::{account}:policy/geo-data-app-staging-*"
    assert by_sid["BoundaryStaysOn"]["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": boundary}}
    assert by_sid["BoundaryIsNeverRemoved"]["Action"] == "iam:DeleteRolePermissionsBoundary"
    assert by_sid["BoundaryPolicyIsManagedByBootstrap"]["Resource"] == boundary
    assert "iam:CreatePolicyVersion" in by_sid["BoundaryPolicyIsManagedByBootstrap"]["Action"]
    assert by_sid["PassEnvironmentRolesToEcsAndRds"]["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "ecs-tasks.amazonaws.com",
        "monitoring.rds.amazonaws.com",
    ]
    denies = {s["Sid"]: s for s in policy["Statement"] if s["Effect"] == "Deny"}
    assert {"iam:CreateUser", "iam:CreateAccessKey"} <= set(denies["NoLongLivedCredentials"]["Action"])
    assert any(r.endswith(":role/geoapp-ci-*") for r in denies["CiAccessIsNotSelfService"]["Resource"])
    assert "s3:DeleteBucket" in denies["StateBackendIsManagedByBootstrap"]["Action"]
    assert denies["StateKeyIsManagedByBootstrap"]["Resource"] == STATE_KEY_ARN


def test_deploy_policy_scopes_each_service_wildcard_by_name_or_environment_tag(synthesized):
    policy = inline_policy(synthesized, ci_role_name("staging", "deploy"))
    seen = 0
    for statement in allows(policy):
        if not any(a.endswith(":*") for a in as_list(statement["Action"])):
            continue
        seen += 1
        tagged = statement.get("Condition", {}).get("StringEquals", {}).get("aws:ResourceTag/Environment")
        resources = as_list(statement["Resource"])
        assert tagged == "staging" or all("geo-data-app-staging" in r or r.endswith(":repository/geoapp/api-staging") for r in resources), (
            statement
        )
    assert seen >= 10
    reads = next(s for s in allows(policy) if s["Sid"] == "ReadForRefresh")
    assert reads["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["eu-west-1", "us-east-1"]


def test_plan_takes_no_lock_and_reads_no_credential(synthesized):
    policy = inline_policy(synthesized, ci_role_name("staging", "plan"))
    for statement in allows(policy):
        writes = [a for a in as_list(statement["Action"]) if WRITE.search(a)]
        assert not writes, (statement["Sid"], writes)
    assert not any(str(r).endswith(".tflock") for s in allows(policy) for r in as_list(s["Resource"]))
    rows = next(s for s in allows(policy) if s["Sid"] == "OwnStateDigestRow")
    assert rows["Action"] == ["dynamodb:DescribeTable", "dynamodb:GetItem"]
    # staging's Auth0 secret is filled by hand (external mode): no secret value is readable
    assert not [s for s in allows(policy) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
    deny = next(s for s in policy["Statement"] if s.get("Sid") == "NoCredentialValues")
    assert (deny["Effect"], deny["Action"], deny["Resource"]) == ("Deny", "secretsmanager:GetSecretValue", "*")


def test_plan_reads_only_a_credential_free_managed_secret(staging):
    from modules.ci import plan_policy

    managed = CiEnvironment(**{**staging.__dict__, "plan_readable_secrets": ("auth0",)})
    policy = plan_policy(managed, partition="aws", account="111111111111")
    arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:geo-data-app-staging/auth0-??????"
    (read,) = [s for s in allows(policy) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
    assert read["Resource"] == [arn]
    deny = next(s for s in policy["Statement"] if s.get("Sid") == "NoCredentialValues")
    assert deny["NotResource"] == [arn] and "Resource" not in deny


def test_existing_provider_is_reused_not_created(staging):
    arn = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"
    stack, access = build([staging], create_provider=False, existing_provider_arn=arn)
    synth = json.loads(cdktf.Testing.synth(stack))
    assert access.provider is None
    assert "aws_iam_openid_connect_provider" not in synth["resource"]
    for role in roles(synth).values():
        assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"]["Federated"] == arn


def test_attributes_expose_what_was_built(staging):
    _, access = build([staging, CiEnvironment(**{**staging.__dict__, "name": "qa", "github_environment": "qa-approval"})])
    assert set(access.deploy_roles) == set(access.plan_roles) == {"staging", "qa"}
    assert isinstance(access.deploy_roles["qa"], IamRole) and access.provider is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"repository": "not a repo"}, "repository must be 'owner/name'"),
        ({"environments": []}, "environments is empty"),
        ({"existing_provider_arn": "arn:aws:iam::1:oidc-provider/x"}, "create_provider=True and existing_provider_arn"),
        ({"create_provider": False}, "create_provider=False needs existing_provider_arn"),
        ({"max_session_seconds": 60}, "max_session_seconds must be 3600..43200"),
        ({"plan_subjects": ["environment:production"]}, "must not name a GitHub environment"),
    ],
)
def test_invalid_arguments_fail_at_construction(staging, kwargs, message):
    args = {"repository": REPO, "environments": [staging], **kwargs}
    app = cdktf.Testing.app()
    stack = TerraformStack(app, "bad")
    with pytest.raises(ValueError, match=re.escape(message)):
        GithubCiAccess(stack, "ci", **args)


def test_duplicate_environment_names_are_refused(staging):
    with pytest.raises(ValueError, match="lists a name twice"):
        build([staging, staging])


def test_terraform_validates_the_synthesized_stack(staging, tmp_path: Path):
    from toolchain.terraform import terraform_env

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "bootstrap-test")
    AwsProvider(stack, "aws", region="eu-west-1")
    GithubCiAccess(stack, "ci", repository=REPO, environments=[staging], state_kms_key_arn=STATE_KEY_ARN)
    app.synth()
    workdir = tmp_path / "stacks" / "bootstrap-test"
    env = terraform_env()
    for command in (["terraform", "init", "-backend=false", "-input=false", "-no-color"], ["terraform", "validate", "-no-color"]):
        done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


# ---- the roles cover what the env stacks actually build -------------------------------------

SERVICE_OF = {
    "aws_appautoscaling_": "application-autoscaling",
    "aws_budgets_": "budgets",
    "aws_cloudfront_": "cloudfront",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_event_": "events",
    "aws_db_": "rds",
    "aws_rds_": "rds",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_iam_": "iam",
    "aws_kms_": "kms",
    "aws_lb": "elasticloadbalancing",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_vpc": "ec2",
    "aws_subnet": "ec2",
    "aws_ec2_": "ec2",
    "aws_wafv2_": "wafv2",
    "aws_sns_": "sns",
    "aws_ssm_": "ssm",
    "aws_backup_": "backup",
    "aws_ce_": "ce",
}
"""Terraform type prefix -> IAM service prefix (longest match wins). A new type fails the test until mapped here."""
NO_API = {"aws_caller_identity", "aws_partition", "aws_iam_policy_document", "aws_region"}


def service_of(rtype: str) -> str | None:
    if rtype in NO_API or not rtype.startswith("aws_"):
        return None  # no AWS call, or another provider (auth0)
    matches = [p for p in SERVICE_OF if rtype.startswith(p)]
    assert matches, f"{rtype}: add its IAM service to SERVICE_OF"
    return SERVICE_OF[max(matches, key=len)]


def test_every_service_of_the_env_stacks_is_granted_to_both_roles(stacks):
    from modules.ci import deploy_policy, plan_policy

    envs = {e.name: e for e in load_environments([ROOT / "envs"]) if e.aws.endpoint is None}
    assert envs, "no cloud environments to check"
    for name, config in envs.items():
        stack = stacks[f"env-{name}"]
        types = set(stack.get("resource", {})) | set(stack.get("data", {}))
        services = {s for s in map(service_of, types) if s}
        env = CiEnvironment.from_config(config, name_prefix=name_prefix(config))
        deploy = deploy_policy(env, partition="aws", account="111111111111", role_name_prefix="geoapp-ci", boundary_arn=BOUNDARY)
        plan = plan_policy(env, partition="aws", account="111111111111")
        for policy, kind in ((deploy, "deploy"), (plan, "plan")):
            granted = {a.split(":")[0] for s in allows(policy) for a in as_list(s["Action"])}
            assert services <= granted, f"env-{name}: the {kind} role lacks {sorted(services - granted)}"
