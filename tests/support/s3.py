"""S3 for tests: one moto server per test session, on a free loopback port (a real socket)."""

from __future__ import annotations

import atexit
import logging
import threading
import uuid

import boto3
from botocore.config import Config

from tests.support.server import free_port

REGION = "us-east-1"
KEY_ID = "testing"
SECRET = "testing"

_lock = threading.Lock()
_server: dict = {}


def endpoint() -> str:
    """The moto server's URL, started on first use and stopped when the test process exits."""
    with _lock:
        if "url" not in _server:
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
            port = free_port()
            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            moto.start()
            atexit.register(moto.stop)
            _server.update(url=f"http://127.0.0.1:{port}", moto=moto)
        return _server["url"]


def client():
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint(),
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def new_bucket(prefix: str = "hubdepot") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client().create_bucket(Bucket=name)
    return name


def settings_env(bucket: str, prefix: str = "blobs") -> dict:
    return {
        "HUBDEPOT_STORAGE": f"s3://{bucket}/{prefix}",
        "HUBDEPOT_S3_ENDPOINT_URL": endpoint(),
        "HUBDEPOT_S3_REGION": REGION,
        "HUBDEPOT_S3_ACCESS_KEY_ID": KEY_ID,
        "HUBDEPOT_S3_SECRET_ACCESS_KEY": SECRET,
    }


def server_env(tmp_path_factory) -> dict:
    """HUBDEPOT_* for a hubdepot server keeping its blobs in a fresh bucket on the moto server."""
    return settings_env(new_bucket())
