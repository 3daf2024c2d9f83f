"""Publish a built single-page app to an environment: S3 upload with the right headers, then a CloudFront invalidation.

Usage::

    python -m ops.publish_frontend ENV DIR          # e.g. staging frontend/dist
    python -m ops.publish_frontend production frontend/dist --client-id <the SPA's Auth0 client id>
    make publish-frontend ENV=staging DIR=build

Where it goes: ``s3://<assets_bucket>/<assets_prefix>/`` and distribution ``cloudfront_distribution_id``,
all three read from the stack outputs of ``env-ENV`` (see :mod:`ops.stack_outputs`), or with
``--target-from-parameter`` from the SSM parameter ``/<name_prefix>/frontend-publish`` that the env
stack writes beside the frontend publish role (which may read that, not the Terraform state). Each environment
has its own bucket and prefix, so a branch->environment mapping in CI (see ``Jenkinsfile``) is all a
frontend pipeline needs.

What it does, in this order (nothing is lost mid-way: the old site stays complete until the new
one is fully uploaded):

1. checks ``DIR`` (must hold ``index.html``) and, unless ``DIR`` has one or ``--no-config`` is
   given, makes the SPA's runtime ``config.json`` from the env file (:func:`runtime_config`);
2. uploads hashed assets, then other files, then HTML (``index.html`` last), so a new page never
   references an asset that is not there yet. Hashed assets already present with the same MD5
   are skipped;
3. deletes objects under the prefix that are not in the new build (``--keep-stale`` skips this);
4. invalidates the distribution (default path ``/*``: also clears cached SPA deep links).

Headers (defaults):

* ``Content-Type``: from :data:`EXTRA_TYPES`, then Python's built-in ``mimetypes`` table (not
  the machine's ``/etc/mime.types``, so every machine agrees), else ``application/octet-stream``;
  text types carry ``; charset=utf-8``.
* ``Cache-Control``: :data:`CACHE_HTML` on ``*.html`` and on the root ``config.json``; :data:`CACHE_IMMUTABLE` on hashed assets;
  :data:`CACHE_OTHER` on anything else (``favicon.ico``, ``robots.txt``, ...).
* A file is *hashed* when its name has, after the stem, a ``.``/``-`` separated token of 8 or
  more ``[A-Za-z0-9_]`` characters with at least one digit (``index-4f2a9c1b.js``,
  ``main.8e1f3a2b.chunk.css``, ``app.js.map`` of such a file). Unhashed names get the short
  cache, which is always safe; ``--hashed-regex`` replaces the rule.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from environment.names import publish_target_parameter_name
from ops.stack_outputs import (
    AwsTarget,
    OpsError,
    StackOutputs,
    env_command_parser,
    load_env_config,
    parse_outputs,
    read_outputs,
    run_cli,
)

if TYPE_CHECKING:
    from environment.config import EnvironmentConfig

CACHE_HTML = "no-cache"
"""HTML is revalidated on every load, so a deploy is visible at once."""
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
"""Hashed assets never change under their name: cache for a year."""
CACHE_OTHER = "public, max-age=300"
"""Unhashed non-HTML files (favicon, robots.txt, manifest): five minutes."""

DEFAULT_INVALIDATION_PATHS = ("/*",)
UPLOAD_WORKERS = 8
"""Parallel uploads (boto3 clients are thread-safe)."""

EXTRA_TYPES: dict[str, str] = {
    ".js": "text/javascript",  # RFC 9239
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".wasm": "application/wasm",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".geojson": "application/geo+json",
    ".pbf": "application/x-protobuf",
}
"""Types for web files that ``mimetypes`` lacks or names differently; checked first."""

COMPRESSED_TYPES = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz", "br": "application/x-brotli"}
TEXT_TYPES = {"application/json", "application/manifest+json", "application/xml", "application/geo+json", "image/svg+xml"}

CONFIG_FILE = "config.json"
"""The SPA's runtime configuration at the site's root (schema: frontend/src/config/env.ts, docs/frontend.md)."""
CLIENT_ID_VAR = "GEOAPP_AUTH0_CLIENT_ID"
"""Environment variable read when ``--client-id`` is not given (a CI variable per environment)."""
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
"""Auth0 client ids are 32 letters and digits; other OIDC issuers use ``-``, ``_`` and ``.`` too."""

_DEFAULT_HASHED = re.compile(r"[.-](?=[A-Za-z_]*\d)[A-Za-z0-9_]{8,}\.")
_MIMETYPES = mimetypes.MimeTypes()  # built-in table only (no /etc/mime.types)


def content_type(name: str) -> str:
    """``Content-Type`` for a file name (see module doc)."""
    lower = name.lower()
    suffix = Path(lower).suffix
    guessed, encoding = _MIMETYPES.guess_type(lower, strict=False)
    if encoding is not None:
        base = COMPRESSED_TYPES.get(encoding, "application/octet-stream")
    else:
        base = EXTRA_TYPES.get(suffix) or guessed or "application/octet-stream"
    if base.startswith("text/") or base in TEXT_TYPES or base == "text/javascript":
        return f"{base}; charset=utf-8"
    return base


def is_hashed(name: str, pattern: re.Pattern[str] = _DEFAULT_HASHED) -> bool:
    """Whether the file name carries a content hash (see module doc)."""
    return pattern.search(Path(name).name) is not None


def cache_control(name: str, pattern: re.Pattern[str] = _DEFAULT_HASHED) -> str:
    if name.lower().endswith((".html", ".htm")) or name == CONFIG_FILE:
        return CACHE_HTML
    if is_hashed(name, pattern):
        return CACHE_IMMUTABLE
    return CACHE_OTHER


def runtime_config(config: EnvironmentConfig, client_id: str | None = None, *, authority: str | None = None) -> dict[str, Any]:
    """The SPA's ``config.json`` for an environment (schema: ``frontend/src/config/env.ts``).

    * ``apiBase``: ``/api``, the distribution's API behaviour on the site's own origin;
    * ``auth0``: ``{domain, clientId, audience}`` from ``[auth0]`` when ``client_id`` (the SPA's
      Auth0 application) is known, else null: no sign-in, the map is read-only. No stack output
      holds the client id (managed mode keeps it only inside the Auth0 secret), so the caller
      passes it (``--client-id`` / ``$GEOAPP_AUTH0_CLIENT_ID``). With ``authority`` (an OpenID
      Connect issuer URL: ``make local``'s local issuer), ``{authority, clientId, audience}`` instead;
    * ``publicReads``: ``[api] public_reads``;
    * ``defaultCollection``, ``basemapStyleUrl``: null (the first collection; the bundled plain style,
      which is all the site's CSP allows).

    Raises:
        OpsError: ``client_id`` is not a client id, or reads need a token and there is no client id
            (the site could show nothing).
    """
    auth0 = None
    if client_id is not None:
        if not _CLIENT_ID.fullmatch(client_id):
            raise OpsError(f"--client-id {client_id!r} is not a client id (1-128 letters, digits, '-', '_', '.')")
        issuer = {"authority": authority} if authority else {"domain": config.auth0.domain}
        auth0 = {**issuer, "clientId": client_id, "audience": config.auth0.audience}
    elif not config.api.public_reads:
        raise OpsError(f"[api] public_reads is false, so the map needs sign-in: pass --client-id (or ${CLIENT_ID_VAR})")
    return {
        "apiBase": "/api",
        "auth0": auth0,
        "basemapStyleUrl": None,
        "defaultCollection": None,
        "publicReads": config.api.public_reads,
    }


@dataclass(frozen=True)
class SiteFile:
    path: Path | None
    rel: str
    """Path inside the build folder, POSIX style (``assets/index-4f2a9c1b.js``)."""
    key: str
    content_type: str
    cache_control: str
    md5: str
    body: bytes | None = None
    """Content made by this command (``config.json``); ``path`` is None then."""

    @property
    def phase(self) -> int:
        """Upload order: 0 hashed assets, 1 other files, 2 HTML and ``config.json``, 3 the root ``index.html``."""
        if self.rel == "index.html":
            return 3
        if self.cache_control == CACHE_HTML:
            return 2
        return 0 if self.cache_control == CACHE_IMMUTABLE else 1


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def scan_site(
    directory: Path, prefix: str, pattern: re.Pattern[str] = _DEFAULT_HASHED, generated: Mapping[str, bytes] | None = None
) -> list[SiteFile]:
    """Every regular file under ``directory``, then ``generated`` (rel path -> bytes), with key and headers.

    Checks ``directory`` is a SPA build; a generated file may not replace a file of the build.
    """
    if not directory.is_dir():
        raise OpsError(f"{directory} is not a directory")
    if not (directory / "index.html").is_file():
        raise OpsError(f"{directory} has no index.html: is it a built SPA (e.g. the build/ or dist/ folder)?")
    prefix = prefix.strip("/")
    files = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        key = f"{prefix}/{rel}" if prefix else rel
        files.append(
            SiteFile(
                path=path,
                rel=rel,
                key=key,
                content_type=content_type(rel),
                cache_control=cache_control(rel, pattern),
                md5=_md5(path),
            )
        )
    for rel, body in (generated or {}).items():
        if (directory / rel).exists():
            raise OpsError(f"{directory / rel} exists: the build's own file would be replaced")
        key = f"{prefix}/{rel}" if prefix else rel
        md5 = hashlib.md5(body, usedforsecurity=False).hexdigest()
        files.append(SiteFile(None, rel, key, content_type(rel), cache_control(rel, pattern), md5, body))
    return files


@dataclass
class PublishResult:
    uploaded: list[str]
    unchanged: list[str]
    deleted: list[str]
    invalidation_id: str | None


def _existing_objects(s3, bucket: str, prefix: str) -> dict[str, str]:
    """``{key: etag}`` of every object under ``prefix/``."""
    found: dict[str, str] = {}
    list_prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=list_prefix):
        for obj in page.get("Contents", []):
            found[obj["Key"]] = obj.get("ETag", "").strip('"')
    return found


def publish(
    target: AwsTarget,
    *,
    directory: Path,
    bucket: str,
    prefix: str,
    distribution_id: str,
    delete_stale: bool = True,
    invalidation_paths: Sequence[str] = DEFAULT_INVALIDATION_PATHS,
    wait: bool = False,
    hashed_pattern: re.Pattern[str] = _DEFAULT_HASHED,
    dry_run: bool = False,
    generated: Mapping[str, bytes] | None = None,
    log: Callable[[str], None] = print,
) -> PublishResult:
    """Upload ``directory`` (and ``generated`` files) to ``s3://bucket/prefix/``, drop stale objects, invalidate. See module doc."""
    files = scan_site(directory, prefix, hashed_pattern, generated)
    s3 = target.client("s3")
    try:
        existing = _existing_objects(s3, bucket, prefix)
    except s3.exceptions.NoSuchBucket:
        raise OpsError(f"bucket {bucket} does not exist (is the stack deployed?)") from None

    to_upload, unchanged = [], []
    for f in files:
        if f.cache_control == CACHE_IMMUTABLE and existing.get(f.key) == f.md5:
            unchanged.append(f.key)
        else:
            to_upload.append(f)
    new_keys = {f.key for f in files}
    stale = sorted(k for k in existing if k not in new_keys) if delete_stale else []

    log(
        f"publishing {len(files)} files to s3://{bucket}/{prefix.strip('/')}/: "
        f"{len(to_upload)} to upload, {len(unchanged)} unchanged, {len(stale)} stale to delete"
    )
    if dry_run:
        for f in sorted(to_upload, key=lambda f: (f.phase, f.key)):
            log(f"  would upload {f.key}  [{f.content_type}; {f.cache_control}]")
        for key in stale:
            log(f"  would delete {key}")
        return PublishResult([f.key for f in to_upload], unchanged, stale, None)

    def put(f: SiteFile) -> None:
        if f.body is not None:
            s3.put_object(Bucket=bucket, Key=f.key, Body=f.body, ContentType=f.content_type, CacheControl=f.cache_control)
            return
        s3.upload_file(str(f.path), bucket, f.key, ExtraArgs={"ContentType": f.content_type, "CacheControl": f.cache_control})

    with ThreadPoolExecutor(max_workers=UPLOAD_WORKERS) as pool:
        for phase in sorted({f.phase for f in to_upload}):
            batch = [f for f in to_upload if f.phase == phase]
            list(pool.map(put, batch))  # list(): re-raises the first upload error, before the next phase

    for chunk in _chunks(stale, 1000):
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
        if response.get("Errors"):
            first = response["Errors"][0]
            raise OpsError(f"could not delete {first['Key']}: {first.get('Code')} {first.get('Message')}")

    invalidation_id = None
    if invalidation_paths:
        cloudfront = target.client("cloudfront")
        response = cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(invalidation_paths), "Items": list(invalidation_paths)},
                "CallerReference": f"publish-frontend-{time.time_ns()}",
            },
        )
        invalidation_id = response["Invalidation"]["Id"]
        log(f"invalidation {invalidation_id} on {distribution_id} for {', '.join(invalidation_paths)}")
        if wait:
            _wait_invalidation(cloudfront, distribution_id, invalidation_id)
            log("invalidation completed")
    log(f"done: {len(to_upload)} uploaded, {len(unchanged)} unchanged, {len(stale)} deleted")
    return PublishResult([f.key for f in to_upload], unchanged, stale, invalidation_id)


