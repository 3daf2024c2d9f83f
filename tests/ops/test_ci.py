"""ops.ci: the facts workflows read from envs/*.toml."""

from __future__ import annotations

import json

from environment.names import ci_role_name
from ops import ci
from ops.stack_outputs import load_env_config
from tests.synth import ROOT

ENVS = ROOT / "envs"


def test_role_names_agree_with_the_construct():
    for kind in ("plan", "deploy"):
        assert ci.role_arn("210987654321", "staging", kind).endswith(":role/" + ci_role_name("staging", kind))


def test_matrix_lists_cloud_environments_only(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "matrix"]) == 0
    names = json.loads(capsys.readouterr().out)
    assert "local" not in names and {"staging", "production"} <= set(names)
    assert ci.cloud_environments(ENVS, "production") == ["production"]
    assert "production" not in ci.cloud_environments(ENVS, "nonproduction")


def test_github_environments_default_to_the_env_name(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "github-environments"]) == 0
    mapping = json.loads(capsys.readouterr().out)
    assert mapping["staging"] == "staging" and set(mapping) == set(ci.cloud_environments(ENVS))


def test_env_facts_for_github_output(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "env", "staging"]) == 0
    facts = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert facts == {
        "stack": "env-staging",
        "region": "eu-west-1",
        "account_id": "210987654321",
        "tier": "staging",
        "plan_role_arn": "arn:aws:iam::210987654321:role/geoapp-ci-staging-plan",
        "deploy_role_arn": "arn:aws:iam::210987654321:role/geoapp-ci-staging-deploy",
        "frontend_publish_role_arn": "arn:aws:iam::210987654321:role/geoapp-frontend-publish-staging",
        "ecr_registry": "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
        "ecr_repository": "geoapp/api-staging",
        "image_tag": load_env_config("staging", ENVS).api.image.tag,
        "github_environment": "staging",
    }


def test_unknown_environment_is_one_line(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "env", "nope"]) == 1
    assert "no environment 'nope'" in capsys.readouterr().err


# ---- the workflows (.github/workflows/*.yml), parsed ------------------------------------------

WORKFLOWS = ROOT / ".github" / "workflows"


def workflows() -> dict[str, dict]:
    import yaml

    found = {p.name: yaml.safe_load(p.read_text()) for p in sorted(WORKFLOWS.glob("*.y*ml"))}
    assert found, "no workflow files"
    return found


def jobs() -> list[tuple[str, str, dict, dict]]:
    """(workflow file, job id, job, workflow) of every job."""
    return [(name, job_id, job, wf) for name, wf in workflows().items() for job_id, job in wf["jobs"].items()]


def job_env(job: dict, workflow: dict) -> dict[str, str]:
    return {**(workflow.get("env") or {}), **(job.get("env") or {})}


def assumed_roles(job: dict) -> list[str]:
    return [str(s["with"]["role-to-assume"]) for s in job.get("steps", []) if "role-to-assume" in (s.get("with") or {})]


def test_every_job_with_the_plan_role_plans_without_the_lock():
    plan_jobs = [(f, j, job, wf) for f, j, job, wf in jobs() if any("plan_role_arn" in r for r in assumed_roles(job))]
    assert {f for f, *_ in plan_jobs} >= {"infra-pr.yml", "drift.yml"}
    for file, job_id, job, workflow in plan_jobs:
        assert "-lock=false" in job_env(job, workflow).get("TF_CLI_ARGS_plan", "").split(), f"{file}:{job_id}"
        runs = " ".join(str(s.get("run", "")) for s in job["steps"])
        assert "make deploy" not in runs and "apply" not in runs, f"{file}:{job_id} applies with the plan role"


def steps_using(job: dict) -> list[str]:
    return [str(s["uses"]) for s in job.get("steps", []) if "uses" in s]


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment():
    import re

    unpinned, pins = set(), {}
    for path in sorted(WORKFLOWS.glob("*.y*ml")):
        for line in path.read_text().splitlines():
            match = re.match(r"\s*-?\s*uses:\s*([^@\s]+)@(\S+)(.*)$", line)
            if not match or match.group(1).startswith(("./", "docker://")):
                continue
            action, ref, comment = match.groups()
            if not re.fullmatch(r"[0-9a-f]{40}", ref):
                unpinned.add(action)
                continue
            assert re.fullmatch(r"\s+# v\d+(\.\d+)*", comment), f"{path.name}: {line.strip()} (version comment missing)"
            pins.setdefault(action, set()).add((ref, comment.strip()))
    assert unpinned == set(), f"actions referenced by tag or branch, not by a commit SHA: {sorted(unpinned)}"
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}, "one action, one pinned commit"
    assert {"actions/checkout", "actions/cache", "aws-actions/configure-aws-credentials", "hashicorp/setup-terraform"} <= set(pins)


