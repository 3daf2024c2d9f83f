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
