"""The local data plane: requests go through what was deployed (the session's shared env-local).

``ops.local.up`` read the deployed stack back from the emulator and started a TLS-only
database, the API tasks behind the load balancer and the edge; it ran the migrations and the
sample load as one-off tasks and published the SPA. Every check here sends a request through
that wiring and reads the settings from what was deployed, not from the env file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

import pymysql
import pytest

import localaws
from environment.site_headers import SECURITY_HEADERS
from localaws.dataplane import plane
from localaws.dataplane.certs import write_ca
from localaws.dataplane.issuer import LocalIssuer
from localaws.dataplane.overrides import OVERRIDDEN, local_csp
from localaws.dataplane.readback import DataPlaneSpec, read_distribution
from ops.data_load import TaskPlacement, run_one_off
from ops.stack_outputs import AwsTarget, StackOutputs
from tests.local.helpers import EnvLocal

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed"),
    pytest.mark.skipif(shutil.which("mariadbd") is None and not os.path.exists("/usr/sbin/mariadbd"), reason="MariaDB is not installed"),
]


def _running(env_local: EnvLocal) -> plane.Running:
    running = env_local.deployment.dataplane
    assert running is not None, "ops.local.up started no data plane"
    return running


def _get(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 - the local edge
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _db_secret(env_local: EnvLocal, output: str = "db_secret_arn") -> dict[str, Any]:
    """A database secret's value: the master's (``db_secret_arn``), the app user's or the loader's."""
    return json.loads(env_local.client("secretsmanager").get_secret_value(SecretId=env_local.outputs[output])["SecretString"])


def _db_port(env_local: EnvLocal) -> int:
    return int(_running(env_local).status()["database"].rsplit(":", 1)[1])


# -- the site and the API, through the edge ------------------------------------------------------
def test_the_published_site_and_its_runtime_config_are_served_by_the_edge(env_local: EnvLocal):
    site = _running(env_local).site_url
    status, headers, body = _get(site + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'<div id="root">' in body
    status, _, body = _get(site + "/config.json")
    assert status == 200 and json.loads(body)["apiBase"] == "/api"
    # the behaviour's response headers policy, as deployed (CSP with the env's sign-in origin), but
    # for the one local override: the local issuer's origin added to connect-src
    running = _running(env_local)
    policy = next(b for b in running.spec.distribution.behaviours if b.path_pattern == "*").response_headers
    assert {h.name for h in policy} >= {"Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options"}
    for header in policy:
        expected = local_csp(header.value, running.issuer.url) if header.name == "Content-Security-Policy" else header.value
        assert headers[header.name] == expected
    assert f"https://{env_local.config.auth0.domain}" in headers["Content-Security-Policy"]
    # a deep link of the SPA: the distribution's error responses give index.html with 200
    status, headers, deep = _get(site + "/collections/places?view=3/10/20")
    assert (status, deep) == (200, _get(site + "/")[2])


def test_both_behaviours_carry_the_deployed_headers_policy_as_read_back(env_local: EnvLocal):
    """What the edge serves comes from reading the deployed distribution back: both behaviours
    (``/api/*`` and the site) carry the one response headers policy, CSP included, each header set
    to override; the data plane's spec is that read-back and survives its JSON round trip."""
    running = _running(env_local)
    distribution = read_distribution(env_local.client, env_local.outputs["cloudfront_distribution_id"])
    assert [b.path_pattern for b in distribution.behaviours] == ["/api/*", "*"]
    api, site = ({h.name: h.value for h in b.response_headers} for b in distribution.behaviours)
    assert api == site and api.items() >= SECURITY_HEADERS.items(), api
    assert f"https://{env_local.config.auth0.domain}" in api["Content-Security-Policy"]
    assert all(h.override for b in distribution.behaviours for h in b.response_headers)
    assert running.spec.distribution == distribution
    assert DataPlaneSpec.from_json(running.spec.to_json()) == running.spec


def test_api_links_point_at_the_site_not_the_internal_origin(env_local: EnvLocal):
    running = _running(env_local)
    status, headers, body = _get(running.api_url + "/collections/places/items?limit=2")
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff" and "Strict-Transport-Security" in headers  # /api/* has the policy too
    page = json.loads(body)
    assert len(page["features"]) == 2, "the sample data was not loaded by the one-off tasks"
    hrefs = [link["href"] for link in page["links"]]
    assert hrefs and all(h.startswith(running.api_url + "/") for h in hrefs), hrefs
    next_link = next(link["href"] for link in page["links"] if link["rel"] == "next")
    status, _, body = _get(next_link)
    assert status == 200 and json.loads(body)["features"][0]["id"] not in {f["id"] for f in page["features"]}


def test_a_bbox_query_through_the_edge_returns_what_sql_counts(env_local: EnvLocal):
    running, secret = _running(env_local), _db_secret(env_local)
    bbox = (-10.0, 35.0, 30.0, 60.0)
    status, _, body = _get(running.api_url + "/collections/places/items?limit=1000&bbox=" + ",".join(map(str, bbox)))
    assert status == 200
    ids = sorted(str(f["id"]) for f in json.loads(body)["features"])
    conn = _tls_connect(running.directory / "tls" / "ca.pem", env_local.outputs["db_endpoint"], _db_port(env_local), secret)
    polygon = "POLYGON(({0} {1}, {2} {1}, {2} {3}, {0} {3}, {0} {1}))".format(*bbox)
    with conn.cursor() as cur:
        cur.execute(f"USE `{running.spec.database.database}`")
        cur.execute(
            "SELECT id FROM features WHERE collection_id = 'places' AND ST_Intersects(geom, ST_GeomFromText(%s, 4326))",
            (polygon,),
        )
        expected = sorted(str(row[0]) for row in cur.fetchall())
    conn.close()
    assert expected and ids == expected


def test_a_rejected_write_through_the_edge_writes_nothing(env_local: EnvLocal):
    running = _running(env_local)
    before = json.loads(_get(running.api_url + "/collections/places/items?limit=1000")[2])["features"]
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"name": "x"}}
    status, headers, body = _get(
        running.api_url + "/collections/places/items",
        method="POST",
        body=json.dumps(feature).encode(),
        headers={"Content-Type": "application/geo+json"},
    )
    assert status == 401, body
    assert headers["Content-Type"].startswith("application/") and json.loads(body)  # the API's own error document
    after = json.loads(_get(running.api_url + "/collections/places/items?limit=1000")[2])["features"]
    assert [f["id"] for f in after] == [f["id"] for f in before]


# -- the database: TLS required, as the cluster parameter group says --------------------------------
class _NamedContext(ssl.SSLContext):
    """Verifies the certificate against ``name`` while the socket goes to 127.0.0.1 (the API's DB_HOSTADDR)."""

    name = ""

    def wrap_socket(self, sock, *args, server_hostname=None, **kwargs):  # noqa: ANN001, ANN002, ANN003
        return super().wrap_socket(sock, *args, server_hostname=self.name, **kwargs)


def _tls_connect(ca, name: str, port: int, secret: dict[str, Any]) -> pymysql.connections.Connection:
    context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.name = name
    context.load_verify_locations(cafile=str(ca))
    return pymysql.connect(
        host="127.0.0.1", port=port, user=secret["username"], password=secret["password"], ssl=context, connect_timeout=5
    )


def test_the_database_refuses_plain_connections_and_verifies_as_the_aurora_endpoint(env_local: EnvLocal, tmp_path):
    running, secret = _running(env_local), _db_secret(env_local)
    port, endpoint = _db_port(env_local), env_local.outputs["db_endpoint"]
    assert running.spec.database.parameters.get("require_secure_transport") == "ON"
    with pytest.raises(pymysql.err.OperationalError) as refused:
        pymysql.connect(
            host="127.0.0.1", port=port, user=secret["username"], password=secret["password"], connect_timeout=5, ssl_disabled=True
        )
    assert refused.value.args[0] in (1045, 3159), refused.value  # refused for insecure transport
    conn = _tls_connect(running.directory / "tls" / "ca.pem", endpoint, port, secret)
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
        assert cur.fetchone()[1].startswith("TLSv1.")
    conn.close()
    # a CA that did not sign the server's certificate is refused
    with pytest.raises(pymysql.err.OperationalError):
        _tls_connect(write_ca(tmp_path / "other-ca.pem"), endpoint, port, secret)
    # and so is a certificate that does not name the host asked for
    with pytest.raises(pymysql.err.OperationalError):
        _tls_connect(running.directory / "tls" / "ca.pem", "some-other-cluster.rds.amazonaws.com", port, secret)


def test_every_api_connection_to_the_database_uses_tls(env_local: EnvLocal):
    running, secret, app = _running(env_local), _db_secret(env_local), _db_secret(env_local, "db_app_secret_arn")
    assert _get(running.api_url + "/collections/places/items?limit=5")[0] == 200  # the tasks hold pooled connections now
    conn = _tls_connect(running.directory / "tls" / "ca.pem", env_local.outputs["db_endpoint"], _db_port(env_local), secret)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT t.PROCESSLIST_ID, s.VARIABLE_VALUE FROM performance_schema.threads t "
            "JOIN performance_schema.status_by_thread s ON s.THREAD_ID = t.THREAD_ID AND s.VARIABLE_NAME = 'Ssl_version' "
            "WHERE t.PROCESSLIST_USER = %s AND t.PROCESSLIST_ID <> CONNECTION_ID()",
            (app["username"],),
        )
        rows = cur.fetchall()
    conn.close()
    assert rows, "no API connection to the database was seen"
    assert all(version.startswith("TLSv1.") for _, version in rows), rows


def test_with_a_wrong_ca_the_api_refuses_to_start_and_says_why(env_local: EnvLocal, tmp_path):
    """The task's own environment and command, with DB_CA_BUNDLE pointing at a CA that did not sign the server."""
    running = _running(env_local)
    task = running.status()["tasks"][0]
    env = {**_environ(task["pid"]), "DB_CA_BUNDLE": str(write_ca(tmp_path / "wrong-ca.pem"))}
    env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{localaws.free_port()}"
    argv = open(f"/proc/{task['pid']}/cmdline", "rb").read().rstrip(b"\0").split(b"\0")  # noqa: SIM115, PTH123
    result = subprocess.run(
        [a.decode() for a in argv], env=env, cwd=os.readlink(f"/proc/{task['pid']}/cwd"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "TLS verification failed" in output and str(tmp_path / "wrong-ca.pem") in output, output[-2000:]


@pytest.mark.mutates_env_local(order=2)
def test_with_the_database_stopped_the_api_answers_503_keeps_its_tasks_and_serves_again(env_local: EnvLocal):
    """Issue 14: the load balancer checks liveness, which does not touch the database, so a database
    outage is a 503 with Retry-After from every task, no task is replaced, and service resumes when the
    database is back. Order 2: after the read-only checks, before the password rotation (order 3)."""
    from dataclasses import replace

    from localaws.dataplane.certs import TlsFiles
    from localaws.dataplane.database import LocalDatabase
    from localaws.dataplane.plane import ensure_ports

    running = _running(env_local)
    items = running.api_url + "/collections/places/items?limit=1"
    before = running.status()
    pids, replaced = sorted(t["pid"] for t in before["tasks"]), before.get("replaced", 0)
    assert _get(items)[0] == 200
    database = LocalDatabase(running.directory / "db", ensure_ports(running.directory)["db"])
    assert database.stop(), "the database was not running"
    try:
        answers = []
        window_end = time.monotonic() + 15  # several health-check rounds (the local balancer checks every 2 s)
        while time.monotonic() < window_end:
            status, headers, _ = _get(items)
            answers.append((status, headers.get("Retry-After")))
            healthy = {t["state"] for t in running.status().get("targets", [])}
            assert healthy == {"healthy"}, f"a target left service while only the database was down: {running.status()}"
            time.sleep(1)
        assert set(answers) == {(503, "5")}, answers
        assert _get(running.api_url + "/health/live")[0] == 200
    finally:
        tls = running.directory / "tls"
        password = _db_secret(env_local)["password"]  # the secret's current one (what the API reads)
        spec = replace(running.spec.database, master_password=password)
        database.start(spec, TlsFiles(ca=tls / "ca.pem", cert=tls / "server.pem", key=tls / "server-key.pem"))
    deadline = time.monotonic() + 60
    while _get(items)[0] != 200:
        assert time.monotonic() < deadline, "the API did not serve again within 60 s of the database coming back"
        time.sleep(1)
    after = running.status()
    assert sorted(t["pid"] for t in after["tasks"]) == pids and after.get("replaced", 0) == replaced, "a task was replaced"


def _placement(env_local: EnvLocal) -> TaskPlacement:
    return TaskPlacement.from_outputs(StackOutputs(env_local.target.stack, env_local.outputs))


def test_the_api_serves_as_the_application_user_which_cannot_drop_tables_or_read_other_schemas(env_local: EnvLocal):
    """The service's tasks connect as the app user; that user has rows of the application schema and nothing else."""
    running, master, app = _running(env_local), _db_secret(env_local), _db_secret(env_local, "db_app_secret_arn")
    assert app["username"] != master["username"]
    for task in running.status()["tasks"]:
        env = _environ(task["pid"])
        assert env["DB_SECRET_ARN"] == env_local.outputs["db_app_secret_arn"]
        assert env_local.outputs["db_secret_arn"] not in env.values() and "DB_MASTER_SECRET_ARN" not in env
    assert _get(running.api_url + "/collections/places/items?limit=5")[0] == 200  # pooled connections now
    ca, endpoint, port = running.directory / "tls" / "ca.pem", env_local.outputs["db_endpoint"], _db_port(env_local)
    conn = _tls_connect(ca, endpoint, port, master)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT USER FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND DB = %s",
            (running.spec.database.database,),
        )
        assert {row[0] for row in cur.fetchall()} == {app["username"]}, "the API's connections are not (only) the app user's"
        cur.execute("CREATE DATABASE IF NOT EXISTS other_schema")
        cur.execute("CREATE TABLE IF NOT EXISTS other_schema.private (x TEXT)")
    conn.close()
    conn = _tls_connect(ca, endpoint, port, app)
    try:
        with conn.cursor() as cur:
            cur.execute(f"USE `{running.spec.database.database}`")
            cur.execute("SELECT COUNT(*) FROM features")
            assert cur.fetchone()[0] > 0
            for sql in ("DROP TABLE features", "SELECT * FROM other_schema.private", "SELECT * FROM mysql.user", "CREATE TABLE t (x INT)"):
                with pytest.raises(pymysql.err.MySQLError) as info:
                    cur.execute(sql)
                assert info.value.args[0] in (1142, 1044), (sql, info.value)
            cur.execute("SELECT COUNT(*) FROM features")  # still there
    finally:
        conn.close()


@pytest.mark.mutates_env_local(order=3)
def test_the_admin_task_rotates_the_app_user_and_the_api_follows_without_a_restart(env_local: EnvLocal):
    """``python -m ops.data_load ENV --rotate-users``: the admin task puts new passwords and changes them
    in the database; the API's connections are cut, and its tasks re-read their secret."""
    running = _running(env_local)
    pids = [t["pid"] for t in running.status()["tasks"]]
    before = _db_secret(env_local, "db_app_secret_arn")
    target = AwsTarget(env_local.target.region, env_local.target.endpoint)
    result = run_one_off(
        target,
        _placement(env_local),
        env_local.outputs["db_admin_task_definition_family"],
        "rotate",
        ["python", "-m", "geoapi", "users", "rotate"],
        poll_seconds=0.5,
        timeout_seconds=120,
    )
    assert result.exit_code == 0, result
    after = _db_secret(env_local, "db_app_secret_arn")
    assert after["username"] == before["username"] and after["password"] != before["password"]
    ca, endpoint, port = running.directory / "tls" / "ca.pem", env_local.outputs["db_endpoint"], _db_port(env_local)
    with pytest.raises(pymysql.err.OperationalError):
        _tls_connect(ca, endpoint, port, before).close()
    conn = _tls_connect(ca, endpoint, port, _db_secret(env_local))
    with conn.cursor() as cur:
        cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (after["username"],))
        for (connection_id,) in cur.fetchall():
            cur.execute(f"KILL {int(connection_id)}")
    conn.close()
    statuses = [_get(running.api_url + f"/collections/places/items?limit=3&offset={i}")[0] for i in range(6)]
    assert statuses == [200] * 6, statuses
    assert [t["pid"] for t in running.status()["tasks"]] == pids, "the tasks were restarted"


# -- the tasks: the deployed task definition, run ------------------------------------------------
def _environ(pid: int) -> dict[str, str]:
    raw = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")  # noqa: SIM115, PTH123
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_each_task_runs_the_deployed_task_definition_with_secrets_resolved_by_arn(env_local: EnvLocal):
    running = _running(env_local)
    status = running.status()
    container = running.spec.service.container
    assert len(status["tasks"]) == running.spec.service.desired_count
    addresses = {t["address"] for t in status["tasks"]}
    assert len(addresses) == len(status["tasks"]) and all(a.startswith("127.") and a != "127.0.0.1" for a in addresses)
    for task in status["tasks"]:
        env = _environ(task["pid"])
        for name, value in container.environment.items():
            if name not in OVERRIDDEN:
                assert env.get(name) == value, f"{name}: task has {env.get(name)!r}, task definition {value!r}"
        for name in container.secrets:
            assert name in env, f"secret {name} was not resolved into the task's environment"
        assert env["GUNICORN_CMD_ARGS"] == f"--bind {task['address']}:{container.container_port}"
        assert env["PUBLIC_URL"] == running.api_url


def test_the_local_issuer_is_trusted_by_the_tasks_named_by_config_and_csp_and_kept_when_unchanged(env_local: EnvLocal):
    """Auth0 is not reachable here: the data plane runs the local OpenID Connect issuer instead."""
    running = _running(env_local)
    issuer = running.issuer
    assert issuer.url.startswith("http://127.0.0.1:") and issuer.audience == env_local.config.auth0.audience
    for task in running.status()["tasks"]:
        env = _environ(task["pid"])
        assert (env["AUTH0_ISSUER"], env["AUTH0_JWKS_URL"]) == (issuer.url, issuer.jwks_url)
    status, headers, body = _get(running.site_url + "/config.json")
    assert status == 200
    assert json.loads(body)["auth0"] == {"authority": issuer.url, "clientId": issuer.client_id, "audience": issuer.audience}
    connect = next(d.split() for d in headers["Content-Security-Policy"].split("; ") if d.startswith("connect-src"))
    assert issuer.url in connect, connect
    # the users' passwords are generated and kept out of the command line
    assert len(set(issuer.users.values())) == 2 and all(len(p) >= 16 for p in issuer.users.values())
    assert not any(p in open(f"/proc/{issuer.pid}/cmdline").read() for p in issuer.users.values())  # noqa: SIM115, PTH123
    # a second `make local` with nothing changed keeps the running issuer (and its sessions)
    port = int(issuer.url.rsplit(":", 1)[1])
    again = LocalIssuer(issuer.directory, port).start(audience=issuer.audience, site_url=running.site_url)
    assert (again.pid, again.users) == (issuer.pid, issuer.users)


def test_a_task_that_dies_is_replaced_on_a_new_address_and_the_api_comes_back(env_local: EnvLocal):
    running = _running(env_local)
    before = running.status()
    victim = before["tasks"][0]
    os.kill(victim["pid"], 9)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        now = running.status()
        fresh = [t for t in now.get("tasks", []) if t["id"] != victim["id"]]
        healthy = {t["target"] for t in now.get("targets", []) if t["state"] == "healthy"}
        if now.get("replaced", 0) > before["replaced"] and fresh and any(f"{t['address']}:{t['port']}" in healthy for t in fresh):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"no healthy replacement within 90 s: {running.status()}")
    assert victim["address"] not in {t["address"] for t in fresh}
    assert _get(running.api_url + "/collections")[0] == 200


def test_a_new_task_that_never_answers_is_kept_through_the_services_grace_period(env_local: EnvLocal):
    """ECS ignores the load balancer's verdict on a task for ``health_check_grace_period_seconds``
    after it starts (a slow start on a busy host must not be killed); the data plane does too."""
    running = _running(env_local)
    grace = running.spec.service.health_check_grace_seconds
    assert grace == env_local.config.api.health_check_grace_seconds >= 30
    before = running.status()
    os.kill(before["tasks"][0]["pid"], 9)
    deadline = time.monotonic() + 60
    while not (fresh := [t for t in running.status().get("tasks", []) if t["id"] not in {b["id"] for b in before["tasks"]}]):
        assert time.monotonic() < deadline, f"no replacement started: {running.status()}"
        time.sleep(0.2)
    (task,) = fresh
    os.kill(task["pid"], signal.SIGSTOP)  # started, but never answers a health check
    target = f"{task['address']}:{task['port']}"
    try:
        deadline = time.monotonic() + 20
        while {t["target"]: t["state"] for t in running.status().get("targets", [])}.get(target) != "unhealthy":
            assert time.monotonic() < deadline, f"the silent task was never marked unhealthy: {running.status()}"
            time.sleep(0.5)
        time.sleep(4)  # two local health check intervals past the verdict
        assert time.time() - task["started"] < grace, "too slow to say anything about the grace period"
        assert task["id"] in {t["id"] for t in running.status()["tasks"]}, "replaced inside the grace period"
    finally:
        os.kill(task["pid"], signal.SIGCONT)
    deadline = time.monotonic() + 60
    while {t["target"]: t["state"] for t in running.status().get("targets", [])}.get(target) != "healthy":
        assert time.monotonic() < deadline, f"the task did not recover once it answered: {running.status()}"
        time.sleep(0.5)


def test_a_one_off_task_reports_its_exit_code_through_ecs(env_local: EnvLocal):
    placement, family = _placement(env_local), env_local.outputs["db_loader_task_definition_family"]
    target = AwsTarget(env_local.target.region, env_local.target.endpoint)
    failed = run_one_off(
        target,
        placement,
        family,
        "seed",
        ["python", "-m", "geoapi", "seed", "/app/sample/missing.sql"],
        poll_seconds=0.5,
        timeout_seconds=120,
    )
    assert failed.exit_code not in (0, None), failed
    ok = run_one_off(target, placement, family, "migrate", ["python", "-m", "geoapi", "migrate"], poll_seconds=0.5, timeout_seconds=120)
    assert ok.exit_code == 0, ok


@pytest.mark.mutates_env_local(order=1100)
def test_stopping_frees_every_port_and_leaves_no_process(env_local: EnvLocal):
    """What ``make down`` does after the destroy (the destroy check runs just before this one)."""
    import socket

    from ops import local

    running = _running(env_local)
    status = running.status()
    pids = [status["pid"], *(t["pid"] for t in status["tasks"]), running.issuer.pid]
    addresses = (status["edge"], status["balancer"], status["database"], running.issuer.url)
    ports = [int(a.rsplit(":", 1)[1]) for a in addresses] + [env_local.target.port]
    local.stop_processes(env_local.state_dir)
    localaws.stop_background(env_local.state_dir)
    alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split(") ", 1)[1][:1] != "Z"]  # noqa: SIM115, PTH123
    assert alive == [], f"processes still running: {alive}"
    listening = []
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                listening.append(port)
    assert listening == [], f"ports still answering: {listening}"
