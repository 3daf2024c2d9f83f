"""Benchmark: items throughput and Python CPU per request, today's code against an older commit, in one run.

    .venv/bin/python bench/backend_throughput.py --before /tmp/geoapi-before [--points 1000000] [--duration 15]

``--before`` is a checkout of the commit to compare with (``git worktree add /tmp/geoapi-before <commit>``).
One private MariaDB holds N uniformly random points (loaded with LOAD DATA, migrated with today's
code; the older code ignores the newer tables and columns), each with a ``cat`` property declared
as a queryable.  For each of {before, after} x {shipped gunicorn config, 2 sync workers}, gunicorn
serves the API and 8 keep-alive clients send ``GET .../items?bbox=<random 2°x2° box>&limit=100``
for --duration seconds; after also runs with ``&filter=cat='c3'`` added.  Python CPU per request is
the CPU time (user + system) of gunicorn's processes over the run divided by the requests served.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "backend"))

from backend_bbox import REGION, boxes, load, load_points, loadavg  # noqa: E402

from devtools.mariadb_sandbox import MariaDBSandbox, free_port  # noqa: E402
from geoapi import migrate  # noqa: E402
from geoapi.db import make_engine  # noqa: E402
from geoapi.schema import QueryableSpec, declare_queryables  # noqa: E402
from geoapi.settings import Settings  # noqa: E402


def serve(backend: Path, url: str, sync: bool) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(backend),
        "DATABASE_URL": url,
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    cmd = [str(Path(sys.executable).with_name("gunicorn")), "--config", "python:geoapi.gunicorn_conf", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--access-logfile", "/dev/null"]
    if sync:
        cmd += ["--worker-class", "sync", "--workers", "2"]
    process = subprocess.Popen([*cmd, "geoapi.app:wsgi_app()"], cwd=backend, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import http.client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health/ready")
            if conn.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"gunicorn ({backend}) did not start")


def cpu_seconds(process: subprocess.Popen) -> float:
    try:
        procs = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def run(label: str, backend: Path, url: str, sync: bool, queries: list[str], extra: str, args) -> dict:
    process, port = serve(backend, url, sync)
    try:
        load(port, [q + extra for q in queries[-50:]], args.clients, 2.0, 1_000)  # warm-up
        before = cpu_seconds(process)
        result = load(port, [q + extra for q in queries], args.clients, args.duration, args.max_requests)
        result["cpu_ms"] = (cpu_seconds(process) - before) / max(result["requests"], 1) * 1000
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    print(
        f"{label:<40} {result['rps']:7.1f} req/s  p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms  "
        f"Python CPU {result['cpu_ms']:5.2f} ms/request  errors {result['errors']}  ({loadavg()})",
        flush=True,
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the older commit (its backend/ is served)")
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    args = parser.parse_args()
    # the benchmark's own path for the query strings (backend_bbox's load() adds its own prefix)
    queries = [f"{b}" for b in boxes(5000, 43, 2.0)]
    print(f"{os.cpu_count()} CPUs, {loadavg()}; {args.points:,} points over {REGION}; 2°x2° boxes, limit 100, {args.clients} clients")
    with MariaDBSandbox(buffer_pool="1G", extra_args=("--innodb-adaptive-hash-index=ON",)) as db:
        db.create_user("bench", "bench-pass", grant_on="`geoapi_bench`.*")
        db.execute("CREATE DATABASE geoapi_bench CHARACTER SET utf8mb4")
        url = db.url("bench", "bench-pass", "geoapi_bench")
        engine = make_engine(Settings(database_url=url), pool_size=1, max_overflow=0)
        migrate.upgrade(engine)
        print(f"loaded in {load_points(db, 'geoapi_bench', args.points, 42):.1f} s")
        db.execute("UPDATE features SET properties = JSON_SET(properties, '$.cat', CONCAT('c', id % 10))", database="geoapi_bench")
        with engine.begin() as conn:
            declare_queryables(conn, "bench", [QueryableSpec("cat", "string")])
        engine.dispose()
        results = {}
        for sync in (False, True):
            config = "2 sync workers" if sync else "shipped config"
            results[("before", sync)] = run(f"before, {config}", args.before / "backend", url, sync, queries, "", args)
            results[("after", sync)] = run(f"after, {config}", ROOT / "backend", url, sync, queries, "", args)
            results[("filter", sync)] = run(
                f"after + filter cat='c3', {config}", ROOT / "backend", url, sync, queries, "&filter=cat%3D%27c3%27", args
            )
    for sync in (False, True):
        b, a = results[("before", sync)], results[("after", sync)]
        print(
            f"{'2 sync workers' if sync else 'shipped config'}: throughput x{a['rps'] / b['rps']:.2f} (target >= 1.5), "
            f"CPU/request x{a['cpu_ms'] / b['cpu_ms']:.2f} (target <= 0.5)"
        )
    print(json.dumps({f"{k[0]}/{'sync' if k[1] else 'shipped'}": round(v["rps"], 1) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
