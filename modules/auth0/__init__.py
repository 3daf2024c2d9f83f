"""Auth0 managed mode: a hand-written cdktf binding and the construct that uses it."""

from modules.auth0.application import WRITE_SCOPE, Auth0Application
from modules.auth0.binding import (
    DOCUMENTED_ARGUMENTS,
    DOCUMENTED_COMPUTED,
    Arguments,
    Auth0Provider,
    Auth0Resource,
    ClientArguments,
    ClientCredentialsArguments,
    ResourceServerArguments,
    ResourceServerScopesArguments,
    RoleArguments,
    RolePermissionsArguments,
)

__all__ = [
    "DOCUMENTED_ARGUMENTS",
    "DOCUMENTED_COMPUTED",
    "WRITE_SCOPE",
    "Arguments",
    "Auth0Application",
    "Auth0Provider",
    "Auth0Resource",
    "ClientArguments",
    "ClientCredentialsArguments",
    "ResourceServerArguments",
    "ResourceServerScopesArguments",
    "RoleArguments",
    "RolePermissionsArguments",
]
