"""The sign-in issuer: a local OpenID Connect provider standing in for Auth0.

Auth0 is not reachable from loopback, so the data plane runs the issuer the browser tests use
(``frontend/devtools/oidc-issuer.mjs``: the ``oidc-provider`` package) as a detached process
(pidfile ``issuer.json``) on ``127.0.0.1``, on a port kept in ``ports.json``. It is configured
the way the SPA uses Auth0: one public client (:data:`CLIENT_ID`, PKCE, no secret) whose redirect
URI is the local edge's ``/auth/callback``, RS256 JWT access tokens for the **audience the API
verifies** (read back from the Auth0 settings secret the task definition names), and two users
made once per state dir with generated passwords: ``editor`` (``write:features``) and ``viewer``
(no API scope). Files in ``<state>/dataplane/issuer/`` (0600): ``keys.json`` (the signing key,
a private JWK, kept so tokens survive a restart) and ``users.json``.

The API's tasks trust it through ``AUTH0_ISSUER`` / ``AUTH0_JWKS_URL`` (``overrides.py``), and the
edge adds its origin to the CSP's ``connect-src`` (``overrides.local_distribution``).
A second ``make local`` keeps a running issuer when its command line is the same and it answers
its discovery document; otherwise it is restarted.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.geoapi import envvars as ev

from . import procs
from .readback import ContainerSpec

PROJECT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT / "frontend" / "devtools" / "oidc-issuer.mjs"
CLIENT_ID = "geoapp-local-spa"
"""The SPA's client id at the local issuer (config.json's ``auth0.clientId``)."""
WRITE_SCOPE = "write:features"
USERS: dict[str, list[str]] = {"editor": [WRITE_SCOPE], "viewer": []}
"""The issuer's users and the API scopes each holds; their passwords are generated once per state dir."""


@dataclass(frozen=True)
class Issuer:
    """A running local issuer: what ``config.json``, the tasks and an operator need."""

    url: str
    """The issuer identifier (``iss``), ``http://127.0.0.1:<port>``: also the CSP origin."""
    jwks_url: str
    client_id: str
    audience: str
    users: dict[str, str]
    """User name -> password (``editor`` holds ``write:features``, ``viewer`` does not)."""
    directory: Path
    pid: int


def issuer_url(port: int, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}"


def jwks_url(url: str) -> str:
    """oidc-provider's JWKS endpoint for the issuer ``url`` (its discovery document says the same)."""
    return url + "/jwks"


def audience_of(client: Callable[[str], Any], container: ContainerSpec) -> str:
    """The audience the API verifies: ``audience`` of the Auth0 settings secret its task definition names."""
    arn = container.environment.get(ev.AUTH0_SECRET_ARN)
    if not arn:
        raise LookupError(f"the API's task definition sets no {ev.AUTH0_SECRET_ARN}: nothing says which audience to issue tokens for")
    sm = client("secretsmanager")
    try:
        value = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    except sm.exceptions.ResourceNotFoundException:
        raise LookupError(f"the Auth0 settings secret {arn} has no value yet (docs/runbooks/auth0-external.md, step 4)") from None
    if not value.get("audience"):
        raise LookupError(f"the Auth0 settings secret {arn} has no audience")
    return str(value["audience"])


def _private_file(path: Path, text: str) -> None:
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)


def _ensure_keys(path: Path) -> None:
    """A private RSA JWK with a ``kid``, made once (tokens signed before a restart stay valid)."""
    if path.exists():
        return
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    jwk = RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048), as_dict=True)
    jwk.pop("key_ops", None)  # the issuer also verifies with it (id_token_hint at sign-out)
    _private_file(path, json.dumps({"keys": [{**jwk, "kid": f"local-{secrets.token_hex(4)}"}]}))


def _ensure_users(path: Path) -> dict[str, dict[str, Any]]:
    """``{name: {"password", "scopes"}}`` for :data:`USERS`, passwords generated once and kept."""
    try:
        users = json.loads(path.read_text())
    except (OSError, ValueError):
        users = {}
    wanted = {
        name: {"password": users.get(name, {}).get("password") or secrets.token_urlsafe(12), "scopes": scopes}
        for name, scopes in USERS.items()
    }
    if wanted != users:
        _private_file(path, json.dumps(wanted, indent=2) + "\n")
    return wanted


def _discovery(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=3) as response:  # noqa: S310 - loopback
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def healthy(url: str) -> bool:
    """The issuer at ``url`` serves its discovery document, naming itself and its JWKS."""
    found = _discovery(url)
    return found is not None and found.get("issuer") == url and found.get("jwks_uri") == jwks_url(url)


class LocalIssuer:
    """The detached issuer of one data plane dir."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.url = issuer_url(port)
        self.pidfile = directory / "issuer.json"
        self.log = directory / "issuer.log"

    def argv(self, *, audience: str, site_url: str) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH: the local issuer needs Node.js 20 (make install)")
        if not (PROJECT / "frontend" / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError("frontend/node_modules has no oidc-provider: run `make install` (npm ci in frontend/)")
        return [
            node,
            str(SCRIPT),
            *("--host", "127.0.0.1", "--port", str(self.port), "--client-id", CLIENT_ID, "--audience", audience),
            *("--api-scope", WRITE_SCOPE, "--keys", str(self.directory / "keys.json"), "--users-file", str(self.directory / "users.json")),
            *("--redirect-uri", f"{site_url}/auth/callback", "--post-logout-redirect-uri", f"{site_url}/"),
        ]

    def start(self, *, audience: str, site_url: str, timeout: float = 30.0) -> Issuer:
        """Start the issuer (or keep the running one when its command line is the same and it
        answers); wait until it serves its discovery document."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        _ensure_keys(self.directory / "keys.json")
        users = _ensure_users(self.directory / "users.json")
        argv = self.argv(audience=audience, site_url=site_url)
        pid = procs.read_pid(self.pidfile)
        if pid is not None and (procs.read_argv(self.pidfile) != argv or not healthy(self.url)):
            procs.stop_pidfile(self.pidfile, timeout=10)
            pid = None
        if pid is None:
            pid = procs.spawn(argv, pidfile=self.pidfile, log=self.log, cwd=PROJECT / "frontend")
            self._wait(timeout)
        return Issuer(
            url=self.url,
            jwks_url=jwks_url(self.url),
            client_id=CLIENT_ID,
            audience=audience,
            users={name: user["password"] for name, user in users.items()},
            directory=self.directory,
            pid=pid,
        )

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not healthy(self.url):
            if procs.read_pid(self.pidfile) is None:
                tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else "(no log)"
                raise RuntimeError(f"the local OIDC issuer exited at start ({self.log}):\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local OIDC issuer did not answer at {self.url} within {timeout:.0f} s; see {self.log}")
            time.sleep(0.2)

    def stop(self) -> bool:
        return procs.stop_pidfile(self.pidfile, timeout=10)
