"""Secrets Manager access: read JSON secrets by ARN, cache them, re-read on demand.

boto3 finds its credentials the usual way (task role on ECS, ``AWS_*`` variables locally);
``AWS_ENDPOINT_URL`` points it at an emulator. The region is the secret ARN's own (botocore
reads ``AWS_DEFAULT_REGION``, not the ``AWS_REGION`` the task definition sets, and a
secret can only be read in its region anyway).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from geoapi import envvars as ev


def task_region() -> str | None:
    """The task definition's ``AWS_REGION`` (botocore itself reads only ``AWS_DEFAULT_REGION``)."""
    return os.environ.get(ev.AWS_REGION) or None


def aws_client(service: str) -> Callable[[], Any]:
    """A factory of boto3 clients for ``service`` in the task's region."""
    return lambda: boto3.client(service, region_name=task_region())


class SecretError(RuntimeError):
    """A secret could not be read or does not have the expected shape."""


class SecretNotProvisioned(SecretError):
    """The secret exists but has no value yet (e.g. a database user's, before the admin task first ran)."""


class SecretStore:
    """Reads JSON secrets by ARN, with a per-ARN cache.

    ``get(arn)`` returns the cached value; ``get(arn, refresh=True)`` calls
    Secrets Manager again (used when the DB rejects a rotated password).
    """

    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        #: number of GetSecretValue calls made (observability and tests)
        self.fetch_count = 0

    def _get_client(self, arn: str) -> Any:
        if self._client_factory is not None:
            if self._client is None:
                self._client = self._client_factory()
            return self._client
        region = arn.split(":")[3] if arn.count(":") >= 6 else None
        return boto3.client("secretsmanager", region_name=region or task_region())

    def get(self, arn: str, *, refresh: bool = False, required_keys: tuple[str, ...] = ()) -> dict[str, Any]:
        with self._lock:
            if refresh or arn not in self._cache:
                self._cache[arn] = self._fetch(arn, required_keys)
            return self._cache[arn]

    def _fetch(self, arn: str, required_keys: tuple[str, ...]) -> dict[str, Any]:
        self.fetch_count += 1
        try:
            response = self._get_client(arn).get_secret_value(SecretId=arn)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") == "ResourceNotFoundException" and self._exists(arn):
                raise SecretNotProvisioned(f"secret {arn} has no value yet") from exc
            raise SecretError(f"cannot read secret {arn}: {error.get('Code', 'ClientError')}: {error.get('Message', exc)}") from exc
        except BotoCoreError as exc:
            raise SecretError(f"cannot read secret {arn}: {exc}") from exc
        raw = response.get("SecretString")
        if raw is None:
            raise SecretError(f"secret {arn} has no SecretString (binary secrets are not supported)")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SecretError(f"secret {arn} is not a JSON object: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise SecretError(f"secret {arn} is not a JSON object")
        missing = [key for key in required_keys if not value.get(key)]
        if missing:
            raise SecretError(f"secret {arn} lacks key(s): {', '.join(missing)}")
        return value

    def _exists(self, arn: str) -> bool:
        """Whether the secret itself exists (asked only after GetSecretValue found no value)."""
        try:
            self._get_client(arn).describe_secret(SecretId=arn)
        except (ClientError, BotoCoreError):
            return False
        return True
