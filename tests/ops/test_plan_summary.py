"""ops.plan_summary on real Terraform plans (built-in terraform_data resources: no provider, no network)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ops import plan_summary
from toolchain.terraform import terraform_env


def tf(workdir: Path, *args: str) -> None:
    done = subprocess.run(["terraform", *args, "-no-color"], cwd=workdir, env=terraform_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def write_config(workdir: Path, resources: dict, outputs: dict) -> None:
    config = {
        "resource": {"terraform_data": resources},
        "output": {name: {"value": value} for name, value in outputs.items()},
    }
    (workdir / "main.tf.json").write_text(json.dumps(config), encoding="utf-8")


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A stack folder like cdktf.out/stacks/env-opstest, applied once."""
    workdir = tmp_path / "stacks" / "env-opstest"
    workdir.mkdir(parents=True)
    write_config(
        workdir,
        {"kept": {"input": "1"}, "replaced": {"input": "x", "triggers_replace": ["1"]}, "removed": {"input": "gone"}},
        {"image_tag": "abc"},
    )
    tf(workdir, "init", "-input=false")
    tf(workdir, "apply", "-input=false", "-auto-approve")
    return workdir


def run(stack: Path, *extra: str) -> int:
    return plan_summary.main(["opstest", "--stacks-dir", str(stack.parent), *extra])


def test_changes_are_counted_like_terraform_and_exit_2_with_detailed_exitcode(stack, tmp_path, capsys):
    write_config(
        stack,
        {"kept": {"input": "2"}, "replaced": {"input": "x", "triggers_replace": ["2"]}, "added": {"input": "new"}},
        {"image_tag": "def"},
    )
    tf(stack, "plan", "-input=false", "-out=plan.tfplan")
    markdown = tmp_path / "plan.md"

    code = run(stack, "--markdown", str(markdown), "--detailed-exitcode")

    assert code == 2
    text = markdown.read_text()
    assert "**2 to add, 1 to change, 2 to destroy (1 replaced)**" in text
    for row in (
        "| `+ create` | `terraform_data.added` |",
        "| `~ update` | `terraform_data.kept` |",
        "| `-/+ replace` | `terraform_data.replaced` |",
        "| `- destroy` | `terraform_data.removed` |",
    ):
        assert row in text
    assert "`image_tag` (update)" in text
    assert "<details><summary>terraform show</summary>" in text and "Plan: 2 to add, 1 to change, 2 to destroy." in text
    assert text.startswith("### Drift check: env-opstest")
    assert "env-opstest: 2 to add" in capsys.readouterr().out


def test_no_changes_exit_0(stack, capsys):
    tf(stack, "plan", "-input=false", "-out=plan.tfplan")
    assert run(stack, "--detailed-exitcode") == 0
    assert "No changes" in capsys.readouterr().out


def test_missing_plan_is_an_error_not_a_clean_bill(stack, capsys):
    assert run(stack, "--detailed-exitcode") == 1
    assert "no saved plan" in capsys.readouterr().err


def test_long_show_text_is_cut_for_pr_comments():
    summary = plan_summary.PlanSummary(stack="env-x", changes=[("create", "a.b")], text="x" * (plan_summary.MAX_TEXT_CHARS + 10))
    assert len(summary.markdown()) < plan_summary.MAX_TEXT_CHARS + 1000
    assert "(cut; see the job log)" in summary.markdown()


def test_drift_seen_during_refresh_is_listed():
    plan = {
        "format_version": "1.2",
        "resource_drift": [{"address": "aws_ecs_service.api", "change": {"actions": ["update"]}}],
        "resource_changes": [{"address": "aws_ecs_service.api", "change": {"actions": ["update"]}}],
    }
    summary = plan_summary.summarize(plan, "env-x")
    assert summary.drift == [("update", "aws_ecs_service.api")]
    assert "Changed outside Terraform" in summary.markdown()


def test_not_a_plan_is_refused():
    with pytest.raises(plan_summary.OpsError, match="not a Terraform plan"):
        plan_summary.summarize({"values": {}}, "env-x")
