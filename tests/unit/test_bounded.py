"""hubdepot.bounded: the size bound, least recently used out first, and one make per key however
many threads ask at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hubdepot.bounded import Bounded


def test_the_least_recently_used_go_first_once_the_size_passes_the_limit():
    cache: Bounded[bytes] = Bounded(10, len)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recent
    cache.put("c", b"1234")  # 12 > 10: b goes
    assert cache.get("b") is None and cache.get("a") == b"1234" and cache.get("c") == b"1234"
    assert cache.total == 8
    cache.put("a", b"12")  # replacing counts the new size only
    assert cache.total == 6
    cache.put("huge", b"x" * 11)  # larger than the whole budget: not kept, nothing evicted
    assert cache.get("huge") is None and len(cache) == 2
    cache.drop("c")
    assert cache.get("c") is None and cache.total == 2


def test_a_value_is_made_once_however_many_threads_ask_at_once():
    cache: Bounded[str] = Bounded(1000, len)
    calls = []
    gate = threading.Event()

    def make() -> str:
        calls.append(threading.get_ident())
        gate.wait(5)
        return "made"

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(cache.made, "k", make) for _ in range(8)]
        time.sleep(0.2)  # all eight are asking while the first makes it
        gate.set()
        assert [f.result() for f in futures] == ["made"] * 8
    assert len(calls) == 1 and cache.get("k") == "made"


def test_a_failed_make_reaches_every_waiter_and_the_next_ask_tries_again():
    cache: Bounded[str] = Bounded(1000, len)

    def fail() -> str:
        raise ValueError("broken")

    with pytest.raises(ValueError):
        cache.made("k", fail)
    assert cache.made("k", lambda: "fine") == "fine"
