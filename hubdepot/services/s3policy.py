"""S3 browser-POST policies: build and sign them (signature v2, as GitHub's 2012 Downloads API did),
and check a POSTed form against one exactly as S3 does (v2 and SigV4 signatures, expiry, every
condition, no uncovered field). Pure functions; rejections carry S3's error code for the XML answer:
a form the policy does not allow is S3's 403 AccessDenied "Invalid according to Policy: ...".
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import hmac
from typing import Any

import orjson

from hubdepot import errors

REGION = "us-east-1"
_EXEMPT = {"file", "policy", "signature", "awsaccesskeyid", "x-amz-signature"}


def denied(message: str) -> errors.PostRejected:
    return errors.PostRejected(403, "AccessDenied", message)


def invalid(message: str) -> errors.PostRejected:
    return errors.PostRejected(400, "InvalidPolicyDocument", message)


def argument(message: str) -> errors.PostRejected:
    return errors.PostRejected(400, "InvalidArgument", message)


@dataclasses.dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret: str


def credentials(server_secret: bytes) -> Credentials:
    """This server's own access key pair for its embedded S3 endpoint, derived from its secret key."""

    def derive(label: bytes) -> bytes:
        return hmac.new(server_secret, b"s3post:" + label, hashlib.sha256).digest()

    key_id = "HD" + base64.b32encode(derive(b"access-key-id")).decode()[:18]
    return Credentials(key_id, base64.b64encode(derive(b"secret-access-key")[:30]).decode())


def iso_expiration(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def encode(expiration: dt.datetime, conditions: list[Any]) -> str:
    """The base64 policy document."""
    document = {"expiration": iso_expiration(expiration), "conditions": conditions}
    return base64.b64encode(orjson.dumps(document, option=orjson.OPT_INDENT_2)).decode()


def sign_v2(secret: str, policy: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()).decode()


def sign_v4(secret: str, date: str, region: str, policy: str) -> str:
    key = ("AWS4" + secret).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def decode(policy: str) -> dict[str, Any]:
    try:
        document = orjson.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError):
        raise invalid("Invalid Policy: Invalid JSON.") from None
    if not isinstance(document, dict) or "expiration" not in document:
        raise invalid("Invalid Policy: Policy missing expiration.")
    if not isinstance(document.get("conditions"), list):
        raise invalid("Invalid Policy: Policy missing conditions.")
    return document


def check_signature(fields: dict[str, str], creds: Credentials) -> None:
    """`fields` are the form fields, names lower-cased. v2 (AWSAccessKeyId/Signature) or SigV4."""
    policy = fields.get("policy")
    if "x-amz-signature" in fields or "x-amz-credential" in fields:
        key_id, date, region = _sigv4_scope(fields)
        _require_key(key_id, creds)
        expected = sign_v4(creds.secret, date, region, policy or "")
        given = fields.get("x-amz-signature", "")
    elif "awsaccesskeyid" in fields:
        _require_key(fields["awsaccesskeyid"], creds)
        expected, given = sign_v2(creds.secret, policy or ""), fields.get("signature", "")
    else:
        raise denied("Access Denied")
    if policy is None:
        raise argument(
            "Bucket POST must contain a field named 'policy'.  "
            "If it is specified, please check the order of the fields."
        )
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise errors.PostRejected(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the "
            "signature you provided. Check your key and signing method.",
        )


def _sigv4_scope(fields: dict[str, str]) -> tuple[str, str, str]:
    if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        raise argument("Only AWS4-HMAC-SHA256 is supported for x-amz-algorithm.")
    parts = fields.get("x-amz-credential", "").split("/")
    if len(parts) != 5 or parts[3:] != ["s3", "aws4_request"]:
        raise argument("Error parsing the X-Amz-Credential parameter.")
    return parts[0], parts[1], parts[2]


def _require_key(key_id: str, creds: Credentials) -> None:
    if not hmac.compare_digest(key_id.encode(), creds.access_key_id.encode()):
        raise errors.PostRejected(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )


@dataclasses.dataclass(frozen=True)
class Allowed:
    """What a checked policy still leaves to enforce while the file streams in."""

    min_size: int = 0
    max_size: int | None = None


def check_policy(document: dict[str, Any], fields: dict[str, str], bucket: str, now: dt.datetime) -> Allowed:
    """Expiry, every condition, and no field left uncovered; the file's size range for the caller."""
    if _parse_time(document["expiration"]) <= now:
        raise denied("Invalid according to Policy: Policy expired.")
    values = dict(fields, bucket=bucket)
    covered, allowed = set(), Allowed()
    for condition in document["conditions"]:
        if isinstance(condition, list) and condition and condition[0] == "content-length-range":
            allowed = _length_range(condition)
            continue
        name, op, expected = _condition(condition)
        covered.add(name)
        value = values.get(name, "")
        if not (value == expected if op == "eq" else value.startswith(expected)):
            shown = orjson.dumps([op, f"${name}", expected]).decode().replace('","', '", "')
            raise denied(f"Invalid according to Policy: Policy Condition failed: {shown}")
    extra = [n for n in fields if n not in covered and n not in _EXEMPT and not n.startswith("x-ignore-")]
    if extra:  # S3 stores and honours no field its policy leaves out (success_action_redirect ...)
        raise denied(f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")
    return allowed


def _condition(condition: object) -> tuple[str, str, str]:
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, expected),) = condition.items()
        return name.lower(), "eq", str(expected)
    if (
        isinstance(condition, list)
        and len(condition) == 3
        and condition[0] in ("eq", "starts-with")
        and isinstance(condition[1], str)
        and condition[1].startswith("$")
    ):
        return condition[1][1:].lower(), condition[0], str(condition[2])
    raise invalid(f"Invalid Policy: Invalid Condition: {orjson.dumps(condition).decode()}")


def _length_range(condition: list[Any]) -> Allowed:
    try:
        low, high = int(condition[1]), int(condition[2])
    except (IndexError, TypeError, ValueError):
        raise invalid("Invalid Policy: Invalid content-length-range.") from None
    return Allowed(low, high)


def _parse_time(text: object) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise invalid("Invalid Policy: Invalid 'expiration' value: " + str(text)) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
