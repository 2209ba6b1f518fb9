"""One in-process cache, bounded by the size of what it holds (least recently used out first), safe
across threads, for everything a process keeps: API answers (http/cache), pages for anonymous
visitors (pages/render), highlighted files with their deflated markup (pages/code),
rendered markdown (markdown.py).

`made(key, make)` makes a missing value once however many threads ask for it at the same moment (the
first one makes it, the others wait for its result): a long file's first view under load is
highlighted once, not once per waiting request."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

V = TypeVar("V")


class Bounded(Generic[V]):
    def __init__(self, limit: int, size: Callable[[V], int]):
        self.limit, self.size = limit, size
        self.total = 0
        self._items: collections.OrderedDict[Hashable, V] = collections.OrderedDict()
        self._making: dict[Hashable, Future[V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        size = self.size(value)
        if size > self.limit:
            return
        with self._lock:
            self._remove(key)
            self._items[key] = value
            self.total += size
            while self.total > self.limit and self._items:
                _, old = self._items.popitem(last=False)
                self.total -= self.size(old)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._remove(key)

    def made(self, key: Hashable, make: Callable[[], V]) -> V:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
            pending = self._making.get(key)
            mine = pending is None
            if pending is None:
                pending = self._making[key] = Future()
        if not mine:
            return pending.result()
        try:
            value = make()
        except BaseException as exc:
            with self._lock:
                del self._making[key]
            pending.set_exception(exc)
            raise
        self.put(key, value)
        with self._lock:
            del self._making[key]
        pending.set_result(value)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def _remove(self, key: Hashable) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.total -= self.size(old)
