"""Figures per profile, and the recommendation drawn from them (task size, scaling thresholds, task counts).

The rules (each is printed next to its result in the report):

* **SLO**: a profile meets it when p95 latency <= ``slo_p95_ms`` (default 500 ms) and at most 1 %
  of requests fail.
* **Scale up** at ``limit - 15`` (rounded down to 5, kept in 40..75), where ``limit`` is the
  service CPU of the first profile that broke the SLO, or 85 % when none did: new Fargate tasks
  take one to two minutes to start and pass health checks, and 15 points leave room for that.
  If a profile broke the SLO below 50 % CPU, the limit is not the task's CPU (database,
  connection pool, load generator): the report says so and CPU scaling alone will not help.
* **Scale down** at ``min(up / 2 - 5, up - 30)`` (rounded down to 5, at least 10): removing one of
  two tasks doubles the CPU of the other, which must stay below the scale-up line.
* **Task CPU**: the smallest Fargate size on which the *average* profile's CPU (all tasks
  together, in vCPU) stays below the scale-up threshold on one task, so normal load runs on the
  minimum task count.
* **Task memory**: peak memory x 1.5, rounded up to a size Fargate allows for that CPU.
* **min_tasks**: tasks of that size the average profile needs below the scale-up threshold
  (at least 1; production keeps at least 2 for availability). **max_tasks**: the same for the
  high profile's peak CPU, x 1.5 for bursts, at least ``min_tasks + 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from environment.config import FARGATE_MEMORY
from ops.loadtest.metrics import Usage

FARGATE_CPU = tuple(sorted(FARGATE_MEMORY))
"""Fargate CPU units the env file schema accepts (with their memory sizes in ``FARGATE_MEMORY``)."""
DEFAULT_SLO_P95_MS = 500.0
MAX_FAILURE_RATIO = 0.01


@dataclass(frozen=True)
class ProfileResult:
    name: str
    users: int
    seconds: float
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    endpoints: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    """name -> (requests, p50 ms, p95 ms)."""
    errors: list[str] = field(default_factory=list)
    usage: Usage = Usage(None, None)
    tasks: int = 1
    """Tasks (or local servers) sharing the load."""
    generator_cpu_percent: float | None = None
    """CPU of the load generator itself (100 = one core); near 100 it, not the API, is the limit."""
    waf_blocks: int = 0
    """Of ``failures``, the requests the edge's WAF refused (403/429 from CloudFront): not API errors."""

    @property
    def api_errors(self) -> int:
        return self.failures - self.waf_blocks

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 1.0

    def meets(self, slo_p95_ms: float) -> bool:
        return self.requests > 0 and self.p95_ms <= slo_p95_ms and self.failure_ratio <= MAX_FAILURE_RATIO


@dataclass(frozen=True)
class Recommendation:
    task_cpu: int
    task_memory: int
    scale_up_cpu_percent: int
    scale_down_cpu_percent: int
    min_tasks: int
    max_tasks: int
    notes: list[str]


def _down5(value: float) -> int:
    return int(math.floor(value / 5) * 5)


def _vcpu_used(result: ProfileResult, task_cpu: int, key: str = "cpu_avg_percent") -> float | None:
    """vCPU the whole service used: task CPU % x task size x tasks."""
    percent = getattr(result.usage, key)
    if percent is None:
        return None
    return percent / 100 * task_cpu / 1024 * max(result.tasks, 1)


