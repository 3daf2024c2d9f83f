"""One-off commands, run in the same image as the service (e.g. as an ECS task).

    python -m geoapi migrate [--revision REV]
    python -m geoapi seed SOURCE [SOURCE ...] [--collection ID] [--title TITLE] [--sha256 HEX]
    python -m geoapi users ensure|rotate    (the admin task: see geoapi.users)

Settings come from the environment exactly as for the service.  Exit status:
0 done, 1 configuration or input error (one log line says why).
"""

from __future__ import annotations

import argparse
import logging
import sys

from geoapi import migrate, users
from geoapi.app import configure_logging
from geoapi.db import make_engine
from geoapi.seed import SeedError, seed
from geoapi.settings import ConfigError, load_settings

log = logging.getLogger("geoapi")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geoapi", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="apply the Alembic migrations")
    m.add_argument("--revision", default="head", help="target revision (default: head)")
    s = sub.add_parser("seed", help="load SQL dumps or GeoJSON files (local paths or s3:// URLs), idempotently")
    s.add_argument("sources", nargs="+", metavar="SOURCE")
    s.add_argument("--collection", help="collection id for GeoJSON (default: the file name's stem)")
    s.add_argument("--title", help="collection title for GeoJSON (default: its 'name' member or the id)")
    s.add_argument("--sha256", help="expected SHA-256 of the (single) source (default: read from <source>.sha256 beside it)")
    u = sub.add_parser("users", help="make (ensure) or rotate the application and loader database users, as the master user")
    u.add_argument("action", choices=("ensure", "rotate"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging()
    if args.command == "users":
        return users.run(args.action)
    try:
        settings = load_settings()
    except ConfigError as exc:
        log.critical("%s aborted: %s", args.command, exc)
        return 1
    engine = make_engine(settings, pool_size=1, max_overflow=0)
    try:
        if args.command == "migrate":
            migrate.upgrade(engine, args.revision)
            log.info("database at revision %s", migrate.current_revision(engine))
            return 0
        if args.sha256 and len(args.sources) > 1:
            log.error("seed failed: --sha256 names the checksum of one source; give one source or use .sha256 files")
            return 1
        for source in args.sources:
            seed(engine, source, collection_id=args.collection, title=args.title, sha256=args.sha256)
        return 0
    except SeedError as exc:
        log.error("seed failed: %s", exc)
        return 1
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
