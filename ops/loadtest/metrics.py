"""The service's CPU (and memory) while a profile runs.

* ECS (``--env``): CloudWatch ``AWS/ECS`` ``CPUUtilization`` and ``MemoryUtilization`` of the
  service (percent of the tasks' reserved CPU / memory, averaged over its tasks), Average and
  Maximum of the one-minute points inside the profile's window, plus the running task count.
* Local URL: the processes listening on the URL's port and their children (gunicorn's master and
  workers), sampled with psutil every second: CPU in cores used, expressed as a percentage of a
  task of ``task_cpu`` units (1024 units = 1 vCPU) so it reads like ``CPUUtilization``, and the
  summed RSS in MiB.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psutil


@dataclass(frozen=True)
class Usage:
    """Service resource use over one profile's window."""

    cpu_avg_percent: float | None
    cpu_max_percent: float | None
    memory_avg_percent: float | None = None
    memory_max_percent: float | None = None
    memory_max_mib: float | None = None
    tasks: str = ""
    """Running tasks (ECS) or processes (local) during the window."""


class LocalProcesses:
    """psutil sampler for the processes serving ``port`` on this machine."""

    def __init__(self, port: int, task_cpu: int = 1024, interval: float = 1.0):
        self.port = port
        self.task_cpu = task_cpu
        self.interval = interval
        self.samples: list[tuple[float, float, float, int]] = []  # (time, cores, rss MiB, processes)
        self._procs: dict[int, psutil.Process] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _listeners(self) -> list[int]:
        pids = set()
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == self.port and conn.pid:
                pids.add(conn.pid)
        return sorted(pids)

    @staticmethod
    def _family_root(proc: psutil.Process) -> psutil.Process:
        """Climb to the topmost ancestor running the same command (gunicorn: a worker -> its master).

        psutil names one owner per listening socket, and a pre-forked server's socket is shared by
        the master and all workers, so the owner found may be any of them.
        """
        try:
            command = proc.cmdline()
            while (parent := proc.parent()) is not None and parent.cmdline() == command:
                proc = parent
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
        return proc

    def _processes(self) -> list[psutil.Process]:
        found: dict[int, psutil.Process] = {}
        for pid in self._listeners():
            try:
                root = self._family_root(psutil.Process(pid))
                root = self._procs.get(root.pid, root)
                for proc in [root, *root.children(recursive=True)]:
                    found[proc.pid] = self._procs.get(proc.pid, proc)
            except psutil.NoSuchProcess:
                continue
        for pid, proc in found.items():
            if pid not in self._procs:
                proc.cpu_percent(None)  # first call sets the baseline
        self._procs = found
        return list(found.values())

    def check(self) -> int:
        """Number of processes found; raises when nothing listens on the port."""
        count = len(self._processes())
        if not count:
            raise RuntimeError(f"no local process listens on port {self.port}: cannot measure its CPU")
        return count

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            cores = rss = 0.0
            procs = self._processes()
            for proc in procs:
                try:
                    cores += proc.cpu_percent(None) / 100.0
                    rss += proc.memory_info().rss / 2**20
                except psutil.NoSuchProcess:
                    continue
            self.samples.append((time.time(), cores, rss, len(procs)))

    def start(self) -> None:
        self._processes()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def usage(self, start: float, end: float) -> Usage:
        window = [s for s in self.samples if start <= s[0] <= end]
        if not window:
            return Usage(None, None)
        vcpu = self.task_cpu / 1024
        cpu = [cores / vcpu * 100 for _, cores, _, _ in window]
        procs = sorted({n for *_, n in window})
        return Usage(
            cpu_avg_percent=sum(cpu) / len(cpu),
            cpu_max_percent=max(cpu),
            memory_max_mib=max(rss for _, _, rss, _ in window),
            tasks=f"{procs[0]}-{procs[-1]} processes" if len(procs) > 1 else f"{procs[0]} processes",
        )


class EcsServiceMetrics:
    """CloudWatch figures of one ECS service (``target`` is an :class:`ops.stack_outputs.AwsTarget`)."""

    def __init__(self, target, cluster: str, service: str):
        self.cloudwatch = target.client("cloudwatch")
        self.ecs = target.client("ecs")
        self.cluster = cluster
        self.service = service

    def running_tasks(self) -> int:
        svc = self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"][0]
        return int(svc.get("runningCount", 0))

    def usage(self, start: float, end: float, tasks: list[int] | None = None) -> Usage:
        dims = [{"Name": "ClusterName", "Value": self.cluster}, {"Name": "ServiceName", "Value": self.service}]
        queries = []
        for metric in ("CPUUtilization", "MemoryUtilization"):
            for stat in ("Average", "Maximum"):
                queries.append(
                    {
                        "Id": f"{metric[:3].lower()}{stat.lower()}",
                        "MetricStat": {
                            "Metric": {"Namespace": "AWS/ECS", "MetricName": metric, "Dimensions": dims},
                            "Period": 60,
                            "Stat": stat,
                        },
                    }
                )
        # one-minute points whose minute lies inside the window
        begin = datetime.fromtimestamp(start, UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        finish = datetime.fromtimestamp(end, UTC).replace(second=0, microsecond=0)
        if finish <= begin:
            begin, finish = finish - timedelta(minutes=1), finish + timedelta(minutes=1)
        data = self.cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=begin, EndTime=finish)
        values = {r["Id"]: r["Values"] for r in data["MetricDataResults"]}

        def avg(key: str) -> float | None:
            return sum(values[key]) / len(values[key]) if values.get(key) else None

        def peak(key: str) -> float | None:
            return max(values[key]) if values.get(key) else None

        tasks = sorted(set(tasks or [])) or [0]
        return Usage(
            cpu_avg_percent=avg("cpuaverage"),
            cpu_max_percent=peak("cpumaximum"),
            memory_avg_percent=avg("memaverage"),
            memory_max_percent=peak("memmaximum"),
            tasks=f"{tasks[0]}-{tasks[-1]} tasks" if len(tasks) > 1 else f"{tasks[0]} tasks",
        )
