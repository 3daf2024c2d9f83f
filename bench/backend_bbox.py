"""Benchmark: bbox queries against 1,000,000 points, through gunicorn, with and without the SPATIAL index.

    .venv/bin/python bench/backend_bbox.py [--points 1000000] [--clients 8] [--duration 20]

What it does (everything on loopback, bounded in time, cleaned up at the end):
1. starts a private MariaDB (backend/devtools), migrates a database and loads
   N random points over Europe (lon -10..30, lat 35..60, ~1,000 per square
   degree) with LOAD DATA LOCAL INFILE;
2. runs the container's gunicorn command against it and sends
   ``GET /api/collections/bench/items?bbox=<random 1°x1° box>&limit=100`` from
   8 concurrent keep-alive clients for --duration seconds;
3. does the same with the app's bbox query told to IGNORE the SPATIAL index
   (BBOX_INDEX_HINT=ignore) for --ignored-duration seconds;
4. prints throughput and p50/p95/p99 latency for both, the query plans, and
   the SQL-only time of one query each way.

Target: p95 <= 50 ms with the index.  Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
sys.path.insert(0, str(BACKEND))

from devtools.mariadb_sandbox import MariaDBSandbox, free_port  # noqa: E402
from geoapi import dialect, migrate  # noqa: E402
from geoapi.db import make_engine  # noqa: E402
from geoapi.settings import Settings  # noqa: E402

REGION = (-10.0, 35.0, 30.0, 60.0)


def load_points(db: MariaDBSandbox, name: str, points: int, seed: int, *, categories: int = 0) -> float:
    """LOAD DATA N random points (properties ``{"n": i}``, plus ``"cat": "c<i % categories>"`` when asked); seconds taken."""
    rng = random.Random(seed)
    minx, miny, maxx, maxy = REGION
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as tsv:
        for i in range(1, points + 1):
            cat = f', "cat": "c{i % categories}"' if categories else ""
            tsv.write(f'{i}\tbench\t{rng.uniform(minx, maxx):.6f}\t{rng.uniform(miny, maxy):.6f}\t{{"n": {i}{cat}}}\n')
        path = tsv.name
    conn = db.root(name, local_infile=True)
    started = time.perf_counter()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            d = dialect.for_server("MariaDB" in cur.fetchone()[0])
            cur.execute("INSERT INTO collections (id, title, bbox) VALUES ('bench', 'Benchmark points', %s)", (json.dumps(list(REGION)),))
            cur.execute(
                f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE features "
                "FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' (id, collection_id, @lon, @lat, properties) "
                f"SET geom = ST_GeomFromText(CONCAT('POINT(', @lon, ' ', @lat, ')'), {dialect.SRID}{d.axis_option})"
            )
            cur.execute("ANALYZE TABLE features")
            cur.fetchall()
    finally:
        conn.close()
        os.unlink(path)
    return time.perf_counter() - started


def boxes(count: int, seed: int, size: float) -> list[str]:
    rng = random.Random(seed)
    minx, miny, maxx, maxy = REGION
    out = []
    for _ in range(count):
        x, y = rng.uniform(minx, maxx - size), rng.uniform(miny, maxy - size)
        out.append(f"{x:.4f},{y:.4f},{x + size:.4f},{y + size:.4f}")
    return out


def loadavg() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


class Server:
    """The container's CMD (from backend/Dockerfile), run as a subprocess."""

    def __init__(self, database_url: str, hint: str, workers: int, threads: int) -> None:
        cmd = json.loads([line for line in (BACKEND / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")][-1][4:])
        self.port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(BACKEND),
            "DATABASE_URL": database_url,
            "PORT": str(self.port),
            "BBOX_INDEX_HINT": hint,
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "DB_POOL_SIZE": str(threads),
            "LOG_LEVEL": "WARNING",
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
        self.process = subprocess.Popen(
            cmd, cwd=BACKEND, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/health/ready")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.3)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def load(port: int, queries: list[str], clients: int, duration: float, max_requests: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    returned: list[int] = []
    lock = threading.Lock()
    counter = iter(range(max_requests))
    stop_at = time.monotonic() + duration

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop_at:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            path = f"/api/collections/bench/items?bbox={queries[n % len(queries)]}&limit=100"
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            with lock:
                if response.status == 200:
                    latencies.append(elapsed)
                    if len(returned) < 50:
                        returned.append(json.loads(body)["numberReturned"])
                else:
                    errors.append(f"HTTP {response.status}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))] if ms else float("nan")

    return {
        "requests": len(ms),
        "errors": len(errors),
        "seconds": wall,
        "rps": len(ms) / wall if wall else 0.0,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "mean": statistics.fmean(ms) if ms else float("nan"),
        "returned": statistics.fmean(returned) if returned else 0,
    }


def sql_timing(url: str, hint: str, queries: list[str], repeat: int) -> tuple[str, float]:
    from sqlalchemy import text

    from geoapi.core.params import parse_bbox
    from geoapi.repository import FeatureRepository

    engine = make_engine(Settings(database_url=url), pool_size=1, max_overflow=0)
    repo = FeatureRepository(engine, bbox_index_hint=hint)  # type: ignore[arg-type]
    try:
        with engine.connect() as conn:
            bbox = parse_bbox(queries[0])
            sql = repo.items_sql(conn, bbox)
            plan = dict(conn.execute(text("EXPLAIN " + sql), repo.items_params(conn, "bench", bbox, 101, 0)).first()._mapping)
            started = time.perf_counter()
            for q in queries[:repeat]:
                conn.execute(text(sql), repo.items_params(conn, "bench", parse_bbox(q), 101, 0)).fetchall()
            per_query = (time.perf_counter() - started) / repeat * 1000
        return f"type={plan['type']} key={plan['key']} rows~{plan['rows']} extra={plan['Extra']}", per_query
    finally:
        engine.dispose()


def report(label: str, r: dict) -> None:
    print(
        f"{label:<28} {r['requests']:>6} req in {r['seconds']:5.1f} s  {r['rps']:7.1f} req/s  "
        f"p50 {r['p50']:8.1f} ms  p95 {r['p95']:8.1f} ms  p99 {r['p99']:8.1f} ms  errors {r['errors']}  "
        f"features/response {r['returned']:.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load with the index")
    parser.add_argument("--ignored-duration", type=float, default=15.0, help="seconds of load without it")
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--box", type=float, default=1.0, help="bbox side in degrees (1.0: ~1,000 candidates)")
    parser.add_argument("--no-ahi", action="store_true", help="leave MariaDB's adaptive hash index off (its default)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    queries = boxes(5000, args.seed + 1, args.box)
    density = args.points / ((REGION[2] - REGION[0]) * (REGION[3] - REGION[1]))
    print(
        f"machine: {os.cpu_count()} CPUs, {loadavg()} (the cores are shared with other work); "
        f"clients {args.clients}; gunicorn {args.workers} workers x {args.threads} threads"
    )
    print(
        f"queries: {args.box}°x{args.box}° boxes over lon {REGION[0]}..{REGION[2]}, lat {REGION[1]}..{REGION[3]} "
        f"(~{density * args.box * args.box:.0f} matching points each), limit=100"
    )
    # The adaptive hash index speeds up the primary-key lookups a bbox query makes for each candidate.
    # MySQL 8.0 (and so Aurora MySQL 3) has it on by default, MariaDB 10.5+ off; --no-ahi to compare.
    extra = () if args.no_ahi else ("--innodb-adaptive-hash-index=ON",)
    print(f"MariaDB: innodb_buffer_pool_size=1G, innodb_adaptive_hash_index={'OFF' if args.no_ahi else 'ON'}")
    with MariaDBSandbox(buffer_pool="1G", extra_args=extra) as db:
        db.create_user("bench", "bench-pass", grant_on="`geoapi_bench`.*")
        db.execute("CREATE DATABASE geoapi_bench CHARACTER SET utf8mb4")
        url = db.url("bench", "bench-pass", "geoapi_bench")
        engine = make_engine(Settings(database_url=url), pool_size=1, max_overflow=0)
        migrate.upgrade(engine)
        engine.dispose()
        seconds = load_points(db, "geoapi_bench", args.points, args.seed)
        print(f"loaded {args.points:,} points with LOAD DATA LOCAL INFILE in {seconds:.1f} s (SPATIAL index built as rows arrive)")

        for hint in ("force", "auto", "ignore"):
            plan, ms = sql_timing(url, hint, queries, repeat={"force": 200, "auto": 20, "ignore": 5}[hint])
            print(f"SQL only, BBOX_INDEX_HINT={hint:<6}: {ms:8.2f} ms/query  plan: {plan}")

        results = {}
        for hint, duration, label in (
            ("force", args.duration, "with SPATIAL index"),
            ("ignore", args.ignored_duration, "IGNORE INDEX (spatial)"),
        ):
            server = Server(url, hint, args.workers, args.threads)
            try:
                load(server.port, queries[-100:], args.clients, 3.0, 2_000)  # warm-up (own boxes)
                results[hint] = load(server.port, queries, args.clients, duration, args.max_requests)
            finally:
                server.stop()
            report(label, results[hint])
            print(f"  ({loadavg()})")

    p95 = results["force"]["p95"]
    verdict = "meets" if p95 <= 50 else "MISSES"
    speedup = results["ignore"]["p95"] / p95 if p95 else float("nan")
    print(f"p95 with the index {p95:.1f} ms {verdict} the 50 ms target; without it p95 is {speedup:.0f}x higher")
    return 0


if __name__ == "__main__":
    sys.exit(main())
