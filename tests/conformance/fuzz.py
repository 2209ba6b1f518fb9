"""Schemathesis against a running hubdepot with GitHub's own OpenAPI description (the subset cut from
@octokit/openapi by tests/support/schema.py).

Used bounded by tests/conformance/test_fuzz.py and in full by `make fuzz`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import schema

ROOT = Path(__file__).resolve().parents[2]


def seed(api: str, token: str) -> dict:
    """A repository with files, a published release with two assets, and a draft: the fuzzer's ground."""
    auth = {"Authorization": f"token {token}"}
    with httpx.Client(base_url=api, headers=auth, timeout=30) as c:
        if c.get("/repos/admin/fuzz").status_code == 200:  # seeded by an earlier run on this server
            release = c.get("/repos/admin/fuzz/releases/tags/v1").json()
            asset = c.get(f"/repos/admin/fuzz/releases/{release['id']}/assets").json()[0]
            return {"owner": "admin", "repo": "fuzz", "release_id": release["id"], "asset_id": asset["id"], "tag": "v1"}
        c.post("/user/repos", json={"name": "fuzz", "auto_init": True}).raise_for_status()
        release = c.post("/repos/admin/fuzz/releases", json={"tag_name": "v1", "name": "one"}).json()
        upload = release["upload_url"].split("{")[0]
        assets = [
            httpx.post(
                upload,
                params={"name": f"a{i}.bin"},
                content=b"x" * 100 * (i + 1),
                headers={**auth, "Content-Type": "application/octet-stream"},
            ).json()
            for i in range(2)
        ]
        c.post("/repos/admin/fuzz/releases", json={"tag_name": "v2", "draft": True})
    return {"owner": "admin", "repo": "fuzz", "release_id": release["id"], "asset_id": assets[0]["id"], "tag": "v1"}


def config(params: dict, path: Path) -> Path:
    lines = ["[parameters]"] + [f'"{k}" = {json.dumps(v)}' for k, v in params.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _schemathesis(cfg: Path, description: str, url: str | None, token: str, max_examples: int, seed_value: int) -> list:
    """schemathesis on `description` (a file, with the server's `url`; or a URL) as `token`: the checks,
    seed and limits every run here shares."""
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(cfg), "run", description]
    return (
        cmd
        + (["--url", url] if url else [])
        + [
            "-H",
            f"Authorization: token {token}",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            str(max_examples),
            "--seed",
            str(seed_value),
            "--workers",
            "2",
            "--no-color",
            "--request-timeout",
            "30",
        ]
    )


def run(
    api: str,
    token: str,
    workdir: Path,
    max_examples: int = 20,
    seed_value: int = 1,
    phases: str = "examples,coverage,fuzzing,stateful",
) -> tuple[int, str, dict]:
    params = seed(api, token)
    schema.subset()  # writes schema.SUBSET
    cfg = config(params, workdir / "schemathesis.toml")
    report = workdir / "report.json"
    cmd = _schemathesis(cfg, str(schema.SUBSET), api, token, max_examples, seed_value) + [
        "--phases",
        phases,
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--exclude-path-regex",
        r".*/reactions.*",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, timeout=1800)
    return out.returncode, out.stdout + out.stderr, _summary(out.stdout)


# GitHub's description answers some errors with oneOf[basic-error, repository-rule-violation-error]; any
# GitHub error body is valid under both, so a validator reports it. Real GitHub's bodies fail it the same way.
KNOWN_SPEC_MISTAKE = "is valid under more than one of the schemas listed in the 'oneOf'"


def unexpected_failures(text: str) -> list[str]:
    """The failure blocks of a run, minus the spec's own oneOf ambiguity."""
    blocks = re.split(r"\n(?=_{5,} )", text.split("= FAILURES =", 1)[1]) if "= FAILURES =" in text else []
    out = []
    for block in blocks:
        for case in re.split(r"\n(?=\d+\. Test Case ID)", block):
            if " ST" in case and KNOWN_SPEC_MISTAKE not in case:
                out.append(case.strip()[:3000])
    return out


def _summary(text: str) -> dict:
    found = {}
    for key in ("passed", "failed", "errored", "skipped"):
        match = re.search(rf"(\d+) {key}", text)
        found[key] = int(match.group(1)) if match else 0
    match = re.search(r"(\d+) generated", text)
    found["generated"] = int(match.group(1)) if match else 0
    return found


# Our endpoints outside the subset that GitHub's full description covers (repositories, users).
FULL_PATHS = (
    r"^/(user|user/repos|users/\{username\}|repos/\{owner\}/\{repo\}"
    r"(/branches|/tags|/collaborators/\{username\}|/hooks(/.*)?)?)$"
)


def _hook(api: str, token: str) -> dict:
    """A webhook of the seeded repository (to a closed port) with one delivery, for the hooks paths."""
    import time

    with httpx.Client(base_url=api + "/repos/admin/fuzz", headers={"Authorization": f"token {token}"}) as c:
        hooks = c.get("/hooks").json()
        hook = hooks[0] if hooks else c.post("/hooks", json={"config": {"url": "http://127.0.0.1:9/fuzz"}}).json()
        for _ in range(50):
            deliveries = c.get(f"/hooks/{hook['id']}/deliveries").json()
            if deliveries:
                return {"hook_id": hook["id"], "delivery_id": deliveries[-1]["id"]}
            time.sleep(0.1)
    return {"hook_id": hook["id"]}


def run_full(api: str, token: str, workdir: Path, max_examples: int = 20, seed_value: int = 1) -> tuple[int, str, dict]:
    """The same with GitHub's full description (npm @octokit/openapi), limited to FULL_PATHS. Reads and
    creates first; then PATCH alone (it may rename the seeded repository); DELETE of it is left out."""
    seed(api, token)
    cfg = config(
        {"owner": "admin", "repo": "fuzz", "username": "admin", **_hook(api, token)}, workdir / "schemathesis-full.toml"
    )
    base = _schemathesis(cfg, str(schema.FULL), api, token, max_examples, seed_value) + [
        "--phases",
        "examples,coverage,fuzzing",
        "--include-path-regex",
        FULL_PATHS,
    ]
    outputs, totals = [], {}
    others = [arg for method in ("GET", "POST", "PUT", "DELETE") for arg in ("--exclude-method", method)]
    for selection in (["--exclude-method", "DELETE", "--exclude-method", "PATCH"], others):
        out = subprocess.run(base + selection, capture_output=True, text=True, cwd=workdir, timeout=1800)
        outputs.append(out.stdout + out.stderr)
        for key, value in _summary(out.stdout).items():
            totals[key] = totals.get(key, 0) + value
    return 0, "\n".join(outputs), totals


def run_own(api: str, token: str, workdir: Path, max_examples: int = 20, seed_value: int = 1) -> tuple[int, str, dict]:
    """The same against the description hubdepot serves for what GitHub's lacks (the Downloads API)."""
    seed(api, token)
    cfg = config({"owner": "admin", "repo": "fuzz"}, workdir / "schemathesis-own.toml")
    cmd = _schemathesis(cfg, api + "/hubdepot/openapi.json", None, token, max_examples, seed_value)
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, timeout=1800)
    return out.returncode, out.stdout + out.stderr, _summary(out.stdout)
