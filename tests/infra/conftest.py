"""Fixtures for construct-level tests: a bare AWS test stack, its JSON, and terraform validate."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def aws_stack():
    """A fresh ``TerraformStack`` with an ``AwsProvider`` in us-east-1 (its own test app)."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    def make(name: str = "test"):
        stack = TerraformStack(Testing.app(), name)
        AwsProvider(stack, "aws", region="us-east-1")
        return stack

    return make


@pytest.fixture
def synth() -> Callable[[object], dict]:
    """``Testing.synth(stack)`` parsed: the stack's Terraform JSON as a dict."""
    from cdktf import Testing

    return lambda stack: json.loads(Testing.synth(stack))


@pytest.fixture
def terraform_validate(tmp_path: Path) -> Callable[[dict], str]:
    """Run ``terraform init -backend=false`` + ``validate`` on a synthesized stack; return stdout.

    ``hashicorp/aws`` comes from the local provider mirror when there is one, else from the
    registry (``toolchain.terraform``). With neither, the test fails naming both: it never skips.
    """
    from toolchain.terraform import MIRROR_ENV_VAR, find_provider_mirror, terraform_env

    if shutil.which("terraform") is None:
        pytest.skip("terraform is not on PATH")

    def run(stack_json: dict) -> str:
        work = tmp_path / "tf"
        work.mkdir(exist_ok=True)
        (work / "cdk.tf.json").write_text(json.dumps(stack_json))
        env = terraform_env()
        for command in (["terraform", "init", "-backend=false", "-input=false", "-no-color"], ["terraform", "validate", "-no-color"]):
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
            mirror = find_provider_mirror(env=env)
            source = f"mirror {mirror}" if mirror else f"registry: no local mirror ({MIRROR_ENV_VAR}={env.get(MIRROR_ENV_VAR)!r})"
            assert done.returncode == 0, f"{' '.join(command)} failed (providers from the {source}):\n{done.stdout}{done.stderr}"
        return done.stdout

    return run
