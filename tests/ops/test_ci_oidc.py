"""modules.ci_oidc: GitHub OIDC provider and per-environment plan/deploy roles, asserted on synthesized JSON."""

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
from modules.ci_oidc import CiEnvironment, GithubCiAccess
from tests.synth import ROOT

REPO = "acme/geoapp"
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


def test_deploy_role_only_from_the_github_environment_of_the_same_name(synthesized):
    deploy = roles(synthesized)[ci_role_name("staging", "deploy")]
    (statement,) = json.loads(deploy["assume_role_policy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert re.fullmatch(r"\$\{aws_iam_openid_connect_provider\.[\w-]+\.arn\}", statement["Principal"]["Federated"])
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": ["repo:acme/geoapp:environment:staging"],
        }
    }
    assert deploy["max_session_duration"] == 3600


def test_plan_role_from_pull_requests_and_main_only(synthesized):
    plan = roles(synthesized)[ci_role_name("staging", "plan")]
    (statement,) = json.loads(plan["assume_role_policy"])["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/geoapp:pull_request",
        "repo:acme/geoapp:ref:refs/heads/main",
    ]


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


def test_deploy_policy_scopes_iam_s3_and_ecr_and_denies_escalation(synthesized):
    policy = inline_policy(synthesized, ci_role_name("staging", "deploy"))
    for statement in allows(policy):
        actions = as_list(statement["Action"])
        assert "*" not in actions
        if statement["Resource"] == "*" and not statement.get("Condition"):
            # unconditional "*" only for harmless calls
            assert set(actions) <= {
                "s3:ListAllMyBuckets",
                "s3:GetBucketLocation",
                "ecr:GetAuthorizationToken",
                "secretsmanager:GetRandomPassword",
                "secretsmanager:ListSecrets",
            }, statement["Sid"]
        if any(a.startswith("iam:") for a in actions) and statement["Sid"] != "ServiceLinkedRoles":
            for resource in as_list(statement["Resource"]):
                assert re.search(r":(role|policy)/geo-data-app-staging-\*$|:iam::aws:policy/\*$", resource), resource
        if "s3:*" in actions:
            assert all("geo-data-app-staging-*" in r for r in as_list(statement["Resource"]))
        if "ecr:*" in actions:
            assert statement["Resource"].endswith(":repository/geoapp/api-staging")
    pass_role = next(s for s in allows(policy) if "iam:PassRole" in as_list(s["Action"]))
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == ["ecs-tasks.amazonaws.com", "monitoring.rds.amazonaws.com"]
    regional = next(s for s in allows(policy) if s["Sid"] == "EnvironmentServicesInRegion")
    assert regional["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["eu-west-1", "us-east-1"]
    denies = {s["Sid"]: s for s in policy["Statement"] if s["Effect"] == "Deny"}
    assert {"iam:CreateUser", "iam:CreateAccessKey"} <= set(denies["NoLongLivedCredentials"]["Action"])
    assert any(r.endswith(":role/geoapp-ci-*") for r in denies["CiAccessIsNotSelfService"]["Resource"])
    assert "s3:DeleteBucket" in denies["StateBackendIsManagedByBootstrap"]["Action"]
    assert denies["StateKeyIsManagedByBootstrap"]["Resource"] == STATE_KEY_ARN


WRITE = re.compile(r":(Put|Create|Delete|Update|Tag|Untag|Attach|Detach|Modify|Authorize|Revoke|Run|Start|Stop|Register|Pass|\*)")


def test_plan_policy_writes_nothing_but_its_lock(synthesized):
    policy = inline_policy(synthesized, ci_role_name("staging", "plan"))
    for statement in allows(policy):
        writes = [a for a in as_list(statement["Action"]) if WRITE.search(a)]
        if writes:
            assert statement["Sid"] in ("OwnStateLockFile", "OwnStateLockRows"), (statement["Sid"], writes)
    state = next(s for s in allows(policy) if s["Sid"] == "OwnStateObject")
    assert state["Action"] == ["s3:GetObject"]
    secret_reads = [s for s in allows(policy) if "secretsmanager:GetSecretValue" in as_list(s["Action"])]
    partition, account = tokens(synthesized)
    assert [s["Resource"] for s in secret_reads] == [f"arn:{partition}:secretsmanager:eu-west-1:{account}:secret:geo-data-app-staging/*"]


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
    from modules.ci_oidc import deploy_policy, plan_policy

    envs = {e.name: e for e in load_environments([ROOT / "envs"]) if e.aws.endpoint is None}
    assert envs, "no cloud environments to check"
    for name, config in envs.items():
        stack = stacks[f"env-{name}"]
        types = set(stack.get("resource", {})) | set(stack.get("data", {}))
        services = {s for s in map(service_of, types) if s}
        env = CiEnvironment.from_config(config, name_prefix=name_prefix(config))
        deploy = deploy_policy(env, partition="aws", account="111111111111", role_name_prefix="geoapp-ci")
        plan = plan_policy(env, partition="aws", account="111111111111")
        for policy, kind in ((deploy, "deploy"), (plan, "plan")):
            granted = {a.split(":")[0] for s in allows(policy) for a in as_list(s["Action"])}
            assert services <= granted, f"env-{name}: the {kind} role lacks {sorted(services - granted)}"
