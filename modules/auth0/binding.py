"""A small typed cdktf binding for the ``auth0/auth0`` Terraform provider (v1.x).

There is no prebuilt cdktf Python package for Auth0 and ``cdktf get`` needs the registry, so
this module declares, by hand, only what :mod:`modules.auth0.application` uses: one typed
arguments class per resource type (fields named exactly as the provider documents them) and
one resource class, :class:`Auth0Resource`, that emits them. Every
argument name below was checked against the provider's documentation for v1.0.0 and the
newest v1.x (see ``ATTRIBUTES.md`` next to this file); :data:`DOCUMENTED_ARGUMENTS` is that
list, and the binding refuses any name outside it at construction time.

How it works: cdktf asks a resource for its Terraform arguments by calling the protected
``synthesizeAttributes`` over jsii. Overriding the Python name ``_synthesize_attributes``
with ``@jsii.member(jsii_name="synthesizeAttributes")`` is what makes jsii call our method
(a public ``synthesize_attributes`` would be silently ignored). Keys are emitted verbatim,
so they are written in Terraform's snake_case here. JSON synthesis only (cdktf's default);
HCL output (``hclOutput``) is not supported by this binding.

Provider credentials are not arguments of :class:`Auth0Provider` on purpose: the provider
reads ``AUTH0_CLIENT_ID`` / ``AUTH0_CLIENT_SECRET`` (or ``AUTH0_API_TOKEN``) from the
environment of ``terraform``, so they never appear in ``cdktf.out`` or in the env files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import jsii
from cdktf import TerraformProvider, TerraformProviderGeneratorMetadata, TerraformResource
from constructs import Construct

PROVIDER_NAME = "auth0"
PROVIDER_SOURCE = "auth0/auth0"
PROVIDER_VERSION_CONSTRAINT = "~> 1.0"
"""Any 1.x release: every name used here exists from v1.0.0 through v1.55.0."""

_METADATA = TerraformProviderGeneratorMetadata(provider_name=PROVIDER_NAME, provider_version_constraint=PROVIDER_VERSION_CONSTRAINT)

#: Terraform names this binding may emit, per block, as documented for auth0/auth0 v1.0.0
#: and v1.55.0 (the subset that this project uses; nested blocks as ``block.argument``).
DOCUMENTED_ARGUMENTS: Mapping[str, frozenset[str]] = {
    "provider": frozenset({"domain"}),
    "auth0_client": frozenset(
        {
            "name",
            "description",
            "app_type",
            "is_first_party",
            "oidc_conformant",
            "callbacks",
            "allowed_logout_urls",
            "web_origins",
            "allowed_origins",
            "grant_types",
            "jwt_configuration",
            "jwt_configuration.alg",
            "refresh_token",
            "refresh_token.rotation_type",
            "refresh_token.expiration_type",
            "refresh_token.leeway",
            "refresh_token.token_lifetime",
            "refresh_token.idle_token_lifetime",
            "refresh_token.infinite_token_lifetime",
            "refresh_token.infinite_idle_token_lifetime",
        }
    ),
    "auth0_client_credentials": frozenset({"client_id", "authentication_method"}),
    "auth0_resource_server": frozenset(
        {
            "identifier",
            "name",
            "signing_alg",
            "allow_offline_access",
            "token_lifetime",
            "skip_consent_for_verifiable_first_party_clients",
            "enforce_policies",
            "token_dialect",
        }
    ),
    "auth0_resource_server_scopes": frozenset({"resource_server_identifier", "scopes", "scopes.name", "scopes.description"}),
    "auth0_role": frozenset({"name", "description"}),
    "auth0_role_permissions": frozenset({"role_id", "permissions", "permissions.name", "permissions.resource_server_identifier"}),
}

#: Computed (read-only) attributes this binding reads, as documented for the same versions.
DOCUMENTED_COMPUTED: Mapping[str, frozenset[str]] = {
    "auth0_client": frozenset({"id", "client_id"}),
    "auth0_resource_server": frozenset({"id", "identifier"}),
    "auth0_role": frozenset({"id"}),
}


def argument_names(arguments: Mapping[str, Any]) -> set[str]:
    """Every argument name in ``arguments``, nested blocks as ``block.argument``."""
    names = set()
    for key, value in arguments.items():
        names.add(key)
        blocks = value if isinstance(value, list) else [value]
        for block in blocks:
            if isinstance(block, Mapping):
                names.update(f"{key}.{inner}" for inner in block)
    return names


def _checked(resource_type: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Drop unset (None) arguments; refuse any name not in :data:`DOCUMENTED_ARGUMENTS`."""
    present = {k: v for k, v in arguments.items() if v is not None}
    unknown = argument_names(present) - DOCUMENTED_ARGUMENTS[resource_type]
    if unknown:
        raise ValueError(f"{resource_type}: undocumented argument(s) {sorted(unknown)}")
    return present


