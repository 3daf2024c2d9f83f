"""The runbooks stay exact: their links resolve, and the commands they give exist."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from tests.ops.test_workflows import makefile_targets
from tests.synth import ROOT

RUNBOOKS = sorted((ROOT / "docs" / "runbooks").glob("*.md"))
MINE = ("new-environment.md", "auth0-external.md", "rotating-secrets.md", "cost-report.md", "teardown.md", "ci-cd.md", "load-testing.md")
README_DRAFT = ROOT / "README.md"  # its "Deploying a new environment" section
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_runbooks_exist():
    assert set(MINE) <= {p.name for p in RUNBOOKS}


@pytest.mark.parametrize("path", [*RUNBOOKS, README_DRAFT], ids=lambda p: p.name)
def test_links_resolve(path: Path):
    base = ROOT if path == README_DRAFT else path.parent  # the draft is written for README.md at the root
    for target in LINK.findall(path.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (base / target).exists(), f"{path.name}: link to {target} does not resolve"


def code_of(markdown: str) -> str:
    """The commands of a runbook: fenced blocks and `code spans`, not the prose around them."""
    blocks = re.findall(r"```[^\n]*\n(.*?)```", markdown, re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", markdown, flags=re.DOTALL))
    return "\n".join(blocks + spans)


@pytest.mark.parametrize("name", MINE)
def test_commands_exist(name: str):
    text = code_of((ROOT / "docs" / "runbooks" / name).read_text())
    targets = makefile_targets(ROOT / "Makefile")
    for target in re.findall(r"\bmake ([a-z][\w-]*)", text):
        assert target in targets, f"{name}: `make {target}` is not a Makefile target"
    for module in re.findall(r"python -m (ops(?:\.\w+)+)", text):
        assert importlib.util.find_spec(module) is not None, f"{name}: {module} does not exist"


def test_auth0_secret_keys_follow_the_container_contract():
    text = (ROOT / "docs" / "runbooks" / "auth0-external.md").read_text()
    example = json.loads(re.search(r"```json\n(.*?)\n```", text, re.S).group(1))
    assert set(example) == {"domain", "audience", "client_id"}
    assert "optional `client_secret`" in text or "`client_secret` only" in text
    assert re.search(
        r"aws secretsmanager put-secret-value --secret-id \"\$\(.*ops\.stack_outputs <env> auth0_secret_arn\)\" --secret-string file://auth0.json",
        text,
    )
