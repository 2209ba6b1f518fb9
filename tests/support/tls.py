"""TLS for tests: a local CA (trustme), a server certificate for 127.0.0.1/localhost, and a
session-scoped hubdepot server started with --tls-cert/--tls-key (gh speaks https only)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.support import server as server_support


@dataclasses.dataclass(frozen=True)
class Certs:
    ca: Path  # the CA certificate clients trust (SSL_CERT_FILE, verify=...)
    cert: Path  # the server's certificate chain
    key: Path  # the server's private key


def make_certs(directory: Path) -> Certs:
    import trustme

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    certs = Certs(directory / "ca.pem", directory / "server-chain.pem", directory / "server-key.pem")
    ca.cert_pem.write_to_path(str(certs.ca))
    issued.private_key_pem.write_to_path(str(certs.key))
    with open(certs.cert, "wb") as out:
        for blob in issued.cert_chain_pems:
            out.write(blob.bytes())
    return certs


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory, tls_certs):
    """`hubdepot serve --tls-cert --tls-key` on a free port (SQLite, local storage): https://127.0.0.1:PORT."""
    srv = server_support.start(
        tmp_path_factory.mktemp("server-tls"),
        scheme="https",
        extra_args=["--tls-cert", str(tls_certs.cert), "--tls-key", str(tls_certs.key)],
    )
    yield srv
    srv.stop()
