"""Environment files: every bad file is rejected with file, field and reason; nothing is written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from environment.config import ConfigError, load_environments, parse_environment
from tests.synth import synth_envs
from toolchain.terraform import terraform_env

ROOT = Path(__file__).resolve().parents[2]
STAGING = (ROOT / "envs" / "staging.toml").read_text()


def mutate(text: str, old: str, new: str) -> str:
    assert old in text, f"fixture drifted: {old!r} not in staging.toml"
    return text.replace(old, new, 1)


def problems_of(text: str, name: str = "bad.toml") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_environment(Path("envs") / name, text)
    return caught.value.problems


def test_shipped_env_files_are_valid():
    envs = load_environments([ROOT / "envs"])
    assert {e.name for e in envs} >= {"local", "staging", "production"}


BAD_FILES = [
    # (case, old, new, field, reason fragment)
    (
        "scale-down >= scale-up",
        "scale_down_cpu_percent = 25",
        "scale_down_cpu_percent = 70",
        "api",
        "must be lower than scale_up_cpu_percent",
    ),
    ("min > max", "min_tasks = 1", "min_tasks = 5", "api", "min_tasks (5) is greater than max_tasks (4)"),
    ("negative count", "min_tasks = 1", "min_tasks = -1", "api.min_tasks", "greater than or equal to 1"),
    ("unknown key", "cpu = 512", "cpu = 512\ncpus = 2", "api.cpus", "unknown key"),
    ("unknown section", "[cost]", "[costs]\nx = 1\n[cost]", "costs", "unknown key"),
    ("malformed vpc id", 'vpc_id = "vpc-0a1b2c3d4e5f60718"', 'vpc_id = "vpc-xyz"', "network.vpc_id", "is not a VPC id"),
    ("malformed subnet id", '"subnet-0a1b2c3d4e5f60011"', '"subnet-1"', "network.private_subnet_ids.0", "is not a subnet id"),
    ("malformed account id", 'account_id = "210987654321"', 'account_id = "2109876"', "aws.account_id", "12-digit AWS account id"),
    (
        "malformed ARN",
        'certificate_arn = "arn:aws:acm:us-east-1:',
        'certificate_arn = "arn:aws:acm:eu-west-1:',
        "site.certificate_arn",
        "ACM certificate ARN in us-east-1",
    ),
    ("malformed image tag", 'tag = "2026.11.20-4f2a9c1"', 'tag = "latest:1"', "api.image.tag", "is not an image tag"),
    (
        "malformed repository",
        'repository = "geoapp/api-staging"',
        'repository = "GeoApp API"',
        "api.image.repository",
        "ECR repository name",
    ),
    ("malformed CNAME", 'cname = "staging.geoapp.example.com"', 'cname = "staging_geoapp"', "site.cname", "DNS name"),
    ("missing mandatory tag", 'Owner = "platform-team"\n', "", "tags.Owner", "is required but missing"),
    ("empty mandatory tag", 'Owner = "platform-team"', 'Owner = ""', "tags.Owner", "at least 1 character"),
    ("no locking", 'lock_table = "geoapp-tflock"', "", "state", "state has no locking"),
    ("bad memory for cpu", "memory = 1024", "memory = 512", "api", "memory 512 is not a Fargate size for cpu 512"),
    (
        "cname without certificate",
        'certificate_arn = "arn:aws:acm:us-east-1:210987654321:certificate/0f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19"',
        "",
        "(file)",
        "site.cname needs site.certificate_arn, or [dns] hosted_zone_id",
    ),
    ("bad auth0 mode", 'mode = "external"', 'mode = "manual"', "auth0.mode", "'managed' or 'external'"),
    ("not TOML", "[api]", "[api", "(file)", "not valid TOML"),
    (
        "restore in place is gone",
        "backup_retention_days = 7",
        'backup_retention_days = 7\nrestore_snapshot = "s1"',
        "database",
        'restore beside the live cluster with clusters = ["blue", "green"]',
    ),
    ("unknown cluster slot", "backup_retention_days = 7", 'backup_retention_days = 7\nclusters = ["red"]', "database.clusters.0", "'blue' or 'green'"),
    ("serve a missing cluster", "backup_retention_days = 7", 'backup_retention_days = 7\nserve = "green"', "database", "serve 'green' is not one of clusters ['blue']"),
    (
        "restore a missing cluster",
        "backup_retention_days = 7",
        'backup_retention_days = 7\nrestore = { green = "s1" }',
        "database",
        "restore names 'green', which is not one of clusters ['blue']",
    ),
    (
        "retire the served cluster",
        "backup_retention_days = 7",
        'backup_retention_days = 7\nclusters = ["blue", "green"]\nretire = ["blue"]',
        "database",
        "retire names 'blue', the cluster the API uses (serve): cut over first",
    ),
]


@pytest.mark.parametrize(("case", "old", "new", "field", "reason"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_env_file_is_rejected_naming_file_field_and_reason(case, old, new, field, reason):
    problems = problems_of(mutate(STAGING, old, new))
    line = f"envs/bad.toml: {field}: "
    assert any(p.startswith(line) and reason in p for p in problems), f"{case}: no '{line}...{reason}' in {problems}"


def test_production_rules():
    prod = (ROOT / "envs" / "production.toml").read_text()
    problems = problems_of(mutate(prod, "backup_retention_days = 14", "backup_retention_days = 3"), "production.toml")
    assert any("production needs database.backup_retention_days >= 7" in p for p in problems)


def test_production_requires_tls_between_cloudfront_and_the_api():
    prod = (ROOT / "envs" / "production.toml").read_text()
    start = prod.index("origin_tls = ")
    without = prod[:start] + prod[prod.index("\n", start) + 1 :]
    problems = problems_of(without, "production.toml")
    assert any(p.startswith("envs/production.toml: (file): production needs api.origin_tls") for p in problems), problems


def test_origin_certificate_must_be_in_the_environment_region():
    text = mutate(STAGING, "arn:aws:acm:eu-west-1:210987654321:certificate/3e2d", "arn:aws:acm:us-east-1:210987654321:certificate/3e2d")
    problems = problems_of(text)
    assert any("api.origin_tls.certificate_arn must be in the environment's region eu-west-1" in p for p in problems), problems


def test_only_an_emulator_env_may_lift_the_state_bucket_role_restriction():
    # On AWS the state bucket must deny everyone but the CI and break-glass roles; only the
    # emulator (moto cannot evaluate the aws:PrincipalArn condition) may turn that off.
    text = mutate(STAGING, "[state]\n", "[state]\nrestrict_to_roles = false\n")
    problems = problems_of(text)
    assert any(p.startswith("envs/bad.toml: (file): state.restrict_to_roles = false is only for an emulator backend") for p in problems), (
        problems
    )
    local = (ROOT / "envs" / "local.toml").read_text()
    [env] = [e for e in load_environments([ROOT / "envs"]) if e.name == "local"]
    assert "restrict_to_roles = false" in local and env.state.restrict_to_roles is False and env.aws.endpoint


def test_every_problem_is_listed_at_once():
    text = mutate(STAGING, 'vpc_id = "vpc-0a1b2c3d4e5f60718"', 'vpc_id = "vpc-xyz"')
    text = mutate(text, 'account_id = "210987654321"', 'account_id = "1"')
    text = mutate(text, "cpu = 512", "cpu = 512\ncpus = 2")
    text = mutate(text, 'Owner = "platform-team"\n', "")
    fields = {p.split(": ")[1] for p in problems_of(text)}
    assert {"network.vpc_id", "aws.account_id", "api.cpus", "tags.Owner"} <= fields


def test_two_environments_sharing_one_state_key_are_rejected(tmp_path):
    (tmp_path / "a.toml").write_text(STAGING)
    (tmp_path / "b.toml").write_text(STAGING)
    with pytest.raises(ConfigError) as caught:
        load_environments([tmp_path])
    [problem] = caught.value.problems
    assert f"{tmp_path / 'a.toml'}, {tmp_path / 'b.toml'}: state.key:" in problem
    assert "share the state s3://geoapp-tfstate-210987654321/geoapp/staging.tfstate" in problem


def test_synth_of_a_bad_env_dir_fails_cleanly_and_writes_nothing(tmp_path):
    envs = tmp_path / "envs"
    envs.mkdir()
    (envs / "good.toml").write_text(STAGING)
    (envs / "broken.toml").write_text(
        mutate(mutate(STAGING, "min_tasks = 1", "min_tasks = 9"), 'key = "geoapp/staging.tfstate"', 'key = "b.tfstate"')
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env={**os.environ, "GEOAPP_ENVS_DIR": str(envs), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{envs / 'broken.toml'}: api: min_tasks (9) is greater than max_tasks (4)" in result.stderr
    assert "nothing was synthesized" in result.stderr
    assert not (tmp_path / "cdktf.out").exists()


def test_config_cli_reports_ok_files():
    result = subprocess.run(
        [sys.executable, "-m", "environment.config", "envs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert "ok: envs/staging.toml -> stack env-staging" in result.stdout


def test_cdktf_synth_through_the_cli_writes_what_the_tests_synthesize(tmp_path):
    """``make synth`` is ``npx cdktf synth``: the CLI runs cdktf.json's app (``pipenv run python
    main.py``). Its stacks must be byte-identical to the in-process synth every other test reads
    (the shared env-local deploy synthesizes in-process too, so this is the one run of the CLI)."""
    envs = tmp_path / "envs"
    envs.mkdir()
    shutil.copy(ROOT / "envs" / "local.toml", envs / "local.toml")
    env = terraform_env({**os.environ, "GEOAPP_ENVS_DIR": str(envs), "PIPENV_VENV_IN_PROJECT": "1", "PIPENV_VERBOSITY": "-1"})
    result = subprocess.run(
        ["npx", "--no-install", "cdktf", "synth", "--output", str(tmp_path / "cli")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    in_process = synth_envs(tmp_path / "in-process", envs)
    cli = {p.name: (p / "cdk.tf.json").read_text() for p in sorted((tmp_path / "cli" / "stacks").iterdir())}
    assert sorted(cli) == sorted(in_process) == ["bootstrap-geoapp-tfstate-local", "env-local"]
    for name in cli:
        assert cli[name] == (tmp_path / "in-process" / "stacks" / name / "cdk.tf.json").read_text(), name
