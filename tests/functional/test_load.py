"""Bounded load: two processes on one PostgreSQL, 64 clients, mixed reads/uploads/commits."""

from __future__ import annotations

import re

import pytest


@pytest.mark.skipif(not __import__("glob").glob("/usr/lib/postgresql/*/bin/initdb"), reason="no PostgreSQL binaries")
def test_two_processes_no_lost_write_no_5xx():
    from bench import load

    lines = load.run(seconds=8, clients=64, processes=2)
    print("\n".join(lines))
    head = lines[0]
    assert "5xx 0," in head, lines
    assert "lost writes 0" in head, lines
    assert not any("PROBLEM" in line for line in lines), lines
    assert int(re.search(r"commits (\d+)", head).group(1)) > 0
    assert int(re.search(r"uploads (\d+)", head).group(1)) > 0
