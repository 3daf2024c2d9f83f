"""What the CloudFront shims share: entities kept on moto's CloudFront backend by ``Id``, and the
rule that an update or a delete must send the entity's current ETag (``IfMatch``), as CloudFront
answers it (InvalidIfMatchVersion when missing, PreconditionFailed when stale)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend
from moto.cloudfront.responses import CloudFrontResponse


def error(code: str, message: str) -> CloudFrontException:
    return CloudFrontException(code, message)


@dataclass(frozen=True)
class EtagStore:
    """One kind of entity: the backend attribute it is kept in, and CloudFront's answer when an
    ``Id`` names none (e.g. ``NoSuchResponseHeadersPolicy``)."""

    attribute: str
    not_found_code: str
    not_found_message: str

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
