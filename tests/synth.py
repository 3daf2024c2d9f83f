"""Synthesizing env files in-process, for tests (one jsii start-up per pytest process)."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE", "enabled")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def _load_bindings_once() -> None:
    """The first synth of this process imports the AWS bindings as ``main.py`` does (GC paused, then frozen)."""
    import sys

    if "stacks.env" not in sys.modules:
        from main import load_bindings

        load_bindings()


def synth_envs(outdir: Path, env_dir: Path) -> dict[str, dict]:
    """Synthesize every env file of ``env_dir`` like ``cdktf synth``; return {stack: cdk.tf.json}."""
    _load_bindings_once()
    from cdktf import App

    from environment.config import load_environments
    from main import compose

    app = App(outdir=str(outdir))
    compose(app, load_environments([env_dir]))
    app.synth()
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted((outdir / "stacks").iterdir())}


def resources_of(stack: dict, rtype: str) -> dict[str, dict]:
    """The resources of one type in a synthesized stack, by logical id."""
    return stack.get("resource", {}).get(rtype, {})


def only(stack: dict, rtype: str) -> dict:
    found = list(resources_of(stack, rtype).values())
    assert len(found) == 1, f"expected one {rtype}, found {len(found)}"
    return found[0]


def task_definition(stack: dict, name: str = "api") -> dict:
    """The task definition of family ``<prefix>-<name>``: ``api`` (the service), ``db-admin`` or ``db-loader`` (one-off tasks)."""
    found = [t for t in resources_of(stack, "aws_ecs_task_definition").values() if t["family"].endswith(f"-{name}")]
    assert len(found) == 1, f"expected one task definition of family *-{name}, found {len(found)}"
    return found[0]
