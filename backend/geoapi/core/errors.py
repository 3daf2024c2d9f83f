"""API errors, rendered as OGC exception documents: ``{"code": ..., "description": ...}``."""

from __future__ import annotations


class APIError(Exception):
    """An error the client gets to see; ``status`` is the HTTP status code."""

    status = 500
    code = "ServerError"

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None, **kwargs: object) -> None:
        """``class NotFound(APIError, status=404, code="NotFound")``: a subclass names its status and code in its header."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {"code": self.code, "description": self.description}


class InvalidParameter(APIError, status=400, code="InvalidParameterValue"): ...


class InvalidBody(APIError, status=400, code="InvalidRequestBody"): ...


class Unauthorized(APIError, status=401, code="Unauthorized"): ...


class Forbidden(APIError, status=403, code="Forbidden"): ...


class NotFound(APIError, status=404, code="NotFound"): ...


class UnsupportedMediaType(APIError, status=415, code="UnsupportedMediaType"): ...


class ServiceUnavailable(APIError, status=503, code="ServiceUnavailable"): ...
