"""The frontend publish role on the synthesized staging and production stacks (issue 14).

GIVEN envs/staging.toml and envs/production.toml with ``[publish] jenkins_principal_arn``
THEN each env stack has ``geoapp-frontend-publish-<env>``: only that principal may assume it, it
carries the environment's boundary, and its policy writes under the env's assets prefix,
invalidates the env's distribution and reads the publish-target parameter, nothing else.
The boundary (bootstrap stack) lets exactly that through, for that role only.
"""

from __future__ import annotations

import json

import pytest

from environment.config import load_environments
from environment.names import frontend_publish_role_name, publish_target_parameter_name
from tests.gates.iam_analysis import authorized, concrete, jsonencode_policy
from tests.synth import ROOT, resources_of

CLOUD_ENVS = ("staging", "production")


def configs():
    return {e.name: e for e in load_environments([ROOT / "envs"])}


def publish_parts(stack: dict) -> tuple[dict, dict, dict]:
    """(role, its inline policy document, the SSM parameter) of the publish role."""
    (role_id, role), *more = [(k, r) for k, r in resources_of(stack, "aws_iam_role").items() if "frontend-publish" in k]
    assert not more
    (policy,) = [p for p in resources_of(stack, "aws_iam_role_policy").values() if p["role"] == f"${{aws_iam_role.{role_id}.id}}"]
    (parameter,) = resources_of(stack, "aws_ssm_parameter").values()
    return role, jsonencode_policy(policy["policy"]), parameter


def bucket_ref(stack: dict) -> str:
    (bucket_id,) = [k for k, b in resources_of(stack, "aws_s3_bucket").items() if b.get("bucket_prefix", "").endswith("-assets-")]
    return f"${{aws_s3_bucket.{bucket_id}.arn}}"


def distribution_ref(stack: dict) -> str:
    (dist_id,) = resources_of(stack, "aws_cloudfront_distribution")
    return f"${{aws_cloudfront_distribution.{dist_id}.arn}}"


@pytest.mark.parametrize("env", CLOUD_ENVS)
def test_only_the_jenkins_principal_assumes_the_role_and_it_carries_the_boundary(stacks, env):
    config = configs()[env]
    role, _, _ = publish_parts(stacks[f"env-{env}"])

    assert role["name"] == frontend_publish_role_name(env) == f"geoapp-frontend-publish-{env}"
    trust = json.loads(role["assume_role_policy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"AWS": config.publish.jenkins_principal_arn}, "Action": "sts:AssumeRole"}
    ]
    assert role["permissions_boundary"].endswith(f":policy/geoapp-ci-{env}-boundary")


@pytest.mark.parametrize("env", CLOUD_ENVS)
def test_the_role_writes_under_its_prefix_invalidates_its_distribution_and_nothing_else(stacks, env):
    config, stack = configs()[env], stacks[f"env-{env}"]
    _, policy, parameter = publish_parts(stack)
    prefix, bucket = config.frontend.assets_prefix, bucket_ref(stack)
    grants = {(a, r) for s in policy["Statement"] for a in _list(s["Action"]) for r in _list(s["Resource"])}
    param_ref = "${aws_ssm_parameter." + next(iter(resources_of(stack, "aws_ssm_parameter"))) + ".arn}"

    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    assert grants == {
        ("s3:ListBucket", bucket),
        ("s3:GetObject", f"{bucket}/{prefix}/*"),
        ("s3:PutObject", f"{bucket}/{prefix}/*"),
        ("s3:DeleteObject", f"{bucket}/{prefix}/*"),
        ("kms:GenerateDataKey", "${aws_kms_key.key_F64E54E4.arn}"),
        ("kms:Decrypt", "${aws_kms_key.key_F64E54E4.arn}"),
        ("cloudfront:CreateInvalidation", distribution_ref(stack)),
        ("cloudfront:GetInvalidation", distribution_ref(stack)),
        ("ssm:GetParameter", param_ref),
    }
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ListTheAssetsPrefix"]["Condition"] == {"StringLike": {"s3:prefix": [f"{prefix}/", f"{prefix}/*"]}}
    assert by_sid["EncryptThroughS3"]["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{config.aws.region}.amazonaws.com"}}
    assert parameter["name"] == publish_target_parameter_name(config) and parameter["type"] == "String"
    for output in ("assets_bucket", "assets_prefix", "cloudfront_distribution_id"):
        assert f'"{output}" = ' in parameter["value"]


def test_no_publish_role_without_a_jenkins_principal(stacks):
    assert configs()["local"].publish.jenkins_principal_arn is None
    local = stacks["env-local"]
    assert not [k for k in resources_of(local, "aws_iam_role") if "frontend-publish" in k]
    assert not resources_of(local, "aws_ssm_parameter")


def _boundary(stacks, config) -> dict:
    from environment.names import bootstrap_stack_name, permissions_boundary_name

    policies = resources_of(stacks[bootstrap_stack_name(config.state.bucket)], "aws_iam_policy").values()
    (policy,) = [p for p in policies if p["name"] == permissions_boundary_name(config.name)]
    return concrete(policy["policy"], account=config.aws.account_id)


@pytest.mark.parametrize("env", CLOUD_ENVS)
def test_the_boundary_lets_the_publisher_delete_and_invalidate_and_no_other_role(stacks, env):
    config = configs()[env]
    account, region, tag = config.aws.account_id, config.aws.region, config.tags.Environment
    boundary = _boundary(stacks, config)
    requests = [
        ("s3:DeleteObject", f"arn:aws:s3:::geo-data-app-{env}-assets-1/{config.frontend.assets_prefix}/index.html"),
        ("cloudfront:CreateInvalidation", f"arn:aws:cloudfront::{account}:distribution/E2EXAMPLE"),
        ("ssm:GetParameter", f"arn:aws:ssm:{region}:{account}:parameter/geo-data-app-{env}/frontend-publish"),
    ]
    publisher = f"arn:aws:iam::{account}:role/geoapp-frontend-publish-{env}"
    task = f"arn:aws:iam::{account}:role/geo-data-app-{env}-api-task"
    for action, resource in requests:
        identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
        context = {"aws:ResourceTag/Environment": tag}
        assert authorized(publisher, action, resource, policies=[identity], boundary=boundary, context=context), action
        assert not authorized(task, action, resource, policies=[identity], boundary=boundary, context=context), action
    other = {"aws:ResourceTag/Environment": "someone-else"}
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudfront:CreateInvalidation", "Resource": "*"}]}
    assert not authorized(publisher, "cloudfront:CreateInvalidation", requests[1][1], policies=[identity], boundary=boundary, context=other)


def _list(value) -> list:
    return value if isinstance(value, list) else [value]
