"""The load-test kit vs the edge's WAF (issue 14): refuse a run the rate rule would block, unless the
address is exempted; tell WAF blocks (403/429 made by CloudFront) apart from API errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from environment.config import parse_environment
from ops.loadtest.edge import check_rate_limit, exempted
from ops.loadtest.profiles import Profile, parse_profiles, peak_requests_per_window
from ops.stack_outputs import OpsError
from tests.synth import ROOT

STAGING = ROOT / "envs" / "staging.toml"


def staging(extra: str = ""):
    return parse_environment(STAGING, STAGING.read_text(encoding="utf-8") + extra)


EXEMPT = '\n[loadtest]\nsource_cidrs = ["203.0.113.0/24"]\nexpires = 2027-01-31\n'


def test_the_window_counts_back_to_back_profiles_at_0_8_requests_per_user_second():
    # 75 users x 0.8/s for a whole window; two 100-s profiles of 10 users then 20 users: 10*.8*100 + 20*.8*100 (+ ramps)
    assert peak_requests_per_window([Profile("high", 75, 600, 0)]) == (18000, Profile("high", 75, 600, 0))
    low, high = Profile("low", 10, 90, 10), Profile("high", 20, 90, 10)
    assert peak_requests_per_window([low, high]) == (round(10 * 0.8 * 100 + 20 * 0.8 * 100), high)


def test_the_default_profiles_against_staging_are_refused_with_what_to_change(tmp_path):
    """Through the subprocess CLI, as an operator runs it (locust must not patch pytest's process)."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"site_url": {"value": "https://staging.geoapp.example.com", "type": "string"}}))

    done = subprocess.run(
        [sys.executable, "-m", "ops.loadtest", "--env", "staging", "--outputs-file", str(outputs), "--source-ip", "198.51.100.7"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    message = done.stderr
    # high (75 users, 190 s) + the last 110 s of average (25 users): 0.8 x (75 x 190 + 25 x 110)
    assert "profile 'high' would send about 13600 requests in 5 minutes from 198.51.100.7" in message
    assert "env-staging blocks one address above 2000 (site.waf_rate_limit_per_5min)" in message
    assert "at most 8 users" in message, "2000 / (0.8 requests/s x 300 s) = 8 users"
    assert "[loadtest] source_cidrs with an expires date in envs/staging.toml" in message
    assert "load test of" not in done.stdout, "nothing was sent"


def test_an_exempted_address_may_exceed_the_limit_until_the_exemption_expires():
    config, profiles = staging(EXEMPT), parse_profiles(None, 180)
    before, after = date(2027, 1, 31), date(2027, 2, 1)

    assert exempted(config, "203.0.113.40", before)
    check_rate_limit(config, profiles, "203.0.113.40", today=before)  # no error
    with pytest.raises(OpsError, match=r"from 198\.51\.100\.7, and the WAF"):
        check_rate_limit(config, profiles, "198.51.100.7", today=before)
    with pytest.raises(OpsError, match=r"exemption expired on 2027-01-31"):
        check_rate_limit(config, profiles, "203.0.113.40", today=after)
    with pytest.raises(OpsError, match=r"address is unknown: pass --source-ip"):
        check_rate_limit(config, profiles, None, today=before)


def test_profiles_under_the_limit_run_from_any_address():
    check_rate_limit(staging(), parse_profiles("low=2,average=4,high=8", 180), None)
    no_waf = parse_environment(STAGING, STAGING.read_text(encoding="utf-8").replace("[site]\n", "[site]\nwaf = false\n"))
    check_rate_limit(no_waf, parse_profiles(None, 180), None)


class _Edge(BaseHTTPRequestHandler):
    """A stand-in for CloudFront + API: every 2nd items request is a WAF block made by the edge
    (HTML, ``X-Cache: Error from cloudfront``); the others alternate the API's own 429 (JSON) and 500."""

    lock = threading.Lock()
    count = 0

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/api/collections":
            body = {"collections": [{"id": "parcels", "extent": {"spatial": {"bbox": [[0, 0, 10, 10]]}}}]}
            self._send(200, json.dumps(body).encode(), "application/json")
            return
        with _Edge.lock:
            _Edge.count += 1
            n = _Edge.count
        if n % 2:
            self._send(403, b"<html><h1>403 ERROR</h1>Request blocked.</html>", "text/html", X_Cache="Error from cloudfront")
        elif n % 4 == 2:
            self._send(429, b'{"code": "too_many_requests"}', "application/problem+json", X_Cache="Error from cloudfront")
        else:
            self._send(500, b'{"code": "internal"}', "application/json", X_Cache="Miss from cloudfront")


def test_the_report_tells_waf_blocks_from_api_errors(tmp_path: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Edge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        report, figures = tmp_path / "report.md", tmp_path / "figures.json"
        base = f"http://127.0.0.1:{server.server_address[1]}"
        args = ["--base-url", base, "--profiles", "low=3", "--duration", "4", "--spawn-seconds", "1"]
        done = subprocess.run(
            [sys.executable, "-m", "ops.loadtest", *args, "--report", str(report), "--json", str(figures)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = json.loads(figures.read_text())["results"]
    api_errors = result["failures"] - result["waf_blocks"]
    listed = result["endpoints"].get("collections", [0])[0]  # the users' start-up list (200), if after the ramp
    assert result["requests"] - listed >= 8 and result["failures"] == result["requests"] - listed, result
    assert abs(result["waf_blocks"] - api_errors) <= 3, "every 2nd request was an edge block, the rest API errors"
    errors = " ".join(result["errors"])
    assert "bbox: WAF block (HTTP 403 from the edge)" in errors
    assert "bbox: HTTP 429" in errors and "bbox: HTTP 500" in errors, "the API's own 429 (JSON) is an API error"
    text = report.read_text()
    assert "| API errors | WAF blocks |" in text
    assert re.search(rf"\| {api_errors} \([\d.]+%\) \| {result['waf_blocks']} \(", text)
    assert "**The WAF blocked requests** (low: " in text and "[loadtest] source_cidrs" in text
