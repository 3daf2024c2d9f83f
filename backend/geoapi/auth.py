"""Auth0 access tokens: RS256 signature against the tenant's JWKS, audience, issuer, expiry, scope.

The JWKS is fetched by PyJWT's ``PyJWKClient``, which caches the key set for
``jwks_cache_seconds`` and refreshes it at most once per cooldown when a token
names an unknown key id (so a key rotation at Auth0 is picked up).
"""

from __future__ import annotations

from typing import Any

import jwt
from jwt import PyJWKClient
from jwt.exceptions import (
    ExpiredSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidTokenError,
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWTError,
)

from geoapi.core.errors import Forbidden, ServiceUnavailable, Unauthorized
from geoapi.settings import AuthSettings

REALM = "geoapi"


def _challenge(error: str | None = None, description: str | None = None, scope: str | None = None) -> dict[str, str]:
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append('error_description="{}"'.format(description.replace('"', "'")))
    if scope:
        parts.append(f'scope="{scope}"')
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def _invalid(description: str) -> Unauthorized:
    return Unauthorized(description, headers=_challenge("invalid_token", description))


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; 401 otherwise."""
    if not authorization:
        raise Unauthorized("an access token is required (Authorization: Bearer <token>)", headers=_challenge())
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _invalid("the Authorization header must be 'Bearer <token>'")
    return token


def scopes_of(claims: dict[str, Any]) -> set[str]:
    """Auth0 puts granted scopes in ``scope`` (space-separated) and, with RBAC, in ``permissions``."""
    granted = set(str(claims.get("scope", "")).split())
    permissions = claims.get("permissions")
    if isinstance(permissions, list):
        granted.update(str(p) for p in permissions)
    return granted


class TokenVerifier:
    """Verifies access tokens for one Auth0 API (audience) of one tenant (issuer)."""

    def __init__(self, settings: AuthSettings, *, jwks_client: PyJWKClient | None = None) -> None:
        self.settings = settings
        self.jwks = jwks_client or PyJWKClient(
            settings.jwks_url,
            cache_jwk_set=True,
            lifespan=settings.jwks_cache_seconds,
            cache_keys=True,
            timeout=5,
        )

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a valid token; raises Unauthorized (401) or ServiceUnavailable (503)."""
        token = bearer_token(authorization)
        try:
            signing_key = self.jwks.get_signing_key_from_jwt(token)
        except PyJWKClientConnectionError as exc:
            raise ServiceUnavailable(f"cannot fetch the token signing keys: {exc}") from None
        except (PyJWKClientError, PyJWTError) as exc:
            raise _invalid(f"token rejected: {exc}") from None
        try:
            return jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except ExpiredSignatureError:
            raise _invalid("token expired") from None
        except InvalidAudienceError:
            raise _invalid("token is not for this API (audience)") from None
        except InvalidIssuerError:
            raise _invalid("token was not issued by the configured tenant (issuer)") from None
        except InvalidTokenError as exc:
            raise _invalid(f"token rejected: {exc}") from None

    def require_scope(self, claims: dict[str, Any], scope: str | None = None) -> None:
        needed = scope or self.settings.write_scope
        if needed not in scopes_of(claims):
            raise Forbidden(
                f"this operation needs the {needed!r} scope", headers=_challenge("insufficient_scope", f"needs {needed}", needed)
            )
