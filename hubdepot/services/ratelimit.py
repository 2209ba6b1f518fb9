"""Primary rate limit accounting: a fixed window per key (token id, or client IP when anonymous).

On SQLite the counts live in this process's memory; with several workers each counts its own share,
so a key may spend up to `workers` times the limit in a window. On PostgreSQL the server counts in
the database (`counters`: db/counters.py), so the limit holds across workers and hosts. Limits
are off by default, as on GitHub Enterprise Server.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hubdepot.db.counters import Counters


@dataclasses.dataclass
class Window:
    limit: int
    used: int
    reset: int  # epoch seconds

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class RateLimiter:
    def __init__(self, window_seconds: int = 3600, max_keys: int = 100_000, counters: Counters | None = None):
        self.counters = counters  # the database's, when counting there (PostgreSQL); else this process's memory
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._windows: dict[str, Window] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> tuple[Window, bool]:
        """Count one request; returns the window and whether the request is within the limit."""
        now = int(time.time())
        if self.counters is not None:
            used, reset = self.counters.hit(f"rate:{key}", now, self.window_seconds)
            return Window(limit, min(used, limit), reset), used <= limit
        with self._lock:
            window = self._windows.get(key)
            if window is None or window.reset <= now:
                if len(self._windows) >= self.max_keys:
                    self._expire(now)
                window = self._windows[key] = Window(limit, 0, now + self.window_seconds)
            window.limit = limit
            if window.used >= limit:
                return window, False
            window.used += 1
            return window, True

    def refund(self, key: str) -> None:
        """A 304 does not count against the limit (GitHub's rule)."""
        if self.counters is not None:
            return self.counters.take_back(f"rate:{key}", int(time.time()))
        with self._lock:
            window = self._windows.get(key)
            if window is not None and window.used > 0:
                window.used -= 1

    def _expire(self, now: int) -> None:
        for key in [k for k, w in self._windows.items() if w.reset <= now]:
            del self._windows[key]
