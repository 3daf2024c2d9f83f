"""Flask application factory: a thin HTTP adapter over :mod:`geoapi.core`.

``create_app(settings=None)`` builds the app (settings default to the
environment and Secrets Manager).  ``wsgi_app()`` is what gunicorn loads: the
same, but a configuration error ends the process with one log line instead of
a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from geoapi.auth import TokenVerifier
from geoapi.core.api import APIResponse, FeaturesAPI
from geoapi.core.errors import APIError, ServiceUnavailable, Unauthorized
from geoapi.core.geojson import MAX_BODY_BYTES
from geoapi.db import ReadPool, make_engine, make_read_engine
from geoapi.repository import FeatureRepository
from geoapi.settings import ConfigError, Settings, load_settings

log = logging.getLogger("geoapi")

API_PREFIX = "/api"
_DB_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


@dataclass
class Services:
    """What the routes use, kept in ``app.extensions['geoapi']``."""

    settings: Settings
    engine: Engine
    repo: FeatureRepository
    api: FeaturesAPI
    verifier: TokenVerifier | None


def services() -> Services:
    return current_app.extensions["geoapi"]


def _base_url() -> str:
    configured = services().settings.public_url
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/") + API_PREFIX


def _params() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _render(result: APIResponse) -> Response:
    if result.body is None:  # 204: no body, so no Content-Type either
        response = Response(status=result.status)
        response.headers.remove("Content-Type")
    else:
        data = orjson.dumps(result.body)
        response = Response(data, status=result.status, mimetype=result.media_type)
    for name, value in result.headers.items():
        response.headers[name] = value
    return response


def _error_response(status: int, code: str, description: str, headers: dict[str, str] | None = None) -> Response:
    response = _render(APIResponse(status, {"code": code, "description": description}))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _authorize_read() -> None:
    svc = services()
    if not svc.settings.public_reads:
        assert svc.verifier is not None  # Settings refuses private reads without auth
        svc.verifier.verify(request.headers.get("Authorization"))


def _authorize_write() -> None:
    verifier = services().verifier
    if verifier is None:
        raise Unauthorized(
            "writes need an Auth0 access token, and this service has no Auth0 configured",
            headers={"WWW-Authenticate": 'Bearer realm="geoapi"'},
        )
    claims = verifier.verify(request.headers.get("Authorization"))
    verifier.require_scope(claims)


READ_ROUTES: tuple[tuple[str, str], ...] = (
    ("", "landing_page"),
    ("/", "landing_page"),
    ("/conformance", "conformance"),
    ("/openapi", "openapi"),
    ("/collections", "collections"),
    ("/collections/<collection_id>", "collection"),
    ("/collections/<collection_id>/items", "items"),
    ("/collections/<collection_id>/queryables", "queryables"),
    ("/collections/<collection_id>/items/<feature_id>", "item"),
)
"""GET routes (under :data:`API_PREFIX`), each answered by the :class:`FeaturesAPI` method of that name:
``method(base_url, <path variables by name>, params=<query>)``, after the read authorization."""


def _read_view(method: str) -> Callable[..., Response]:
    def view(**path: str) -> Response:
        _authorize_read()
        return _render(getattr(services().api, method)(_base_url(), params=_params(), **path))

    view.__name__ = method
    return view


def _build_blueprint() -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
    views = {method: _read_view(method) for _, method in READ_ROUTES}
    for path, method in READ_ROUTES:
        bp.add_url_rule(path, endpoint=method, view_func=views[method], methods=["GET"])

    @bp.post("/collections/<collection_id>/items")
    def create(collection_id: str) -> Response:
        _authorize_write()
        return _render(services().api.create(_base_url(), collection_id, request.get_data(), request.content_type))

    @bp.put("/collections/<collection_id>/items/<feature_id>")
    def replace(collection_id: str, feature_id: str) -> Response:
        _authorize_write()
        return _render(services().api.replace(_base_url(), collection_id, feature_id, request.get_data(), request.content_type))

    @bp.delete("/collections/<collection_id>/items/<feature_id>")
    def delete(collection_id: str, feature_id: str) -> Response:
        _authorize_write()
        return _render(services().api.delete(_base_url(), collection_id, feature_id))

    @bp.get("/health/live")
    def live() -> Response:
        return _render(APIResponse(200, {"status": "ok"}))

    @bp.get("/health/ready")
    def ready() -> Response:
        services().repo.ping()
        return _render(APIResponse(200, {"status": "ok"}))

    return bp


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(APIError)
    def api_error(exc: APIError) -> Response:
        return _error_response(exc.status, exc.code, exc.description, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
        code = (exc.name or "Error").replace(" ", "")
        return _error_response(exc.code or 500, code, exc.description or code, headers)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeout)
    def database_error(exc: Exception) -> Response:
        if isinstance(exc, _DB_UNAVAILABLE):
            log.warning("database unavailable: %s", str(exc).splitlines()[0])
            err = ServiceUnavailable("the database is unavailable; retry later")
            return _error_response(err.status, err.code, err.description, {"Retry-After": "5"})
        log.exception("database error")
        return _error_response(500, "ServerError", "internal error")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return _error_response(500, "ServerError", "internal error")


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the Flask app. ``settings`` default to :func:`geoapi.settings.load_settings`."""
    settings = settings if settings is not None else load_settings()
    engine = engine if engine is not None else make_engine(settings)
    reads = ReadPool(make_read_engine(settings), autocommit=True)
    repo = FeatureRepository(engine, reads=reads, bbox_index_hint=settings.bbox_index_hint)
    api = FeaturesAPI(repo, title=settings.title, description=settings.description, public_reads=settings.public_reads)
    verifier = TokenVerifier(settings.auth) if settings.auth else None

    app = Flask("geoapi")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["geoapi"] = Services(settings, engine, repo, api, verifier)
    app.register_blueprint(_build_blueprint())
    _register_error_handlers(app)
    return app


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # the AWS SDK narrates credential and endpoint discovery at INFO: keep start-up logs to what matters
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def wsgi_app() -> Flask:
    """The gunicorn entry point (``geoapi.app:wsgi_app()``): one log line and exit 1 on bad configuration."""
    configure_logging()
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.critical("startup aborted: %s", exc)
        raise SystemExit(1) from None
    logging.getLogger().setLevel(settings.log_level)
    app = create_app(settings)
    log.info(
        "geoapi ready: database %s, %s reads, %s",
        make_url(settings.database_url).render_as_string(hide_password=True),
        "public" if settings.public_reads else "authenticated",
        f"Auth0 audience {settings.auth.audience}" if settings.auth else "no Auth0 (writes refused)",
    )
    return app
