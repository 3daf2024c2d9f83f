"""StaticSite (modules/site/): private assets bucket + CloudFront (SPA at /, API at /api/*) + security headers, asserted on the synthesized JSON."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from environment.config import SiteSettings, load_environments
from environment.site_headers import SECURITY_HEADERS, content_security_policy
from modules.site import (
    ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID,
    CACHING_DISABLED_POLICY_ID,
    CACHING_OPTIMIZED_POLICY_ID,
    SPA_ROUTING_FUNCTION_CODE,
    StaticSite,
)
from tests.gates.iam_analysis import jsonencode_policy
from tests.synth import ROOT, only, resources_of

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8877-665544332211"
NLB = "geoapp-staging-nlb-0123456789.elb.eu-west-1.amazonaws.com"
VPC_ORIGIN_ID = "vo_0123456789abcdefghijkl"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef"
CNAME_SITE = SiteSettings(cname="app.example.com", certificate_arn=CERT, price_class="PriceClass_200")
AUTH_ORIGIN = "https://geoapp-staging.eu.auth0.com"


def build(aws_stack, synth, **overrides):
    """GIVEN a StaticSite with the defaults below (overridable), WHEN synthesized, THEN (stack JSON, construct)."""
    stack = aws_stack()
    args = {
        "name_prefix": "geoapp-staging",
        "assets_prefix": "site/current",
        "api_origin_domain": NLB,
        "api_vpc_origin_id": VPC_ORIGIN_ID,
        "site": SiteSettings(),
        "kms_key_arn": KEY_ARN,
        "auth_origin": AUTH_ORIGIN,
    }
    site = StaticSite(stack, "site", **{**args, **overrides})
    return synth(stack), site


def ref(stack: dict, rtype: str, attribute: str) -> str:
    """``${<rtype>.<the only logical id>.<attribute>}``."""
    (logical_id,) = resources_of(stack, rtype)
    return f"${{{rtype}.{logical_id}.{attribute}}}"


def origin(distribution: dict, origin_id: str) -> dict:
    (found,) = [o for o in distribution["origin"] if o["origin_id"] == origin_id]
    return found


# --------------------------------------------------------------------------- /api/*


def test_api_behaviour_goes_to_the_nlb_uncached_with_every_method_and_all_viewer_values(aws_stack, synth):
    stack, _ = build(aws_stack, synth)
    distribution = only(stack, "aws_cloudfront_distribution")

    (api,) = distribution["ordered_cache_behavior"]
    assert api["path_pattern"] == "/api/*"
    assert sorted(api["allowed_methods"]) == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    assert api["viewer_protocol_policy"] == "redirect-to-https"
    # Caching off: Managed-CachingDisabled (TTLs 0). Authorization, cookies and every query string
    # forwarded: Managed-AllViewerExceptHostHeader. No legacy forwarded_values/TTLs that could override.
    assert api["cache_policy_id"] == CACHING_DISABLED_POLICY_ID == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    assert api["origin_request_policy_id"] == ALL_VIEWER_EXCEPT_HOST_HEADER_POLICY_ID == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert not {"forwarded_values", "min_ttl", "default_ttl", "max_ttl"} & set(api)

    target = origin(distribution, api["target_origin_id"])
    assert target["domain_name"] == NLB
    # the internal NLB is reached through its VPC origin only (port and protocol are the VPC origin's)
    assert target["vpc_origin_config"] == {"vpc_origin_id": VPC_ORIGIN_ID}
    assert "custom_origin_config" not in target


def test_spa_routing_never_touches_api_responses(aws_stack, synth):
    # GIVEN the default SPA fallback, THEN no distribution-wide error rewriting exists (it would turn
    # the API's 403/404 into 200 + index.html) and the routing function is not on /api/*.
    stack, _ = build(aws_stack, synth)
    distribution = only(stack, "aws_cloudfront_distribution")
    assert "custom_error_response" not in distribution
    (api,) = distribution["ordered_cache_behavior"]
    assert "function_association" not in api


# --------------------------------------------------------------------------- default behaviour


def test_default_behaviour_serves_the_bucket_at_the_assets_prefix_through_oac(aws_stack, synth):
    stack, _ = build(aws_stack, synth, assets_prefix="releases/2026-11-26")
    distribution = only(stack, "aws_cloudfront_distribution")
    default = distribution["default_cache_behavior"]
    assets = origin(distribution, default["target_origin_id"])

    assert assets["origin_path"] == "/releases/2026-11-26"
    assert assets["domain_name"] == ref(stack, "aws_s3_bucket", "bucket_regional_domain_name")
    assert assets["origin_access_control_id"] == ref(stack, "aws_cloudfront_origin_access_control", "id")
    assert "s3_origin_config" not in assets  # no legacy origin access identity
    assert default["viewer_protocol_policy"] == "redirect-to-https"
    assert default["cache_policy_id"] == CACHING_OPTIMIZED_POLICY_ID
    assert distribution["default_root_object"] == "index.html"

    oac = only(stack, "aws_cloudfront_origin_access_control")
    assert (oac["origin_access_control_origin_type"], oac["signing_behavior"], oac["signing_protocol"]) == ("s3", "always", "sigv4")


def test_distribution_settings(aws_stack, synth):
    stack, _ = build(aws_stack, synth, site=CNAME_SITE)
    distribution = only(stack, "aws_cloudfront_distribution")
    assert distribution["enabled"] is True
    assert distribution["price_class"] == "PriceClass_200"
    assert distribution["http_version"] == "http2and3"
    assert distribution["is_ipv6_enabled"] is True


# --------------------------------------------------------------------------- response headers


def test_both_behaviours_send_the_sites_response_headers_policy(aws_stack, synth):
    stack, _ = build(aws_stack, synth)
    distribution = only(stack, "aws_cloudfront_distribution")
    policy = ref(stack, "aws_cloudfront_response_headers_policy", "id")
    (api,) = distribution["ordered_cache_behavior"]
    assert distribution["default_cache_behavior"]["response_headers_policy_id"] == policy
    assert api["response_headers_policy_id"] == policy


def test_response_headers_policy_sends_hsts_nosniff_deny_referrer_policy_and_the_csp(aws_stack, synth):
    stack, site = build(aws_stack, synth)
    policy = only(stack, "aws_cloudfront_response_headers_policy")
    assert policy["name"] == "geoapp-staging-security-headers"
    headers = policy["security_headers_config"]
    assert headers["strict_transport_security"] == {
        "access_control_max_age_sec": 2 * 365 * 24 * 3600,
        "include_subdomains": True,
        "preload": True,
        "override": True,
    }
    assert headers["content_type_options"] == {"override": True}
    assert headers["frame_options"] == {"frame_option": "DENY", "override": True}
    assert headers["referrer_policy"] == {"referrer_policy": "strict-origin-when-cross-origin", "override": True}
    # the one CSP the browser tests serve the SPA with (environment/site_headers.py)
    assert headers["content_security_policy"] == {"content_security_policy": content_security_policy(AUTH_ORIGIN), "override": True}
    assert site.content_security_policy == content_security_policy(AUTH_ORIGIN)
    assert SECURITY_HEADERS["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


def csp_directive(csp: str, name: str) -> list[str]:
    (directive,) = [d.split() for d in csp.split(";") if d.split()[0] == name]
    return directive[1:]


def test_csp_lets_the_spa_reach_its_own_origin_the_sign_in_origin_and_basemaps_only(aws_stack, synth):
    stack, _ = build(aws_stack, synth, basemap_origins=["https://tiles.example.org"])
    csp = only(stack, "aws_cloudfront_response_headers_policy")["security_headers_config"]["content_security_policy"][
        "content_security_policy"
    ]
    assert csp_directive(csp, "connect-src") == ["'self'", AUTH_ORIGIN, "https://tiles.example.org"]
    assert csp_directive(csp, "img-src") == ["'self'", "data:", "blob:", "https://tiles.example.org"]
    assert csp_directive(csp, "script-src") == ["'self'"]
    assert csp_directive(csp, "frame-ancestors") == ["'none'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp


def test_each_env_stacks_csp_connects_to_that_envs_auth0_domain(stacks):
    configs = load_environments([ROOT / "envs"])
    assert configs
    for config in configs:
        stack = stacks[config.stack_name]
        (policy,) = resources_of(stack, "aws_cloudfront_response_headers_policy").values()
        csp = policy["security_headers_config"]["content_security_policy"]["content_security_policy"]
        assert csp_directive(csp, "connect-src") == ["'self'", f"https://{config.auth0.domain}"], config.stack_name


@pytest.mark.parametrize("bad", ["https://tiles.example.org/style.json", "tiles.example.org", "javascript:alert(1)"])
def test_a_basemap_origin_that_is_not_an_origin_is_refused(bad):
    with pytest.raises(ValueError, match="is not an origin"):
        content_security_policy(AUTH_ORIGIN, [bad])


# --------------------------------------------------------------------------- SPA fallback


def test_spa_fallback_function_rewrites_client_routes_on_the_default_behaviour(aws_stack, synth):
    stack, site = build(aws_stack, synth)
    function = only(stack, "aws_cloudfront_function")
    assert function["runtime"] == "cloudfront-js-2.0"
    assert function["publish"] is True
    assert function["code"] == SPA_ROUTING_FUNCTION_CODE
    default = only(stack, "aws_cloudfront_distribution")["default_cache_behavior"]
    assert default["function_association"] == [
        {"event_type": "viewer-request", "function_arn": ref(stack, "aws_cloudfront_function", "arn")}
    ]
    assert site.spa_routing_function is not None


@pytest.mark.parametrize(
    ("uri", "served"),
    [
        ("/", "/index.html"),
        ("/map", "/index.html"),
        ("/features/42/edit", "/index.html"),
        ("/features/", "/index.html"),
        ("/index.html", "/index.html"),
        ("/assets/app.3f9a.js", "/assets/app.3f9a.js"),
        ("/favicon.ico", "/favicon.ico"),
        ("/v1.2/logo.svg", "/v1.2/logo.svg"),
    ],
)
def test_spa_routing_function_code_serves_index_html_only_for_paths_without_a_file_extension(uri, served):
    # The real JavaScript, run by Node (which jsii needs anyway) with a CloudFront viewer-request event.
    node = shutil.which("node")
    assert node, "node is required by cdktf/jsii"
    script = SPA_ROUTING_FUNCTION_CODE + "\nprocess.stdout.write(JSON.stringify(handler(JSON.parse(process.argv[1]))));"
    event = {"version": "1.0", "context": {"eventType": "viewer-request"}, "request": {"method": "GET", "uri": uri, "headers": {}}}
    done = subprocess.run([node, "-e", script, json.dumps(event)], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout)["uri"] == served


def test_spa_fallback_error_responses_turn_403_and_404_into_index_html_with_200(aws_stack, synth):
    stack, site = build(aws_stack, synth, spa_fallback="error_responses")
    distribution = only(stack, "aws_cloudfront_distribution")
    responses = {r["error_code"]: r for r in distribution["custom_error_response"]}
    assert set(responses) == {403, 404}
    for response in responses.values():
        assert (response["response_code"], response["response_page_path"]) == (200, "/index.html")
    assert resources_of(stack, "aws_cloudfront_function") == {}
    assert "function_association" not in distribution["default_cache_behavior"]
    assert site.spa_routing_function is None


# --------------------------------------------------------------------------- certificate / alias


def test_without_cname_the_default_certificate_and_distribution_domain_are_used(aws_stack, synth):
    stack, _ = build(aws_stack, synth)
    distribution = only(stack, "aws_cloudfront_distribution")
    assert distribution["viewer_certificate"] == {"cloudfront_default_certificate": True}
    assert "aliases" not in distribution
    with_url = with_outputs(aws_stack, synth)
    assert with_url["output"]["site_url"]["value"] == "https://" + ref(with_url, "aws_cloudfront_distribution", "domain_name")


def test_with_cname_the_alias_and_its_acm_certificate_enforce_tls12(aws_stack, synth):
    stack, site = build(aws_stack, synth, site=CNAME_SITE)
    distribution = only(stack, "aws_cloudfront_distribution")
    assert distribution["aliases"] == ["app.example.com"]
    assert distribution["viewer_certificate"] == {
        "acm_certificate_arn": CERT,
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": "TLSv1.2_2021",
    }
    assert site.site_url == "https://app.example.com"


def with_outputs(aws_stack, synth) -> dict:
    """A default StaticSite whose ``site_url`` is read back through an output."""
    from cdktf import TerraformOutput

    stack = aws_stack()
    site = StaticSite(
        stack,
        "site",
        name_prefix="geoapp-staging",
        assets_prefix="a",
        api_origin_domain=NLB,
        api_vpc_origin_id=VPC_ORIGIN_ID,
        site=SiteSettings(),
        kms_key_arn=KEY_ARN,
        auth_origin=AUTH_ORIGIN,
    )
    TerraformOutput(stack, "site_url", value=site.site_url)
    return synth(stack)


# --------------------------------------------------------------------------- bucket


def test_bucket_is_private_versioned_and_encrypted_with_the_environment_key(aws_stack, synth):
    stack, site = build(aws_stack, synth)
    bucket_id = ref(stack, "aws_s3_bucket", "id")
    assert only(stack, "aws_s3_bucket") == {"bucket_prefix": "geoapp-staging-assets-", "force_destroy": False}

    block = only(stack, "aws_s3_bucket_public_access_block")
    assert block["bucket"] == bucket_id
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    ownership = only(stack, "aws_s3_bucket_ownership_controls")
    assert (ownership["bucket"], ownership["rule"]) == (bucket_id, {"object_ownership": "BucketOwnerEnforced"})
    versioning = only(stack, "aws_s3_bucket_versioning")
    assert (versioning["bucket"], versioning["versioning_configuration"]["status"]) == (bucket_id, "Enabled")
    (rule,) = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY_ARN}
    assert rule["bucket_key_enabled"] is True


def test_bucket_policy_allows_only_this_distribution_and_only_tls(aws_stack, synth):
    stack, _ = build(aws_stack, synth)
    bucket_arn = ref(stack, "aws_s3_bucket", "arn")
    (document_id,) = stack["data"]["aws_iam_policy_document"]
    policy = only(stack, "aws_s3_bucket_policy")
    assert policy["bucket"] == ref(stack, "aws_s3_bucket", "id")
    assert policy["policy"] == f"${{data.aws_iam_policy_document.{document_id}.json}}"

    statements = {s["sid"]: s for s in stack["data"]["aws_iam_policy_document"][document_id]["statement"]}
    assert set(statements) == {"DenyInsecureTransport", "AllowCloudFrontOriginAccessControl"}
    deny = statements["DenyInsecureTransport"]
    assert (deny["effect"], deny["actions"], deny["resources"]) == ("Deny", ["s3:*"], [bucket_arn, f"{bucket_arn}/*"])
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]

    allow = statements["AllowCloudFrontOriginAccessControl"]
    assert allow["effect"] == "Allow"
    assert allow["principals"] == [{"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]}]
    assert (allow["actions"], allow["resources"]) == (["s3:GetObject"], [f"{bucket_arn}/*"])
    assert allow["condition"] == [
        {"test": "StringEquals", "variable": "AWS:SourceArn", "values": [ref(stack, "aws_cloudfront_distribution", "arn")]}
    ]


def test_cloudfront_can_decrypt_the_assets_because_their_bucket_uses_the_key_that_grants_it(stacks):
    # GIVEN every env stack, THEN the bucket the distribution's S3 origin reads is SSE-KMS with a
    # key whose policy lets CloudFront decrypt for this account's distributions, and no key
    # grants CloudFront anything else: a CloudFront statement on a key no served bucket uses
    # (a dead statement), or an SSE-KMS assets bucket without one (403 at every edge), fails.
    for name, stack in stacks.items():
        if not name.startswith("env-"):
            continue
        distribution = only(stack, "aws_cloudfront_distribution")
        assets = origin(distribution, distribution["default_cache_behavior"]["target_origin_id"])
        (bucket_id,) = re.fullmatch(r"\$\{aws_s3_bucket\.([\w-]+)\.bucket_regional_domain_name\}", assets["domain_name"]).groups()
        (sse,) = [
            c
            for c in resources_of(stack, "aws_s3_bucket_server_side_encryption_configuration").values()
            if c["bucket"] == f"${{aws_s3_bucket.{bucket_id}.id}}"
        ]
        (rule,) = sse["rule"]
        assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms", name
        key_ref = rule["apply_server_side_encryption_by_default"]["kms_master_key_id"]

        granting = {}
        for key_id, key in resources_of(stack, "aws_kms_key").items():
            for statement in jsonencode_policy(key["policy"])["Statement"]:
                if "cloudfront.amazonaws.com" in json.dumps(statement.get("Principal")):
                    granting[f"${{aws_kms_key.{key_id}.arn}}"] = statement
        assert list(granting) == [key_ref], f"{name}: CloudFront is granted on {list(granting)}, the assets bucket uses {key_ref}"
        statement = granting[key_ref]
        assert statement["Effect"] == "Allow" and statement["Action"] in ("kms:Decrypt", ["kms:Decrypt"]), name
        (source,) = statement["Condition"]["StringLike"].values()
        assert re.fullmatch(r"arn:\$\{[\w.-]+\}:cloudfront::\$\{[\w.-]+\}:distribution/\*", source), f"{name}: {source}"


def test_force_destroy_is_passed_through(aws_stack, synth):
    stack, _ = build(aws_stack, synth, force_destroy=True)
    assert only(stack, "aws_s3_bucket")["force_destroy"] is True


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"assets_prefix": "/site/current"}, "assets_prefix '/site/current' must be non-empty, without leading or trailing '/'"),
        ({"assets_prefix": "site/"}, "assets_prefix 'site/' must be non-empty"),
        ({"name_prefix": "Geoapp"}, "name_prefix 'Geoapp' must be lower-case"),
        ({"name_prefix": "a-name-prefix-that-is-far-too-long"}, "is too long"),
        ({"spa_fallback": "lambda"}, "spa_fallback 'lambda' must be"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(aws_stack, synth, overrides, message):
    with pytest.raises(ValueError, match="StaticSite: ") as caught:
        build(aws_stack, synth, **overrides)
    assert message in str(caught.value)


# --------------------------------------------------------------------------- real Terraform


def test_both_fallback_modes_with_and_without_cname_pass_terraform_validate(aws_stack, synth, terraform_validate):
    stack = aws_stack()
    common = {
        "assets_prefix": "site/current",
        "api_origin_domain": NLB,
        "api_vpc_origin_id": VPC_ORIGIN_ID,
        "kms_key_arn": KEY_ARN,
        "auth_origin": AUTH_ORIGIN,
    }
    StaticSite(stack, "plain", name_prefix="geoapp-a", site=SiteSettings(), **common)
    StaticSite(stack, "cname", name_prefix="geoapp-b", site=CNAME_SITE, spa_fallback="error_responses", **common)
    assert "The configuration is valid" in terraform_validate(synth(stack))
