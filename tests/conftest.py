"""Shared fixtures: the synthesized stacks of envs/, built once per test session in-process.

Loading the AWS bindings through jsii costs ~10-18 s, so every infra test shares
one Python process and one synth of the real env files; tests that need other
env files call ``tests.synth.synth_envs`` (same process, no second jsii start-up).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.synth import ROOT, synth_envs


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cdktf.out")
    synth_envs(out, ROOT / "envs")
    return out


@pytest.fixture(scope="session")
def stacks(synth_dir) -> dict[str, dict]:
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((synth_dir / "stacks").iterdir())}
