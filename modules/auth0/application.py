"""Auth0 in managed mode: the SPA's application and the API (audience + ``write:features``).

The API only verifies access tokens (issuer, audience, signature from the tenant's JWKS,
``write:features`` in ``scope`` for writes), so it needs no Auth0 client of its own and no
client secret: the SPA is a public client (authorization code + PKCE, no secret).

What the API needs to verify tokens is ``{"domain", "audience", "client_id"}``;
:attr:`Auth0Application.secret_payload` is that JSON as a Terraform expression, to be
written into the API's Auth0 secret (``aws_secretsmanager_secret_version``).

In external mode (``[auth0] mode = "external"``) nothing here is built: the stack creates
the secret only, and the keys are put into it by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import Fn
from constructs import Construct

import modules.auth0.binding as binding
from environment.config import Auth0Settings
from environment.names import SPA_CALLBACK_PATH, SPA_LOGOUT_PATH

WRITE_SCOPE = "write:features"
"""The scope the API requires for writes (project contract)."""

SPA_REFRESH_TOKEN = {
    "rotation_type": "rotating",
    "expiration_type": "expiring",
    "leeway": 0,
    "token_lifetime": 2_592_000,  # 30 days absolute
    "idle_token_lifetime": 1_296_000,  # 15 days idle
    "infinite_token_lifetime": False,
    "infinite_idle_token_lifetime": False,
}
"""The SPA's refresh tokens: rotating, 30 days at most, 15 days idle."""


def check_arguments(settings: Auth0Settings, app_name: str, site_url: str, access_token_lifetime_seconds: int) -> None:
    """Raise ValueError, naming the argument, for what :class:`Auth0Application` cannot build."""
    if settings.mode != "managed":
        raise ValueError(
            f"Auth0Application: settings.mode is {settings.mode!r}; build this construct only "
            'for mode = "managed" (external mode creates no Auth0 resources)'
        )
    if not app_name.strip() or "<" in app_name or ">" in app_name:
        raise ValueError(f"Auth0Application: app_name {app_name!r} must be non-empty, without '<' or '>'")
    if not 60 <= access_token_lifetime_seconds <= 2_592_000:
        raise ValueError(
            f"Auth0Application: access_token_lifetime_seconds must be between 60 and 2592000 (30 days), not {access_token_lifetime_seconds}"
        )
    if isinstance(site_url, str) and not site_url.startswith("${") and (not site_url.startswith("https://") or site_url.endswith("/")):
        raise ValueError(f"Auth0Application: site_url {site_url!r} must be https://host without a trailing '/'")


