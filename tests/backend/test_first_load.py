"""The first load: checksum first, only the application schema, streamed, all or nothing, repeatable."""

from __future__ import annotations

import hashlib
import json

import pytest

from geoapi import migrate
from geoapi.core import geojson
from geoapi.core.errors import InvalidBody
from geoapi.db import make_engine
from geoapi.seed import SeedError, seed
from geoapi.sqldump import Splitter

from .conftest import SAMPLE, sample_features
from .test_migrate_and_seed import checked


@pytest.fixture
def engine(empty_db):
    engine = make_engine(empty_db.settings(), pool_size=1, max_overflow=0)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _counts(db) -> tuple:
    return (
        db.rows("SELECT COUNT(*) FROM features")[0][0],
        db.rows("SELECT COUNT(*) FROM collections")[0][0],
        db.rows("SELECT COUNT(*) FROM seed_log")[0][0],
    )


@pytest.mark.parametrize("name", ["sample.sql", "places.geojson"])
def test_a_source_whose_checksum_does_not_match_is_refused_and_nothing_is_written(empty_db, engine, tmp_path, name):
    data = (SAMPLE / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data)
    (tmp_path / f"{name}.sha256").write_text(hashlib.sha256(data + b" ").hexdigest())
    with pytest.raises(SeedError, match="does not match the recorded"):
        seed(engine, str(path))
    assert _counts(empty_db) == (0, 0, 0)


def test_a_source_without_a_recorded_checksum_is_refused(empty_db, engine, tmp_path):
    path = tmp_path / "places.geojson"
    path.write_bytes((SAMPLE / "places.geojson").read_bytes())
    with pytest.raises(SeedError, match="no recorded SHA-256"):
        seed(engine, str(path))
    assert _counts(empty_db) == (0, 0, 0)


GOOD_INSERT = b"INSERT INTO collections (id, title) VALUES ('x', 'X');\n"


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (b"CREATE USER evil IDENTIFIED BY 'pw';", "CREATE statement"),
        (b"GRANT ALL ON *.* TO 'geoapi_app'@'%';", "GRANT statement"),
        (b"USE mysql;", "switches to another database"),
        (b"INSERT INTO mysql.user (User) VALUES ('evil');", "names another schema"),
        (b"INSERT INTO seed_log VALUES ('a', 'b', 'c', 1, NOW());", "writes table 'seed_log'"),
        (b"DROP TABLE features;", "DROP statement"),
        (b"INSERT INTO features (properties) VALUES (LOAD_FILE('/etc/passwd'));", "LOAD_FILE"),
        (b"UPDATE features SET properties = (SELECT authentication_string FROM mysql.user LIMIT 1);", "reads other data"),
        (b"SET GLOBAL local_infile = 1;", "sets 'local_infile'"),
        (b"/*!40101 SET PASSWORD = 'x' */;", "SET"),
    ],
)
def test_a_dump_that_leaves_the_application_schema_is_refused_and_nothing_is_written(empty_db, engine, tmp_path, statement, message):
    path = checked(tmp_path / "evil.sql", GOOD_INSERT + statement + b"\n" + GOOD_INSERT.replace(b"'x'", b"'y'"))
    with pytest.raises(SeedError, match=message):
        seed(engine, str(path))
    assert _counts(empty_db) == (0, 0, 0)
    assert empty_db.rows("SELECT COUNT(*) FROM mysql.user WHERE User = 'evil'") == [(0,)]


def test_the_sample_dump_loads_from_s3_like_the_sample_files(s3, aws_env, seeded_db, empty_db, engine):
    s3.create_bucket(Bucket="seeds")
    for name in ("sample.sql", "sample.sql.sha256"):
        s3.upload_file(str(SAMPLE / name), "seeds", f"dumps/{name}")
    result = seed(engine, "s3://seeds/dumps/sample.sql")
    assert not result.skipped
    assert empty_db.snapshot() == seeded_db.snapshot()
    assert seed(engine, "s3://seeds/dumps/sample.sql").skipped


