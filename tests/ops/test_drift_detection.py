"""Drift detection on a real deployment: the nightly check's commands on the shared env-local.

The drift workflow (.github/workflows/drift.yml) runs ``make plan ENV=x`` (``terraform plan
-out=plan.tfplan`` in the stack's folder) and then ``python -m ops.plan_summary x
--detailed-exitcode``, whose exit code is the verdict (0 no drift, 2 drift). Here both run on
the session's env-local deploy: clean first (which is also the check that a plan right after
the apply has nothing to do), then after a change made outside Terraform (the API log group's
retention, changed through the AWS API). Each check is a full plan (~20 s of CPU), so the
"clean again once undone" round is left to the restore drill, whose last step is a clean plan
on the same deploy (tests/local/test_env_local_e2e.py). The checks run in a thread from the
moment the deploy is up, alongside the read-only tests (``alongside_the_read_only_tests``);
the test reads their verdicts at its turn, before anything else applies.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.local.helpers import EnvLocal, alongside_the_read_only_tests, state_of, terraform
from tests.synth import ROOT

pytestmark = pytest.mark.emulator


def drift_check(env: EnvLocal, markdown: Path) -> subprocess.CompletedProcess[str]:
    """What the workflow runs: the plan ``make plan`` saves, then the summary's exit code."""
    plan = terraform(["plan", "-input=false", "-no-color", "-lock-timeout=120s", "-out=plan.tfplan"], env.stack_dir, env.cmd_env)
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    env_name = env.target.stack.removeprefix("env-")
    command = [sys.executable, "-m", "ops.plan_summary", env_name, "--stacks-dir", str(env.out / "stacks")]
    return subprocess.run(
        [*command, "--detailed-exitcode", "--markdown", str(markdown)],
        cwd=ROOT,
        env=env.cmd_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def api_log_group(env: EnvLocal) -> tuple[str, str, int | None]:
    """(address, name, retention_in_days) of the API's log group, from the state."""
    for resource in state_of(env.stack_dir, env.cmd_env)["resources"]:
        if resource["type"] == "aws_cloudwatch_log_group" and resource["mode"] == "managed":
            attributes = resource["instances"][0]["attributes"]
            if not attributes["name"].startswith("/aws/rds/"):
                return f"{resource['type']}.{resource['name']}", attributes["name"], attributes.get("retention_in_days") or None
    raise AssertionError("env-local has no API log group")


@dataclass(frozen=True)
class DriftRun:
    clean: subprocess.CompletedProcess[str]
    clean_report: str
    address: str
    drifted: subprocess.CompletedProcess[str]
    drifted_report: str


@alongside_the_read_only_tests("test_drift_check_passes_clean_fails_on_an_outside_change_and_names_it")
def drift_checks(env: EnvLocal) -> DriftRun:
    """The two checks, run while the read-only tests run (they cannot see a log group's retention
    and take no state lock): clean, then with the retention changed outside Terraform, undone after."""
    markdown = env.state_dir.parent / "drift"
    markdown.mkdir(exist_ok=True)
    clean = drift_check(env, markdown / "clean.md")
    address, name, retention = api_log_group(env)
    logs = env.client("logs")
    logs.put_retention_policy(logGroupName=name, retentionInDays=1 if retention != 1 else 3)
    try:
        drifted = drift_check(env, markdown / "drift.md")
    finally:
        if retention:
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
        else:
            logs.delete_retention_policy(logGroupName=name)
    return DriftRun(clean, (markdown / "clean.md").read_text(), address, drifted, (markdown / "drift.md").read_text())


@pytest.mark.mutates_env_local(order=5)
def test_drift_check_passes_clean_fails_on_an_outside_change_and_names_it(env_local: EnvLocal):
    run = env_local.alongside(drift_checks)
    assert run.clean.returncode == 0, (
        f"drift reported on a fresh deploy (the plan after apply is not clean):\n{run.clean.stdout}{run.clean.stderr}"
    )
    assert "No changes" in run.clean_report
    assert run.drifted.returncode == 2, f"an outside change was not reported as drift (exit 2):\n{run.drifted.stdout}{run.drifted.stderr}"
    assert f"`{run.address}` (update)" in run.drifted_report, run.drifted_report[:3000]
    assert run.address in run.drifted.stdout


def test_the_nightly_workflow_fails_on_the_summary_verdict():
    """drift.yml runs exactly the check above: ``make plan`` then the summary's exit code."""
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "drift.yml").read_text())
    steps = jobs["jobs"]["drift"]["steps"]
    runs = [s.get("run", "") for s in steps]
    plan_at = next(i for i, r in enumerate(runs) if r.strip() == 'make plan ENV="$ENV_NAME"')
    verdict_at = next(i for i, r in enumerate(runs) if "ops.plan_summary" in r)
    assert plan_at < verdict_at
    verdict = runs[verdict_at]
    assert '"$ENV_NAME" --detailed-exitcode' in verdict and 'exit "$code"' in verdict
    assert "schedule" in (jobs.get("on") or jobs.get(True))
    plan_recipe = (ROOT / "Makefile").read_text().split("\nplan:", 1)[1].split("\n\n", 1)[0]
    assert "terraform plan" in plan_recipe and "-out=plan.tfplan" in plan_recipe
