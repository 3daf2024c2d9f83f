"""ECS agent state reports (SubmitTaskStateChange) for tasks a local runner executes."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from ._patch import Patches

GAP = (
    "moto 5.2.5, ECS: SubmitTaskStateChange (the call the ECS agent makes to report a task's "
    "and its containers' state and exit codes) is not implemented, and a task's containers "
    "always report exitCode 0. The local data plane (localaws.dataplane) runs one-off tasks "
    "for real (`make local`'s data load) and reports their end through this call, so "
    "`ops.data_load` reads the real exit code with DescribeTasks."
)


def _task(response: Any, cluster: str, task_ref: str) -> Any:
    backend = response.ecs_backend
    name = backend._get_cluster(cluster).name
    task_id = task_ref.split("/")[-1]
    for arn, task in backend.tasks.get(name, {}).items():
        if arn.endswith(task_id):
            return task
    raise KeyError(f"no task {task_ref} in cluster {cluster}")


def submit_task_state_change(self: Any) -> ActionResult:
    """Record the task's status and reason, and each named container's status, exit code, reason."""
    task = _task(self, self._get_param("cluster", "default"), self._get_param("task"))
    status = self._get_param("status")
    for report in self._get_param("containers") or []:
        for container in task.containers:
            if container.name == report.get("containerName"):
                if "exitCode" in report:
                    container.exitCode = container.exit_code = int(report["exitCode"])
                if report.get("status"):
                    container.last_status = report["status"]
                if report.get("reason"):
                    container.reason = report["reason"]
    if status:
        task.last_status = status
        if status == "STOPPED":
            task.desired_status = "STOPPED"
    if self._get_param("reason"):
        task.stopped_reason = self._get_param("reason")
    return ActionResult({"acknowledgment": "ACK"})


def patches() -> Patches:
    """Add the action to moto's ECS response class."""
    return {EC2ContainerServiceResponse: {"submit_task_state_change": submit_task_state_change}}
