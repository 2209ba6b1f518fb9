"""Domain exceptions. Services, git/ and storage/ raise only these; http/render.py renders them per
surface (GitHub JSON, S3 XML, git text, HTML pages)."""

from __future__ import annotations

from typing import Self


class HubdepotError(Exception):
    status = 500
    default_message = "Server Error"

    def __init__(self, message: str | None = None, **extra: object) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.extra = extra  # extra top-level keys for the error body (e.g. url)


class BadRequest(HubdepotError):
    status = 400
    default_message = "Bad Request"


class Unauthenticated(HubdepotError):
    status = 401
    default_message = "Requires authentication"


class BadCredentials(Unauthenticated):
    default_message = "Bad credentials"


class Forbidden(HubdepotError):
    status = 403
    default_message = "Forbidden"


class RateLimited(Forbidden):
    default_message = "API rate limit exceeded"


class NotFound(HubdepotError):
    status = 404
    default_message = "Not Found"


class Conflict(HubdepotError):
    status = 409
    default_message = "Conflict"


class TooLarge(HubdepotError):
    status = 413
    default_message = "Payload Too Large"


class Unprocessable(HubdepotError):
    """422 without an errors[] array, e.g. 'Invalid request.\\n\\n"sha" wasn't supplied.'"""

    status = 422
    default_message = "Invalid request."


class ValidationFailed(Unprocessable):
    """422 'Validation Failed' with GitHub's errors[] items."""

    default_message = "Validation Failed"

    def __init__(self, errors: list[dict[str, str]], message: str | None = None, **extra: object) -> None:
        super().__init__(message, **extra)
        self.errors = errors

    @classmethod
    def one(cls, resource: str, field: str, code: str, message: str | None = None, **extra: object) -> Self:
        item = {"resource": resource, "code": code, "field": field}
        if message:
            item["message"] = message
        return cls([item], None, **extra)


class StorageFull(HubdepotError):
    """The blob store has no room (a full disk): 507, and nothing of the upload stays."""

    status = 507
    default_message = "Insufficient storage: the server has no room for this upload"


class PostRejected(HubdepotError):
    """An S3 POST (the legacy Downloads' upload) refused: `code` is S3's error code (AccessDenied,
    SignatureDoesNotMatch, EntityTooLarge ...), rendered as S3's XML error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Unavailable(HubdepotError):
    status = 503
    default_message = "Service Unavailable"
