"""Application Auto Scaling tags on scalable targets.

Real state: tags live on the moto backend (one per account and region), keyed by the
target's ARN; tags written are the tags read back, and they go away with the target.
"""

from __future__ import annotations

import json
from typing import Any

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError

from ._patch import Patches

GAP = (
    "moto 5.2.5: Application Auto Scaling TagResource, UntagResource and "
    "ListTagsForResource are not implemented (HTTP 500), and RegisterScalableTarget "
    "ignores Tags. The AWS provider reads tags after creating aws_appautoscaling_target "
    "and retries the 500 until it times out, so the apply hangs."
)

MAX_TAGS = 50  # AWS quota: tags per scalable target


class ResourceNotFound(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for {arn}")


class Validation(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


def _store(backend: ApplicationAutoscalingBackend) -> dict[str, dict[str, str]]:
    store = getattr(backend, "_localaws_tags", None)
    if store is None:
        store = {}
        backend._localaws_tags = store  # type: ignore[attr-defined]
    return store


def _target_arns(backend: ApplicationAutoscalingBackend) -> set[str]:
    return {t.arn for by_id in backend.targets.values() for t in by_id.values()}


def _known_arn(response: ApplicationAutoScalingResponse) -> tuple[dict[str, dict[str, str]], str]:
    backend = response.applicationautoscaling_backend
    arn = response._get_param("ResourceARN")
    if arn not in _target_arns(backend):
        raise ResourceNotFound(arn)
    store = _store(backend)
    return store, arn


def _check_tags(tags: Any) -> dict[str, str]:
    if not isinstance(tags, dict) or not tags:
        raise Validation("Tags must be a non-empty map of key to value")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(str(value)) > 256:
            raise Validation(f"Tag key or value too long: {key!r}")
        if key.lower().startswith("aws:"):
            raise Validation(f"Tag keys starting with 'aws:' are reserved: {key!r}")
    return {str(k): str(v) for k, v in tags.items()}


def _tag_resource(self: ApplicationAutoScalingResponse) -> str:
    store, arn = _known_arn(self)
    merged = {**store.get(arn, {}), **_check_tags(self._get_param("Tags"))}
    if len(merged) > MAX_TAGS:
        raise Validation(f"A scalable target can have at most {MAX_TAGS} tags")
    store[arn] = merged
    return "{}"


def _untag_resource(self: ApplicationAutoScalingResponse) -> str:
    store, arn = _known_arn(self)
    keys = self._get_param("TagKeys") or []
    store[arn] = {k: v for k, v in store.get(arn, {}).items() if k not in keys}
    return "{}"


def _list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    store, arn = _known_arn(self)
    return json.dumps({"Tags": store.get(arn, {})})


def patches() -> Patches:
    """Add the three tag actions and make RegisterScalableTarget / Deregister keep tags."""
    cls = ApplicationAutoScalingResponse
    original_register = cls.register_scalable_target
    original_deregister = cls.deregister_scalable_target

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        backend = self.applicationautoscaling_backend
        before = _target_arns(backend)
        tags = self._get_param("Tags")
        if tags:
            _check_tags(tags)  # reject bad tags before anything is created
        body = original_register(self)
        created = _target_arns(backend) - before
        for arn in created:  # AWS applies Tags only when the target is new
            _store(backend)[arn] = _check_tags(tags) if tags else {}
        return body

    def deregister_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        backend = self.applicationautoscaling_backend
        before = _target_arns(backend)
        body = original_deregister(self)
        for arn in before - _target_arns(backend):
            _store(backend).pop(arn, None)
        return body

    return {
        cls: {
            "register_scalable_target": register_scalable_target,
            "deregister_scalable_target": deregister_scalable_target,
            "tag_resource": _tag_resource,
            "untag_resource": _untag_resource,
            "list_tags_for_resource": _list_tags_for_resource,
        }
    }