class Auth0Application(Construct):
    """Creates, in the tenant ``settings.domain``, the SPA application and the API.

    Declares the ``auth0`` provider itself (pinned to ``settings.domain``; credentials from
    the environment of ``terraform``: ``AUTH0_CLIENT_ID`` + ``AUTH0_CLIENT_SECRET``, or
    ``AUTH0_API_TOKEN``), so a stack containing this construct cannot be ``terraform init``-ed
    without access to the registry (or a mirror holding ``auth0/auth0``).

    Attributes:
        provider: the ``Auth0Provider``.
        client: the SPA's ``auth0_client``; ``client_credentials``: its ``none`` auth method.
        resource_server: the API (``identifier`` = audience); ``scopes``: its scopes.
        editor_role / editor_role_permissions: the role that carries ``write:features``
            (None when ``enforce_rbac`` is False).
        client_id: the SPA's client id (token).
        domain: the tenant domain (plain string, from the env file).
        audience: the API identifier (token referring to the resource server).
        secret_payload: ``jsonencode({domain, audience, client_id})`` (a Terraform expression).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        settings: Auth0Settings,
        app_name: str,
        site_url: str,
        extra_origins: Sequence[str] = (),
        enforce_rbac: bool = True,
        access_token_lifetime_seconds: int = 3600,
    ) -> None:
        """Build the provider and the Auth0 resources.

        Args:
            settings: the env file's ``[auth0]`` section; ``mode`` must be ``managed``.
            app_name: names the application (``<app_name>``), the API (``<app_name> API``)
                and the role (``<app_name> editor``), e.g. ``geoapp-staging``.
            site_url: the site's public URL, ``https://host`` without a trailing slash (a
                token is fine). It is the callback, logout and web-origin URL of the SPA.
            extra_origins: more URLs allowed as callback/logout/web origin, e.g. a developer's
                ``http://localhost:5173``. Default: none.
            enforce_rbac: True: the API enforces RBAC, so ``write:features`` reaches a token
                only for users holding the ``<app_name> editor`` role (assigned in Auth0);
                False: any signed-in user who asks for the scope gets it. Default: True.
            access_token_lifetime_seconds: lifetime of access tokens for the API.
                Default: 3600 (1 hour).
        """
        super().__init__(scope, id_)
        check_arguments(settings, app_name, site_url, access_token_lifetime_seconds)
        self.provider = binding.Auth0Provider(self, "provider", domain=settings.domain)
        self._api(settings.audience, app_name, access_token_lifetime_seconds, enforce_rbac)
        self._spa(app_name, [site_url, *extra_origins])
        self.editor_role: binding.Auth0Resource | None = None
        self.editor_role_permissions: binding.Auth0Resource | None = None
        if enforce_rbac:
            self._editor_role(app_name)

        self.client_id: str = self.client.computed("client_id")
        self.domain: str = settings.domain
        self.audience: str = self.resource_server.computed("identifier")
        self.secret_payload: str = Fn.jsonencode({"domain": self.domain, "audience": self.audience, "client_id": self.client_id})

    def _api(self, audience: str, app_name: str, token_lifetime: int, enforce_rbac: bool) -> None:
        """The resource server (the API, identified by its audience) and its one scope."""
        api = binding.ResourceServerArguments(
            identifier=audience,
            name=f"{app_name} API",
            signing_alg="RS256",
            allow_offline_access=True,
            token_lifetime=token_lifetime,
            skip_consent_for_verifiable_first_party_clients=True,
            enforce_policies=enforce_rbac,
            token_dialect="access_token",  # noqa: S106 - an Auth0 token format, not a password
        )
        self.resource_server = binding.Auth0Resource(self, "api", api, provider=self.provider)
        scopes = binding.ResourceServerScopesArguments(
            resource_server_identifier=self.resource_server.computed("identifier"),
            scopes=[{"name": WRITE_SCOPE, "description": "Create, change and delete features"}],
        )
        self.scopes = binding.Auth0Resource(self, "api-scopes", scopes, provider=self.provider)

    def _spa(self, app_name: str, urls: list[str]) -> None:
        """The SPA: a public client (code + PKCE) allowed to return to ``urls``."""
        spa = binding.ClientArguments(
            name=app_name,
            description=f"Single-page application of {app_name}",
            app_type="spa",
            is_first_party=True,
            oidc_conformant=True,
            callbacks=[f"{url}{SPA_CALLBACK_PATH}" for url in urls],  # Auth0 matches redirect URIs exactly
            allowed_logout_urls=[f"{url}{SPA_LOGOUT_PATH}" for url in urls],
            web_origins=urls,
            allowed_origins=urls,
            grant_types=["authorization_code", "refresh_token"],
            jwt_configuration={"alg": "RS256"},
            refresh_token=SPA_REFRESH_TOKEN,
        )
        self.client = binding.Auth0Resource(self, "spa", spa, provider=self.provider)
        # A browser cannot keep a secret: the SPA authenticates with PKCE only.
        credentials = binding.ClientCredentialsArguments(client_id=self.client.computed("client_id"), authentication_method="none")
        self.client_credentials = binding.Auth0Resource(self, "spa-credentials", credentials, provider=self.provider)

    def _editor_role(self, app_name: str) -> None:
        """The role whose holders get ``write:features`` when the API enforces RBAC."""
        role = binding.RoleArguments(name=f"{app_name} editor", description=f"May create, change and delete features in {app_name}")
        self.editor_role = binding.Auth0Resource(self, "editor-role", role, provider=self.provider)
        permissions = binding.RolePermissionsArguments(
            role_id=self.editor_role.id,
            permissions=[{"resource_server_identifier": self.resource_server.computed("identifier"), "name": WRITE_SCOPE}],
        )
        self.editor_role_permissions = binding.Auth0Resource(
            self, "editor-role-permissions", permissions, provider=self.provider, depends_on=[self.scopes]
        )
