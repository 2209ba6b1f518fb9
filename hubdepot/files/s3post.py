"""The embedded S3 browser-POST endpoint (part 2 of a legacy download), at the s3_url it returns.

It behaves as S3 does: the fields before `file` are checked against the signed policy (v2 or SigV4
signature, expiry, every condition, nothing uncovered) when the file part begins, so no byte is
stored for a refused form; the file streams to storage with its size limited on the way; fields
after `file` are ignored. Answers: 204 by default, 200/201 per success_action_status (201 with
S3's PostResponse XML), 303 to success_action_redirect; S3's XML errors otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from hubdepot import errors
from hubdepot.http import render
from hubdepot.hub import Hub
from hubdepot.services import downloads as service

if TYPE_CHECKING:
    from hubdepot.storage.intake import Intake

MAX_FIELDS_BYTES = 20 * 1024  # S3's limit on the form fields before the file
XML = "application/xml"
_MALFORMED = "The body of your POST request is not well-formed multipart/form-data."


def xml_error(status: int, code: str, message: str) -> Response:
    status, body, headers = render.s3_error(status, code, message)
    return Response(body, status_code=status, headers=headers)


def _reject(status: int, code: str, message: str) -> errors.PostRejected:
    return errors.PostRejected(status, code, message)


class Form:
    """python-multipart callbacks: fields collected (bounded) until `file`, whose bytes go to storage."""

    def __init__(self, hub: Hub, boundary: bytes) -> None:
        self.hub = hub
        self.fields: dict[str, str] = {}
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )
        self.target: service.Target | None = None
        self.intake: Intake | None = None
        self.file_state = "absent"  # absent | streaming | complete
        self._fields_bytes = 0
        self._name: str | None = None
        self._value = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.parser.write(chunk)

    def _part_begin(self) -> None:
        self._headers: dict[str, str] = {}
        self._field, self._hvalue, self._name, self._value = b"", b"", None, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._hvalue.decode("utf-8", "replace")
        self._field, self._hvalue = b"", b""

    def _headers_finished(self) -> None:
        if self.file_state != "absent":
            return  # after the file: ignored, as S3 does
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._name.lower() == "file":
            filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self.target = service.accept_post(self.hub, self.fields, filename)
            self.intake = service.post_intake(self.hub, self.target)
            self.file_state = "streaming"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file_state == "streaming":
            assert self.intake is not None, "set as the file part began"
            self.intake.write(data[start:end])
        elif self.file_state == "absent":
            self._fields_bytes += end - start
            if self._fields_bytes > MAX_FIELDS_BYTES:
                raise _reject(
                    400,
                    "MaxPostPreDataLengthExceeded",
                    "Your POST request fields preceding the upload file were too large.",
                )
            self._value += data[start:end]

    def _part_end(self) -> None:
        if self.file_state == "streaming":
            self.file_state = "complete"
        elif self.file_state == "absent" and self._name:
            self.fields[self._name.lower()] = self._value.decode("utf-8", "replace")

    def abort(self) -> None:
        if self.intake is not None:
            self.intake.abort()


async def _receive(request: Request, form: Form) -> None:
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(form.feed, chunk)
    except ClientDisconnect:
        raise _reject(
            400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"
        ) from None
    except ValueError as exc:  # python-multipart's parse errors
        raise _reject(400, "MalformedPOSTRequest", _MALFORMED) from exc
    if form.file_state == "absent":
        raise _reject(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    if form.file_state != "complete":
        raise _reject(400, "MalformedPOSTRequest", _MALFORMED)
    assert form.target is not None and form.intake is not None, "set as the file part began"
    if form.intake.size < form.target.allowed.min_size:
        raise _reject(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")


def _store(hub: Hub, form: Form) -> str:
    assert form.target is not None and form.intake is not None, "checked by the caller"
    blob = form.intake.commit()
    service.finish_post(hub, form.target, blob.key, blob.digest)
    return blob.digest


def _answer(form: Form, digest: str) -> Response:
    target, fields = form.target, form.fields
    assert target is not None, "checked by the caller"
    etag = f'"{digest}"'
    redirect = fields.get("success_action_redirect")
    if redirect and urlsplit(redirect).scheme in ("http", "https"):
        query = urlencode({"bucket": target.bucket, "key": target.key, "etag": etag})
        joined = redirect + ("&" if urlsplit(redirect).query else "?") + query
        return Response(status_code=303, headers={"location": joined, "etag": etag})
    headers = {"location": target.html_url, "etag": etag}
    status = fields.get("success_action_status")
    if status == "201":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<PostResponse><Location>{escape(target.html_url)}</Location><Bucket>{escape(target.bucket)}</Bucket>"
            f"<Key>{escape(target.key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
        )
        return Response(body, status_code=201, headers=headers, media_type=XML)
    return Response(status_code=200 if status == "200" else 204, headers=headers)


async def post(request: Request) -> Response:
    hub = request.app.state.hub
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        return xml_error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
    try:
        form = Form(hub, options[b"boundary"])
    except ValueError:  # python-multipart refuses boundaries longer than 256 bytes
        return xml_error(400, "MalformedPOSTRequest", _MALFORMED)
    try:
        await _receive(request, form)
        digest = await run_in_threadpool(_store, hub, form)
    except errors.PostRejected as exc:
        form.abort()
        return xml_error(exc.status, exc.code, exc.message)
    except errors.HubdepotError as exc:
        form.abort()
        return xml_error(
            503 if exc.status == 503 else 500,
            "ServiceUnavailable" if exc.status == 503 else "InternalError",
            exc.message,
        )
    except BaseException:
        form.abort()
        raise
    return _answer(form, digest)


ROUTES = [(("POST",), "/", post), (("POST",), f"/{service.BUCKET}", post)]
