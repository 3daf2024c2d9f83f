"""Auth0 managed mode: the hand-written binding's JSON, and its names against the provider's docs.

No mirror of ``auth0/auth0`` exists here, so a stack declaring it cannot be ``terraform
init``-ed: these tests assert on the synthesized JSON instead, and check every emitted
name against the documented schema of auth0/auth0 v1.0.0 and v1.55.0 (modules/auth0/ATTRIBUTES.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from environment.config import Auth0Settings, SiteSettings
from modules.auth0 import DOCUMENTED_ARGUMENTS, DOCUMENTED_COMPUTED, WRITE_SCOPE, Auth0Application
from modules.auth0.binding import argument_names
from tests.synth import only, resources_of

SETTINGS = Auth0Settings(mode="managed", domain="geoapp-staging.eu.auth0.com", audience="https://api.staging.geoapp.example.com")
SITE = "https://app.staging.geoapp.example.com"
ATTRIBUTES_MD = Path(__file__).resolve().parents[2] / "modules" / "auth0" / "ATTRIBUTES.md"

# The provider's documented schema (arguments; nested blocks as block.argument), copied by hand from
# docs/index.md and docs/resources/*.md of auth0/terraform-provider-auth0 and present at BOTH v1.0.0
# and v1.55.0. https://registry.terraform.io/providers/auth0/auth0/latest/docs/resources/<name>
DOCUMENTED = {
    "provider": {"api_token", "audience", "client_id", "client_secret", "debug", "domain"},
    "auth0_client": {
        "name",
        "addons",
        "allowed_clients",
        "allowed_logout_urls",
        "allowed_origins",
        "app_type",
        "callbacks",
        "client_aliases",
        "client_metadata",
        "cross_origin_auth",
        "cross_origin_loc",
        "custom_login_page",
        "custom_login_page_on",
        "description",
        "encryption_key",
        "form_template",
        "grant_types",
        "initiate_login_uri",
        "is_first_party",
        "is_token_endpoint_ip_header_trusted",
        "jwt_configuration",
        "logo_uri",
        "mobile",
        "native_social_login",
        "oidc_backchannel_logout_urls",
        "oidc_conformant",
        "organization_require_behavior",
        "organization_usage",
        "refresh_token",
        "require_pushed_authorization_requests",
        "sso",
        "sso_disabled",
        "web_origins",
        "jwt_configuration.alg",
        "jwt_configuration.lifetime_in_seconds",
        "jwt_configuration.scopes",
        "jwt_configuration.secret_encoded",
        "refresh_token.expiration_type",
        "refresh_token.rotation_type",
        "refresh_token.idle_token_lifetime",
        "refresh_token.infinite_idle_token_lifetime",
        "refresh_token.infinite_token_lifetime",
        "refresh_token.leeway",
        "refresh_token.token_lifetime",
    },
    "auth0_client_credentials": {"authentication_method", "client_id", "client_secret", "private_key_jwt"},
    "auth0_resource_server": {
        "identifier",
        "allow_offline_access",
        "enforce_policies",
        "name",
        "signing_alg",
        "signing_secret",
        "skip_consent_for_verifiable_first_party_clients",
        "token_dialect",
        "token_lifetime",
        "token_lifetime_for_web",
        "verification_location",
    },
    "auth0_resource_server_scopes": {"resource_server_identifier", "scopes", "scopes.name", "scopes.description"},
    "auth0_role": {"name", "description"},
    "auth0_role_permissions": {"role_id", "permissions", "permissions.name", "permissions.resource_server_identifier"},
}
DOCUMENTED_READ_ONLY = {
    "auth0_client": {"client_id", "id", "signing_keys"},
    "auth0_resource_server": {"id", "identifier"},  # identifier: an argument, referenced for its value
    "auth0_role": {"id"},
}
TERRAFORM_META = {"provider", "depends_on", "count", "for_each", "lifecycle"}


def managed(aws_stack, synth, site_url: str = SITE, **overrides) -> tuple[dict, Auth0Application]:
    """GIVEN a managed-mode Auth0Application in a stack, WHEN synthesized, THEN (JSON with outputs, construct)."""
    from cdktf import TerraformOutput

    stack = aws_stack()
    app = Auth0Application(stack, "auth0", **{"settings": SETTINGS, "app_name": "geoapp-staging", "site_url": site_url, **overrides})
    TerraformOutput(stack, "auth0_secret_payload", value=app.secret_payload)
    return synth(stack), app


def ref(stack: dict, rtype: str, attribute: str) -> str:
    (logical_id,) = resources_of(stack, rtype)
    return f"${{{rtype}.{logical_id}.{attribute}}}"


def bare_ref(stack: dict, rtype: str, attribute: str) -> str:
    return ref(stack, rtype, attribute)[2:-1]


# --------------------------------------------------------------------------- provider


def test_the_auth0_provider_is_required_from_the_registry_at_1_x_and_configured_without_credentials(aws_stack, synth):
    stack, _ = managed(aws_stack, synth)
    assert stack["terraform"]["required_providers"]["auth0"] == {"source": "auth0/auth0", "version": "~> 1.0"}
    assert stack["provider"]["auth0"] == [{"domain": "geoapp-staging.eu.auth0.com"}]
    text = str(stack)
    assert "client_secret" not in text and "api_token" not in text


def test_every_auth0_resource_uses_the_declared_provider(aws_stack, synth):
    stack, _ = managed(aws_stack, synth)
    auth0_types = [t for t in stack["resource"] if t.startswith("auth0_")]
    assert auth0_types
    for rtype in auth0_types:
        for body in stack["resource"][rtype].values():
            assert body["provider"] == "auth0"


# --------------------------------------------------------------------------- SPA application


def test_spa_urls_derive_from_the_site_url(aws_stack, synth):
    stack, app = managed(aws_stack, synth, extra_origins=["http://localhost:5173"])
    client = only(stack, "auth0_client")
    for key in ("web_origins", "allowed_origins"):
        assert client[key] == [SITE, "http://localhost:5173"], key
    # the exact URLs the SPA sends (frontend/src/lib/auth.tsx): Auth0 refuses any other redirect
    assert client["callbacks"] == [f"{SITE}/auth/callback", "http://localhost:5173/auth/callback"]
    assert client["allowed_logout_urls"] == [f"{SITE}/", "http://localhost:5173/"]
    assert (client["app_type"], client["oidc_conformant"], client["is_first_party"]) == ("spa", True, True)
    assert client["grant_types"] == ["authorization_code", "refresh_token"]
    assert client["jwt_configuration"] == {"alg": "RS256"}
    assert (client["refresh_token"]["rotation_type"], client["refresh_token"]["expiration_type"]) == ("rotating", "expiring")


def test_spa_urls_follow_the_cloudfront_domain_when_the_site_has_no_cname(aws_stack, synth):
    # GIVEN the site URL of a StaticSite without CNAME (a token), THEN the callbacks reference the distribution.
    from modules.site import StaticSite

    stack = aws_stack()
    site = StaticSite(
        stack,
        "site",
        name_prefix="geoapp-staging",
        assets_prefix="a",
        api_origin_domain="nlb.example.com",
        api_vpc_origin_id="vo_0123456789abcdefghijkl",
        site=SiteSettings(),
        kms_key_arn="k",
        auth_origin=None,
    )
    Auth0Application(stack, "auth0", settings=SETTINGS, app_name="geoapp-staging", site_url=site.site_url)
    synthesized = synth(stack)
    expected = "https://" + ref(synthesized, "aws_cloudfront_distribution", "domain_name")
    assert only(synthesized, "auth0_client")["callbacks"] == [expected + "/auth/callback"]


def test_the_callback_path_is_the_one_the_spa_uses():
    import re

    from environment.names import SPA_CALLBACK_PATH
    from tests.synth import ROOT

    source = (ROOT / "frontend" / "src" / "lib" / "auth.tsx").read_text(encoding="utf-8")
    assert re.search(r"CALLBACK_PATH = '([^']+)'", source).group(1) == SPA_CALLBACK_PATH
    assert "post_logout_redirect_uri: `${origin}/`" in source


def test_spa_is_a_public_client_without_a_secret(aws_stack, synth):
    stack, _ = managed(aws_stack, synth)
    credentials = only(stack, "auth0_client_credentials")
    assert credentials["authentication_method"] == "none"
    assert credentials["client_id"] == ref(stack, "auth0_client", "client_id")


# --------------------------------------------------------------------------- API, scope, RBAC


def test_api_audience_is_the_env_files_audience_with_the_write_features_scope(aws_stack, synth):
    stack, app = managed(aws_stack, synth)
    api = only(stack, "auth0_resource_server")
    assert api["identifier"] == SETTINGS.audience
    assert (api["signing_alg"], api["enforce_policies"], api["token_lifetime"]) == ("RS256", True, 3600)
    scopes = only(stack, "auth0_resource_server_scopes")
    assert scopes["resource_server_identifier"] == ref(stack, "auth0_resource_server", "identifier")
    assert [s["name"] for s in scopes["scopes"]] == ["write:features"] == [WRITE_SCOPE]


def test_with_rbac_only_the_editor_role_carries_write_features(aws_stack, synth):
    stack, _ = managed(aws_stack, synth)
    role = only(stack, "auth0_role")
    assert role["name"] == "geoapp-staging editor"
    grant = only(stack, "auth0_role_permissions")
    assert grant["role_id"] == ref(stack, "auth0_role", "id")
    assert grant["permissions"] == [
        {"name": "write:features", "resource_server_identifier": ref(stack, "auth0_resource_server", "identifier")}
    ]
    (scopes_id,) = resources_of(stack, "auth0_resource_server_scopes")
    assert grant["depends_on"] == [f"auth0_resource_server_scopes.{scopes_id}"]


def test_without_rbac_no_role_is_created_and_policies_are_not_enforced(aws_stack, synth):
    stack, app = managed(aws_stack, synth, enforce_rbac=False)
    assert only(stack, "auth0_resource_server")["enforce_policies"] is False
    assert resources_of(stack, "auth0_role") == {} and resources_of(stack, "auth0_role_permissions") == {}
    assert app.editor_role is None


# --------------------------------------------------------------------------- secret payload


def test_secret_payload_is_jsonencode_of_domain_audience_and_client_id(aws_stack, synth):
    stack, app = managed(aws_stack, synth)
    expression = stack["output"]["auth0_secret_payload"]["value"]
    match = re.fullmatch(r"\$\{jsonencode\(\{(.*)\}\)\}", expression)
    assert match, expression
    fields = dict(re.findall(r'"(\w+)" = ("[^"]*"|[\w.-]+)', match.group(1)))
    assert fields == {
        "domain": '"geoapp-staging.eu.auth0.com"',
        "audience": bare_ref(stack, "auth0_resource_server", "identifier"),
        "client_id": bare_ref(stack, "auth0_client", "client_id"),
    }
    assert app.domain == "geoapp-staging.eu.auth0.com"


# --------------------------------------------------------------------------- names vs. docs


def test_every_synthesized_auth0_name_is_documented_for_provider_1_0_and_1_55(aws_stack, synth):
    stack, _ = managed(aws_stack, synth, extra_origins=["http://localhost:5173"])
    assert set(stack["provider"]["auth0"][0]) <= DOCUMENTED["provider"]
    seen = set()
    for rtype, bodies in stack["resource"].items():
        if not rtype.startswith("auth0_"):
            continue
        for body in bodies.values():
            names = argument_names({k: v for k, v in body.items() if k not in TERRAFORM_META})
            assert names <= DOCUMENTED[rtype], f"{rtype}: undocumented {sorted(names - DOCUMENTED[rtype])}"
            seen.add(rtype)
    assert seen == set(DOCUMENTED) - {"provider"}


def test_the_bindings_name_lists_are_within_the_documented_schema_and_in_attributes_md():
    notes = ATTRIBUTES_MD.read_text()
    for block, names in DOCUMENTED_ARGUMENTS.items():
        assert names <= DOCUMENTED[block], f"{block}: {sorted(names - DOCUMENTED[block])}"
        for name in names:
            assert f"`{name.rsplit('.', 1)[-1]}`" in notes, f"{block}.{name} missing from ATTRIBUTES.md"
    for rtype, names in DOCUMENTED_COMPUTED.items():
        assert names <= DOCUMENTED_READ_ONLY[rtype]


def test_binding_refuses_a_name_outside_its_documented_list():
    from modules.auth0 import binding

    with pytest.raises(ValueError, match=r"auth0_client: undocumented argument\(s\) \['token_endpoint_auth_method'\]"):
        binding._checked("auth0_client", {"name": "x", "token_endpoint_auth_method": "none"})
    with pytest.raises(ValueError, match=r"\['refresh_token.policies'\]"):
        binding._checked("auth0_client", {"refresh_token": {"rotation_type": "rotating", "policies": []}})


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"settings": SETTINGS.model_copy(update={"mode": "external"})}, "settings.mode is 'external'"),
        ({"site_url": "http://app.example.com"}, "must be https://host without a trailing '/'"),
        ({"site_url": "https://app.example.com/"}, "must be https://host without a trailing '/'"),
        ({"app_name": " "}, "app_name ' ' must be non-empty"),
        ({"access_token_lifetime_seconds": 10}, "access_token_lifetime_seconds must be between 60 and 2592000"),
    ],
)
def test_bad_arguments_fail_at_construction(aws_stack, synth, overrides, message):
    with pytest.raises(ValueError, match="Auth0Application: ") as caught:
        managed(aws_stack, synth, **overrides)
    assert message in str(caught.value)


def test_binding_refuses_an_empty_block_list_and_an_undocumented_computed_attribute(aws_stack):
    from modules.auth0 import binding

    with pytest.raises(ValueError, match=r"auth0_resource_server_scopes: scopes must hold at least one entry"):
        binding.ResourceServerScopesArguments(resource_server_identifier="https://api", scopes=[])
    with pytest.raises(ValueError, match=r"auth0_role_permissions: permissions must hold at least one entry"):
        binding.RolePermissionsArguments(role_id="r", permissions=())
    role = binding.Auth0Resource(aws_stack(), "role", binding.RoleArguments(name="editor"))
    assert role.arguments == {"name": "editor"}  # unset description is not emitted
    with pytest.raises(ValueError, match=r"auth0_role: 'client_id' is not a documented computed attribute"):
        role.computed("client_id")
