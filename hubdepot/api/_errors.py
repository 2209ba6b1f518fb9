"""The one mapping from domain exceptions to GitHub's error JSON."""

from __future__ import annotations

import logging

import orjson

from hubdepot import errors

GENERIC_DOCS = "https://docs.github.com/rest"
log = logging.getLogger("hubdepot")


def error_body(exc: errors.HubdepotError, docs: str | None) -> dict:
    body: dict = {"message": exc.message}
    if isinstance(exc, errors.ValidationFailed):
        body["errors"] = exc.errors
    body.update(exc.extra)
    generic = isinstance(exc, errors.Unauthenticated) or not docs
    body["documentation_url"] = GENERIC_DOCS if generic else docs
    body["status"] = str(exc.status)
    return body


def error_response_parts(exc: BaseException, docs: str | None) -> tuple[int, bytes, dict[str, str]]:
    """(status, body bytes, extra headers) for any exception; unexpected ones become a logged 500."""
    if not isinstance(exc, errors.HubdepotError):
        log.exception("unhandled error", exc_info=exc)
        exc = errors.HubdepotError()
    headers = {}
    if isinstance(exc, errors.TooLarge):  # the rest of the body is not read: this connection is done
        headers["connection"] = "close"
    if isinstance(exc, errors.RateLimited):
        if "retry_after" in exc.extra:
            headers["retry-after"] = str(exc.extra.pop("retry_after"))
    return exc.status, orjson.dumps(error_body(exc, docs)), headers
