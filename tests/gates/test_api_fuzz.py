"""API fuzzing: schemathesis against the OpenAPI document of the real server on a real MariaDB.

The API runs as it does in its container: gunicorn with ``geoapi.gunicorn_conf`` and the
``geoapi.app:wsgi_app()`` entry point, configured by environment variables only (local
mode: ``DATABASE_URL`` + Auth0 overrides pointing at a local JWKS), over HTTP on loopback,
in front of a private MariaDB holding the migrated sample data. It runs twice: with public
reads (staging, local) and with private reads (production's ``public_reads = false``).

``st run`` (schemathesis's own runner: examples, coverage, fuzzing and stateful phases)
sends every request with a ``write:features`` token and applies every check except
``positive_data_acceptance`` (JSON Schema cannot say that a bbox's minimum must not exceed
its maximum, that latitudes stop at 90 or that a polygon ring is closed, so some
schema-valid inputs are rightly 400s). ``not_a_server_error`` is the "no 5xx" gate;
``response_schema_conformance``, ``status_code_conformance``, ``content_type_conformance``
and ``response_headers_conformance`` are the "responses conform" gate; ``ignored_auth``
proves that operations declaring bearer auth refuse requests without it.

Fixtures reused from the backend tests (tests/backend/conftest.py): the private MariaDB
(``mariadb``), the sample database builder and the Auth0 stand-in (``jwks``).

``GEOAPP_FUZZ_EXAMPLES`` (default 25) sets ``--max-examples`` for longer local runs; the
seed is fixed so a CI failure reproduces.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.conftest import _make_database
from tests.backend.conftest import jwks as jwks  # noqa: PLC0414 - fixture reused from the backend tests
from tests.backend.conftest import mariadb as mariadb  # noqa: PLC0414 - fixture reused from the backend tests
from tests.backend.serving import gunicorn_api
from tests.gates.conftest import add_report_section

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = int(os.environ.get("GEOAPP_FUZZ_EXAMPLES", "25"))
SEED = 20261126
EXCLUDED_CHECKS = ("positive_data_acceptance",)


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.fixture(scope="module", params=[True, False], ids=["public-reads", "private-reads"])
def api(request, mariadb, jwks, tmp_path_factory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>/api``) of gunicorn serving a freshly seeded database."""
    db = _make_database(mariadb)
    try:
        with gunicorn_api(
            database_url=db.url, jwks_url=jwks.url, log_dir=tmp_path_factory.mktemp("gunicorn"), public_reads=request.param
        ) as running:
            API_LOGS[running.api] = running.log
            yield running.api
    finally:
        mariadb.execute(f"DROP DATABASE `{db.name}`")


API_LOGS: dict[str, Path] = {}
"""The server log of each fuzzed API, shown when a run fails."""


def schemathesis_run(openapi_url: str, base_url: str, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    """``st run`` with the gate's checks and seed; (the finished process, seconds)."""
    started = time.monotonic()
    done = subprocess.run(
        [
            _bin("st"),
            "run",
            openapi_url,
            "--url",
            base_url,
            "--checks",
            "all",
            "--exclude-checks",
            ",".join(EXCLUDED_CHECKS),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--suppress-health-check",
            "all",
            "--generation-database",
            "none",
            "--no-color",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return done, time.monotonic() - started


def _tested(output: str) -> tuple[int, int]:
    """(operations tested, operations in the document) from schemathesis's summary."""
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    assert selected and tested, output[-3000:]
    return int(tested.group(1)), int(selected.group(2))


def test_fuzzing_finds_no_5xx_and_no_schema_violation(request, api, jwks):
    token = jwks.token(scope="write:features", expires_in=3600)
    done, seconds = schemathesis_run(f"{api}/openapi", api, "--header", f"Authorization: Bearer {token}")
    output = done.stdout + done.stderr
    server_log = API_LOGS[api].read_text()[-6000:]
    assert done.returncode == 0, f"schemathesis found problems ({seconds:.0f} s):\n{output[-12000:]}\nserver log:\n{server_log}"
    tested, total = _tested(output)
    assert tested == total >= 8, f"schemathesis tested {tested} of {total} operations"
    cases = re.search(r"(\d+) generated", output)
    add_report_section(
        f"API fuzz ({request.node.callspec.id})",
        f"schemathesis {MAX_EXAMPLES} examples/operation, seed {SEED}: {tested}/{total} operations, "
        f"{cases.group(1) if cases else '?'} test cases, {seconds:.0f} s, no failures",
    )


# ---- the fuzz gate can fail: a server that breaks its own document --------------------------

BROKEN_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "broken", "version": "1"},
    "paths": {
        "/things/{n}": {
            "get": {
                "parameters": [{"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "description": "a thing",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
                            }
                        },
                    }
                },
            }
        },
        "/health": {"get": {"responses": {"200": {"description": "healthy"}}}},
    },
}


def _broken_app(environ, start_response):
    """Two contract violations: /things/{n} answers with a string id, /health with a 500."""
    import json

    path = environ["PATH_INFO"]
    if path == "/openapi.json":
        body, status = json.dumps(BROKEN_SPEC), "200 OK"
    elif path.startswith("/things/"):
        body, status = json.dumps({"id": path.rsplit("/", 1)[1]}), "200 OK"
    elif path == "/health":
        body, status = "oops", "500 Internal Server Error"
    else:
        body, status = "", "404 Not Found"
    start_response(status, [("Content-Type", "application/json")])
    return [body.encode()]


def test_the_fuzz_gate_fails_a_server_that_breaks_its_document():
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, _broken_app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        done, _ = schemathesis_run(f"{base}/openapi.json", base)
    finally:
        server.shutdown()
        server.server_close()
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert "Server error" in output and "Response violates schema" in output, output[-6000:]
