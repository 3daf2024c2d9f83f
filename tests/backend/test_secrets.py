"""Settings from Secrets Manager (moto server): start-up, caching, failures, and password rotation."""

from __future__ import annotations

import json
import uuid

import pytest

from geoapi.app import create_app
from geoapi.secrets import SecretStore
from geoapi.settings import ConfigError, load_settings


def _secret(client, value) -> str:
    name = f"geoapi/test/{uuid.uuid4().hex[:8]}"
    return client.create_secret(Name=name, SecretString=value if isinstance(value, str) else json.dumps(value))["ARN"]


def _kill_connections(mariadb, user: str) -> int:
    conn = mariadb.root()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM information_schema.processlist WHERE user = %s", (user,))
            ids = [row[0] for row in cur.fetchall()]
            for pid in ids:
                cur.execute(f"KILL {int(pid)}")
        return len(ids)
    finally:
        conn.close()


@pytest.fixture
def rotating_user(mariadb, seeded_db):
    user = f"rot_{uuid.uuid4().hex[:8]}"
    mariadb.create_user(user, "first-password", grant_on=f"`{seeded_db.name}`.*")
    yield user
    mariadb.execute(f"DROP USER '{user}'@'%'")


def _env(mariadb, seeded_db, db_arn, **extra):
    return {"DB_SECRET_ARN": db_arn, "DB_HOST": "127.0.0.1", "DB_PORT": str(mariadb.port), "DB_NAME": seeded_db.name, **extra}


def test_settings_come_from_secrets_by_arn(secretsmanager, mariadb, seeded_db, rotating_user, jwks):
    db_arn = _secret(secretsmanager, {"username": rotating_user, "password": "first-password"})
    auth_arn = _secret(secretsmanager, {"domain": "tenant.test.auth0.example", "audience": "https://geoapi.test/api", "client_id": "abc"})
    store = SecretStore()
    settings = load_settings(
        _env(mariadb, seeded_db, db_arn, AUTH0_SECRET_ARN=auth_arn, AUTH0_JWKS_URL=jwks.url, PUBLIC_READS="false"), store
    )
    assert settings.auth.issuer == "https://tenant.test.auth0.example/"
    assert settings.auth.audience == "https://geoapi.test/api"
    assert "first-password" not in settings.database_url  # the password stays in the secret store
    app = create_app(settings)
    client = app.test_client()
    assert client.get("/api/collections").status_code == 401
    assert client.get("/api/collections", headers=jwks.bearer()).status_code == 200
    assert client.get("/api/collections/places/items", headers=jwks.bearer()).status_code == 200
    assert store.fetch_count == 2  # each secret read once, then served from the cache
    app.extensions["geoapi"].engine.dispose()


def test_rotated_password_is_re_read_and_the_app_reconnects(secretsmanager, mariadb, seeded_db, rotating_user):
    db_arn = _secret(secretsmanager, {"username": rotating_user, "password": "first-password"})
    store = SecretStore()
    app = create_app(load_settings(_env(mariadb, seeded_db, db_arn), store))
    client = app.test_client()
    assert client.get("/api/collections/places/items").status_code == 200
    assert store.fetch_count == 1

    # RDS rotates: the DB password changes and the secret gets the new value
    mariadb.execute(f"ALTER USER '{rotating_user}'@'%' IDENTIFIED BY 'second-password'")
    secretsmanager.put_secret_value(SecretId=db_arn, SecretString=json.dumps({"username": rotating_user, "password": "second-password"}))
    # open connections survive a password change; new ones must use the new password
    assert client.get("/api/collections/places/items").status_code == 200
    assert store.fetch_count == 1
    assert _kill_connections(mariadb, rotating_user) >= 1

    response = client.get("/api/collections/places/items")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert store.fetch_count == 2  # re-read once, after the refusal
    assert client.get("/api/health/ready").status_code == 200
    assert store.fetch_count == 2
    app.extensions["geoapi"].engine.dispose()


