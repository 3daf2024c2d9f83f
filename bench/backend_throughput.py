"""Benchmark: items throughput and Python CPU per request, today's code against an older commit, in one run.

    .venv/bin/python bench/backend_throughput.py --before /tmp/geoapi-before [--points 1000000] [--duration 15]

``--before`` is a checkout of the commit to compare with (``git worktree add /tmp/geoapi-before <commit>``).
One private MariaDB holds N uniformly random points (loaded with LOAD DATA, migrated with today's
code; the older code ignores the newer tables and columns), each with a ``cat`` property declared
as a queryable.  For each of {before, after} x {shipped gunicorn config, 2 sync workers}, gunicorn
serves the API and 8 keep-alive clients send ``GET .../items?bbox=<random 2°x2° box>&limit=100``
for --duration seconds; after also runs with ``&filter=cat='c3'`` added (and ``--previous``, a third
checkout, with and without it).  CPU per request is the CPU time (user + system) over the run,
divided by the requests served, of gunicorn's processes (Python), of mariadbd, and of this
process (the load generator): on 2 cores the three share the machine, so their sum bounds req/s.
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


def own_cpu_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def run(label: str, backend: Path, url: str, sync: bool, queries: list[str], extra: str, args, db_pid: int) -> dict:
    """One configuration: req/s, latency, and CPU per request of gunicorn (Python), mariadbd and the load generator."""
    process, port = serve(backend, url, sync)
    try:
        load(port, [q + extra for q in queries[-50:]], args.clients, 2.0, 1_000)  # warm-up
        before = (cpu_seconds(process), own_cpu_seconds(db_pid), own_cpu_seconds(os.getpid()))
        result = load(port, [q + extra for q in queries], args.clients, args.duration, args.max_requests)
        after = (cpu_seconds(process), own_cpu_seconds(db_pid), own_cpu_seconds(os.getpid()))
        per = max(result["requests"], 1)
        result["cpu_ms"], result["db_ms"], result["client_ms"] = ((a - b) / per * 1000 for a, b in zip(after, before, strict=True))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    print(
        f"{label:<40} {result['rps']:7.1f} req/s  p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms  "
        f"CPU ms/request: Python {result['cpu_ms']:5.2f}, MariaDB {result['db_ms']:5.2f}, load generator {result['client_ms']:5.2f}  "
        f"errors {result['errors']}  ({loadavg()})",
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
    parser.add_argument("--previous", type=Path, help="optional checkout of a third commit (with filters), run with and without the filter")
    args = parser.parse_args()
    cat = "&filter=cat%3D%27c3%27"
    runs = [("before", args.before / "backend", ""), ("after", ROOT / "backend", ""), ("after + filter cat='c3'", ROOT / "backend", cat)]
    if args.previous:
        runs += [("previous", args.previous / "backend", ""), ("previous + filter cat='c3'", args.previous / "backend", cat)]
    # the benchmark's own path for the query strings (backend_bbox's load() adds its own prefix)
    queries = [f"{b}" for b in boxes(5000, 43, 2.0)]
    print(f"{os.cpu_count()} CPUs, {loadavg()}; {args.points:,} points over {REGION}; 2°x2° boxes, limit 100, {args.clients} clients")
    with MariaDBSandbox(buffer_pool="1G", extra_args=("--innodb-adaptive-hash-index=ON",)) as db:
        db.create_user("bench", "bench-pass", grant_on="`geoapi_bench`.*")
        db.execute("CREATE DATABASE geoapi_bench CHARACTER SET utf8mb4")
        url = db.url("bench", "bench-pass", "geoapi_bench")
        engine = make_engine(Settings(database_url=url), pool_size=1, max_overflow=0)
        migrate.upgrade(engine)
        print(f"loaded in {load_points(db, 'geoapi_bench', args.points, 42, categories=10):.1f} s")
        with engine.begin() as conn:
            declare_queryables(conn, "bench", [QueryableSpec("cat", "string")])
        engine.dispose()
        results = {}
        for sync in (False, True):
            config = "2 sync workers" if sync else "shipped config"
            for label, backend, extra in runs:
                results[(label, sync)] = run(f"{label}, {config}", backend, url, sync, queries, extra, args, db.process.pid)
    for sync in (False, True):
        b, a = results[("before", sync)], results[("after", sync)]
        print(
            f"{'2 sync workers' if sync else 'shipped config'}: throughput x{a['rps'] / b['rps']:.2f} (target >= 1.5), "
            f"Python CPU/request x{a['cpu_ms'] / b['cpu_ms']:.2f} (target <= 0.5), MariaDB CPU/request x{a['db_ms'] / b['db_ms']:.2f}, "
            f"all CPU/request {b['cpu_ms'] + b['db_ms'] + b['client_ms']:.1f} -> {a['cpu_ms'] + a['db_ms'] + a['client_ms']:.1f} ms "
            f"(2 cores bound req/s at {2000 / (a['cpu_ms'] + a['db_ms'] + a['client_ms']):.0f})"
        )
    print(json.dumps({f"{k[0]}/{'sync' if k[1] else 'shipped'}": round(v["rps"], 1) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
