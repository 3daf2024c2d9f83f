"""Environments as code: one stack per env file, each with its own locked state, account and tags."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from environment.config import load_environments
from tests.synth import ROOT, synth_envs

ENVS = {env.name: env for env in load_environments([ROOT / "envs"])}


def test_one_stack_per_env_file_and_one_bootstrap_per_state_bucket(stacks):
    assert {f"env-{name}" for name in ENVS} <= set(stacks)
    buckets = {env.state.bucket for env in ENVS.values()}
    assert sorted(s for s in stacks if s.startswith("bootstrap-")) == sorted(f"bootstrap-{b}" for b in buckets)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_state_backend_is_the_env_files_encrypted_locked_s3_backend(stacks, name):
    env = ENVS[name]
    backend = stacks[f"env-{name}"]["terraform"]["backend"]
    assert list(backend) == ["s3"]
    s3 = backend["s3"]
    assert (s3["bucket"], s3["key"], s3["region"]) == (env.state.bucket, env.state.key, env.state.region)
    assert s3["encrypt"] is True
    assert s3.get("dynamodb_table") == env.state.lock_table
    assert s3.get("use_lockfile", False) is env.state.use_lockfile
    assert env.state.lock_table or env.state.use_lockfile


def test_production_migrates_to_s3_native_locking_with_both_locks_on(stacks):
    s3 = stacks["env-production"]["terraform"]["backend"]["s3"]
    assert s3["use_lockfile"] is True and s3["dynamodb_table"] == "geoapp-tflock"


def aws_providers(stack: dict) -> dict[str | None, dict]:
    """The stack's AWS provider blocks by alias (None: the default one)."""
    return {p.get("alias"): p for p in stack["provider"]["aws"]}


