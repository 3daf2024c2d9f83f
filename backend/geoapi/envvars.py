"""The names of the environment variables the backend reads, defined once (no dependencies).

The stack imports :data:`TASK_DEFINITION` to build the ECS task definition's environment,
the Dockerfile sets :data:`IMAGE`, and the local data plane (``localaws.dataplane``) sets the
:data:`LOCAL_ONLY` ones. ``tests/local/test_dataplane_envvars.py`` checks that the task
definition sets exactly :data:`TASK_DEFINITION`, and that the backend reads each of them.
"""

from __future__ import annotations

# ---- set by the ECS task definition (stack) ------------------------------------------
DB_SECRET_ARN = "DB_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
"""ARN of the secret of the user this process connects as: JSON {"username", "password"}. The API's task
definition names the application user's secret, the migrate/seed task the loader's; never the master's."""
DB_HOST = "DB_HOST"
"""The Aurora writer endpoint: the name connected to and the name the TLS certificate must carry."""
DB_PORT = "DB_PORT"
DB_NAME = "DB_NAME"
AUTH0_SECRET_ARN = "AUTH0_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
"""ARN of the Auth0 settings secret: JSON {"domain", "audience", ...}."""
PUBLIC_READS = "PUBLIC_READS"
AWS_REGION = "AWS_REGION"
LOG_LEVEL = "LOG_LEVEL"
"""Python log level name for the app and gunicorn (default INFO)."""
PORT = "PORT"
"""The port gunicorn listens on: the task definition's container port (default 8000)."""
CPU_UNITS = "CPU_UNITS"
"""The task's CPU units (1024 = 1 vCPU); the gunicorn worker count is derived from it."""
PUBLIC_URL = "PUBLIC_URL"
"""Base URL of the API as clients reach it (the site's ``https://<site>/api``); links are built from it."""

EVERY_TASK: tuple[str, ...] = (AWS_REGION, DB_HOST, DB_NAME, DB_PORT, LOG_LEVEL)
"""What every task definition (the API's, the admin's, the loader's) sets: the region, the log level, where the database is."""
TASK_DEFINITION: tuple[str, ...] = (*EVERY_TASK, AUTH0_SECRET_ARN, CPU_UNITS, DB_SECRET_ARN, PORT, PUBLIC_READS, PUBLIC_URL)
"""Exactly what the task definition's ``environment`` sets (no secret values, only ARNs)."""

# ---- set by the one-off admin task definition (``python -m geoapi users ensure|rotate``) only --------
DB_MASTER_SECRET_ARN = "DB_MASTER_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
"""ARN of the RDS-managed master secret: only the admin task's role may read it."""
DB_APP_SECRET_ARN = "DB_APP_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
"""ARN of the application user's secret, which the admin task writes (the API reads it as its DB_SECRET_ARN)."""
DB_LOADER_SECRET_ARN = "DB_LOADER_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
"""ARN of the loader user's secret, which the admin task writes (migrate/seed read it as their DB_SECRET_ARN)."""

ADMIN_TASK: tuple[str, ...] = (*EVERY_TASK, DB_APP_SECRET_ARN, DB_LOADER_SECRET_ARN, DB_MASTER_SECRET_ARN)
"""Exactly what the admin task definition's ``environment`` sets."""
LOADER_TASK: tuple[str, ...] = (*EVERY_TASK, DB_SECRET_ARN)
"""Exactly what the loader (migrate/seed) task definition's ``environment`` sets."""

# ---- set by the image (Dockerfile ENV) -----------------------------------------------
DB_CA_BUNDLE = "DB_CA_BUNDLE"
"""Path of the PEM bundle the DB server certificate must chain to (the RDS global bundle in the image)."""

IMAGE: tuple[str, ...] = (DB_CA_BUNDLE,)

# ---- local only: never set on AWS ------------------------------------------------------
DB_HOSTADDR = "DB_HOSTADDR"
"""Address to connect to instead of resolving DB_HOST (like libpq's hostaddr); TLS still verifies DB_HOST."""
DATABASE_URL = "DATABASE_URL"
AUTH0_DOMAIN = "AUTH0_DOMAIN"
AUTH0_AUDIENCE = "AUTH0_AUDIENCE"
AUTH0_ISSUER = "AUTH0_ISSUER"
AUTH0_JWKS_URL = "AUTH0_JWKS_URL"
LOCAL_ONLY: tuple[str, ...] = (DB_HOSTADDR, DATABASE_URL, AUTH0_DOMAIN, AUTH0_AUDIENCE, AUTH0_ISSUER, AUTH0_JWKS_URL)

# ---- tuning knobs with documented defaults (optional everywhere) ---------------------------
WEB_CONCURRENCY = "WEB_CONCURRENCY"
GUNICORN_THREADS = "GUNICORN_THREADS"
GUNICORN_TIMEOUT = "GUNICORN_TIMEOUT"
DB_POOL_SIZE = "DB_POOL_SIZE"
BBOX_INDEX_HINT = "BBOX_INDEX_HINT"
JWKS_CACHE_SECONDS = "JWKS_CACHE_SECONDS"
HEALTHCHECK_TIMEOUT = "HEALTHCHECK_TIMEOUT"

TUNING: tuple[str, ...] = (
    WEB_CONCURRENCY,
    GUNICORN_THREADS,
    GUNICORN_TIMEOUT,
    DB_POOL_SIZE,
    BBOX_INDEX_HINT,
    JWKS_CACHE_SECONDS,
    HEALTHCHECK_TIMEOUT,
)


def workers_for_cpu(cpu_units: int) -> int:
    """gunicorn workers for a task of ``cpu_units``: two per vCPU, at least one (256 -> 1, 1024 -> 2, 4096 -> 8)."""
    return max(1, (2 * cpu_units) // 1024)
