"""ops.ci: the facts workflows read from envs/*.toml."""

from __future__ import annotations

import json

from environment.names import ci_role_name
from ops import ci
from ops.stack_outputs import load_env_config
from tests.synth import ROOT

ENVS = ROOT / "envs"


def test_role_names_agree_with_the_construct():
    for kind in ("plan", "deploy"):
        assert ci.role_arn("210987654321", "staging", kind).endswith(":role/" + ci_role_name("staging", kind))


def test_matrix_lists_cloud_environments_only(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "matrix"]) == 0
    names = json.loads(capsys.readouterr().out)
    assert "local" not in names and {"staging", "production"} <= set(names)
    assert ci.cloud_environments(ENVS, "production") == ["production"]
    assert "production" not in ci.cloud_environments(ENVS, "nonproduction")


def test_github_environments_default_to_the_env_name(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "github-environments"]) == 0
    mapping = json.loads(capsys.readouterr().out)
    assert mapping["staging"] == "staging" and set(mapping) == set(ci.cloud_environments(ENVS))


def test_env_facts_for_github_output(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "env", "staging"]) == 0
    facts = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert facts == {
        "stack": "env-staging",
        "region": "eu-west-1",
        "account_id": "210987654321",
        "tier": "staging",
        "plan_role_arn": "arn:aws:iam::210987654321:role/geoapp-ci-staging-plan",
        "deploy_role_arn": "arn:aws:iam::210987654321:role/geoapp-ci-staging-deploy",
        "ecr_registry": "210987654321.dkr.ecr.eu-west-1.amazonaws.com",
        "ecr_repository": "geoapp/api-staging",
        "image_tag": load_env_config("staging", ENVS).api.image.tag,
        "github_environment": "staging",
    }


def test_unknown_environment_is_one_line(capsys):
    assert ci.main(["--envs-dir", str(ENVS), "env", "nope"]) == 1
    assert "no environment 'nope'" in capsys.readouterr().err
