"""Every value the data plane changes because it runs on loopback, not on AWS: the ONE place.

``docs/local.md`` lists these; nothing else in the harness or the backend special-cases
"local". Each entry says what AWS provides that loopback does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from backend.geoapi import envvars as ev
from localaws.server import DUMMY_CREDENTIALS

from .readback import DistributionSpec, HealthCheckSpec, ResponseHeaderSpec


@dataclass(frozen=True)
class LocalContext:
    """What the overrides need to know about the running data plane."""

    endpoint: str  # the emulator (every AWS API)
    region: str
    task_address: str  # 127.x.y.z of this task (its "ENI")
    container_port: int
    db_address: str  # where the local MariaDB listens
    db_port: int
    ca_bundle: str  # the local CA (the image carries the RDS CA bundle instead)
    public_url: str  # the local edge's /api
    auth_issuer: str  # the local OIDC issuer standing in for Auth0 (issuer.py)
    auth_jwks_url: str  # its JWKS


def task_overrides(ctx: LocalContext) -> dict[str, str]:
    """Environment variables set on top of the task definition's environment, for every task."""
    return {
        # the SDK reaches the emulator, with moto's dummy keys (the task role on AWS)
        "AWS_ENDPOINT_URL": ctx.endpoint,
        **DUMMY_CREDENTIALS,
        "AWS_REGION": ctx.region,
        # host map: DB_HOST stays the Aurora endpoint name (TLS verifies it), the socket goes here
        "DB_HOSTADDR": ctx.db_address,
        "DB_PORT": str(ctx.db_port),
        # the image's CA bundle (DB_CA_BUNDLE in the Dockerfile) -> the local CA
        "DB_CA_BUNDLE": ctx.ca_bundle,
        # each Fargate task has its own ENI: here its own loopback address, on the container port
        "GUNICORN_CMD_ARGS": f"--bind {ctx.task_address}:{ctx.container_port}",
        # links: the distribution's domain does not resolve here; the local edge's URL does
        "PUBLIC_URL": ctx.public_url,
        # Auth0 is not reachable here: tokens come from the local issuer, the API trusts its keys
        # (the audience stays the Auth0 settings secret's, which the issuer issues tokens for)
        ev.AUTH0_ISSUER: ctx.auth_issuer,
        ev.AUTH0_JWKS_URL: ctx.auth_jwks_url,
    }


OVERRIDDEN: tuple[str, ...] = (
    "AWS_ENDPOINT_URL",
    *DUMMY_CREDENTIALS,
    "AWS_REGION",
    "DB_HOSTADDR",
    "DB_PORT",
    "DB_CA_BUNDLE",
    "GUNICORN_CMD_ARGS",
    "PUBLIC_URL",
    ev.AUTH0_ISSUER,
    ev.AUTH0_JWKS_URL,
)
"""The names :func:`task_overrides` sets (the docs table and a test read this)."""


def apply(environment: Mapping[str, str], ctx: LocalContext) -> dict[str, str]:
    """The task's environment with the local overrides on top."""
    return {**environment, **task_overrides(ctx)}


def local_csp(policy: str, issuer: str) -> str:
    """``policy`` with the local issuer's origin added to ``connect-src`` (the SPA fetches its
    discovery document, keys and tokens); a policy without ``connect-src`` gets one."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    if not any(d.split()[0] == "connect-src" for d in directives):
        directives.append("connect-src 'self'")
    return "; ".join(d + f" {issuer}" if d.split()[0] == "connect-src" and issuer not in d.split() else d for d in directives)


def local_distribution(spec: DistributionSpec, issuer: str) -> DistributionSpec:
    """The distribution the edge serves: as deployed, with the local issuer's origin in the CSP of
    every behaviour's response headers policy (the deployed CSP names the Auth0 tenant, which the
    local site does not use)."""

    def header(h: ResponseHeaderSpec) -> ResponseHeaderSpec:
        return replace(h, value=local_csp(h.value, issuer)) if h.name.lower() == "content-security-policy" else h

    return replace(spec, behaviours=[replace(b, response_headers=[header(h) for h in b.response_headers]) for b in spec.behaviours])


LOCAL_HEALTH_CHECK_INTERVAL = 2
"""Seconds between the local balancer's health checks. The NLB checks every ``interval`` (30 s)
and needs ``healthy_threshold`` passes, so a new task takes a minute and a half to get traffic
on AWS; locally the same thresholds run every 2 s. Path, port, matcher and thresholds are kept."""


def local_health_check(spec: HealthCheckSpec) -> HealthCheckSpec:
    """The target group's health check, with :data:`LOCAL_HEALTH_CHECK_INTERVAL` as its interval."""
    interval = min(spec.interval, LOCAL_HEALTH_CHECK_INTERVAL)
    return replace(spec, interval=interval, timeout=min(spec.timeout, interval))


IMAGE_WORKDIR = "/app"
"""The image's WORKDIR (backend/Dockerfile copies backend/ there); locally it is backend/. A
command argument under it (a seed source such as ``/app/sample/sample.sql``) names the file
under backend/ (``image.local_argv``)."""