def test_dispatchable_deploy_workflows_run_only_from_main():
    guard = "github.ref == 'refs/heads/main'"
    checked = []
    for file, job_id, job, workflow in jobs():
        dispatchable = "workflow_dispatch" in (workflow.get(True) or workflow.get("on") or {})
        deploys = any("deploy_role_arn" in r for r in assumed_roles(job)) or (job.get("permissions") or {}).get("contents") == "write"
        if dispatchable and deploys:
            condition = str(job.get("if", ""))
            assert condition == guard or condition.startswith(f"{guard} && ("), f"{file}:{job_id}: if: {condition!r}"
            checked.append(f"{file}:{job_id}")
    assert {"backend.yml", "infra-main.yml", "frontend.yml"} <= {c.split(":")[0] for c in checked}


def test_no_job_pushes_to_main_so_nothing_needs_to_bypass_branch_protection():
    import re

    for file, job_id, job, _ in jobs():
        for step in job.get("steps", []):
            run = str(step.get("run", ""))
            assert not re.search(r"git\s+push\b[^\n]*\b(main|refs/heads/main)\b", run), f"{file}:{job_id} pushes to main"
            for record in re.findall(r"ops\.release record[^\n]*", run):
                branch = re.search(r"--branch\s+\"?([^\s\"]+)", record)
                assert branch and branch.group(1) != "main", f"{file}:{job_id}: {record}"
    runbook = (ROOT / "docs" / "runbooks" / "new-environment.md").read_text()
    assert "allow **github-actions[bot]** to push" not in runbook


def test_every_job_in_an_aws_account_inits_with_the_committed_lock_file_read_only():
    cloud = [(f, j, job, wf) for f, j, job, wf in jobs() if assumed_roles(job)]
    assert len(cloud) >= 6
    for file, job_id, job, workflow in cloud:
        assert "-lockfile=readonly" in job_env(job, workflow).get("TF_CLI_ARGS_init", "").split(), f"{file}:{job_id}"
        runs = [str(s.get("run", "")) for s in job["steps"]]
        install = next(i for i, r in enumerate(runs) if "toolchain.terraform --install-lock" in r)
        first_terraform = next(
            i
            for i, r in enumerate(runs)
            if any(c in r for c in ("make plan", "make deploy", "make publish", "ops.release", "ops.stack_outputs"))
        )
        assert install < first_terraform, f"{file}:{job_id}: the lock file is installed after Terraform first runs"


# ---- the provider lock file -------------------------------------------------------------------

LOCK_FILE = ROOT / ".terraform.lock.hcl"
AWAITING_REGISTRY = {"registry.terraform.io/auth0/auth0"}
"""Providers no mirror here holds: the provider-lock workflow adds them where the registry is reachable."""


def locked_providers(path=LOCK_FILE) -> dict[str, dict]:
    import hcl2

    def one(value):
        return value[0] if isinstance(value, list) and len(value) == 1 else value

    with open(path) as handle:
        blocks = hcl2.load(handle)["provider"]
    return {name: {k: one(v) for k, v in body.items()} for block in blocks for name, body in block.items()}


def test_the_lock_file_is_committed_and_pins_hashicorp_aws_5_100_0_with_checksums():
    import subprocess

    aws = locked_providers()["registry.terraform.io/hashicorp/aws"]
    assert aws["version"] == "5.100.0"
    hashes = aws["hashes"] if isinstance(aws["hashes"][0], str) else aws["hashes"][0]
    assert hashes and all(h.startswith(("h1:", "zh:")) for h in hashes)
    ignored = subprocess.run(["git", "check-ignore", "-q", str(LOCK_FILE)], cwd=ROOT, check=False, capture_output=True)
    if ignored.returncode == 128:  # not a git checkout (an exported tree): read the ignore file itself
        patterns = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
        assert not {".terraform.lock.hcl", "/.terraform.lock.hcl", "*.hcl", "*.lock.hcl"} & set(patterns)
    else:
        assert ignored.returncode == 1, ".terraform.lock.hcl is gitignored"
    assert (ROOT / ".github" / "workflows" / "provider-lock.yml").is_file()


