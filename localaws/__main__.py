"""CLI: ``python -m localaws {start,stop,status,serve}``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_STATE_DIR,
    LocalAWSError,
    serve_forever,
    start_background,
    status,
    stop_background,
)
from .shims import SHIMS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m localaws",
        description="Local emulated AWS (moto server + shims) on loopback.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("start", "start in the background (pidfile + log in the state dir)"),
        ("serve", "run in the foreground until Ctrl-C / SIGTERM"),
        ("stop", "stop the background emulator"),
        ("status", "exit 0 when the background emulator answers, 3 otherwise"),
        ("gaps", "list the moto gaps the shims close"),
    ):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument(
            "--state-dir",
            type=Path,
            default=DEFAULT_STATE_DIR,
            help=f"pidfile and log folder (default: {DEFAULT_STATE_DIR})",
        )
        if name in ("start", "serve"):
            cmd.add_argument("--host", default=DEFAULT_HOST, help=f"loopback address only (default: {DEFAULT_HOST})")
            cmd.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port, 0 = any free (default: {DEFAULT_PORT})")
            cmd.add_argument(
                "--env",
                dest="env_files",
                type=Path,
                action="append",
                default=[],
                help="env file whose [network] (VPC and subnet ids) to create at start; repeatable",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "start":
            info = start_background(args.host, args.port, args.state_dir, env_files=args.env_files)
            print(f"localaws: running at {info.endpoint} (pid {info.pid})")
        elif args.command == "serve":
            serve_forever(args.host, args.port, args.state_dir, args.env_files)
        elif args.command == "stop":
            stopped = stop_background(args.state_dir)
            print("localaws: stopped" if stopped else "localaws: was not running")
        elif args.command == "status":
            info, healthy = status(args.state_dir)
            if info is None:
                print("localaws: not running")
                return 3
            state = "running" if healthy else "NOT answering"
            print(f"localaws: {state} at {info.endpoint} (pid {info.pid})")
            return 0 if healthy else 3
        elif args.command == "gaps":
            for shim in SHIMS:
                print(f"- {shim.__name__.rsplit('.', 1)[-1]}: {shim.GAP}")
    except LocalAWSError as exc:
        print(f"localaws: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
