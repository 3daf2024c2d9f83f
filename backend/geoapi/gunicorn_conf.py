"""gunicorn settings for the container (``gunicorn -c python:geoapi.gunicorn_conf``).

Defaults suit a 1-2 vCPU Fargate task; each can be overridden by environment:
PORT (8000), WEB_CONCURRENCY workers (2), GUNICORN_THREADS per worker (4),
GUNICORN_TIMEOUT seconds (30).  The app is preloaded in the master so a bad
configuration stops start-up once, with one log line, instead of in every worker.
"""

import os
import tempfile

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The root file system is read-only: keep gunicorn's heartbeat files in the
# writable temp dir and do not create the control socket under $HOME.
worker_tmp_dir = tempfile.gettempdir()
control_socket_disable = True


def post_fork(server, worker):
    """Connections must not be shared across fork: drop any the master opened."""
    app = getattr(server.app, "callable", None)
    services = getattr(app, "extensions", {}).get("geoapi") if app is not None else None
    if services is not None:
        services.engine.dispose(close=False)
