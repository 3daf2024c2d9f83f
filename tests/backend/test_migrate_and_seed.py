"""Alembic migrations and the idempotent seed command (GeoJSON / SQL dump, local / s3://)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from geoapi import migrate
from geoapi.db import make_engine
from geoapi.seed import SeedError, seed

from .conftest import BACKEND, SAMPLE, sample_features


def checked(path, data: bytes):
    """Write ``data`` to ``path`` with its SHA-256 recorded beside it, as a first load needs."""
    path.write_bytes(data)
    (path.parent / (path.name + ".sha256")).write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")
    return path


def _cli(args, env, timeout=60):
    full_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(BACKEND), "PYTHONDONTWRITEBYTECODE": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "geoapi", *args], env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def engine(empty_db):
    engine = make_engine(empty_db.settings(), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_migrate_creates_the_schema_and_is_repeatable(empty_db, engine):
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine) == "0005"
    tables = set(inspect(engine).get_table_names())
    assert {"collections", "features", "seed_log", "queryables", "alembic_version"} <= tables
    index = empty_db.rows(
        "SELECT index_type FROM information_schema.statistics "
        "WHERE table_schema = %s AND table_name = 'features' AND index_name = 'sidx_features_geom'",
        empty_db.name,
    )
    assert index == [("SPATIAL",)]
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}


def test_migrate_cli(empty_db):
    result = _cli(["migrate"], {"DATABASE_URL": empty_db.url})
    assert result.returncode == 0, result.stderr
    assert "database at revision 0005" in result.stderr
    assert empty_db.rows("SELECT version_num FROM alembic_version") == [("0005",)]


def test_a_source_loaded_before_is_not_loaded_again(fresh_db):
    """No second load: the recorded checksum is found in seed_log, so the file is not even read."""
    before = fresh_db.snapshot()
    engine = make_engine(fresh_db.settings(), pool_size=1, max_overflow=0)
    fresh_db.rows("UPDATE features SET properties = '{\"name\": \"edited\"}' WHERE source_key = 'paris'")
    again = seed(engine, str(SAMPLE / "places.geojson"))
    engine.dispose()
    assert again.skipped and again.items == len(sample_features("places.geojson"))
    edited = [row for row in before if row[2] != "paris"]
    assert [row for row in fresh_db.snapshot() if row[2] != "paris"] == edited
    assert fresh_db.rows("SELECT properties FROM features WHERE source_key = 'paris'") == [('{"name": "edited"}',)]


def test_geojson_without_ids_is_keyed_by_content(empty_db, engine, tmp_path):
    migrate.upgrade(engine)
    features = [{k: v for k, v in f.items() if k != "id"} for f in sample_features("places.geojson")[:5]]
    path = checked(tmp_path / "noids.geojson.gz", gzip.compress(json.dumps({"type": "FeatureCollection", "features": features}).encode()))
    assert seed(engine, str(path), collection_id="cities").items == 5
    assert seed(engine, str(path), collection_id="cities").items == 5
    assert empty_db.rows("SELECT COUNT(*) FROM features WHERE collection_id = 'cities'") == [(5,)]


def test_invalid_geojson_seed_writes_nothing(empty_db, engine, tmp_path):
    migrate.upgrade(engine)
    features = sample_features("places.geojson")[:3]
    features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [200, 0]}, "properties": {}})
    path = checked(tmp_path / "bad.geojson", json.dumps({"type": "FeatureCollection", "features": features}).encode())
    with pytest.raises(SeedError, match=r"feature #3: longitude 200"):
        seed(engine, str(path))
    assert empty_db.rows("SELECT COUNT(*) FROM features") == [(0,)]
    assert empty_db.rows("SELECT COUNT(*) FROM collections") == [(0,)]


def test_seed_before_migrate_says_so(engine):
    with pytest.raises(SeedError, match="run `python -m geoapi migrate` first"):
        seed(engine, str(SAMPLE / "places.geojson"))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/nonexistent/places.geojson", "no such file"),
        ("data.csv", "cannot tell the kind"),
    ],
)
def test_bad_sources_are_refused(engine, source, message):
    migrate.upgrade(engine)
    with pytest.raises(SeedError, match=message):
        seed(engine, source)


def _dump(mariadb, database: str) -> str:
    dump = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    assert dump, "mariadb-dump is part of Debian's mariadb-client (a mariadb-server dependency)"
    result = subprocess.run(
        [
            dump,
            "--no-defaults",
            f"--socket={mariadb.socket_path}",
            "-uroot",
            "--no-create-info",
            "--hex-blob",
            "--skip-triggers",
            "--complete-insert",
            database,
            "collections",
            "features",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_sql_dump_seed_loads_once_and_skips_after(mariadb, seeded_db, empty_db, engine, tmp_path):
    path = checked(tmp_path / "legacy.sql.gz", gzip.compress(_dump(mariadb, seeded_db.name).encode()))
    migrate.upgrade(engine)
    first = seed(engine, str(path))
    assert not first.skipped and first.items > 0
    assert empty_db.snapshot() == seeded_db.snapshot()
    second = seed(engine, str(path))
    assert second.skipped
    assert empty_db.snapshot() == seeded_db.snapshot()
    assert empty_db.rows("SELECT kind, items FROM seed_log") == [("sql", first.items)]


def test_failing_sql_dump_names_the_statement_and_keeps_data(fresh_db, tmp_path):
    before = fresh_db.snapshot()
    path = checked(tmp_path / "broken.sql", b"-- a comment\nDELETE FROM features;\nINSERT INTO features (id) VALUES (1);\n")
    engine = make_engine(fresh_db.settings(), pool_size=1, max_overflow=0)
    with pytest.raises(SeedError, match=r"statement 2 \(INSERT INTO features .*\) failed: .*rolled back"):
        seed(engine, str(path))
    engine.dispose()
    assert fresh_db.snapshot() == before  # the DELETE was rolled back with the failure


def test_sql_dump_with_delimiter_is_refused(fresh_db, tmp_path):
    path = checked(tmp_path / "routines.sql", b"DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nDELIMITER ;\n")
    engine = make_engine(fresh_db.settings(), pool_size=1, max_overflow=0)
    with pytest.raises(SeedError, match="DELIMITER"):
        seed(engine, str(path))
    engine.dispose()


def test_seed_cli_from_s3(s3, aws_env, mariadb, seeded_db, empty_db):
    s3.create_bucket(Bucket="seed-bucket")
    dump = _dump(mariadb, seeded_db.name).encode()
    s3.put_object(Bucket="seed-bucket", Key="dumps/legacy.sql", Body=dump)
    s3.put_object(Bucket="seed-bucket", Key="dumps/legacy.sql.sha256", Body=hashlib.sha256(dump).hexdigest().encode())
    s3.upload_file(str(SAMPLE / "routes.geojson"), "seed-bucket", "geojson/routes.geojson")
    s3.upload_file(str(SAMPLE / "routes.geojson.sha256"), "seed-bucket", "geojson/routes.geojson.sha256")
    env = {**aws_env, "DATABASE_URL": empty_db.url}
    assert _cli(["migrate"], env).returncode == 0
    result = _cli(["seed", "s3://seed-bucket/dumps/legacy.sql"], env)
    assert result.returncode == 0, result.stderr
    assert empty_db.snapshot() == seeded_db.snapshot()
    again = _cli(["seed", "s3://seed-bucket/dumps/legacy.sql", "s3://seed-bucket/geojson/routes.geojson"], env)
    assert again.returncode == 0, again.stderr
    assert "skipped" in again.stderr
    assert empty_db.snapshot() == seeded_db.snapshot()  # routes upserted onto the same rows


def test_seed_cli_missing_s3_object_fails_with_one_line(s3, aws_env, empty_db):
    s3.create_bucket(Bucket="empty-bucket")
    env = {**aws_env, "DATABASE_URL": empty_db.url}
    assert _cli(["migrate"], env).returncode == 0
    result = _cli(["seed", "s3://empty-bucket/nothing.sql"], env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "seed failed: s3://empty-bucket/nothing.sql: cannot download" in lines[0]
