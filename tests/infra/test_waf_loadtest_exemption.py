"""[loadtest] source_cidrs on the WAF's rate rule (issue 14), on the synthesized staging stack.

GIVEN envs/staging.toml plus a [loadtest] section
THEN the rate rule does not count those CIDRs (a scope-down NOT the IP set), the managed rules still
apply to them, Terraform validates it, and synth warns once ``expires`` has passed.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from environment.config import parse_environment
from tests.synth import ROOT, resources_of

STAGING = ROOT / "envs" / "staging.toml"


def staging_with(extra: str):
    return parse_environment(STAGING, STAGING.read_text(encoding="utf-8") + extra)


def loadtest(expires: date) -> str:
    return f'\n[loadtest]\nsource_cidrs = ["203.0.113.0/24", "198.51.100.7/32"]\nexpires = {expires.isoformat()}\n'


def build(config):
    """(stack construct, its Terraform JSON) of env-staging built from ``config``."""
    from cdktf import Testing

    from stacks.env import EnvironmentStack

    stack = EnvironmentStack(Testing.app(), "env-staging", config=config)
    return stack, json.loads(Testing.synth(stack))


def warnings(stack) -> list[str]:
    return [str(entry.data) for entry in stack.node.metadata if entry.type == "@cdktf/warn"]


@pytest.fixture(scope="module")
def exempted():
    return build(staging_with(loadtest(date.today() + timedelta(days=30))))


def rate_rule(stack_json: dict) -> dict:
    (acl,) = resources_of(stack_json, "aws_wafv2_web_acl").values()
    return next(r for r in acl["rule"] if r["name"] == "rate-limit-per-ip")


def test_the_rate_rule_does_not_count_the_load_test_sources(exempted):
    stack, stack_json = exempted
    (set_id, ip_set), *more = resources_of(stack_json, "aws_wafv2_ip_set").items()
    assert not more
    assert sorted(ip_set["addresses"]) == ["198.51.100.7/32", "203.0.113.0/24"]
    assert ip_set["scope"] == "CLOUDFRONT" and ip_set["ip_address_version"] == "IPV4"
    assert ip_set["provider"] == "aws.edge", "CloudFront-scope IP sets live in us-east-1"
    rate = rate_rule(stack_json)["statement"]["rate_based_statement"]
    assert rate["limit"] == 2000 and rate["aggregate_key_type"] == "IP"
    assert rate["scope_down_statement"] == {
        "not_statement": {"statement": [{"ip_set_reference_statement": {"arn": f"${{aws_wafv2_ip_set.{set_id}.arn}}"}}]}
    }
    (acl,) = resources_of(stack_json, "aws_wafv2_web_acl").values()
    managed = [r for r in acl["rule"] if "managed_rule_group_statement" in r["statement"]]
    assert len(managed) == 4 and all("scope_down_statement" not in r["statement"]["managed_rule_group_statement"] for r in managed)
    assert warnings(stack) == [], "not expired: no warning"


def test_terraform_validates_the_exempting_rule(exempted, terraform_validate):
    _, stack_json = exempted
    stack_json = {**stack_json, "terraform": {k: v for k, v in stack_json["terraform"].items() if k != "backend"}}
    assert "Success" in terraform_validate(stack_json)


def test_synth_warns_once_the_exemption_has_expired():
    stack, stack_json = build(staging_with(loadtest(date.today() - timedelta(days=1))))
    (warning,) = warnings(stack)
    assert "envs/staging.toml: loadtest.expires" in warning and "has passed" in warning
    assert "203.0.113.0/24" in warning and "remove [loadtest] source_cidrs" in warning
    assert resources_of(stack_json, "aws_wafv2_ip_set"), "the exemption stays until someone removes it (synth only warns)"


def test_without_load_test_sources_every_address_is_rate_limited(stacks):
    for name in ("staging", "production"):
        stack_json = stacks[f"env-{name}"]
        assert not resources_of(stack_json, "aws_wafv2_ip_set")
        assert "scope_down_statement" not in rate_rule(stack_json)["statement"]["rate_based_statement"]