def _wait_invalidation(cloudfront, distribution_id: str, invalidation_id: str, timeout: float = 1200, delay: float = 10) -> None:
    """Poll until the invalidation is complete.

    Hand-written instead of boto3's ``invalidation_completed`` waiter because that waiter matches
    ``Completed`` exactly, and moto answers ``COMPLETED``; the case-insensitive check works for both.
    """
    deadline = time.monotonic() + timeout
    while True:
        status = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidation_id)["Invalidation"]["Status"]
        if status.lower() == "completed":
            return
        if time.monotonic() > deadline:
            raise OpsError(f"invalidation {invalidation_id} still {status} after {timeout:.0f} s")
        time.sleep(delay)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _config_file(args: argparse.Namespace, config: EnvironmentConfig) -> dict[str, bytes]:
    """``{"config.json": bytes}`` to publish, or nothing (``--no-config``, or the build has its own)."""
    if args.no_config or (args.dir / CONFIG_FILE).exists():
        return {}
    client_id = args.client_id if args.client_id is not None else os.environ.get(CLIENT_ID_VAR) or None
    text = json.dumps(runtime_config(config, client_id), indent=2) + "\n"
    return {CONFIG_FILE: text.encode()}


def publish_target(config: EnvironmentConfig, target: AwsTarget) -> StackOutputs:
    """Bucket, prefix and distribution id from the SSM parameter the env stack writes for the frontend
    publish role (:func:`environment.names.publish_target_parameter_name`), which may not read the state."""
    name = publish_target_parameter_name(config)
    ssm = target.client("ssm")
    try:
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        raise OpsError(
            f"SSM parameter {name} does not exist: set [publish] jenkins_principal_arn in {config.source} and deploy {config.stack_name}"
        ) from None
    try:
        data = json.loads(value)
    except json.JSONDecodeError as err:
        raise OpsError(f"SSM parameter {name} is not JSON: {err}") from None
    return StackOutputs(stack=config.stack_name, values=parse_outputs(data, config.stack_name))