def test_a_failed_load_leaves_nothing_and_a_rerun_reaches_the_full_state(empty_db, engine, tmp_path):
    features = sample_features("places.geojson")
    broken = [*features[:-1], {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 95]}, "properties": {}}]
    bad = checked(tmp_path / "places.geojson", json.dumps({"type": "FeatureCollection", "features": broken}).encode())
    with pytest.raises(SeedError, match=rf"feature #{len(features) - 1}: latitude 95"):
        seed(engine, str(bad))
    assert _counts(empty_db) == (0, 0, 0)  # the valid features before it were rolled back too
    good = checked(tmp_path / "places.geojson", (SAMPLE / "places.geojson").read_bytes())
    assert seed(engine, str(good)).items == len(features)
    assert _counts(empty_db) == (len(features), 1, 1)


def test_truncated_json_is_refused_and_rolled_back(empty_db, engine, tmp_path):
    data = (SAMPLE / "places.geojson").read_bytes()
    path = checked(tmp_path / "cut.geojson", data[: len(data) // 2])
    with pytest.raises(SeedError, match="not valid JSON"):
        seed(engine, str(path))
    assert _counts(empty_db) == (0, 0, 0)


def test_the_splitter_gives_the_same_statements_whatever_the_chunk_size():
    text = (SAMPLE / "sample.sql").read_text()
    whole = [s.sql for s in Splitter().feed(text, final=True)]
    assert len(whole) > 10
    for size in (1, 3, 64, 4096):
        splitter, got = Splitter(), []
        for i in range(0, len(text), size):
            got += [s.sql for s in splitter.feed(text[i : i + size])]
        got += [s.sql for s in splitter.feed("", final=True)]
        assert got == whole, size


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"a": 1}},
        {"type": "Feature", "id": 3, "geometry": {"type": "Point", "coordinates": [1.5, -2.25]}, "properties": None},
        {"type": "Feature", "id": "k", "geometry": {"type": "Point", "coordinates": [180, 90]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [181, 2]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 91]}, "properties": {}},
    ],
)
def test_the_point_fast_path_agrees_with_the_full_check(doc):
    def full():
        model = geojson._FeatureModel.model_validate(doc, strict=True)
        geometry = model.geometry.model_dump(mode="json", exclude_none=True)
        try:
            geojson.validate_geometry(geometry)
        except InvalidBody as exc:
            return exc.description
        return geometry, dict(model.properties or {})

    try:
        result = geojson._plain_point(doc)
        assert result is not None, "the fast path should take a plain point"
        fast = (result.geometry, result.properties)
    except InvalidBody as exc:
        fast = exc.description
    assert fast == full()


def test_the_fast_path_and_pydantic_give_the_same_feature():
    doc = {"type": "Feature", "id": 1, "geometry": {"type": "Point", "coordinates": [3, 4]}, "properties": {"x": [1]}}
    fast = geojson._plain_point(doc)
    model = geojson._FeatureModel.model_validate(doc, strict=True)
    assert fast.geometry == model.geometry.model_dump(mode="json", exclude_none=True)
    assert fast.properties == dict(model.properties)


def test_read_ahead_gives_every_item_in_order_raises_the_producers_error_and_stops_its_thread():
    import threading

    from geoapi.sources import read_ahead

    assert list(read_ahead(iter(range(1000)), depth=2)) == list(range(1000))

    def failing():
        yield from range(3)
        raise ValueError("feature #3: bad")

    seen = []
    with pytest.raises(ValueError, match="feature #3"):
        for item in read_ahead(failing()):
            seen.append(item)
    assert seen == [0, 1, 2]

    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    reader = read_ahead(endless(), depth=2)
    assert [next(reader) for _ in range(5)] == [0, 1, 2, 3, 4]
    reader.close()  # the consumer stops early (a failed INSERT): the producer stops too
    assert not any(t.name == "read-ahead" and t.is_alive() for t in threading.enumerate())
    assert len(produced) <= 5 + 2 + 1  # never more than depth + 1 ahead
