"""``python -m geoapi users ensure|rotate`` (the admin task) on a real MariaDB and a moto Secrets Manager.

Its own MariaDB (the session one's ``geoapi_app`` is the other tests' user with broader grants):
a master user with ``GRANT OPTION`` as Aurora's, the application schema ``geo_data`` (an ``_``
in the name, so the wildcard escaping is exercised) and a neighbour schema ``geoXdata`` that the
``_`` would match unescaped.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pymysql
import pytest

from devtools.mariadb_sandbox import MariaDBSandbox
from geoapi import migrate, users
from geoapi.__main__ import main as geoapi_main
from geoapi.app import create_app
from geoapi.db import make_engine
from geoapi.secrets import SecretStore
from geoapi.settings import load_settings

SCHEMA, NEIGHBOUR = "geo_data", "geoXdata"
MASTER, MASTER_PASSWORD = "geoapp_admin", "master-password-1"


@pytest.fixture(scope="module")
def server() -> Iterator[MariaDBSandbox]:
    sandbox = MariaDBSandbox(buffer_pool="64M").start()
    sandbox.execute(
        f"CREATE DATABASE `{SCHEMA}`",
        f"CREATE DATABASE `{NEIGHBOUR}`",
        f"CREATE TABLE `{NEIGHBOUR}`.private (secret TEXT)",
        f"INSERT INTO `{NEIGHBOUR}`.private VALUES ('not yours')",
        f"CREATE USER '{MASTER}'@'%' IDENTIFIED BY '{MASTER_PASSWORD}'",
        f"GRANT ALL PRIVILEGES ON *.* TO '{MASTER}'@'%' WITH GRANT OPTION",
    )
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def admin_env(server: MariaDBSandbox, secretsmanager) -> dict[str, str]:
    """The admin task's environment: the master secret (as RDS makes it) and two empty user secrets."""
    run = uuid.uuid4().hex[:8]
    master = secretsmanager.create_secret(
        Name=f"rds!cluster-{run}", SecretString=json.dumps({"username": MASTER, "password": MASTER_PASSWORD})
    )
    app = secretsmanager.create_secret(Name=f"geoapp-test/{run}/db-app")
    loader = secretsmanager.create_secret(Name=f"geoapp-test/{run}/db-loader")
    return {
        "DB_MASTER_SECRET_ARN": master["ARN"],
        "DB_APP_SECRET_ARN": app["ARN"],
        "DB_LOADER_SECRET_ARN": loader["ARN"],
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(server.port),
        "DB_NAME": SCHEMA,
    }


def _value(secretsmanager, arn: str) -> dict:
    return json.loads(secretsmanager.get_secret_value(SecretId=arn)["SecretString"])


def _as(server: MariaDBSandbox, secret: dict, database: str = SCHEMA) -> pymysql.connections.Connection:
    return pymysql.connect(host="127.0.0.1", port=server.port, user=secret["username"], password=secret["password"], database=database)


def _denied(conn: pymysql.connections.Connection, sql: str) -> int:
    """The MySQL error number ``sql`` fails with (the test fails if it runs)."""
    with conn.cursor() as cur, pytest.raises(pymysql.err.MySQLError) as info:
        cur.execute(sql)
    return info.value.args[0]