def _main(args: argparse.Namespace) -> int:
    config = load_env_config(args.env, args.envs_dir)
    target = AwsTarget(region=config.aws.region, endpoint_url=config.aws.endpoint)
    from_parameter = args.target_from_parameter
    outputs = publish_target(config, target) if from_parameter else read_outputs(args.env, outputs_file=args.outputs_file)
    try:
        pattern = re.compile(args.hashed_regex) if args.hashed_regex else _DEFAULT_HASHED
    except re.error as err:
        raise OpsError(f"--hashed-regex is not a valid regular expression: {err}") from None
    generated = _config_file(args, config)
    publish(
        target,
        directory=args.dir,
        bucket=outputs.string("assets_bucket"),
        prefix=outputs.string("assets_prefix"),
        distribution_id=outputs.string("cloudfront_distribution_id"),
        delete_stale=not args.keep_stale,
        invalidation_paths=args.invalidate or DEFAULT_INVALIDATION_PATHS,
        wait=args.wait,
        hashed_pattern=pattern,
        dry_run=args.dry_run,
        generated=generated,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = env_command_parser("ops.publish_frontend", "Upload a built SPA to an environment's assets bucket and invalidate CloudFront.")
    parser.add_argument("dir", metavar="DIR", type=Path, help="built SPA folder (holds index.html)")
    parser.add_argument("--keep-stale", action="store_true", help="do not delete objects missing from DIR")
    parser.add_argument("--invalidate", action="append", metavar="PATH", help="invalidation path, repeatable (default: /*)")
    parser.add_argument("--wait", action="store_true", help="wait until the invalidation has completed")
    parser.add_argument("--hashed-regex", help="regex searched in a file's base name to mark it hashed (immutable)")
    parser.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    parser.add_argument(
        "--client-id",
        help=f"the SPA's Auth0 client id: config.json then enables sign-in (default ${CLIENT_ID_VAR}; none: read-only map)",
    )
    parser.add_argument(
        "--target-from-parameter",
        action="store_true",
        help="read bucket, prefix and distribution from the env's SSM parameter instead of the stack outputs "
        "(what the frontend publish role geoapp-frontend-publish-ENV may read; see Jenkinsfile)",
    )
    parser.add_argument("--no-config", action="store_true", help="do not write config.json (DIR's own, if any, is published as is)")
    return run_cli(_main, argv, parser)


if __name__ == "__main__":
    sys.exit(main())