@pytest.mark.parametrize("name", sorted(ENVS))
def test_provider_is_pinned_to_the_env_region_and_account(stacks, name):
    env = ENVS[name]
    providers = aws_providers(stacks[f"env-{name}"])
    assert providers[None]["region"] == env.aws.region
    # CloudFront's WAF lives in us-east-1: the only other provider, same account
    assert set(providers) == {None, "edge"} and providers["edge"]["region"] == "us-east-1"
    assert all(p["allowed_account_ids"] == [env.aws.account_id] for p in providers.values())
    assert stacks[f"env-{name}"]["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


@pytest.mark.parametrize("name", sorted(ENVS))
def test_default_tags_carry_environment_owner_application(stacks, name):
    env = ENVS[name]
    for provider in aws_providers(stacks[f"env-{name}"]).values():
        [default_tags] = provider["default_tags"]
        assert {k: default_tags["tags"][k] for k in ("Environment", "Owner", "Application")} == {
            "Environment": env.tags.Environment,
            "Owner": env.tags.Owner,
            "Application": env.tags.Application,
        }


def test_only_the_emulator_env_points_at_an_endpoint(stacks):
    for name, env in ENVS.items():
        for provider in aws_providers(stacks[f"env-{name}"]).values():
            endpoints = provider.get("endpoints", [{}])[0]
            if env.aws.endpoint:
                assert set(endpoints.values()) == {env.aws.endpoint}
                assert {"ecs", "rds", "cloudfront", "appautoscaling", "secretsmanager", "wafv2"} <= set(endpoints)
            else:
                assert not endpoints and "skip_credentials_validation" not in provider


def test_no_resource_overrides_the_cost_tags_with_other_values(stacks):
    for stack_name, stack in stacks.items():
        for rtype, resources in stack.get("resource", {}).items():
            for rid, body in resources.items():
                tags = body.get("tags") or {}
                for key in ("Environment", "Owner", "Application"):
                    assert key not in tags, f"{stack_name} {rtype}.{rid} overrides tag {key}"


def test_a_new_env_file_yields_a_new_stack_with_no_code_change(tmp_path):
    env_dir = tmp_path / "envs"
    env_dir.mkdir()
    shutil.copy(ROOT / "envs" / "staging.toml", env_dir / "staging.toml")
    qa = (ROOT / "envs" / "staging.toml").read_text()
    qa = qa.replace('key = "geoapp/staging.tfstate"', 'key = "geoapp/qa.tfstate"').replace('Environment = "staging"', 'Environment = "qa"')
    qa = qa.replace('repository = "geoapp/api-staging"', 'repository = "geoapp/api-qa"')
    (env_dir / "qa.toml").write_text(qa)
    stacks = synth_envs(tmp_path / "out", env_dir)
    assert {"env-qa", "env-staging"} <= set(stacks)
    assert stacks["env-qa"]["terraform"]["backend"]["s3"]["key"] == "geoapp/qa.tfstate"
    assert aws_providers(stacks["env-qa"])[None]["default_tags"][0]["tags"]["Environment"] == "qa"
    # both share one state bucket, so one bootstrap stack
    assert [s for s in stacks if s.startswith("bootstrap-")] == ["bootstrap-geoapp-tfstate-210987654321"]


def test_bootstrap_stack_hardens_the_state_bucket_and_lock_table(stacks):
    stack = stacks["bootstrap-geoapp-tfstate-210987654321"]
    res = stack["resource"]
    [bucket] = res["aws_s3_bucket"].values()
    assert bucket["bucket"] == "geoapp-tfstate-210987654321"
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    [versioning] = res["aws_s3_bucket_versioning"].values()
    assert versioning["versioning_configuration"]["status"] == "Enabled"
    [sse] = res["aws_s3_bucket_server_side_encryption_configuration"].values()
    assert sse["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    [pab] = res["aws_s3_bucket_public_access_block"].values()
    assert all(pab[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    [policy] = res["aws_s3_bucket_policy"].values()
    assert '"aws:SecureTransport" = "false"' in policy["policy"] or '"aws:SecureTransport":"false"' in policy["policy"].replace(" ", "")
    [table] = res["aws_dynamodb_table"].values()
    assert table["name"] == "geoapp-tflock" and table["hash_key"] == "LockID"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"]["enabled"] is True
    assert table["deletion_protection_enabled"] is True
    # first apply keeps the bootstrap's own state local
    assert "local" in stack["terraform"]["backend"]


def test_bootstrap_of_the_emulator_backend_may_be_destroyed(stacks):
    res = stacks["bootstrap-geoapp-tfstate-local"]["resource"]
    [bucket] = res["aws_s3_bucket"].values()
    assert bucket["force_destroy"] is True and "lifecycle" not in bucket


def test_guard_rail_fails_synth_when_a_resource_would_lose_a_cost_tag(tmp_path):
    from cdktf import App
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

    from modules.guardrails import GuardRails
    from stacks.guarded import GuardedStack

    app = App(outdir=str(tmp_path))
    stack = GuardedStack(app, "unsafe", guard_rails=GuardRails())
    AwsProvider(stack, "aws", region="us-east-1", default_tags=[{"tags": {"Environment": "x", "Owner": "y", "Application": "z"}}])
    S3Bucket(stack, "blanked", tags={"Owner": " "})
    untagged = AwsProvider(stack, "other", region="eu-west-1", alias="other")
    S3Bucket(stack, "via-untagged-provider", provider=untagged)
    with pytest.raises(RuntimeError) as caught:
        app.synth()
    message = str(caught.value)
    assert "[TAG-001] aws_s3_bucket would be created without tag(s) Owner" in message
    assert "[TAG-001] aws_s3_bucket would be created without tag(s) Environment, Owner, Application" in message


@pytest.mark.parametrize(
    "stack_name", ["env-local", "env-staging", "bootstrap-geoapp-tfstate-local", "bootstrap-geoapp-tfstate-210987654321"]
)
def test_stacks_without_the_auth0_provider_pass_terraform_validate(synth_dir, stack_name, tmp_path):
    import subprocess

    from toolchain.terraform import terraform_env

    work = tmp_path / stack_name
    shutil.copytree(Path(synth_dir) / "stacks" / stack_name, work)
    env = terraform_env()
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(["terraform", "validate", "-no-color"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "The configuration is valid" in validate.stdout


def test_bootstrap_gives_github_actions_a_plan_and_a_deploy_role_per_env_with_ci(stacks):
    roles = {r["name"] for r in stacks["bootstrap-geoapp-tfstate-210987654321"]["resource"]["aws_iam_role"].values()}
    assert roles == {"geoapp-ci-staging-plan", "geoapp-ci-staging-deploy"}
    [provider] = stacks["bootstrap-geoapp-tfstate-210987654321"]["resource"]["aws_iam_openid_connect_provider"].values()
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    # env-local has no [ci]: its bootstrap creates no identity for CI
    assert "aws_iam_role" not in stacks["bootstrap-geoapp-tfstate-local"]["resource"]


def test_cost_allocation_tags_are_an_opt_in_of_the_bootstrap_stack(tmp_path, stacks):
    assert not any("aws_ce_cost_allocation_tag" in s.get("resource", {}) for s in stacks.values())
    env_dir = tmp_path / "envs"
    env_dir.mkdir()
    text = (ROOT / "envs" / "production.toml").read_text()
    (env_dir / "production.toml").write_text(text.replace("[cost]\n", "[cost]\nactivate_allocation_tags = true\n"))
    synthesized = synth_envs(tmp_path / "out", env_dir)
    tags = synthesized["bootstrap-geoapp-tfstate-123456789012"]["resource"]["aws_ce_cost_allocation_tag"].values()
    assert sorted((t["tag_key"], t["status"]) for t in tags) == [("Application", "Active"), ("Environment", "Active"), ("Owner", "Active")]
    assert "aws_ce_cost_allocation_tag" not in synthesized["env-production"]["resource"]


def test_environments_sharing_a_bootstrap_stack_must_agree_on_account_level_options(tmp_path):
    from environment.config import ConfigError

    text = (ROOT / "envs" / "staging.toml").read_text()
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text(
        text.replace('key = "geoapp/staging.tfstate"', 'key = "geoapp/b.tfstate"').replace("example-org/geoapp", "example-org/other")
    )
    with pytest.raises(ConfigError) as caught:
        load_environments([tmp_path])
    assert "environments sharing bucket geoapp-tfstate-210987654321 must agree" in caught.value.problems[0]


def _bucket_policy(stack: dict) -> dict:
    from tests.gates.iam_analysis import jsonencode_policy

    [policy] = stack["resource"]["aws_s3_bucket_policy"].values()
    return jsonencode_policy(policy["policy"])


def test_the_state_bucket_is_reachable_only_by_the_deploy_plan_and_break_glass_roles(stacks):
    """The README's claim: every other principal is denied (by aws:PrincipalArn); plan roles only read."""
    statements = {s["Sid"]: s for s in _bucket_policy(stacks["bootstrap-geoapp-tfstate-210987654321"])["Statement"]}
    only = statements["OnlyTheStateRoles"]
    assert (only["Effect"], only["Principal"], only["Action"]) == ("Deny", "*", "s3:*")
    allowed = only["Condition"]["StringNotLike"]["aws:PrincipalArn"]
    names = sorted(arn.split(":role/", 1)[1] for arn in allowed)
    assert names == ["geoapp-break-glass", "geoapp-ci-staging-deploy", "geoapp-ci-staging-plan"]
    assert all(arn.startswith("arn:${data.aws_partition.") and ":iam::${data.aws_caller_identity." in arn for arn in allowed)
    read_only = statements["PlanRolesOnlyRead"]
    assert read_only["Effect"] == "Deny" and "s3:PutObject" not in read_only["NotAction"]
    assert [a.split(":role/")[1] for a in read_only["Condition"]["StringLike"]["aws:PrincipalArn"]] == ["geoapp-ci-staging-plan"]


def test_the_break_glass_role_comes_from_the_state_settings(tmp_path):
    text = (ROOT / "envs" / "staging.toml").read_text()
    (tmp_path / "staging.toml").write_text(
        text.replace(
            'lock_table = "geoapp-tflock"',
            'lock_table = "geoapp-tflock"\nbreak_glass_role = "aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Admin_*"',
        )
    )
    stacks = synth_envs(tmp_path / "out", tmp_path)
    only = next(s for s in _bucket_policy(stacks["bootstrap-geoapp-tfstate-210987654321"])["Statement"] if s["Sid"] == "OnlyTheStateRoles")
    assert any(
        a.endswith(":role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Admin_*")
        for a in only["Condition"]["StringNotLike"]["aws:PrincipalArn"]
    )
    assert not any(a.endswith("/geoapp-break-glass") for a in only["Condition"]["StringNotLike"]["aws:PrincipalArn"])


def test_the_emulator_state_bucket_stays_tls_only(stacks):
    """moto 5.2.5 cannot evaluate StringNotLike on aws:PrincipalArn (it would deny every request)."""
    assert [s["Sid"] for s in _bucket_policy(stacks["bootstrap-geoapp-tfstate-local"])["Statement"]] == ["DenyInsecureTransport"]
