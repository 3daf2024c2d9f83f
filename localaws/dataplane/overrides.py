"""Every value the data plane changes because it runs on loopback, not on AWS: the ONE place.

``docs/local.md`` lists these; nothing else in the harness or the backend special-cases
"local". Each entry says what AWS provides that loopback does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from localaws.server import DUMMY_CREDENTIALS

from .readback import HealthCheckSpec


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
)
"""The names :func:`task_overrides` sets (the docs table and a test read this)."""


def apply(environment: Mapping[str, str], ctx: LocalContext) -> dict[str, str]:
    """The task's environment with the local overrides on top."""
    return {**environment, **task_overrides(ctx)}


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