def recommend(results: list[ProfileResult], *, task_cpu: int, task_memory: int, slo_p95_ms: float = DEFAULT_SLO_P95_MS) -> Recommendation:
    """Apply the module's rules to the measured profiles (in increasing load order)."""
    notes: list[str] = []
    measured = [r for r in results if r.usage.cpu_avg_percent is not None]
    broke = next((r for r in results if not r.meets(slo_p95_ms)), None)

    busy = [r.name for r in results if (r.generator_cpu_percent or 0) >= 80]
    if busy:
        notes.append(
            f"The load generator used >= 80 % of a core during {', '.join(busy)}: its figures understate what the API can do; "
            "run from a bigger machine or several locust workers."
        )
    if broke is not None and broke.usage.cpu_avg_percent is not None and broke.usage.cpu_avg_percent < 50:
        notes.append(
            f"Profile '{broke.name}' broke the SLO at only {broke.usage.cpu_avg_percent:.0f} % CPU: the limit is not the "
            "task's CPU (look at the database, its connections, or the load generator); more tasks may not help."
        )
    if broke is not None and broke.usage.cpu_avg_percent is not None and broke.usage.cpu_avg_percent >= 50:
        limit = broke.usage.cpu_avg_percent
        notes.append(f"Scale up: '{broke.name}' broke the SLO at {limit:.0f} % CPU; threshold = that - 15 (40..75).")
    else:
        limit = 85.0
        if broke is None:
            notes.append("Scale up: no profile broke the SLO; threshold = 85 % - 15 (a higher 'high' profile would tell more).")
        else:
            notes.append("Scale up: the SLO broke below 50 % CPU; the CPU threshold is the default 85 % - 15.")
    up = min(max(_down5(limit - 15), 40), 75)
    down = max(_down5(min(up / 2 - 5, up - 30)), 10)
    notes.append(f"Scale down at {down} %: min(up/2 - 5, up - 30), so one of two tasks leaving cannot push the other over {up} %.")

    average = next((r for r in results if r.name == "average"), results[len(results) // 2] if results else None)
    high = results[-1] if results else None
    if not measured or average is None or high is None:
        notes.append("CPU was not measured: task size and task counts are the current ones.")
        return Recommendation(task_cpu, task_memory, up, down, 1, 2, notes)

    avg_vcpu = _vcpu_used(average, task_cpu) or 0.0
    high_vcpu = _vcpu_used(high, task_cpu, "cpu_max_percent") or _vcpu_used(high, task_cpu) or 0.0
    usable = up / 100
    cpu = next((c for c in FARGATE_CPU if avg_vcpu <= c / 1024 * usable), FARGATE_CPU[-1])
    notes.append(
        f"Task CPU {cpu}: the average profile used {avg_vcpu:.2f} vCPU in all; the smallest size keeping that under {up} % on one task."
    )

    if high.usage.memory_max_mib is not None:
        peak_mib = high.usage.memory_max_mib / max(high.tasks, 1)
        source = f"peak RSS {peak_mib:.0f} MiB per server"
    elif high.usage.memory_max_percent is not None:
        peak_mib = high.usage.memory_max_percent / 100 * task_memory
        source = f"peak MemoryUtilization {high.usage.memory_max_percent:.0f} % of {task_memory} MiB"
    else:
        peak_mib, source = task_memory / 1.5, "memory not measured (kept)"
    memory = next((m for m in FARGATE_MEMORY[cpu] if m >= peak_mib * 1.5), FARGATE_MEMORY[cpu][-1])
    notes.append(f"Task memory {memory} MiB: {source} x 1.5, rounded up to a Fargate size for {cpu} CPU.")

    per_task = cpu / 1024 * usable
    min_tasks = max(1, math.ceil(avg_vcpu / per_task))
    max_tasks = max(min_tasks + 1, math.ceil(high_vcpu * 1.5 / per_task))
    notes.append(
        f"Tasks: average needs {avg_vcpu:.2f} vCPU -> min_tasks {min_tasks} (production: at least 2); "
        f"high peaked at {high_vcpu:.2f} vCPU, x 1.5 -> max_tasks {max_tasks}."
    )
    if high is broke and high.usage.cpu_avg_percent is not None and high.usage.cpu_avg_percent >= 90:
        notes.append("The high profile saturated the CPU, so its true demand is higher than measured: treat max_tasks as a floor.")
    return Recommendation(cpu, memory, up, down, min_tasks, max_tasks, notes)


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def markdown(
    results: list[ProfileResult],
    rec: Recommendation,
    *,
    target: str,
    cpu_source: str,
    slo_p95_ms: float,
    current: dict[str, int] | None = None,
) -> str:
    """The short report: figures per profile, then the recommendation and its rules."""
    lines = [
        "# Load test report",
        "",
        f"Target: `{target}`. CPU: {cpu_source}. SLO: p95 <= {slo_p95_ms:.0f} ms and <= {MAX_FAILURE_RATIO:.0%} failures.",
        "",
        "| Profile | Users | Req/s | p50 ms | p95 ms | p99 ms | API errors | WAF blocks | CPU avg | CPU max | Memory max | Serving | Generator CPU | SLO |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in results:
        u = r.usage
        memory = _fmt(u.memory_max_mib, " MiB") if u.memory_max_mib is not None else _fmt(u.memory_max_percent, " %")
        lines.append(
            f"| {r.name} | {r.users} | {r.rps:.1f} | {r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.p99_ms:.0f} | "
            f"{r.api_errors} ({_ratio(r.api_errors, r.requests)}) | {r.waf_blocks} ({_ratio(r.waf_blocks, r.requests)}) | "
            f"{_fmt(u.cpu_avg_percent, ' %')} | {_fmt(u.cpu_max_percent, ' %')} | "
            f"{memory} | {u.tasks or '-'} | {_fmt(r.generator_cpu_percent, ' %')} | {'met' if r.meets(slo_p95_ms) else '**missed**'} |"
        )
    lines += [
        "",
        "Per request type (requests, p50 / p95 ms): "
        + "; ".join(
            f"{r.name}: " + ", ".join(f"{name} {n} ({p50:.0f}/{p95:.0f})" for name, (n, p50, p95) in sorted(r.endpoints.items()))
            for r in results
        ),
    ]
    blocked = [r for r in results if r.waf_blocks]
    if blocked:
        lines += [
            "",
            "**The WAF blocked requests** ("
            + ", ".join(f"{r.name}: {r.waf_blocks}" for r in blocked)
            + "): 403/429 from CloudFront, not from the API. The rate rule counted this address, so these profiles "
            "measured the WAF: add the load generator's address to `[loadtest] source_cidrs` (with `expires`) and deploy.",
        ]
    errors = sorted({e for r in results for e in r.errors})
    if errors:
        lines += ["", "Errors seen: " + "; ".join(errors[:5])]
    cur = current or {}

    def row(name: str, key: str, value: int, unit: str = "") -> str:
        was = f" (now {cur[key]}{unit})" if key in cur else ""
        return f"| {name} | {value}{unit}{was} |"

    lines += [
        "",
        "## Recommendation",
        "",
        "| Setting (`[api]` in the env file) | Value |",
        "|---|---|",
        row("cpu", "cpu", rec.task_cpu),
        row("memory", "memory", rec.task_memory, " MiB"),
        row("scale_up_cpu_percent", "scale_up_cpu_percent", rec.scale_up_cpu_percent, " %"),
        row("scale_down_cpu_percent", "scale_down_cpu_percent", rec.scale_down_cpu_percent, " %"),
        row("min_tasks", "min_tasks", rec.min_tasks),
        row("max_tasks", "max_tasks", rec.max_tasks),
        "",
        *[f"- {note}" for note in rec.notes],
        "",
    ]
    return "\n".join(lines)
