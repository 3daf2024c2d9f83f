"""Who may use which database credentials, in every synthesized environment.

The service connects as the application user and never sees the master secret; the loader task
(migrate, seed) has its own user; only the one-off admin task reads the master secret, and it
alone writes the two users' secrets. No user's password passes through Terraform.
"""

from __future__ import annotations

import json

import pytest

from backend.geoapi import envvars as ev
from environment.config import load_environments
from tests.gates.iam_analysis import jsonencode_policy
from tests.synth import ROOT, resources_of, task_definition

ENVS = {env.name: env for env in load_environments([ROOT / "envs"])}
MASTER = "master_user_secret"


def _env(stack: dict, family: str) -> dict[str, str]:
    [container] = json.loads(task_definition(stack, family)["container_definitions"])
    return {e["name"]: e["value"] for e in container["environment"]}


def _secret_ref(stack: dict, name: str) -> str:
    [rid] = [k for k, s in resources_of(stack, "aws_secretsmanager_secret").items() if s["name"].endswith(f"/{name}")]
    return f"${{aws_secretsmanager_secret.{rid}.arn}}"


def _policies_by_role(stack: dict) -> dict[str, str]:
    names = {rid: role["name"] for rid, role in resources_of(stack, "aws_iam_role").items()}
    return {
        names[p["role"].split(".")[1]]: p["policy"]
        for p in resources_of(stack, "aws_iam_role_policy").values()
        if "aws_iam_role." in p["role"]
    }


def _statement(policy: str, sid: str) -> dict | None:
    return next((s for s in jsonencode_policy(policy)["Statement"] if s.get("Sid") == sid), None)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_the_service_connects_as_the_app_user_and_never_references_the_master_secret(stacks, name):
    stack = stacks[f"env-{name}"]
    service_env = _env(stack, "api")
    assert service_env[ev.DB_SECRET_ARN] == _secret_ref(stack, "db-app")
    assert MASTER not in json.dumps(task_definition(stack, "api"))
    roles = _policies_by_role(stack)
    assert MASTER not in roles[f"geo-data-app-{name}-api-task"]
    assert MASTER not in roles[f"geo-data-app-{name}-api-execution"]


@pytest.mark.parametrize("name", sorted(ENVS))
def test_only_the_admin_task_reads_the_master_secret_and_writes_the_users_secrets(stacks, name):
    stack = stacks[f"env-{name}"]
    readers = sorted(role for role, policy in _policies_by_role(stack).items() if MASTER in policy)
    assert readers == [f"geo-data-app-{name}-db-admin-task"]
    writers = {role: _statement(policy, "WriteOwnSecrets") for role, policy in _policies_by_role(stack).items()}
    writers = {role: s for role, s in writers.items() if s is not None}
    assert list(writers) == [f"geo-data-app-{name}-db-admin-task"]
    assert sorted(writers[f"geo-data-app-{name}-db-admin-task"]["Resource"]) == sorted(
        [_secret_ref(stack, "db-app"), _secret_ref(stack, "db-loader")]
    )
    admin = _env(stack, "db-admin")
    assert set(admin) == set(ev.ADMIN_TASK)
    assert MASTER in admin[ev.DB_MASTER_SECRET_ARN]
    assert (admin[ev.DB_APP_SECRET_ARN], admin[ev.DB_LOADER_SECRET_ARN]) == (_secret_ref(stack, "db-app"), _secret_ref(stack, "db-loader"))
    [container] = json.loads(task_definition(stack, "db-admin")["container_definitions"])
    assert container["command"] == ["python", "-m", "geoapi", "users", "ensure"]


@pytest.mark.parametrize("name", sorted(ENVS))
def test_the_loader_task_has_its_own_user_and_alone_reads_the_seed_source(stacks, name):
    stack = stacks[f"env-{name}"]
    loader = _env(stack, "db-loader")
    assert set(loader) == set(ev.LOADER_TASK)
    assert loader[ev.DB_SECRET_ARN] == _secret_ref(stack, "db-loader")
    seed = ENVS[name].database.seed_source
    seed_readers = sorted(role for role, policy in _policies_by_role(stack).items() if _statement(policy, "ReadSeedData"))
    assert seed_readers == ([f"geo-data-app-{name}-db-loader-task"] if seed else [])


@pytest.mark.parametrize("name", sorted(ENVS))
def test_no_database_user_password_is_in_terraform(stacks, name):
    stack = stacks[f"env-{name}"]
    users = {_secret_ref(stack, "db-app")[2:-5], _secret_ref(stack, "db-loader")[2:-5]}
    versions = resources_of(stack, "aws_secretsmanager_secret_version").values()
    assert not [v for v in versions if any(u in v["secret_id"] for u in users)], "a user's secret has a value set by Terraform"
