"""``python -m ops.loadtest``: see :mod:`ops.loadtest`."""

# locust patches the standard library for gevent: it must be imported before anything else.
from locust import events as _locust_events  # noqa: F401,I001

import argparse
import ipaddress
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from urllib.parse import urlsplit

from ops.loadtest.edge import check_rate_limit
from ops.loadtest.metrics import EcsServiceMetrics, LocalProcesses, Usage
from ops.loadtest.profiles import DEFAULT_DURATION_SECONDS, DEFAULT_SPAWN_SECONDS, parse_profiles
from ops.loadtest.report import DEFAULT_SLO_P95_MS, markdown, recommend
from ops.loadtest.runner import run_profile
from ops.stack_outputs import OpsError, aws_target, load_env_config, read_outputs, run_cli

CLOUDWATCH_DELAY_SECONDS = 150.0
"""Wait after the last profile before reading CloudWatch (ECS publishes one-minute points late)."""


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address") from None


def _main(args: argparse.Namespace) -> int:
    try:
        profiles = parse_profiles(args.profiles, args.duration, args.spawn_seconds)
    except ValueError as err:
        raise OpsError(str(err)) from None
    if not args.env and not args.base_url:
        raise OpsError("give --env ENV (its site_url and ECS service) or --base-url URL")

    current: dict[str, int] = {}
    task_cpu, task_memory = args.task_cpu, args.task_memory
    ecs = None
    base_url = args.base_url
    if args.env:
        config = load_env_config(args.env, args.envs_dir)
        current = {
            k: getattr(config.api, k) for k in ("cpu", "memory", "scale_up_cpu_percent", "scale_down_cpu_percent", "min_tasks", "max_tasks")
        }
        task_cpu, task_memory = task_cpu or config.api.cpu, task_memory or config.api.memory
        outputs = read_outputs(args.env, outputs_file=args.outputs_file)
        base_url = base_url or outputs.string("site_url")
        if not _is_local(base_url):  # through the env's CloudFront and its WAF
            check_rate_limit(config, profiles, args.source_ip)
        if not _is_local(base_url) or args.cloudwatch:
            ecs = EcsServiceMetrics(
                aws_target(args.env, args.envs_dir), outputs.string("ecs_cluster_name"), outputs.string("ecs_service_name")
            )
    task_cpu, task_memory = task_cpu or 1024, task_memory or 2048

    local = None
    if ecs is not None:
        cpu_source = f"CloudWatch AWS/ECS CPUUtilization of the service (% of {task_cpu} CPU units per task)"
    elif _is_local(base_url):
        port = urlsplit(base_url).port or (443 if base_url.startswith("https") else 80)
        local = LocalProcesses(port, task_cpu=task_cpu)
        try:
            count = local.check()
        except RuntimeError as err:
            raise OpsError(str(err)) from None
        cpu_source = f"psutil, {count} processes on port {port}, as % of a {task_cpu}-unit task ({task_cpu / 1024:g} vCPU)"
        local.start()
    else:
        cpu_source = "not measured (a remote URL without --env)"

    windows: list[tuple[float, float]] = []

    def measure(start: float, end: float) -> tuple[Usage, int]:
        windows.append((start, end))
        if local is not None:
            time.sleep(local.interval * 1.5)  # let the sampler close the window
            return local.usage(start, end), 1
        if ecs is not None:
            return Usage(None, None), ecs.running_tasks()  # CloudWatch is read at the end
        return Usage(None, None), 1

    print(f"load test of {base_url}: " + ", ".join(f"{p.name}={p.users} users" for p in profiles))
    results = []
    try:
        for profile in profiles:
            results.append(run_profile(base_url, profile, measure=measure))
    finally:
        if local is not None:
            local.stop()
    if ecs is not None:
        print(f"waiting {args.cloudwatch_delay:.0f} s for CloudWatch's one-minute points ...")
        time.sleep(args.cloudwatch_delay)
        results = [replace(r, usage=ecs.usage(start, end, [r.tasks])) for r, (start, end) in zip(results, windows, strict=True)]

    rec = recommend(results, task_cpu=task_cpu, task_memory=task_memory, slo_p95_ms=args.slo_p95_ms)
    text = markdown(results, rec, target=base_url, cpu_source=cpu_source, slo_p95_ms=args.slo_p95_ms, current=current)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
        print(f"report written to {args.report}")
    else:
        print(text)
    if args.json:
        args.json.write_text(
            json.dumps({"results": [asdict(r) for r in results], "recommendation": asdict(rec)}, indent=2), encoding="utf-8"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.loadtest", description="Drive an API through low/average/high load and size it.")
    parser.add_argument("--env", help="environment: its site_url, ECS service and CloudWatch CPU, and its current sizes")
    parser.add_argument("--base-url", help="API base URL (default: the env's site_url); a loopback URL measures local CPU")
    parser.add_argument("--outputs-file", type=Path, help="stack outputs JSON (see ops.stack_outputs)")
    parser.add_argument("--envs-dir", type=Path, default=Path("envs"), help="folder of environment files (default: envs/)")
    parser.add_argument("--profiles", help="name=users,... (default: low=5,average=25,high=75)")
    parser.add_argument(
        "--source-ip",
        type=_address,
        help="the load generator's public address; with --env, a run over the WAF rate limit needs it in [loadtest] source_cidrs",
    )
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_SECONDS, help="seconds per profile after ramp-up (default 180)")
    parser.add_argument("--spawn-seconds", type=float, default=DEFAULT_SPAWN_SECONDS, help="ramp-up seconds per profile (default 10)")
    parser.add_argument("--slo-p95-ms", type=float, default=DEFAULT_SLO_P95_MS, help="p95 latency objective (default 500)")
    parser.add_argument("--task-cpu", type=int, help="CPU units of one task (default: the env's, else 1024)")
    parser.add_argument("--task-memory", type=int, help="MiB of one task (default: the env's, else 2048)")
    parser.add_argument("--cloudwatch", action="store_true", help="read CloudWatch even for a loopback URL (tunnels)")
    parser.add_argument(
        "--cloudwatch-delay", type=float, default=CLOUDWATCH_DELAY_SECONDS, help="seconds to wait before reading CloudWatch"
    )
    parser.add_argument("--report", type=Path, help="write the Markdown report here (default: print it)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    return run_cli(_main, argv, parser)


if __name__ == "__main__":
    sys.exit(main())
