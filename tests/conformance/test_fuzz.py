"""GitHub's OpenAPI description as a fuzzer (bounded here; `make fuzz` runs the long one)."""

from __future__ import annotations

import os

from tests.conformance import fuzz
from tests.support import server as server_support


def test_schemathesis_no_5xx_no_schema_violation(tmp_path):
    srv = server_support.start(tmp_path / "data")
    try:
        examples = int(os.environ.get("HUBDEPOT_FUZZ_EXAMPLES", "100"))
        _code, out, summary = fuzz.run(srv.api, srv.token, tmp_path, max_examples=examples)
    finally:
        srv.stop()
    print(summary)
    assert summary["generated"] >= (2000 if examples >= 100 else 500), out[-3000:]
    problems = fuzz.unexpected_failures(out)
    assert problems == [], "\n\n".join(problems)
    assert "Traceback" not in srv.log.read_text()


def test_schemathesis_full_description_and_our_own(tmp_path):
    """Repositories and users through GitHub's full description; the Downloads API through the
    description hubdepot serves (a valid OpenAPI 3 document)."""
    import httpx
    from openapi_spec_validator import validate

    srv = server_support.start(tmp_path / "data")
    try:
        own = httpx.get(srv.api + "/hubdepot/openapi.json")
        assert own.status_code == 200
        validate(own.json())
        examples = int(os.environ.get("HUBDEPOT_FUZZ_EXAMPLES", "30"))
        _, full_out, full = fuzz.run_full(srv.api, srv.token, tmp_path, max_examples=min(examples, 30))
        _, own_out, ours = fuzz.run_own(srv.api, srv.token, tmp_path, max_examples=examples)
    finally:
        srv.stop()
    print({"full": full, "own": ours})
    assert full["generated"] >= 500 and ours["generated"] >= 100, (full, ours)
    problems = fuzz.unexpected_failures(full_out) + fuzz.unexpected_failures(own_out)
    assert problems == [], "\n\n".join(problems)
    assert "Traceback" not in srv.log.read_text()
