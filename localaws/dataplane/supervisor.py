"""The supervisor: one detached process that runs the data plane's moving parts on loopback.

    python -m localaws.dataplane.supervisor --dir <state>/dataplane

It reads ``spec.json`` (what was deployed, :mod:`.readback`) and ``ports.json`` and runs, in
one asyncio loop:

* the **API tasks** (:class:`.tasks.TaskSet`): ``desiredCount`` of them, each on its own
  loopback address; a task that exits, or that the load balancer marks unhealthy, is
  stopped and replaced, as the ECS service scheduler does;
* the **load balancer** (:class:`.balancer.Balancer`) with the target group's health check;
* the **one-off task runner** (:class:`.oneoff.OneOffRunner`): ``RunTask`` as the ECS agent;
* the **edge** (:class:`.edge.Edge`): the CloudFront distribution.

Every second it writes ``status.json`` (tasks, targets, edge counters, ``ready``). SIGTERM
stops the tasks and exits. The database runs apart (``database.py``): it outlives restarts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3

from localaws.server import DUMMY_CREDENTIALS

from .balancer import Balancer
from .edge import Edge
from .issuer import issuer_url, jwks_url
from .oneoff import OneOffRunner, hold_tasks_running
from .overrides import LocalContext, local_distribution, local_health_check
from .readback import DataPlaneSpec
from .tasks import TaskSet

log = logging.getLogger("localaws.dataplane")

LOOPBACK = "127.0.0.1"


def client_factory(endpoint: str, region: str):
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    return client


def task_address_base(balancer_port: int) -> str:
    """``127.a.b`` for this data plane's tasks, from its balancer port (two data planes never share one)."""
    return f"127.{(balancer_port >> 8) & 255 or 1}.{balancer_port & 255}"


class Supervisor:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.spec = DataPlaneSpec.from_json((directory / "spec.json").read_text())
        self.ports: dict[str, int] = json.loads((directory / "ports.json").read_text())
        self.client = client_factory(self.spec.endpoint, self.spec.region)
        self.edge_url = f"http://{LOOPBACK}:{self.ports['site']}"
        self.issuer_url = issuer_url(self.ports["issuer"], LOOPBACK)  # started by plane.py, beside the database
        self.balancer = Balancer(local_health_check(self.spec.target_group.health_check), LOOPBACK, self.ports["nlb"])
        self.tasks = TaskSet(self.spec.service, self.context, self.client, directory / "logs", task_address_base(self.ports["nlb"]))
        self.oneoff = OneOffRunner(self.spec.service.cluster, self.client, self.context, directory / "logs")
        s3 = self.client("s3")
        # the local balancer stands in for every load balancer whose listener forwards to the service's group
        balancers = {arn: (LOOPBACK, self.ports["nlb"]) for arn in self.spec.target_group.load_balancer_arns}
        distribution = local_distribution(self.spec.distribution, self.issuer_url)
        cloudfront = self.client("cloudfront")  # the edge follows the distribution's invalidations
        self.edge = Edge(
            distribution,
            s3_client=lambda: s3,
            cloudfront_client=lambda: cloudfront,
            balancers=balancers,
            host=LOOPBACK,
            port=self.ports["site"],
        )
        self.started = time.time()
        self.failures_in_a_row = 0
        self.next_start = 0.0
        self._stop = asyncio.Event()

    def context(self, task_address: str) -> LocalContext:
        return LocalContext(
            endpoint=self.spec.endpoint,
            region=self.spec.region,
            task_address=task_address,
            container_port=self.spec.service.container.container_port,
            db_address=LOOPBACK,
            db_port=self.ports["db"],
            ca_bundle=str(self.directory / "tls" / "ca.pem"),
            public_url=self.edge_url + "/api",
            auth_issuer=self.issuer_url,
            auth_jwks_url=jwks_url(self.issuer_url),
        )

    async def _start_task(self) -> None:
        task = await self.tasks.start_one()
        self.balancer.register(task.address, self.spec.service.container.container_port)

    async def _reconcile(self) -> None:
        """Replace tasks that exited or that the balancer marks unhealthy; keep desiredCount."""
        port = self.spec.service.container.container_port
        states = {t.key: t.state for t in self.balancer.targets.values()}
        for task in list(self.tasks.tasks.values()):
            key = f"{task.address}:{port}"
            exited = task.process.returncode is not None
            in_grace = time.time() - task.started < self.spec.service.health_check_grace_seconds
            if exited or (states.get(key) == "unhealthy" and not in_grace):
                reason = f"exited {task.process.returncode}" if exited else "failed load balancer health checks"
                log.warning("task %s %s: replacing it", task.id, reason)
                self.balancer.deregister(key)
                if not exited:
                    task.process.terminate()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(task.process.wait(), 20)
                del self.tasks.tasks[task.id]
                self.tasks.replaced += 1
                self.failures_in_a_row += 1
                # ECS throttles a service whose tasks keep failing to start; so does this
                self.next_start = time.monotonic() + min(2.0**self.failures_in_a_row, 60.0)
        if any(t.state == "healthy" for t in self.balancer.targets.values()):
            self.failures_in_a_row = 0
        while len(self.tasks.tasks) < self.spec.service.desired_count and time.monotonic() >= self.next_start:
            await self._start_task()

    def status(self) -> dict[str, Any]:
        healthy = len(self.balancer.healthy())
        return {
            "pid": os.getpid(),
            "started": self.started,
            "updated": time.time(),
            "edge": self.edge_url,
            "balancer": f"{LOOPBACK}:{self.ports['nlb']}",
            "database": f"{LOOPBACK}:{self.ports['db']}",
            "desired_count": self.spec.service.desired_count,
            "tasks": self.tasks.status(),
            "replaced": self.tasks.replaced,
            "targets": self.balancer.status(),
            "one_off": {arn: code for arn, code in self.oneoff.results.items()},
            "edge_requests": self.edge.stats.requests,
            "edge_cache": {
                "hits": self.edge.stats.cache_hits,
                "origin_fetches": self.edge.stats.origin_fetches,
                "entries": len(self.edge.cache),
                "invalidations": self.edge.stats.invalidations,
            },
            "ready": healthy >= 1,
        }

    def _write_status(self) -> None:
        path = self.directory / "status.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status(), indent=2) + "\n")
        tmp.replace(path)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        await asyncio.to_thread(hold_tasks_running, self.spec.endpoint)
        await self.balancer.start()
        await self.edge.start()
        poller = loop.create_task(self.oneoff.poll_forever())
        try:
            while not self._stop.is_set():
                await self._reconcile()
                self._write_status()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 1.0)
        finally:
            poller.cancel()
            await self.tasks.stop_all()
            await self.balancer.close()
            await self.edge.close()
            (self.directory / "status.json").unlink(missing_ok=True)
            log.info("data plane stopped")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localaws.dataplane.supervisor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, required=True, help="the data plane's state dir (spec.json, ports.json)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    asyncio.run(Supervisor(args.dir.resolve()).run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
