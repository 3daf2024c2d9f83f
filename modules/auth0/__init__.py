"""Auth0 managed mode: a hand-written cdktf binding and the construct that uses it."""

from modules.auth0.application import WRITE_SCOPE, Auth0Application
from modules.auth0.binding import (
    DOCUMENTED_ARGUMENTS,
    DOCUMENTED_COMPUTED,
    Auth0Client,
    Auth0ClientCredentials,
    Auth0Provider,
    Auth0ResourceServer,
    Auth0ResourceServerScopes,
    Auth0Role,
    Auth0RolePermissions,
)

__all__ = [
    "DOCUMENTED_ARGUMENTS",
    "DOCUMENTED_COMPUTED",
    "WRITE_SCOPE",
    "Auth0Application",
    "Auth0Client",
    "Auth0ClientCredentials",
    "Auth0Provider",
    "Auth0ResourceServer",
    "Auth0ResourceServerScopes",
    "Auth0Role",
    "Auth0RolePermissions",
]
