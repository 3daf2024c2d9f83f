"""One-off tasks (ECS RunTask, e.g. ``ops.data_load``'s migrate and seed) run for real.

The supervisor plays the ECS agent: it polls the cluster for RUNNING tasks that no service
owns (group ``family:...``), runs each one's container command (with the task's container
overrides) as a local process with the task definition's environment and the local
overrides, copies its output to the task's CloudWatch log stream (``awslogs``), and reports
the end with ``SubmitTaskStateChange`` (exit code and reason, as the agent does), so the
caller reads the exit code with ``DescribeTasks``. The emulator is told (moto's
state-manager API) to leave tasks RUNNING until they are reported.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from environment.names import awslogs_stream

from . import image as image_mod
from .overrides import LocalContext
from .readback import ContainerSpec
from .tasks import container_env

log = logging.getLogger(__name__)

HOLD_TRANSITIONS = 10**9
"""moto advances a task's status once per DescribeTasks by default; this many describes first."""


def hold_tasks_running(endpoint: str) -> None:
    """Ask moto to keep ECS tasks RUNNING until the agent reports them (moto's state-manager API)."""
    body = json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": HOLD_TRANSITIONS}}).encode()
    request = urllib.request.Request(f"{endpoint}/moto-api/state-manager/set-transition", data=body, method="POST")  # noqa: S310 - the loopback emulator
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the loopback emulator
        response.read()


def _container_spec(td: dict[str, Any], overrides: dict[str, Any]) -> ContainerSpec:
    containers = td["containerDefinitions"]
    c = next((c for c in containers if c.get("essential", True)), containers[0])
    override = next((o for o in overrides.get("containerOverrides", []) if o.get("name") == c["name"]), {})
    env = {i["name"]: i["value"] for i in c.get("environment") or []}
    env.update({i["name"]: i["value"] for i in override.get("environment") or []})
    port = int((c.get("portMappings") or [{"containerPort": 8000}])[0]["containerPort"])
    return ContainerSpec(
        name=c["name"],
        command=override.get("command") or c.get("command"),
        environment=env,
        secrets={i["name"]: i["valueFrom"] for i in c.get("secrets") or []},
        container_port=port,
    )


class OneOffRunner:
    def __init__(self, cluster: str, client: Callable[[str], Any], make_context: Callable[[str], LocalContext], log_dir: Path) -> None:
        self.cluster = cluster
        self.client = client
        self.make_context = make_context
        self.log_dir = log_dir
        self.image = image_mod.read_image()
        self.seen: set[str] = set()
        self.results: dict[str, int] = {}

    def _pending(self) -> list[dict[str, Any]]:
        ecs = self.client("ecs")
        arns = [a for a in ecs.list_tasks(cluster=self.cluster, desiredStatus="RUNNING")["taskArns"] if a not in self.seen]
        if not arns:
            return []
        tasks = ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"]
        return [t for t in tasks if str(t.get("group", "")).startswith("family:") and t.get("lastStatus") == "RUNNING"]

    async def poll_forever(self, every: float = 1.0) -> None:
        while True:
            try:
                pending = await asyncio.to_thread(self._pending)
            except Exception as exc:  # the emulator restarting: try again
                log.warning("one-off poll failed: %s", exc)
                pending = []
            for task in pending:
                self.seen.add(task["taskArn"])
                asyncio.get_running_loop().create_task(self.run(task))
            await asyncio.sleep(every)

    async def run(self, task: dict[str, Any]) -> int:
        arn = task["taskArn"]
        ecs = self.client("ecs")
        td = (await asyncio.to_thread(ecs.describe_task_definition, taskDefinition=task["taskDefinitionArn"]))["taskDefinition"]
        container = _container_spec(td, task.get("overrides") or {})
        env = container_env(container, self.client, self.make_context("127.0.0.1"), self.image)
        env.pop("GUNICORN_CMD_ARGS", None)
        argv = image_mod.local_argv(container.command or self.image.cmd)
        task_id = arn.rsplit("/", 1)[-1]
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.log_dir / f"oneoff-{task_id}.log"
        log.info("one-off task %s: %s", task_id, " ".join(argv))
        with open(log_file, "wb") as out:
            process = await asyncio.create_subprocess_exec(*argv, env=env, cwd=str(image_mod.BACKEND), stdout=out, stderr=out)
            code = await process.wait()
        self.results[arn] = code
        log.info("one-off task %s exited %d", task_id, code)
        await asyncio.to_thread(self._report, arn, td, container.name, code, log_file)
        return code

    def _report(self, arn: str, td: dict[str, Any], container: str, code: int, log_file: Path) -> None:
        self._copy_log(td, container, arn, log_file)
        reason = f"Essential container in task exited (exit code {code})"
        self.client("ecs").submit_task_state_change(
            cluster=self.cluster,
            task=arn,
            status="STOPPED",
            reason="Essential container in task exited",
            containers=[{"containerName": container, "exitCode": code, "status": "STOPPED", "reason": reason}],
        )

    def _copy_log(self, td: dict[str, Any], container: str, arn: str, log_file: Path) -> None:
        found = awslogs_stream(next(c for c in td["containerDefinitions"] if c["name"] == container), arn)
        if found is None:
            return
        group, stream = found
        logs = self.client("logs")
        try:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            now = int(time.time() * 1000)
            lines = log_file.read_text(errors="replace").splitlines()[-1000:] or ["(no output)"]
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": now, "message": line or " "} for line in lines],  # CloudWatch refuses empty messages
            )
        except Exception as exc:  # the log copy is a convenience: the exit code is what matters
            log.warning("could not copy the one-off task's log to CloudWatch: %s", exc)