def test_ensure_makes_an_app_user_that_can_only_read_and_write_rows_of_its_schema(server, admin_env, secretsmanager, monkeypatch):
    for key, value in admin_env.items():
        monkeypatch.setenv(key, value)
    assert geoapi_main(["users", "ensure"]) == 0
    loader = _value(secretsmanager, admin_env["DB_LOADER_SECRET_ARN"])
    app = _value(secretsmanager, admin_env["DB_APP_SECRET_ARN"])
    assert (app["username"], loader["username"]) == ("geoapi_app", "geoapi_loader")
    assert len(app["password"]) >= 40 and app["password"] != loader["password"]

    # the loader migrates (DDL on the schema) ...
    engine = make_engine(load_settings({**admin_env, "DB_SECRET_ARN": admin_env["DB_LOADER_SECRET_ARN"]}, SecretStore()))
    migrate.upgrade(engine)
    engine.dispose()
    conn = _as(server, loader)
    assert _denied(conn, f"CREATE TABLE `{NEIGHBOUR}`.t (x INT)") in (1142, 1044)
    assert _denied(conn, f"SELECT * FROM `{NEIGHBOUR}`.private") == 1142
    assert _denied(conn, "CREATE USER 'x'@'%'") == 1227
    conn.close()

    # ... the app user reads and writes rows, and can do nothing else
    conn = _as(server, app)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO collections (id, title) VALUES ('c1', 'one')")
        cur.execute("UPDATE collections SET title = 'uno' WHERE id = 'c1'")
        cur.execute("SELECT title FROM collections")
        assert cur.fetchall() == (("uno",),)
        cur.execute("DELETE FROM collections WHERE id = 'c1'")
    assert _denied(conn, "DROP TABLE features") == 1142
    assert _denied(conn, "CREATE TABLE t (x INT)") == 1142
    assert _denied(conn, "ALTER TABLE features ADD COLUMN x INT") == 1142
    assert _denied(conn, f"SELECT * FROM `{NEIGHBOUR}`.private") == 1142
    assert _denied(conn, "SELECT * FROM mysql.user") == 1142
    assert _denied(conn, "GRANT SELECT ON *.* TO 'geoapi_loader'@'%'") in (1044, 1045, 1142, 1227)
    conn.close()
    with pytest.raises(pymysql.err.OperationalError) as info:
        _as(server, app, database=NEIGHBOUR)
    assert info.value.args[0] == 1044


def test_ensure_again_keeps_the_passwords_and_resets_extra_grants(server, admin_env, secretsmanager):
    assert users.run("ensure", admin_env) == 0
    first = _value(secretsmanager, admin_env["DB_APP_SECRET_ARN"])
    server.execute("GRANT DROP ON *.* TO 'geoapi_app'@'%'")  # someone widened it by hand
    assert users.run("ensure", admin_env) == 0
    assert _value(secretsmanager, admin_env["DB_APP_SECRET_ARN"]) == first
    conn = _as(server, first)
    with conn.cursor() as cur:
        cur.execute("SHOW GRANTS")
        grants = " ".join(row[0] for row in cur.fetchall())
    conn.close()
    assert "DROP" not in grants and "`geo\\_data`.*" in grants, grants


def test_rotate_changes_both_passwords_and_the_api_follows_without_a_restart(server, admin_env, secretsmanager):
    assert users.run("ensure", admin_env) == 0
    before = {name: _value(secretsmanager, admin_env[name]) for name in ("DB_APP_SECRET_ARN", "DB_LOADER_SECRET_ARN")}
    engine = make_engine(load_settings({**admin_env, "DB_SECRET_ARN": admin_env["DB_LOADER_SECRET_ARN"]}, SecretStore()))
    migrate.upgrade(engine)
    engine.dispose()
    store = SecretStore()
    app = create_app(load_settings({**admin_env, "DB_SECRET_ARN": admin_env["DB_APP_SECRET_ARN"]}, store))
    client = app.test_client()
    assert client.get("/api/health/ready").status_code == 200

    assert users.run("rotate", admin_env) == 0
    for name, old in before.items():
        new = _value(secretsmanager, admin_env[name])
        assert new["username"] == old["username"] and new["password"] != old["password"]
        with pytest.raises(pymysql.err.OperationalError):
            _as(server, old).close()
        _as(server, new).close()
    server.execute("FLUSH PRIVILEGES")
    app.extensions["geoapi"].engine.dispose()  # every pooled connection gone: the next one needs the new password
    assert client.get("/api/collections").status_code == 200
    assert store.fetch_count == 2  # read at start, re-read once after the refusal
    app.extensions["geoapi"].engine.dispose()


def test_the_api_starts_before_the_users_exist_and_is_ready_once_they_do(server, admin_env):
    store = SecretStore()
    app = create_app(load_settings({**admin_env, "DB_SECRET_ARN": admin_env["DB_APP_SECRET_ARN"]}, store))
    client = app.test_client()
    assert client.get("/api/health/live").status_code == 200
    response = client.get("/api/health/ready")
    assert response.status_code == 503, response.get_data(as_text=True)
    assert users.run("ensure", admin_env) == 0
    assert client.get("/api/health/ready").status_code == 200
    app.extensions["geoapi"].engine.dispose()


def test_a_schema_name_that_is_not_a_plain_identifier_is_refused():
    with pytest.raises(users.UsersError, match="DB_NAME='geo`; DROP'"):
        users.grant_target("geo`; DROP")
    assert users.grant_target("geo_data") == "`geo\\_data`.*"
