"""Shared fixtures: the synthesized stacks of envs/, built once per test session in-process.

Loading the AWS bindings through jsii costs ~10-18 s, so every infra test shares
one Python process and one synth of the real env files; tests that need other
env files call ``synth_envs`` (same process, no second jsii start-up).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE", "enabled")


def synth_envs(outdir: Path, env_dir: Path) -> dict[str, dict]:
    """Synthesize every env file of ``env_dir`` like ``cdktf synth``; return {stack: cdk.tf.json}."""
    from cdktf import App

    from main import compose
    from modules.config import load_environments

    app = App(outdir=str(outdir))
    compose(app, load_environments([env_dir]))
    app.synth()
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((outdir / "stacks").iterdir())}


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cdktf.out")
    synth_envs(out, ROOT / "envs")
    return out


@pytest.fixture(scope="session")
def stacks(synth_dir) -> dict[str, dict]:
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((synth_dir / "stacks").iterdir())}


def resources_of(stack: dict, rtype: str) -> dict[str, dict]:
    """The resources of one type in a synthesized stack, by logical id."""
    return stack.get("resource", {}).get(rtype, {})


def only(stack: dict, rtype: str) -> dict:
    found = list(resources_of(stack, rtype).values())
    assert len(found) == 1, f"expected one {rtype}, found {len(found)}"
    return found[0]
