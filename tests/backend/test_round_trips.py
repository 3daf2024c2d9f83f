"""An items page costs the database one statement and nothing else, and a dead pooled connection
(server restarted, connection killed, timed out) is replaced within the request."""

from __future__ import annotations

import pytest

from geoapi.app import create_app

BOXES = [f"{x},{y},{x + 20},{y + 20}" for x in range(-180, 160, 40) for y in (-60, 0, 40)]
COUNTERS = ("Com_select", "Com_rollback", "Com_admin_commands", "Com_set_option", "Com_commit")


def _counters(conn) -> dict[str, int]:
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (" + ", ".join(["%s"] * len(COUNTERS)) + ")", COUNTERS)
        return {name: int(value) for name, value in cur.fetchall()}


@pytest.fixture
def app_client(seeded_db):
    app = create_app(seeded_db.settings())
    yield app.test_client()
    services = app.extensions["geoapi"]
    services.engine.dispose()
    services.repo.reads.engine.dispose()


def test_an_items_page_is_one_select_without_ping_rollback_or_set(app_client, seeded_db):
    for box in BOXES[:2]:  # warm: collection cache, one pooled connection (its SET on connect)
        assert app_client.get(f"/api/collections/places/items?bbox={box}").status_code == 200
    root = seeded_db.sandbox.root(seeded_db.name)
    try:
        before = _counters(root)
        for box in BOXES:
            assert app_client.get(f"/api/collections/places/items?bbox={box}&limit=5").status_code == 200
        after = _counters(root)
    finally:
        root.close()
    spent = {name: after[name] - before[name] for name in COUNTERS}
    # COM_PING (pool pre-ping) counts in Com_admin_commands; the pool's reset-on-return is a ROLLBACK
    assert spent == {"Com_select": len(BOXES), "Com_rollback": 0, "Com_admin_commands": 0, "Com_set_option": 0, "Com_commit": 0}


def test_killed_connections_are_replaced_within_the_request(app_client, seeded_db):
    """As after a restart or a password rotation's KILL: every idle pooled connection is dead."""
    url = "/api/collections/places/items?bbox=-10,35,30,60&limit=50"
    first = app_client.get(url)
    assert first.status_code == 200
    reads = app_client.application.extensions["geoapi"].repo.reads.engine
    held = [reads.raw_connection() for _ in range(3)]  # three idle connections in the pool, as busy threads leave them
    for conn in held:
        conn.close()
    killed = 0
    for (conn_id,) in seeded_db.rows("SELECT id FROM information_schema.processlist WHERE db = %s AND user = 'geoapi_app'", seeded_db.name):
        seeded_db.rows(f"KILL {int(conn_id)}")
        killed += 1
    assert killed >= 1
    for _ in range(3):  # the first read finds its connection dead, drops the others and reads on a new one
        again = app_client.get(url)
        assert again.status_code == 200, again.get_json()
        assert again.get_json()["features"] == first.get_json()["features"]


def test_polygon_pages_read_the_spatial_index_in_a_transaction(app_client, seeded_db):
    """MariaDB refuses that R-tree read in an autocommit statement (error 1207, MDEV-26123): the first page is
    read again in a transaction, and that collection's next pages go there directly."""
    first = app_client.get("/api/collections/regions/items?bbox=-10,35,30,60")
    assert first.status_code == 200 and first.get_json()["features"], first.get_json()
    root = seeded_db.sandbox.root(seeded_db.name)
    try:
        before = _counters(root) | {"Com_begin": _begin(root)}
        for box in BOXES:
            assert app_client.get(f"/api/collections/regions/items?bbox={box}").status_code == 200
        after = _counters(root) | {"Com_begin": _begin(root)}
    finally:
        root.close()
    spent = {name: after[name] - before[name] for name in after}
    assert spent["Com_select"] == spent["Com_begin"] == spent["Com_rollback"] == len(BOXES), spent


def _begin(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SHOW GLOBAL STATUS LIKE 'Com_begin'")
        return int(cur.fetchone()[1])
