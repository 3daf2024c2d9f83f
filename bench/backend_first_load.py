"""Benchmark: the first load of N and 2N points, as an SQL dump and as GeoJSON: time and peak memory.

    .venv/bin/python bench/backend_first_load.py [--points 1000000] [--formats sql,geojson] [--no-double] [--before DIR]

Writes N (then 2N) uniformly random points as a FeatureCollection and as a mysqldump-format
dump (extended INSERTs of about 1 MB, hex geometry), each with its ``.sha256``, then runs
``python -m geoapi seed`` on a fresh migrated database for each and samples the loading
process's RSS every 50 ms.  Prints seconds, peak RSS, rows/s, and the CPU seconds of the loader
and of mariadbd (``--before DIR``: each file is also loaded by that checkout's backend).  Targets: <= 60 s and
<= 300 MB for N = 1,000,000, and peak RSS flat from N to 2N.  Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from devtools.mariadb_sandbox import MariaDBSandbox  # noqa: E402
from geoapi import migrate  # noqa: E402
from geoapi.db import make_engine  # noqa: E402
from geoapi.settings import Settings  # noqa: E402


def write_geojson(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        out.write('{"type": "FeatureCollection", "name": "bench", "features": [\n')
        for i in range(n):
            f = {
                "type": "Feature",
                "id": i,
                "geometry": {"type": "Point", "coordinates": [rng.uniform(-180, 180), rng.uniform(-90, 90)]},
                "properties": {"n": i},
            }
            out.write(("," if i else "") + json.dumps(f) + "\n")
        out.write("]}\n")


def write_dump(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        out.write("/*!40101 SET NAMES utf8mb4 */;\nLOCK TABLES `collections` WRITE;\n")
        out.write("INSERT INTO `collections` (`id`, `title`) VALUES ('bench','Benchmark points');\nUNLOCK TABLES;\n")
        out.write("LOCK TABLES `features` WRITE;\n/*!40000 ALTER TABLE `features` DISABLE KEYS */;\n")
        rows: list[str] = []
        size = 0
        for i in range(1, n + 1):
            wkb = struct.pack("<IBIdd", 4326, 1, 1, rng.uniform(-180, 180), rng.uniform(-90, 90)).hex()
            row = f"({i},'bench','k{i}',0x{wkb},'{{\\\"n\\\": {i}}}')"
            rows.append(row)
            size += len(row)
            if size > 1_000_000 or i == n:
                out.write(
                    "INSERT INTO `features` (`id`, `collection_id`, `source_key`, `geom`, `properties`) VALUES " + ",".join(rows) + ";\n"
                )
                rows, size = [], 0
        out.write("/*!40000 ALTER TABLE `features` ENABLE KEYS */;\nUNLOCK TABLES;\n")


def record(path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    path.with_name(path.name + ".sha256").write_text(digest.hexdigest())


def measure(db: MariaDBSandbox, source: Path, label: str, backend: Path = ROOT / "backend") -> None:
    name = f"geoapi_load_{abs(hash(label)) % 10**8}"
    db.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    url = db.url("bench", "bench-pass", name)
    engine = make_engine(Settings(database_url=url), pool_size=1, max_overflow=0)
    migrate.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "PYTHONPATH": str(backend), "DATABASE_URL": url, "LOG_LEVEL": "INFO"}
    children, server = resource.getrusage(resource.RUSAGE_CHILDREN), psutil.Process(db.process.pid).cpu_times()
    started = time.perf_counter()
    proc = psutil.Popen(
        [sys.executable, "-m", "geoapi", "seed", str(source), "--collection", "bench"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, proc.memory_info().rss)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    children_after, server_after = resource.getrusage(resource.RUSAGE_CHILDREN), psutil.Process(db.process.pid).cpu_times()
    loader_cpu = children_after.ru_utime + children_after.ru_stime - children.ru_utime - children.ru_stime
    server_cpu = server_after.user + server_after.system - server.user - server.system
    conn = db.root(name)
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM features")
        rows = cur.fetchone()[0]
    conn.close()
    status = "ok" if proc.returncode == 0 else f"FAILED ({proc.stderr.read().decode()[-300:]})"
    print(
        f"{label:<28} {seconds:6.1f} s  peak RSS {peak / 2**20:6.0f} MiB  {rows:,} rows  {rows / seconds:8.0f} rows/s  "
        f"CPU: loader {loader_cpu:.1f} s, mariadbd {server_cpu:.1f} s  {status}  ({', '.join(f'{v:.1f}' for v in os.getloadavg())})",
        flush=True,
    )
    db.execute(f"DROP DATABASE {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--formats", default="sql,geojson", help="comma-separated: sql, geojson")
    parser.add_argument("--no-double", action="store_true", help="N only (skip 2N: no flatness figure)")
    parser.add_argument("--before", type=Path, help="also load each file with this checkout's backend/ (side by side)")
    args = parser.parse_args()
    formats = set(args.formats.split(","))
    with tempfile.TemporaryDirectory(prefix="geoapi-load-") as tmp, MariaDBSandbox(buffer_pool="1G") as db:
        db.create_user("bench", "bench-pass", grant_on="`geoapi\\_load\\_%`.*")
        for n in (args.points,) if args.no_double else (args.points, 2 * args.points):
            dump, doc = Path(tmp) / f"points{n}.sql", Path(tmp) / f"points{n}.geojson"
            for path, fmt, write in ((dump, "sql", write_dump), (doc, "geojson", write_geojson)):
                if fmt not in formats:
                    continue
                write(path, n, 1)
                record(path)
                print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB", flush=True)
            for path, fmt, label in ((dump, "sql", "SQL dump"), (doc, "geojson", "GeoJSON")):
                if fmt in formats:
                    if args.before:
                        measure(db, path, f"before: {label}, {n:,} points", args.before / "backend")
                    measure(db, path, f"{label}, {n:,} points")
            dump.unlink(missing_ok=True)
            doc.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
