"""Prove the shims with real Terraform: apply a small app-shaped config, re-plan, destroy.

    python -m localaws.probe [--keep DIR]

Starts an emulator on a free loopback port, writes a Terraform JSON config that exercises
every gap the shims close (Application Auto Scaling target + step policies + alarms with
tags, a CloudFront distribution with an origin access control, an ``/api/*`` behaviour and a
response headers policy on both behaviours, an Aurora Serverless v2 cluster with a managed
master password and a second cluster restored from its snapshot, an ECS Fargate service
behind an NLB), then runs
``terraform init``, ``apply``, ``plan -detailed-exitcode`` (must be 0: no drift) and
``destroy``, printing the wall time of each step.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolchain.terraform import terraform_env

from .server import LocalAWS, client_env
from .terraform import provider_settings

TAGS = {"Environment": "probe", "Owner": "platform", "Application": "geoapp"}

CONFIG_FILE = Path(__file__).with_name("probe.tf.json")
"""The probe's resources as Terraform JSON (data, not code): every gap a shim closes."""


def probe_config(endpoint: str, region: str = "us-east-1") -> dict[str, Any]:
    """:data:`CONFIG_FILE` with the emulator's ``aws`` provider (no backend: local state in the working dir)."""
    config = json.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    config["provider"] = {"aws": [{**provider_settings(endpoint, region), "default_tags": [{"tags": TAGS}]}]}
    return config


@dataclass
class StepResult:
    name: str
    returncode: int
    seconds: float
    output: str = field(repr=False)


def run_terraform(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> StepResult:
    started = time.monotonic()
    proc = subprocess.run(
        ["terraform", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return StepResult(" ".join(args[:1]), proc.returncode, time.monotonic() - started, proc.stdout + proc.stderr)


def terraform_env_for(endpoint: str) -> dict[str, str]:
    """terraform / cdktf environment for the emulator: mirror, quiet vars, dummy creds."""
    return client_env(endpoint, terraform_env())


def run_probe(workdir: Path, endpoint: str, *, timeout: float = 300.0) -> list[StepResult]:
    """init, apply, plan -detailed-exitcode, destroy in ``workdir``; stop at the first failure."""
    (workdir / "main.tf.json").write_text(json.dumps(probe_config(endpoint), indent=1))
    env = terraform_env_for(endpoint)
    common = ["-input=false", "-no-color"]
    steps = [
        ["init", *common],
        ["apply", "-auto-approve", *common],
        ["plan", "-detailed-exitcode", *common],
        ["destroy", "-auto-approve", *common],
    ]
    results: list[StepResult] = []
    for args in steps:
        result = run_terraform(args, workdir, env, timeout)
        results.append(result)
        if result.returncode != 0:
            break
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localaws.probe", description=__doc__)
    parser.add_argument("--keep", type=Path, help="working dir to keep (default: a temp dir)")
    args = parser.parse_args(argv)
    with LocalAWS(port=0, quiet=True) as aws, tempfile.TemporaryDirectory(prefix="localaws-probe-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = run_probe(workdir, aws.endpoint)
    for result in results:
        print(f"{result.name:8s} exit {result.returncode}  {result.seconds:6.1f} s")
    failed = [r for r in results if r.returncode != 0]
    if failed:
        print(failed[0].output[-6000:], file=sys.stderr)
        return 1
    return 0 if len(results) == 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
