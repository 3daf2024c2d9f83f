"""One profile through locust (library mode): ramp up, reset the statistics, measure, stop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
import psutil
from locust.env import Environment
from locust.stats import RequestStats

from ops.loadtest.metrics import Usage
from ops.loadtest.profiles import Profile
from ops.loadtest.report import ProfileResult
from ops.loadtest.users import WAF_BLOCK, MapUser

ENDPOINTS = ("collections", "bbox", "feature")


def run_profile(
    base_url: str,
    profile: Profile,
    *,
    measure: Callable[[float, float], tuple[Usage, int]],
    log: Callable[[str], None] = print,
) -> ProfileResult:
    """Run ``profile`` against ``base_url``; ``measure(start, end)`` returns the service's usage and task count."""
    env = Environment(user_classes=[MapUser], host=base_url.rstrip("/"), reset_stats=True)
    runner = env.create_local_runner()
    started: list[float] = []
    env.events.spawning_complete.add_listener(lambda user_count: started.append(time.time()))
    log(f"[{profile.name}] {profile.users} users, ramping up over {profile.spawn_seconds:.0f} s, then {profile.duration_seconds:.0f} s")
    generator = psutil.Process()
    runner.start(profile.users, spawn_rate=profile.spawn_rate)
    ramp_deadline = time.monotonic() + profile.spawn_seconds + 30
    while not started and time.monotonic() < ramp_deadline:
        gevent.sleep(0.1)
    start = started[0] if started else time.time()
    generator.cpu_percent(None)
    gevent.sleep(profile.duration_seconds)
    generator_cpu = generator.cpu_percent(None)
    end = time.time()
    figures = _locust_figures(env.stats)
    runner.quit()
    usage, tasks = measure(start, end)
    result = ProfileResult(
        name=profile.name,
        users=profile.users,
        seconds=end - start,
        usage=usage,
        tasks=tasks,
        generator_cpu_percent=generator_cpu,
        **figures,
    )
    cpu = "n/a" if usage.cpu_avg_percent is None else f"{usage.cpu_avg_percent:.0f} %"
    log(
        f"[{profile.name}] {result.rps:.1f} req/s, p50 {result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms, "
        f"{result.api_errors} API errors, {result.waf_blocks} WAF blocks, CPU avg {cpu}"
    )
    return result


def _locust_figures(stats: RequestStats) -> dict[str, Any]:
    """What locust measured, as :class:`ProfileResult` fields: totals, latency percentiles, per endpoint, errors."""
    total = stats.total
    endpoints = {}
    for name in ENDPOINTS:
        entry = stats.entries.get((name, "GET"))
        if entry is not None and entry.num_requests:
            endpoints[name] = (entry.num_requests, entry.get_response_time_percentile(0.5), entry.get_response_time_percentile(0.95))
    latency = {f"p{round(q * 100)}_ms": total.get_response_time_percentile(q) or 0.0 for q in (0.5, 0.95, 0.99)}
    return {
        "requests": total.num_requests,
        "failures": total.num_failures,
        **latency,
        "max_ms": total.max_response_time or 0.0,
        "endpoints": endpoints,
        "errors": [f"{e.name}: {e.error} (x{e.occurrences})" for e in stats.errors.values()],
        "waf_blocks": sum(e.occurrences for e in stats.errors.values() if WAF_BLOCK in str(e.error)),
    }