def test_password_changed_but_secret_stale_is_503_not_a_loop(secretsmanager, mariadb, seeded_db, rotating_user):
    db_arn = _secret(secretsmanager, {"username": rotating_user, "password": "first-password"})
    store = SecretStore()
    app = create_app(load_settings(_env(mariadb, seeded_db, db_arn), store))
    client = app.test_client()
    assert client.get("/api/health/ready").status_code == 200
    mariadb.execute(f"ALTER USER '{rotating_user}'@'%' IDENTIFIED BY 'not-in-the-secret'")
    _kill_connections(mariadb, rotating_user)
    response = client.get("/api/health/ready")
    assert response.status_code == 503
    assert response.get_json()["code"] == "ServiceUnavailable"
    assert store.fetch_count == 2  # exactly one re-read per refused connection attempt
    app.extensions["geoapi"].engine.dispose()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "ResourceNotFoundException"),
        ("not json", "not a JSON object"),
        ("no password", "lacks key(s): password"),
    ],
)
def test_unreadable_db_secret_stops_start_up_with_a_clear_reason(secretsmanager, mariadb, seeded_db, setup, message):
    if setup == "missing":
        arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:geoapi/nope-AbCdEf"
    elif setup == "not json":
        arn = _secret(secretsmanager, "hunter2")
    else:
        arn = _secret(secretsmanager, {"username": "x"})
    with pytest.raises(ConfigError) as info:
        load_settings(_env(mariadb, seeded_db, arn))
    text = str(info.value)
    assert text.startswith("DB_SECRET_ARN: ")
    assert message in text
    assert "\n" not in text


def test_unreadable_auth0_secret_stops_start_up(secretsmanager, mariadb, seeded_db, rotating_user):
    db_arn = _secret(secretsmanager, {"username": rotating_user, "password": "first-password"})
    auth_arn = _secret(secretsmanager, {"domain": "tenant.example"})
    with pytest.raises(ConfigError, match=r"AUTH0_SECRET_ARN: .*lacks key\(s\): audience"):
        load_settings(_env(mariadb, seeded_db, db_arn, AUTH0_SECRET_ARN=auth_arn))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no database configured"),
        ({"DATABASE_URL": "postgresql://u:p@h/db"}, "must be a mysql+pymysql://"),
        ({"DATABASE_URL": "not a url"}, "not a valid SQLAlchemy URL"),
        ({"DATABASE_URL": "mysql+pymysql://u:p@h/db", "PUBLIC_READS": "maybe"}, "PUBLIC_READS must be true or false"),
        ({"DATABASE_URL": "mysql+pymysql://u:p@h/db", "PUBLIC_READS": "false"}, "PUBLIC_READS=false needs Auth0"),
        ({"DATABASE_URL": "mysql+pymysql://u:p@h/db", "AUTH0_DOMAIN": "x.example"}, "both AUTH0_DOMAIN and AUTH0_AUDIENCE"),
        ({"DATABASE_URL": "mysql+pymysql://u:p@h/db", "BBOX_INDEX_HINT": "sometimes"}, "BBOX_INDEX_HINT"),
    ],
)
def test_incomplete_local_configuration_is_refused(env, message):
    with pytest.raises(ConfigError, match=message.replace("+", r"\+").replace("(", r"\(")):
        load_settings(env, SecretStore(client_factory=lambda: pytest.fail("no secret should be read")))


def test_local_settings_from_plain_variables():
    settings = load_settings(
        {"DATABASE_URL": "mysql+pymysql://u:p@h/db", "AUTH0_DOMAIN": "t.example", "AUTH0_AUDIENCE": "https://a", "PUBLIC_READS": "false"},
        SecretStore(client_factory=lambda: pytest.fail("no secret should be read")),
    )
    assert settings.auth.jwks_url == "https://t.example/.well-known/jwks.json"
    assert settings.auth.issuer == "https://t.example/"
    assert settings.db_credentials.password() == "p"
    assert settings.public_reads is False