def test_every_provider_a_stack_requires_is_locked_at_that_version(stacks):
    from toolchain.terraform import LOCKED_PROVIDERS

    locked = locked_providers()
    for name, stack in stacks.items():
        for provider in stack["terraform"]["required_providers"].values():
            source = provider["source"] if "/" in provider["source"] else f"hashicorp/{provider['source']}"
            address = f"registry.terraform.io/{source}"
            if address in AWAITING_REGISTRY:
                continue
            assert address in locked, (name, address)
            assert locked[address]["version"] == provider["version"] == LOCKED_PROVIDERS[address], (name, address)


def _terraform_with_mirror():
    import shutil

    from toolchain.terraform import find_provider_mirror

    if shutil.which("terraform") is None or find_provider_mirror() is None:
        import pytest

        pytest.skip("needs terraform and the offline hashicorp/aws mirror")


def test_init_in_a_synthesized_stack_uses_the_committed_lock_file_read_only(synth_dir, tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    _terraform_with_mirror()
    stack = tmp_path / "env-staging"
    shutil.copytree(synth_dir / "stacks" / "env-staging", stack, ignore=shutil.ignore_patterns(".terraform*"))
    command = [
        sys.executable,
        "-m",
        "toolchain.terraform",
        "--",
        "terraform",
        "init",
        "-backend=false",
        "-lockfile=readonly",
        "-input=false",
        "-no-color",
    ]
    result = subprocess.run(command, cwd=stack, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (stack / ".terraform.lock.hcl").read_text() == LOCK_FILE.read_text()


def test_a_provider_whose_checksum_is_not_the_locked_one_fails_init(synth_dir, tmp_path):
    import shutil
    import subprocess

    from toolchain.terraform import install_lock_file, terraform_env

    _terraform_with_mirror()
    stack = tmp_path / "env-staging"
    shutil.copytree(synth_dir / "stacks" / "env-staging", stack, ignore=shutil.ignore_patterns(".terraform*"))
    tampered = tmp_path / "lock" / ".terraform.lock.hcl"
    tampered.parent.mkdir()
    tampered.write_text(re_sub_hash(LOCK_FILE.read_text()))
    install_lock_file(stack, tampered)
    result = subprocess.run(
        ["terraform", "init", "-backend=false", "-lockfile=readonly", "-input=false", "-no-color"],
        cwd=stack,
        env=terraform_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "doesn't match any of the checksums" in " ".join((result.stdout + result.stderr).split())


def re_sub_hash(text: str) -> str:
    import re

    return re.sub(r'"h1:[^"]+"', '"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="', text)


def test_terraform_init_is_recognised_through_chdir_and_flags(tmp_path):
    from toolchain.terraform import init_directory

    assert init_directory(["terraform", "init", "-input=false"], tmp_path) == tmp_path
    assert init_directory(["/usr/bin/terraform", "-chdir=stack", "init"], tmp_path) == tmp_path / "stack"
    assert init_directory(["terraform", "plan"], tmp_path) is None
    assert init_directory(["npx", "cdktf", "deploy"], tmp_path) is None


def test_the_jenkins_publish_runs_as_the_frontend_publish_role_and_needs_no_terraform_state():
    """The publish role cannot read the state: Jenkins takes the target from the SSM parameter, under that role."""
    jenkinsfile = (ROOT / "Jenkinsfile").read_text()
    stage = jenkinsfile[jenkinsfile.index("stage('Publish frontend')") :]
    assert "withAWS(role: facts.frontend_publish_role_arn" in stage
    assert "deploy_role_arn" not in stage and "terraform" not in stage
    publish = stage.index("ops.publish_frontend")
    assert stage.index("withAWS(role: facts.frontend_publish_role_arn") < publish
    assert "--target-from-parameter" in stage[publish : stage.index("\n", publish)]
    facts = ci.env_facts("staging")
    assert facts["frontend_publish_role_arn"] == "arn:aws:iam::210987654321:role/geoapp-frontend-publish-staging"


def test_every_workflow_that_assumes_a_deploy_role_is_one_the_deploy_trust_names():
    """Else the job's OIDC token is refused (job_workflow_ref), and the publish or release fails on AWS."""
    from modules.ci.environment import DEFAULT_DEPLOY_WORKFLOWS

    deploying = {f".github/workflows/{f}" for f, _, job, _ in jobs() if any("deploy_role_arn" in r for r in assumed_roles(job))}
    assert deploying == set(DEFAULT_DEPLOY_WORKFLOWS)
