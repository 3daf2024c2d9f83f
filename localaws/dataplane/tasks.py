"""API tasks: the ECS service's task definition run as local processes, ``desiredCount`` of them.

Each task runs the container's command (the task definition's ``command``, else the image's
``CMD``, read from backend/Dockerfile) from the project's venv, with the image's ENV, then
the task definition's ``environment``, its ``secrets`` resolved by ARN from the emulated
Secrets Manager, and the local overrides (``overrides.py``) on top. Each task gets its own
loopback address (as each Fargate task has its own ENI) on the container port. A task that
exits is deregistered from the balancer and replaced by a new one on a new address, as the
ECS service scheduler does.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import image as image_mod
from .overrides import LocalContext, apply
from .readback import ContainerSpec, ServiceSpec

log = logging.getLogger(__name__)


def resolve_secrets(secrets: dict[str, str], client: Callable[[str], Any]) -> dict[str, str]:
    """ECS ``secrets``: ``valueFrom`` = a secret ARN, optionally ``:json-key:version-stage:version-id``."""
    if not secrets:
        return {}
    sm = client("secretsmanager")
    values = {}
    for name, value_from in secrets.items():
        parts = value_from.split(":")
        arn, extra = ":".join(parts[:7]), parts[7:]
        json_key = extra[0] if extra else ""
        secret = sm.get_secret_value(SecretId=arn)["SecretString"]
        values[name] = str(json.loads(secret)[json_key]) if json_key else secret
    return values


def container_env(container: ContainerSpec, client: Callable[[str], Any], ctx: LocalContext, image: image_mod.Image) -> dict[str, str]:
    """The full process environment of one local task."""
    env = image_mod.base_env(image)
    env.update(container.environment)
    env.update(resolve_secrets(container.secrets, client))
    return apply(env, ctx)


@dataclass
class LocalTask:
    id: str
    address: str
    process: asyncio.subprocess.Process
    started: float = field(default_factory=time.time)

    @property
    def pid(self) -> int:
        return self.process.pid


class AddressPool:
    """Loopback addresses for tasks: ``<base>.1``, ``.2``, ... never reusing one still in use."""

    def __init__(self, base: str) -> None:
        self.network = ipaddress.ip_network(f"{base}.0/24")
        self._next = 1

    def take(self, in_use: set[str]) -> str:
        for _ in range(254):
            candidate = str(self.network.network_address + self._next)
            self._next = self._next % 254 + 1
            if candidate not in in_use:
                return candidate
        raise RuntimeError("no free loopback address for a new task")


class TaskSet:
    """Keeps ``desired_count`` tasks of the service running."""

    def __init__(self, service: ServiceSpec, make_context: Callable[[str], LocalContext], client, log_dir: Path, address_base: str) -> None:
        self.service = service
        self.make_context = make_context
        self.client = client
        self.log_dir = log_dir
        self.pool = AddressPool(address_base)
        self.image = image_mod.read_image()
        self.tasks: dict[str, LocalTask] = {}
        self.replaced = 0
        self._serial = 0

    async def start_one(self) -> LocalTask:
        address = self.pool.take({t.address for t in self.tasks.values()})
        ctx = self.make_context(address)
        env = container_env(self.service.container, self.client, ctx, self.image)
        argv = image_mod.local_argv(self.service.container.command or self.image.cmd)
        self._serial += 1
        task_id = f"task-{self._serial}-{address.replace('.', '-')}"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{task_id}.log", "ab") as out:
            process = await asyncio.create_subprocess_exec(
                *argv, env=env, cwd=str(image_mod.BACKEND), stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
            )
        task = LocalTask(task_id, address, process)
        self.tasks[task_id] = task
        log.info("started %s at %s:%d (pid %d)", task_id, address, self.service.container.container_port, process.pid)
        return task

    def exited(self) -> list[LocalTask]:
        return [t for t in self.tasks.values() if t.process.returncode is not None]

    async def stop_all(self, timeout: float = 20.0) -> None:
        for task in self.tasks.values():
            if task.process.returncode is None:
                task.process.terminate()
        for task in self.tasks.values():
            try:
                await asyncio.wait_for(task.process.wait(), timeout)
            except TimeoutError:
                task.process.kill()
                await task.process.wait()

    def status(self) -> list[dict]:
        return [
            {
                "id": t.id,
                "address": t.address,
                "port": self.service.container.container_port,
                "pid": t.pid,
                "started": t.started,
                "returncode": t.process.returncode,
            }
            for t in self.tasks.values()
        ]
