"""env-production through validation without an Auth0 provider here (issue 14).

Everything but the Auth0 blocks goes through a real ``terraform validate`` (the AWS provider from the
local mirror); the Auth0 blocks' arguments are checked against ``fixtures/auth0_provider_schema.json``,
recorded from the provider's Go source at the tags bounding the pinned ``~> 1.0``
(``fixtures/record_auth0_schema.py`` says how). CI on GitHub validates and plans with the real provider.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "auth0_provider_schema.json"
META_ARGUMENTS = {"//", "provider", "depends_on", "lifecycle", "count", "for_each"}
_REFERENCE = re.compile(r"\bauth0_[a-z_]+\.[\w-]+(?:\.[\w-]+|\[\d+\])+")


def schema() -> dict:
    return json.loads(FIXTURE.read_text())


def without_auth0(stack: dict) -> dict:
    """A copy with the auth0 provider and resources removed and each reference to them a string literal."""
    doc = copy.deepcopy(stack)
    doc["provider"].pop("auth0")
    doc["terraform"]["required_providers"].pop("auth0")
    doc["terraform"].pop("backend", None)
    doc["resource"] = {t: r for t, r in doc["resource"].items() if not t.startswith("auth0_")}

    def strip(value):
        if isinstance(value, str):
            return _REFERENCE.sub('"auth0-stripped"', value)
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        return value

    return strip(doc)


def unknown_arguments(block: dict, names: dict, where: str) -> list[str]:
    """Arguments of ``block`` (nested blocks too) that the recorded schema does not have."""
    problems = []
    for key, value in block.items():
        if key in META_ARGUMENTS:
            continue
        if key not in names:
            problems.append(f"{where}.{key}")
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and names[key]:
                problems += unknown_arguments(item, names[key], f"{where}.{key}")
    return problems


def auth0_problems(stack: dict, recorded: dict) -> list[str]:
    blocks = recorded["blocks"]
    problems = []
    for provider in stack["provider"]["auth0"]:
        problems += unknown_arguments(provider, blocks["provider"], "provider.auth0")
    for rtype, resources in stack["resource"].items():
        if not rtype.startswith("auth0_"):
            continue
        if rtype not in blocks:
            problems.append(f"{rtype}: not in the recorded schema")
            continue
        for rid, resource in resources.items():
            problems += unknown_arguments(resource, blocks[rtype], f"{rtype}.{rid}")
    return problems


def test_the_fixture_names_its_source_and_version():
    recorded = schema()
    assert recorded["constraint"] == "~> 1.0" and recorded["source"] == "https://github.com/auth0/terraform-provider-auth0"
    assert set(recorded["tags"]) == {"v1.0.0", "v1.55.0"} and all(re.fullmatch(r"[0-9a-f]{40}", c) for c in recorded["tags"].values())
    from modules.auth0.binding import PROVIDER_VERSION_CONSTRAINT

    assert recorded["constraint"] == PROVIDER_VERSION_CONSTRAINT, "re-record the fixture when the pin moves"


def test_production_has_auth0_blocks_and_each_argument_is_in_the_providers_schema(stacks):
    stack = stacks["env-production"]
    assert {t for t in stack["resource"] if t.startswith("auth0_")} >= {"auth0_client", "auth0_resource_server", "auth0_role"}
    assert auth0_problems(stack, schema()) == []


def test_an_argument_the_provider_does_not_have_is_caught(stacks):
    stack = copy.deepcopy(stacks["env-production"])
    (client,) = stack["resource"]["auth0_client"].values()
    client["token_endpoint_auth_method"] = "none"  # an auth0_client argument of provider 0.x, gone in 1.0
    refresh = client["refresh_token"]
    (refresh[0] if isinstance(refresh, list) else refresh)["rotation"] = "rotating"
    rid = next(iter(stack["resource"]["auth0_client"]))
    assert sorted(auth0_problems(stack, schema())) == [
        f"auth0_client.{rid}.refresh_token.rotation",
        f"auth0_client.{rid}.token_endpoint_auth_method",
    ]


def test_everything_but_the_auth0_blocks_passes_terraform_validate(stacks, terraform_validate):
    stripped = without_auth0(stacks["env-production"])
    assert "auth0" not in json.dumps(stripped["provider"]) and not [t for t in stripped["resource"] if t.startswith("auth0_")]
    assert not _REFERENCE.search(json.dumps(stripped))
    assert "Success" in terraform_validate(stripped)
