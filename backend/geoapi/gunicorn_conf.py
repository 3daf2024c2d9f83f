"""gunicorn settings for the container (``gunicorn -c python:geoapi.gunicorn_conf``).

Every value comes from the task definition's environment (names in :mod:`geoapi.envvars`):

* ``PORT``: the container port (default 8000), on all interfaces;
* workers: ``WEB_CONCURRENCY`` if set, else two per vCPU of ``CPU_UNITS`` (the task's CPU
  units; at least one; default 1024 -> 2), see :func:`geoapi.envvars.workers_for_cpu`;
* ``GUNICORN_THREADS`` per worker (4), ``GUNICORN_TIMEOUT`` seconds (30);
* ``LOG_LEVEL`` (INFO) for gunicorn's own log as for the app's.

The app is preloaded in the master so a bad configuration stops start-up once, with one
log line, instead of in every worker; the master then makes one database connection
(:func:`geoapi.db.check_tls`) so that a CA bundle that does not verify the server stops
start-up too.
"""

import logging
import os
import tempfile

from geoapi import envvars as ev

bind = f"0.0.0.0:{os.environ.get(ev.PORT, '8000')}"
workers = int(os.environ.get(ev.WEB_CONCURRENCY) or ev.workers_for_cpu(int(os.environ.get(ev.CPU_UNITS) or "1024")))
threads = int(os.environ.get(ev.GUNICORN_THREADS, "4"))
worker_class = "gthread"
timeout = int(os.environ.get(ev.GUNICORN_TIMEOUT, "30"))
graceful_timeout = 20
keepalive = 5
preload_app = True
accesslog = "-"
# gunicorn's default line, then the method and the response time in ms: the API alarms'
# metric filters (modules/alarms.py ACCESS_LOG_FIELDS) read the status and the last field, and a
# 5xx burst is traced by method and path from the same lines.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(m)s %(M)s'
errorlog = "-"
loglevel = (os.environ.get(ev.LOG_LEVEL) or "info").lower()
# The root file system is read-only: keep gunicorn's heartbeat files in the
# writable temp dir and do not create the control socket under $HOME.
worker_tmp_dir = tempfile.gettempdir()
control_socket_disable = True


def _services(server):
    app = getattr(server.app, "callable", None)
    return getattr(app, "extensions", {}).get("geoapi") if app is not None else None


def on_starting(server):
    """After the preload: a DB certificate that does not verify stops the service here."""
    from geoapi.db import check_tls
    from geoapi.settings import ConfigError

    services = _services(server)
    if services is None:
        return
    try:
        check_tls(services.engine, services.settings)
    except ConfigError as exc:
        logging.getLogger("geoapi").critical("startup aborted: %s", exc)
        raise SystemExit(1) from None
    finally:
        services.engine.dispose()


def post_fork(server, worker):
    """Connections must not be shared across fork: drop any the master opened."""
    services = _services(server)
    if services is not None:
        services.engine.dispose(close=False)
        services.repo.reads.engine.dispose(close=False)
