"""What the CloudFront shims share: entities kept on moto's CloudFront backend by ``Id``, and the
rule that an update or a delete must send the entity's current ETag (``IfMatch``), as CloudFront
answers it (InvalidIfMatchVersion when missing, PreconditionFailed when stale)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult

API_BASE = "https://cloudfront.amazonaws.com/2020-05-31"


def error(code: str, message: str) -> CloudFrontException:
    return CloudFrontException(code, message)


def new_etag() -> str:
    """A fresh ETag, shaped like CloudFront's (14 upper-case hex digits)."""
    return uuid.uuid4().hex[:14].upper()


@dataclass(frozen=True)
class EtagStore:
    """One kind of entity: the backend attribute it is kept in, CloudFront's answer when an
    ``Id`` names none (e.g. ``NoSuchResponseHeadersPolicy``), the entity's element in answers
    (e.g. ``VpcOrigin``) and its API path (e.g. ``vpc-origin``, for a create's ``Location``)."""

    attribute: str
    not_found_code: str
    not_found_message: str
    element: str
    path: str

    def of(self, backend: CloudFrontBackend) -> dict[str, Any]:
        store = getattr(backend, self.attribute, None)
        if store is None:
            store = {}
            setattr(backend, self.attribute, store)
        return store

    def named(self, response: CloudFrontResponse) -> Any:
        """The entity the request's ``Id`` names."""
        entity = self.of(response.backend).get(response._get_param("Id") or "")
        if entity is None:
            raise error(self.not_found_code, self.not_found_message)
        return entity

    def current(self, response: CloudFrontResponse) -> Any:
        """The entity named by ``Id`` whose ETag is ``IfMatch`` (update and delete)."""
        entity = self.named(response)
        if_match = response._get_param("IfMatch")
        if not if_match:
            raise error("InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.")
        if if_match != entity.etag:
            raise error("PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.")
        return entity

    def answer(self, entity: Any, *, created: bool = False) -> ActionResult:
        """CloudFront's answer naming ``entity``: its ``as_result()``, its ETag and, for a create, its Location."""
        body = {self.element: entity.as_result(), "ETag": entity.etag}
        if created:
            body["Location"] = f"{API_BASE}/{self.path}/{entity.id}"
        return ActionResult(body)
