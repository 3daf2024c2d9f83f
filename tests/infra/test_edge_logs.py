"""CloudFront access logs and WAF logs (issue 14), on the synthesized staging and production stacks.

GIVEN envs/staging.toml ([logs] retention_days 90) and envs/production.toml (365)
THEN the distribution logs to the edge log bucket, the web ACL logs there too (tokens and cookies
redacted), and the bucket is encrypted with the env key, blocks public access, expires objects
after retention_days and lets only AWS log delivery of this account write.
"""

from __future__ import annotations

import fnmatch
import json

import pytest

from environment.config import load_environments
from environment.names import edge_log_bucket_name, name_prefix
from tests.gates.iam_analysis import jsonencode_policy
from tests.synth import ROOT, only, resources_of

CLOUD_ENVS = ("staging", "production")


def config_of(env: str):
    return {e.name: e for e in load_environments([ROOT / "envs"])}[env]


def resources_of_data(stack: dict, dtype: str) -> dict:
    return stack.get("data", {}).get(dtype, {})


def log_bucket(stack: dict) -> tuple[str, dict]:
    (found,) = [(k, b) for k, b in resources_of(stack, "aws_s3_bucket").items() if k.startswith("edge-logs_bucket_")]
    return found


def of_bucket(stack: dict, rtype: str, bucket_id: str) -> dict:
    (found,) = [r for r in resources_of(stack, rtype).values() if r["bucket"] == f"${{aws_s3_bucket.{bucket_id}.id}}"]
    return found


@pytest.mark.parametrize("env", CLOUD_ENVS)
def test_the_distribution_and_the_web_acl_log_to_the_edge_log_bucket(stacks, env):
    stack = stacks[f"env-{env}"]
    bucket_id, bucket = log_bucket(stack)
    assert bucket["bucket"] == edge_log_bucket_name(config_of(env)) and bucket["bucket"].startswith("aws-waf-logs-")

    logging = only(stack, "aws_cloudfront_distribution")["logging_config"]
    assert logging == {"bucket": f"${{aws_s3_bucket.{bucket_id}.bucket_domain_name}}", "prefix": "cloudfront/", "include_cookies": False}

    waf = only(stack, "aws_wafv2_web_acl_logging_configuration")
    (acl_id,) = resources_of(stack, "aws_wafv2_web_acl")
    assert waf["resource_arn"] == f"${{aws_wafv2_web_acl.{acl_id}.arn}}"
    assert waf["log_destination_configs"] == [f"${{aws_s3_bucket.{bucket_id}.arn}}"]
    assert waf["provider"] == "aws.edge", "a CloudFront web ACL is managed in us-east-1"
    assert {f["single_header"]["name"] for f in waf["redacted_fields"]} == {"authorization", "cookie"}


@pytest.mark.parametrize("env", CLOUD_ENVS)
def test_the_log_bucket_is_encrypted_private_and_expires_logs_after_the_retention(stacks, env):
    stack, config = stacks[f"env-{env}"], config_of(env)
    bucket_id, bucket = log_bucket(stack)

    sse = of_bucket(stack, "aws_s3_bucket_server_side_encryption_configuration", bucket_id)["rule"][0]
    assert sse["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": "${aws_kms_key.key_F64E54E4.arn}",
    }
    block = of_bucket(stack, "aws_s3_bucket_public_access_block", bucket_id)
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    (rule,) = of_bucket(stack, "aws_s3_bucket_lifecycle_configuration", bucket_id)["rule"]
    assert rule["expiration"] == [{"days": config.logs.retention_days}] and rule["status"] == "Enabled"
    assert rule["filter"] == [{"prefix": ""}], "every object, CloudFront's and WAF's"
    ownership = of_bucket(stack, "aws_s3_bucket_ownership_controls", bucket_id)
    assert ownership["rule"]["object_ownership"] == "BucketOwnerPreferred", "CloudFront standard logging writes through the ACL"
    assert not [a for a in resources_of(stack, "aws_s3_bucket_acl").values()], "no ACL grant of ours: only CloudFront's own"
    assert bucket.get("force_destroy") is (not config.is_production)


@pytest.mark.parametrize("env", CLOUD_ENVS)
def test_only_this_accounts_log_delivery_writes_and_only_over_tls(stacks, env):
    stack, config = stacks[f"env-{env}"], config_of(env)
    bucket_id, _ = log_bucket(stack)
    policy = jsonencode_policy(of_bucket(stack, "aws_s3_bucket_policy", bucket_id)["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"DenyInsecureTransport", "WafLogDeliveryWrites", "WafLogDeliveryChecksTheAcl"}
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"
    assert by_sid["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    writes = by_sid["WafLogDeliveryWrites"]
    assert writes["Principal"] == {"Service": "delivery.logs.amazonaws.com"} and writes["Action"] == "s3:PutObject"
    (account_id,) = [k for k in resources_of_data(stack, "aws_caller_identity") if k.startswith("edge-logs_account_")]
    account = f"${{data.aws_caller_identity.{account_id}.account_id}}"
    assert writes["Resource"] == f"${{aws_s3_bucket.{bucket_id}.arn}}/AWSLogs/{account}/*"
    assert writes["Condition"]["StringEquals"] == {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": account}

    key_policy = jsonencode_policy(resources_of(stack, "aws_kms_key")["key_F64E54E4"]["policy"])
    (delivery,) = [s for s in key_policy["Statement"] if s.get("Principal") == {"Service": "delivery.logs.amazonaws.com"}]
    assert (
        set(delivery["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"} and "aws:SourceAccount" in delivery["Condition"]["StringEquals"]
    )
    assert config.aws.account_id  # the provider is pinned to it (tests/gates/test_policies.py)


def test_the_deploy_role_may_manage_the_log_bucket_and_the_waf_log_delivery():
    from modules.ci import deploy_policy
    from modules.ci.environment import CiEnvironment

    config = config_of("staging")
    env = CiEnvironment.from_config(config, name_prefix=name_prefix(config))
    policy = deploy_policy(env, partition="aws", account=config.aws.account_id, role_name_prefix="geoapp-ci", boundary_arn="arn:b")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    bucket_arn = f"arn:aws:s3:::{edge_log_bucket_name(config)}"
    assert any(fnmatch.fnmatchcase(bucket_arn, r) for r in by_sid["EnvironmentBuckets"]["Resource"])
    assert not any(
        fnmatch.fnmatchcase("arn:aws:s3:::aws-waf-logs-geo-data-app-production-1", r) for r in by_sid["EnvironmentBuckets"]["Resource"]
    )
    assert "logs:CreateLogDelivery" in by_sid["WafLogDelivery"]["Action"]
    assert json.dumps(by_sid["WafLogDelivery"]).count("logs:") == 5
