"""Part 2 on the embedded S3 POST endpoint (the default storage): S3's answers, S3's checks, S3's XML errors."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import xml.etree.ElementTree as ET

import httpx
import pytest

from hubdepot.services import s3policy
from hubdepot.storage import key_for
from tests.functional.test_downloads import create, fetch, upload

MIB = 1024 * 1024


def s3_error(r: httpx.Response) -> tuple[int, str, str]:
    assert r.headers["content-type"] == "application/xml", r.text
    root = ET.fromstring(r.content)
    assert root.tag == "Error" and [c.tag for c in root] == ["Code", "Message", "RequestId", "HostId"]
    return r.status_code, root.findtext("Code"), root.findtext("Message")


def raw_post(url: str, fields: list[tuple[str, str]], file: bytes | None = None, after=()) -> httpx.Response:
    """A multipart form with exactly these parts, in this order (file where given, then `after`)."""
    boundary = "hubdepotboundary42"
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    if file is not None:
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + file
            + b"\r\n"
        )
    for name, value in after:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += f"--{boundary}--\r\n".encode()
    return httpx.post(url, content=out, headers={"content-type": f"multipart/form-data; boundary={boundary}"})


def test_answers_as_s3_does(server, user, repo):
    data = b"0123456789"
    body = create(user.api, repo, "a.bin", data)
    created = upload(body, data)
    assert created.status_code == 201 and created.headers["content-type"] == "application/xml"
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    assert created.text == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<PostResponse><Location>{body['html_url']}</Location><Bucket>hubdepot</Bucket>"
        f"<Key>downloads/{repo}/a.bin</Key><ETag>{etag}</ETag></PostResponse>"
    )
    assert created.headers["location"] == body["html_url"] and created.headers["etag"] == etag
    assert upload(body, data, success_action_status="200").status_code == 200
    default = raw_post(
        body["s3_url"], [(k, v) for k, v in body["fields"].items() if k != "success_action_status"], data
    )
    assert default.status_code == 204 and default.content == b""
    redirected = upload(body, data, success_action_status="", success_action_redirect="https://example.test/done?x=1")
    assert redirected.status_code == 303
    assert redirected.headers["location"] == (
        f"https://example.test/done?x=1&bucket=hubdepot&key=downloads%2F"
        f"{repo.replace('/', '%2F')}%2Fa.bin&etag=%22{etag[1:-1]}%22"
    )
    assert fetch(body["html_url"]).content == data


def test_signature_access_key_and_expiry(server, hub, user, repo):
    data = b"signed"
    body = create(user.api, repo, "s.bin", data)
    fields = body["fields"]
    tampered = ("B" if fields["Signature"][0] == "A" else "A") + fields["Signature"][1:]
    assert s3_error(upload(body, data, Signature=tampered)) == (
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you "
        "provided. Check your key and signing method.",
    )
    assert s3_error(upload(body, data, AWSAccessKeyId="AKIAIOSFODNN7EXAMPLE")) == (
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
    )
    anonymous = raw_post(
        body["s3_url"], [(k, v) for k, v in fields.items() if k not in ("AWSAccessKeyId", "Signature")], data
    )
    assert s3_error(anonymous) == (403, "AccessDenied", "Access Denied")
    document = json.loads(base64.b64decode(fields["Policy"]))
    widened = base64.b64encode(json.dumps({**document, "conditions": document["conditions"][:-1]}).encode()).decode()
    assert s3_error(upload(body, data + b"!", Policy=widened))[1] == "SignatureDoesNotMatch"
    creds = s3policy.credentials(hub.signer.secret)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    expired = s3policy.encode(past, document["conditions"])
    r = upload(body, data, Policy=expired, Signature=s3policy.sign_v2(creds.secret, expired))
    assert s3_error(r) == (403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    assert fetch(body["html_url"]).status_code == 404  # nothing stored by refused posts
    assert upload(body, data).status_code == 201


def test_every_condition_is_checked(server, user, repo):
    data = b"conditions"
    body = create(user.api, repo, "c.txt", data)
    prefix = "Invalid according to Policy: Policy Condition failed: "
    assert s3_error(upload(body, data, **{"Content-Type": "text/html"})) == (
        403,
        "AccessDenied",
        prefix + '["eq", "$content-type", "text/plain"]',
    )
    assert s3_error(upload(body, data, key=f"downloads/{repo}/other.txt")) == (
        403,
        "AccessDenied",
        prefix + f'["eq", "$key", "downloads/{repo}/c.txt"]',
    )
    assert s3_error(upload(body, data, acl="public-read-write"))[2] == prefix + '["eq", "$acl", "public-read"]'
    assert s3_error(upload(body, data, **{"x-amz-meta-a": "1"})) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: x-amz-meta-a",
    )
    assert s3_error(upload(body, data + b"!")) == (
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
    )
    assert s3_error(upload(body, data[:-1])) == (
        400,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
    )
    assert fetch(body["html_url"]).status_code == 404
    assert upload(body, data, **{"x-ignore-note": "anything"}).status_code == 201


def test_file_must_come_last(server, user, repo):
    data = b"last"
    body = create(user.api, repo, "l.txt", data)
    fields = list(body["fields"].items())
    late = raw_post(body["s3_url"], fields[:-1], data, after=[fields[-1]])  # Content-Type after the file
    assert s3_error(late)[:2] == (403, "AccessDenied")
    ignored = raw_post(body["s3_url"], fields, data, after=[("x-whatever", "ignored after the file")])
    assert ignored.status_code == 201
    assert s3_error(raw_post(body["s3_url"], fields)) == (
        400,
        "InvalidArgument",
        "POST requires exactly one file upload per request.",
    )
    assert s3_error(httpx.post(body["s3_url"], data=body["fields"]))[:2] == (412, "PreconditionFailed")
    no_key = raw_post(body["s3_url"], fields[1:], data)
    assert s3_error(no_key)[:2] == (400, "InvalidArgument")
    assert s3_error(
        httpx.post(
            body["s3_url"], content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"}
        )
    )[:2] == (400, "InvalidArgument")


def test_deleted_download_refuses_its_upload(user, repo):
    body = create(user.api, repo, "gone.txt", b"x")
    assert user.api.delete(body["url"]).status_code == 204
    assert s3_error(upload(body, b"x")) == (403, "AccessDenied", "Access Denied")


def test_sigv4_post_from_botocore(server, hub, user, repo):
    """A SigV4 POST policy, as boto3 builds them, signed with this server's access key pair."""
    import boto3
    from botocore.config import Config

    data = os.urandom(1000)
    body = create(user.api, repo, "v4.bin", data)
    creds = s3policy.credentials(hub.signer.secret)
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    post = client.generate_presigned_post(
        "hubdepot",
        body["path"],
        Fields={"acl": body["acl"], "Content-Type": body["mime_type"]},
        Conditions=[{"acl": body["acl"]}, {"Content-Type": body["mime_type"]}, ["content-length-range", 1000, 1000]],
    )
    assert post["url"] == server.url + "/hubdepot"
    sent = httpx.post(post["url"], data=post["fields"], files={"file": ("v4.bin", data)})
    assert sent.status_code == 204, sent.text
    assert fetch(body["html_url"]).content == data
    wrong = dict(post["fields"], **{"x-amz-signature": "0" * 64})
    assert s3_error(httpx.post(post["url"], data=wrong, files={"file": ("v4.bin", data)}))[1] == "SignatureDoesNotMatch"


def _worker_rss_peak(server) -> int:
    """Peak resident memory (kB) of the server's worker processes."""
    peak = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        if pid.isdigit() and f"PPid:\t{server.process.pid}\n" in status:
            peak = max(peak, int(status.split("VmHWM:")[1].split()[0]))
    return peak


def test_big_upload_streams(backend, server, server_hub, user, repo, tmp_path):
    if backend != "sqlite":
        pytest.skip("storage behaviour: once is enough")
    size = 48 * MIB
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        for _ in range(size // MIB):
            f.write(os.urandom(MIB))
    r = user.api.post(f"/repos/{repo}/downloads", json={"name": "big.bin", "size": size})
    body = r.json()
    before = _worker_rss_peak(server)
    assert before > 0
    with open(path, "rb") as f:
        sent = httpx.post(body["s3_url"], data=body["fields"], files={"file": ("big.bin", f)}, timeout=120)
    assert sent.status_code == 201, sent.text
    assert _worker_rss_peak(server) - before < 24 * 1024  # never the whole file in memory
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert server_hub.storage.size(key_for(digest)) == size
    assert fetch(body["html_url"], headers={"Range": f"bytes={size - 4}-"}).content == path.read_bytes()[-4:]
