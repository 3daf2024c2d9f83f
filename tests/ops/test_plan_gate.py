"""The plan gate on real Terraform plans against the emulator.

A small stack (a KMS key, an Aurora cluster, a state bucket named by an env file, an unprotected
log group) is applied to an in-process localaws; then a change that replaces the cluster is
planned with ``terraform plan -out`` and the gate reads the saved plan, as ``make deploy`` does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import localaws
from localaws.terraform import provider_settings
from ops import plan_gate
from toolchain.terraform import terraform_env

ROOT = Path(__file__).resolve().parents[2]
STATE_BUCKET = "geoapp-tfstate-local"  # envs/local.toml [state] bucket
CLUSTER = "aws_rds_cluster.db"

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")


def _stack(endpoint: str, cluster_id: str, log_group: str = "plan-gate-logs") -> dict:
    provider = provider_settings(endpoint)
    provider["endpoints"][0]["rds"] = endpoint
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {"aws": [provider]},
        "resource": {
            "aws_kms_key": {"data": {"description": "plan gate test", "deletion_window_in_days": 7}},
            "aws_rds_cluster": {
                "db": {
                    "cluster_identifier": cluster_id,
                    "engine": "aurora-mysql",
                    "engine_mode": "provisioned",
                    "master_username": "admin",
                    "master_password": "not-a-secret-1",
                    "skip_final_snapshot": True,
                    "serverlessv2_scaling_configuration": {"min_capacity": 0.5, "max_capacity": 1},
                }
            },
            "aws_s3_bucket": {"state": {"bucket": STATE_BUCKET}},
            "aws_cloudwatch_log_group": {"logs": {"name": log_group}},
        },
    }


def _tf(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"terraform {args[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


def _gate(plan: Path, *allow: str) -> subprocess.CompletedProcess[str]:
    args = [str(plan), "--envs", str(ROOT / "envs" / "local.toml"), *(f"--allow={a}" for a in allow)]
    env = {**terraform_env(), "PYTHONPATH": str(ROOT)}
    env.pop(plan_gate.ALLOW_ENV_VAR, None)
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "ops.plan_gate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """The stack applied on a fresh emulator; yields (dir, terraform env, endpoint)."""
    work = tmp_path_factory.mktemp("plan-gate")
    with localaws.LocalAWS(port=0, quiet=True) as aws:
        env = localaws.client_env(aws.endpoint, terraform_env())
        (work / "main.tf.json").write_text(json.dumps(_stack(aws.endpoint, "gate-db-a")))
        _tf(["init", "-input=false", "-no-color"], work, env)
        _tf(["apply", "-input=false", "-no-color", "-auto-approve"], work, env)
        yield work, env, aws.endpoint


def _plan(applied, **changes) -> Path:
    work, env, endpoint = applied
    (work / "main.tf.json").write_text(json.dumps(_stack(endpoint, **changes)))
    _tf(["plan", "-input=false", "-no-color", "-refresh=false", "-out=plan.tfplan"], work, env)  # the state is fresh: no refresh waits
    return work / "plan.tfplan"


def test_a_plan_that_replaces_the_cluster_is_refused_and_passes_with_the_override(applied):
    plan = _plan(applied, cluster_id="gate-db-b")
    shown = json.loads(_tf(["show", "-json", "plan.tfplan"], plan.parent, applied[1]).stdout)
    actions = {c["address"]: c["change"]["actions"] for c in shown["resource_changes"]}
    assert set(actions[CLUSTER]) == {"delete", "create"}, "the fixture must really plan a replacement"

    refused = _gate(plan)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"{CLUSTER}: the plan would replace the database cluster" in refused.stderr
    assert "ALLOW_REPLACE" in refused.stderr

    allowed = _gate(plan, CLUSTER)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert f"ALLOWED by override: {CLUSTER}" in allowed.stdout


def test_an_override_for_another_address_does_not_let_the_replacement_through(applied):
    plan = _plan(applied, cluster_id="gate-db-b")
    result = _gate(plan, "aws_kms_key.data")
    assert result.returncode == 1
    assert CLUSTER in result.stderr and "match no destroy/replace" in result.stderr


def test_a_harmless_replacement_passes_and_a_destroyed_state_bucket_or_key_is_refused(applied):
    plan = _plan(applied, cluster_id="gate-db-a", log_group="plan-gate-logs-2")  # log group: replaced, not protected
    assert _gate(plan).returncode == 0

    work, env, endpoint = applied
    stack = _stack(endpoint, "gate-db-a")
    del stack["resource"]["aws_s3_bucket"], stack["resource"]["aws_kms_key"]
    (work / "main.tf.json").write_text(json.dumps(stack))
    _tf(["plan", "-input=false", "-no-color", "-refresh=false", "-out=plan.tfplan"], work, env)  # the state is fresh: no refresh waits
    result = _gate(work / "plan.tfplan")
    assert result.returncode == 1
    assert f"aws_s3_bucket.state: the plan would destroy the Terraform state bucket {STATE_BUCKET}" in result.stderr
    assert "aws_kms_key.data: the plan would destroy a KMS key" in result.stderr


def test_bad_input_gets_one_line_and_status_2(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    result = _gate(bad)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "not a Terraform JSON plan" in result.stderr
