"""Container health check: ``python -m geoapi.healthcheck`` exits 0 when liveness answers 200.

Uses only the standard library, so it stays cheap to run every few seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

from geoapi import envvars as ev


def main() -> int:
    port = os.environ.get(ev.PORT, "8000")
    url = f"http://127.0.0.1:{port}/api/health/live"
    try:
        with urllib.request.urlopen(url, timeout=float(os.environ.get(ev.HEALTHCHECK_TIMEOUT, "3"))) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