class Auth0Provider(TerraformProvider):
    """``provider "auth0"``: source ``auth0/auth0``, version ``~> 1.0``.

    Args:
        domain: tenant domain the provider manages, e.g. ``geoapp-staging.eu.auth0.com``.
            Default: None (the provider reads ``AUTH0_DOMAIN``). Credentials always come from
            the environment (``AUTH0_CLIENT_ID`` + ``AUTH0_CLIENT_SECRET`` or ``AUTH0_API_TOKEN``).
    """

    def __init__(self, scope: Construct, id_: str, *, domain: str | None = None) -> None:
        super().__init__(
            scope,
            id_,
            terraform_resource_type=PROVIDER_NAME,
            terraform_generator_metadata=_METADATA,
            terraform_provider_source=PROVIDER_SOURCE,
        )
        self._arguments = _checked("provider", {"domain": domain})

    @jsii.member(jsii_name="synthesizeAttributes")
    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return dict(self._arguments)


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data: mappings as dicts, other sequences (not strings) as lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Arguments:
    """The Terraform arguments of one auth0 resource; a field left None is not emitted (the provider's default)."""

    TERRAFORM_RESOURCE_TYPE: ClassVar[str] = ""
    NON_EMPTY: ClassVar[tuple[str, ...]] = ()
    """Block lists that must hold at least one entry (the resource manages the complete set)."""

    def __post_init__(self) -> None:
        empty = [name for name in self.NON_EMPTY if not getattr(self, name)]
        if empty:
            raise ValueError(f"{self.TERRAFORM_RESOURCE_TYPE}: {', '.join(empty)} must hold at least one entry")

    def terraform(self) -> dict[str, Any]:
        """The arguments as written to ``cdk.tf.json``; refuses a name outside :data:`DOCUMENTED_ARGUMENTS`."""
        return _checked(self.TERRAFORM_RESOURCE_TYPE, {f.name: _plain(getattr(self, f.name)) for f in fields(self)})


@dataclass(frozen=True, kw_only=True)
class ClientArguments(Arguments):
    """``auth0_client``: an application (``name`` required; URL lists, grant types and blocks as documented).

    ``app_type``: ``spa``, ``regular_web``, ``native``, ``non_interactive``, ...;
    ``jwt_configuration``: e.g. ``{"alg": "RS256"}``; ``refresh_token``: the block's keys as documented.
    """

    TERRAFORM_RESOURCE_TYPE: ClassVar[str] = "auth0_client"
    name: str
    description: str | None = None
    app_type: str | None = None
    is_first_party: bool | None = None
    oidc_conformant: bool | None = None
    callbacks: Sequence[str] | None = None
    allowed_logout_urls: Sequence[str] | None = None
    web_origins: Sequence[str] | None = None
    allowed_origins: Sequence[str] | None = None
    grant_types: Sequence[str] | None = None
    jwt_configuration: Mapping[str, str] | None = None
    refresh_token: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class ClientCredentialsArguments(Arguments):
    """``auth0_client_credentials``: how a client authenticates at the token endpoint.

    ``authentication_method``: ``none`` (public client, no secret), ``client_secret_post``,
    ``client_secret_basic`` or ``private_key_jwt``.
    """

    TERRAFORM_RESOURCE_TYPE: ClassVar[str] = "auth0_client_credentials"
    client_id: str
    authentication_method: str


@dataclass(frozen=True, kw_only=True)
class ResourceServerArguments(Arguments):
    """``auth0_resource_server``: an API; ``identifier`` is the token audience."""

    TERRAFORM_RESOURCE_TYPE: ClassVar[str] = "auth0_resource_server"
    identifier: str
    name: str | None = None
    signing_alg: str | None = None
    allow_offline_access: bool | None = None
    token_lifetime: int | None = None
    skip_consent_for_verifiable_first_party_clients: bool | None = None
    enforce_policies: bool | None = None
    token_dialect: str | None = None


@dataclass(frozen=True, kw_only=True)
class ResourceServerScopesArguments(Arguments):
    """``auth0_resource_server_scopes``: the complete set of scopes of an API (``[{"name", "description"}]``, at least one)."""

    TERRAFORM_RESOURCE_TYPE: ClassVar[str] = "auth0_resource_server_scopes"
    resource_server_identifier: str
    NON_EMPTY: ClassVar[tuple[str, ...]] = ("scopes",)
    scopes: Sequence[Mapping[str, str]]


@dataclass(frozen=True, kw_only=True)
class RoleArguments(Arguments):
    """``auth0_role``: a role users can be given (in the Auth0 dashboard or API)."""

    TERRAFORM_RESOURCE_TYPE: ClassVar[str] = "auth0_role"
    name: str
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class RolePermissionsArguments(Arguments):
    """``auth0_role_permissions``: the complete set of API permissions a role grants.

    ``permissions``: ``[{"resource_server_identifier", "name"}]``, at least one.
    """

    TERRAFORM_RESOURCE_TYPE: ClassVar[str] = "auth0_role_permissions"
    role_id: str
    NON_EMPTY: ClassVar[tuple[str, ...]] = ("permissions",)
    permissions: Sequence[Mapping[str, str]]


class Auth0Resource(TerraformResource):
    """A resource of the auth0 provider: its type and arguments come from ``arguments``."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        arguments: Arguments,
        *,
        provider: Auth0Provider | None = None,
        depends_on: Sequence[TerraformResource] | None = None,
    ) -> None:
        super().__init__(
            scope,
            id_,
            terraform_resource_type=arguments.TERRAFORM_RESOURCE_TYPE,
            terraform_generator_metadata=_METADATA,
            provider=provider,
            depends_on=list(depends_on) if depends_on else None,
        )
        self._type = arguments.TERRAFORM_RESOURCE_TYPE
        self._arguments = arguments.terraform()

    @property
    def arguments(self) -> dict[str, Any]:
        """The Terraform arguments this resource emits (a copy)."""
        return dict(self._arguments)

    def computed(self, name: str) -> str:
        """``${<type>.<name>.<attribute>}`` for a read-only attribute in :data:`DOCUMENTED_COMPUTED`."""
        if name not in DOCUMENTED_COMPUTED.get(self._type, ()):
            raise ValueError(f"{self._type}: {name!r} is not a documented computed attribute")
        return self.get_string_attribute(name)

    @property
    def id(self) -> str:
        """``${<type>.<name>.id}``."""
        return self.computed("id")

    @jsii.member(jsii_name="synthesizeAttributes")
    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return dict(self._arguments)
