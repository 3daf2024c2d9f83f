"""Fargate containers without their own memory setting share the task's memory."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from moto.ecs import models as ecs_models

from ._patch import Patches

GAP = (
    "moto 5.2.5: RunTask adds up each container's memory or memoryReservation and fails with "
    "HTTP 500 (TypeError on None) when a container has neither, although Fargate task "
    "definitions may set memory only at task level (as env-local's does). The one-off "
    "migrate/seed task of `make data-load` could not start on the emulator."
)


def _has_memory(container: dict[str, Any]) -> bool:
    return any(k in container for k in ("memory", "memoryReservation", "Memory", "MemoryReservation"))


def patches() -> Patches:
    """Count a container without memory settings as using the task's memory."""
    backend = ecs_models.EC2ContainerServiceBackend
    original = backend._calculate_task_resource_requirements

    def calculate(task_definition: Any) -> dict[str, Any]:
        containers = task_definition.container_definitions
        if task_definition.memory is None or all(_has_memory(c) for c in containers):
            return original(task_definition)
        share = int(task_definition.memory) // len(containers)
        filled = [c if _has_memory(c) else {**c, "memoryReservation": share} for c in containers]
        return original(SimpleNamespace(container_definitions=filled))

    return {backend: {"_calculate_task_resource_requirements": staticmethod(calculate)}}
