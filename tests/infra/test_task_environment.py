"""The task definition sets exactly what the backend reads (``backend/geoapi/envvars.py``).

A variable the stack sets and the backend never reads is dead configuration; a variable the
backend expects from the task definition and the stack never sets is a default nobody chose
(gunicorn on the wrong port, the worker count not following the task's CPU, links built on
the internal origin). Both directions are checked, per shipped environment.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from backend.geoapi import envvars as ev
from environment.config import load_environments
from tests.synth import ROOT, task_definition

ENVS = {env.name: env for env in load_environments([ROOT / "envs"])}
BACKEND = ROOT / "backend" / "geoapi"


def _container(stack: dict) -> dict:
    [definition] = json.loads(task_definition(stack)["container_definitions"])
    return definition


def names_read_by_the_backend() -> set[str]:
    """Every ``envvars`` constant some backend module other than envvars.py uses (``ev.NAME``)."""
    constants = {name for name in dir(ev) if name.isupper() and isinstance(getattr(ev, name), str)}
    used: set[str] = set()
    for path in BACKEND.rglob("*.py"):
        if path.name == "envvars.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in constants:
                used.add(getattr(ev, node.attr))
            elif isinstance(node, ast.Constant) and node.value in {getattr(ev, c) for c in constants}:
                used.add(node.value)
    return used


@pytest.mark.parametrize("name", sorted(ENVS))
def test_the_task_definition_sets_exactly_the_task_definition_variables(stacks, name):
    container = _container(stacks[f"env-{name}"])
    plain = {item["name"]: item["value"] for item in container["environment"]}
    assert set(plain) == set(ev.TASK_DEFINITION), (
        f"env-{name}: set but not in envvars.TASK_DEFINITION: {sorted(set(plain) - set(ev.TASK_DEFINITION))}; "
        f"in TASK_DEFINITION but not set: {sorted(set(ev.TASK_DEFINITION) - set(plain))}"
    )
    api = ENVS[name].api
    assert plain[ev.PORT] == str(api.container_port) == str(container["portMappings"][0]["containerPort"])
    assert plain[ev.CPU_UNITS] == str(api.cpu)
    assert plain[ev.LOG_LEVEL] == api.log_level
    assert plain[ev.PUBLIC_URL].endswith("/api") and plain[ev.PUBLIC_URL].startswith("https://")
    assert not container.get("secrets"), "secret values never enter the task definition: the backend reads them by ARN"


def test_the_backend_reads_every_variable_the_task_definition_sets():
    unread = set(ev.TASK_DEFINITION) - names_read_by_the_backend()
    assert not unread, f"the task definition sets {sorted(unread)} but nothing in backend/geoapi reads them"


def test_the_reader_check_can_fail(tmp_path: Path):
    """The scan above finds uses by attribute and by literal; a name used nowhere is not found."""
    assert "NO_SUCH_VARIABLE_X" not in names_read_by_the_backend()
    assert ev.DB_SECRET_ARN in names_read_by_the_backend()
