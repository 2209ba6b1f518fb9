"""Errors rendered by surface: GitHub's JSON under /api, S3's XML at the S3 POST endpoint, git's
plain-text answers (with a Basic challenge for 401) on the smart HTTP routes, and an HTML page for
every browser route. The one place a domain exception becomes an HTTP answer."""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import secrets
from typing import TypeAlias
from xml.sax.saxutils import escape

import orjson

from hubdepot import errors

GENERIC_DOCS = "https://docs.github.com/rest"
JSON_TYPE = "application/json; charset=utf-8"
log = logging.getLogger("hubdepot")

Answer: TypeAlias = tuple[int, bytes, dict[str, str]]
"""An error as an HTTP answer: status, body, headers."""

# Surfaces, named in the request context (http/context.py) by the edge. RAW is what GitHub's raw and codeload
# hosts are: plain text ("404: Not Found"), never a page.
API, S3, GIT, RAW, WEB = "api", "s3", "git", "raw", "web"

_S3_CODES = {
    400: "InvalidArgument",
    403: "AccessDenied",
    404: "NoSuchKey",
    412: "PreconditionFailed",
    413: "EntityTooLarge",
    503: "ServiceUnavailable",
    507: "InternalError",
}


def domain_error(exc: BaseException) -> errors.HubdepotError:
    """`exc` as a domain error; anything unexpected is logged and becomes a 500."""
    if isinstance(exc, errors.HubdepotError):
        return exc
    log.exception("unhandled error", exc_info=exc)
    return errors.HubdepotError()


def error_body(exc: errors.HubdepotError, docs: str | None, request_id: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"message": exc.message}
    if isinstance(exc, errors.ValidationFailed):
        body["errors"] = exc.errors
    body.update({k: v for k, v in exc.extra.items() if k != "retry_after"})
    generic = isinstance(exc, errors.Unauthenticated) or not docs
    body["documentation_url"] = GENERIC_DOCS if generic else docs
    body["status"] = str(exc.status)
    if request_id:
        body["request_id"] = request_id
    return body


def _headers(exc: errors.HubdepotError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(exc, errors.TooLarge):  # the rest of the body is not read: this connection is done
        headers["connection"] = "close"
    if isinstance(exc, errors.RateLimited) and "retry_after" in exc.extra:
        headers["retry-after"] = str(exc.extra["retry_after"])
    return headers


def json_error(exc: errors.HubdepotError, docs: str | None, request_id: str | None = None) -> Answer:
    return exc.status, orjson.dumps(error_body(exc, docs, request_id)), {"content-type": JSON_TYPE, **_headers(exc)}


def s3_error(status: int, code: str, message: str) -> Answer:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId><HostId>{secrets.token_urlsafe(32)}</HostId></Error>"
    )
    return status, body.encode(), {"content-type": "application/xml"}


def git_error(exc: errors.HubdepotError) -> Answer:
    headers = {"content-type": "text/plain; charset=utf-8", **_headers(exc)}
    if isinstance(exc, errors.Unauthenticated):
        headers["www-authenticate"] = 'Basic realm="GitHub"'
    message = "Repository not found." if isinstance(exc, errors.NotFound) else exc.message
    return exc.status, (message + "\n").encode(), headers


def raw_error(exc: errors.HubdepotError) -> Answer:
    """As raw.githubusercontent.com and codeload answer: what cannot be shown is "404: Not Found"."""
    status = 404 if exc.status in (401, 403, 404) else exc.status
    text = "404: Not Found" if status == 404 else f"{status}: {exc.message}"
    return status, text.encode(), {"content-type": "text/plain; charset=utf-8", **_headers(exc)}


_STYLE = (
    "body{font:16px/1.5 -apple-system,BlinkMacSystemFont,'Segoe UI','Noto Sans',Helvetica,Arial,sans-serif;"
    "margin:0;color:#1f2328;background:#fff}"
    "header{padding:12px 24px;background:#f6f8fa;border-bottom:1px solid #d1d9e0;font-weight:600}"
    "header a{color:#1f2328;text-decoration:none}"
    "main{max-width:40rem;margin:4rem auto;padding:0 1rem}h1{font-size:2rem;margin:0 0 .5rem}a{color:#0969da}"
)
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · hubdepot</title>
<style>{style}</style></head>
<body><header><a href="/">hubdepot</a></header>
<main><h1>{status}</h1><p>{message}</p><p><a href="/">Go to the home page</a></p></main></body></html>
"""
# The page's one inline style is allowed by its hash: no 'unsafe-inline', as on every other page.
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
_WEB_CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def page_error(exc: errors.HubdepotError) -> Answer:
    message = "This is not the web page you are looking for." if exc.status == 404 else exc.message
    title = "Page not found" if exc.status == 404 else exc.default_message
    text = _PAGE.format(title=html.escape(title), style=_STYLE, status=exc.status, message=html.escape(message))
    headers = {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": _WEB_CSP,
        "x-frame-options": "deny",
        **_headers(exc),
    }
    return exc.status, text.encode(), headers


def render(surface: str, exc: BaseException, docs: str | None = None, request_id: str | None = None) -> Answer:
    """(status, body, headers) for `exc` as `surface` answers errors."""
    error = domain_error(exc)
    if surface == API:
        return json_error(error, docs, request_id)
    if surface == S3:
        status = 503 if error.status == 503 else (error.status if error.status < 500 else 500)
        return s3_error(status, _S3_CODES.get(status, "InternalError"), error.message)
    if surface == GIT:
        return git_error(error)
    if surface == RAW:
        return raw_error(error)
    return page_error(error)
