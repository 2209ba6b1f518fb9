"""GitHub's OpenAPI description as a fuzzer (bounded here; `make fuzz` runs the long one)."""

from __future__ import annotations

import os

from tests.conformance import fuzz
from tests.support import server as server_support


def test_schemathesis_no_5xx_no_schema_violation(tmp_path):
    srv = server_support.start(tmp_path / "data")
    try:
        examples = int(os.environ.get("HUBDEPOT_FUZZ_EXAMPLES", "100"))
        code, out, summary = fuzz.run(srv.api, srv.token, tmp_path, max_examples=examples)
    finally:
        srv.stop()
    print(summary)
    assert summary["generated"] >= (2000 if examples >= 100 else 500), out[-3000:]
    problems = fuzz.unexpected_failures(out)
    assert problems == [], "\n\n".join(problems)
    assert "Traceback" not in srv.log.read_text()
