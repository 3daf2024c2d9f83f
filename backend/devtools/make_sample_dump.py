"""Rebuild backend/sample/sample.sql (+ .sha256): the sample GeoJSON files as a mysqldump-format dump.

    .venv/bin/python backend/devtools/make_sample_dump.py

Starts a private MariaDB, migrates, seeds backend/sample/*.geojson, and dumps the data the
way a first load expects it (``--no-create-info --hex-blob --skip-triggers
--complete-insert --skip-dump-date``).  The local data plane loads it through S3.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BACKEND))

from devtools.mariadb_sandbox import MariaDBSandbox  # noqa: E402
from geoapi import migrate  # noqa: E402
from geoapi.db import make_engine  # noqa: E402
from geoapi.seed import seed  # noqa: E402
from geoapi.settings import Settings  # noqa: E402

SAMPLE = BACKEND / "sample"
FILES = ("places.geojson", "routes.geojson", "regions.geojson")


def main() -> int:
    dump = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    if not dump:
        raise SystemExit("mariadb-dump not found (Debian's mariadb-client)")
    with MariaDBSandbox() as db:
        db.execute("CREATE DATABASE geoapi_sample CHARACTER SET utf8mb4")
        db.create_user("sample", "sample-pass", grant_on="`geoapi_sample`.*")
        engine = make_engine(Settings(database_url=db.url("sample", "sample-pass", "geoapi_sample")), pool_size=1, max_overflow=0)
        migrate.upgrade(engine)
        for name in FILES:
            seed(engine, str(SAMPLE / name))
        engine.dispose()
        args = ["--no-defaults", f"--socket={db.socket_path}", "-uroot", "--no-create-info", "--hex-blob", "--skip-triggers"]
        args += ["--complete-insert", "--skip-dump-date", "--skip-comments", "geoapi_sample", "collections", "features"]
        text = subprocess.run([dump, *args], capture_output=True, check=True).stdout
    (SAMPLE / "sample.sql").write_bytes(text)
    (SAMPLE / "sample.sql.sha256").write_text(f"{hashlib.sha256(text).hexdigest()}  sample.sql\n")
    print(f"wrote {SAMPLE / 'sample.sql'} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
