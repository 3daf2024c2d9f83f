"""Where a first load reads from: a local file or an S3 object, streamed, hashed, with progress.

Nothing here holds a whole file: :meth:`Source.open` returns a reader over the stored
bytes (``.gz`` decompressed on the fly) that feeds a SHA-256 and a byte counter as it goes.

The recorded checksum sits beside the data: ``<source>.sha256`` (``sha256sum`` output or
the bare hex digest), in the same directory or S3 prefix, or is passed on the command
line.  :func:`verify` is the first pass (hash everything, compare, write nothing); the
load is the second, which hashes again and commits only if the bytes were the same.
An S3 object is read both times at the same ETag (``IfMatch``), so it cannot change
between the passes unnoticed.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from geoapi.secrets import aws_client

log = logging.getLogger("geoapi.seed")

CHUNK = 1 << 20
_HEX = re.compile(r"[0-9a-fA-F]{64}")


class SeedError(RuntimeError):
    """The source cannot be loaded; nothing was written."""


class HashingReader:
    """A binary reader that hashes and counts the stored bytes read through it."""

    def __init__(self, raw: Any, progress: Progress | None = None) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes with read(0) for bytes vs text
            return b""
        data = self.raw.read(size if size > 0 else CHUNK)
        self.sha256.update(data)
        self.bytes += len(data)
        if self.progress is not None:
            self.progress.tick(self.bytes)
        return data

    def readable(self) -> bool:
        return True


@dataclass
class Progress:
    """Logs rows, bytes and rates at most every ``every`` seconds, and once at the end."""

    label: str
    total_bytes: int | None
    every: float = 5.0
    rows: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0

    def tick(self, bytes_read: int | None = None, rows: int = 0) -> None:
        if bytes_read is not None:
            self.bytes = bytes_read
        self.rows += rows
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.report()

    def report(self, done: bool = False) -> None:
        seconds = max(time.monotonic() - self.started, 1e-6)
        share = f" ({self.bytes / self.total_bytes:.0%})" if self.total_bytes else ""
        log.info(
            "%s%s: %s rows, %.1f MB%s, %.0f rows/s, %.1f MB/s",
            self.label,
            " done" if done else "",
            f"{self.rows:,}",
            self.bytes / 1e6,
            share,
            self.rows / seconds,
            self.bytes / 1e6 / seconds,
        )


@dataclass
class Source:
    """A local path or ``s3://bucket/key``; ``client_factory`` makes the S3 client (tests point it at moto)."""

    url: str
    client_factory: Callable[[], Any] | None = None
    _etag: str | None = None

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    @property
    def name(self) -> str:
        return Path(urlparse(self.url).path if self.is_s3 else self.url).name

    def _s3(self) -> tuple[Any, str, str]:
        parsed = urlparse(self.url)
        bucket, key = parsed.netloc, parsed.path.lstrip("/")
        if not bucket or not key:
            raise SeedError(f"{self.url}: an S3 URL must look like s3://bucket/key")
        return (self.client_factory or aws_client("s3"))(), bucket, key

    def _s3_error(self, exc: Exception, what: str) -> SeedError:
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            return SeedError(f"{what}: cannot download: {error.get('Code')} {error.get('Message', '')}".strip())
        return SeedError(f"{what}: cannot download: {exc}")

    def size(self) -> int | None:
        if not self.is_s3:
            path = Path(self.url)
            if not path.is_file():
                raise SeedError(f"{self.url}: no such file")
            return path.stat().st_size
        client, bucket, key = self._s3()
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise self._s3_error(exc, self.url) from None
        self._etag = head.get("ETag")
        return int(head["ContentLength"])

    def recorded_sha256(self) -> str:
        """The digest in ``<source>.sha256``."""
        sidecar = self.url + ".sha256"
        if self.is_s3:
            client, bucket, key = self._s3()
            try:
                text = client.get_object(Bucket=bucket, Key=key + ".sha256")["Body"].read(4096).decode("utf-8", "replace")
            except ClientError:
                text = ""
            except BotoCoreError as exc:
                raise self._s3_error(exc, sidecar) from None
        else:
            path = Path(sidecar)
            text = path.read_text(errors="replace")[:4096] if path.is_file() else ""
        digest = text.split()[0] if text.split() else ""
        if not _HEX.fullmatch(digest):
            raise SeedError(f"{self.url}: no recorded SHA-256; put its hex digest in {sidecar} (sha256sum output works) or pass --sha256")
        return digest.lower()

    @contextlib.contextmanager
    def open(self, progress: Progress | None = None) -> Iterator[tuple[IO[bytes], HashingReader]]:
        """``(data, hashed)``: ``data`` yields the content (decompressed), ``hashed`` hashes the stored bytes."""
        if self.is_s3:
            client, bucket, key = self._s3()
            extra = {"IfMatch": self._etag} if self._etag else {}
            try:
                raw = client.get_object(Bucket=bucket, Key=key, **extra)["Body"]
            except (ClientError, BotoCoreError) as exc:
                raise self._s3_error(exc, self.url) from None
        else:
            try:
                raw = Path(self.url).open("rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise SeedError(f"{self.url}: cannot open: {exc.strerror}") from None
        hashed = HashingReader(raw, progress)
        try:
            data: Any = gzip.GzipFile(fileobj=hashed, mode="rb") if self.name.endswith(".gz") else hashed
            yield data, hashed
        except (OSError, EOFError) as exc:
            if isinstance(exc, gzip.BadGzipFile) or "gzip" in str(exc).lower():
                raise SeedError(f"{self.name}: not a valid gzip file: {exc}") from None
            raise
        finally:
            raw.close()


def verify(source: Source, expected: str) -> int:
    """First pass: hash the whole source and compare with ``expected``; returns its size in bytes."""
    progress = Progress(f"checksum {source.name}", source.size())
    with source.open(progress) as (_, hashed):
        while hashed.read(CHUNK):
            pass
    progress.report(done=True)
    actual = hashed.sha256.hexdigest()
    if actual != expected:
        raise SeedError(f"{source.url}: SHA-256 {actual} does not match the recorded {expected}; nothing was loaded")
    return hashed.bytes


def check_second_pass(source: Source, hashed: HashingReader, expected: str) -> None:
    """Second pass: the bytes loaded must be the bytes checked (else the caller rolls back)."""
    while hashed.read(CHUNK):  # whatever the parser left unread (trailing whitespace, gzip trailer)
        pass
    actual = hashed.sha256.hexdigest()
    if actual != expected:
        raise SeedError(f"{source.url}: changed while loading (SHA-256 {actual}, expected {expected}); rolled back")


_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def read_ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """``items``, produced by a thread of their own up to ``depth`` ahead of the consumer.

    A first load reads and encodes the next batch (ijson, checks, WKB, escaping: Python work)
    while the database runs the current one (the driver waits on its socket without the GIL),
    so the load takes about the longer of the two instead of their sum.  Memory: ``depth + 1``
    items.  An exception raised while producing is raised here, in the consumer's thread; when
    the consumer stops early, the producer is told to stop and joined.
    """
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(_Failed(exc))

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        worker.join()
