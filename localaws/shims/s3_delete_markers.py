"""A delete marker can be removed with the rest of a key's versions once versioning is suspended."""

from __future__ import annotations

from moto.s3 import models as s3_models

from ._patch import Patches

GAP = (
    "moto 5.2.5: in a bucket whose versioning is suspended, deleting a key that has a delete "
    "marker among its versions fails with HTTP 500 (AttributeError: 'FakeDeleteMarker' object "
    "has no attribute 'dispose'). Terraform's destroy suspends the assets bucket's versioning "
    "before force_destroy empties it, so after a publish that removed a stale file (a delete "
    "marker) `make down` and the destroy check retried DeleteObjects for minutes."
)


def _dispose(self: s3_models.FakeDeleteMarker, garbage: bool = False) -> None:
    """A delete marker holds no data: nothing to release (FakeKey.dispose closes its buffer)."""


def patches() -> Patches:
    """Give delete markers the ``dispose`` moto calls on every version of a key it drops."""
    return {s3_models.FakeDeleteMarker: {"dispose": _dispose}}
