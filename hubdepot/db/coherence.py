"""Keeping every host's caches coherent through PostgreSQL's LISTEN/NOTIFY.

After each write transaction a process bumps its host's counters (db/generation) and publishes what
the write concerned on one channel: this host's origin and the repository slots it marked ("*" for
everything). Every serve process listens on its own connection and applies what other hosts publish
to its host's counters, so a cached answer there stops being used as soon as the notification has
arrived. While the listening connection is down, and until it listens again (then everything is
marked written, since notifications may have been missed), the process uses none of its caches.
A notification waiting unread on the socket also counts as "not caught up" (Generation.pending,
looked at most once a millisecond).
"""

from __future__ import annotations

import logging
import select
import threading
import time

import psycopg
from psycopg.conninfo import make_conninfo

from hubdepot.db.generation import Generation

CHANNEL = "hubdepot_generation"
PEEK_SECONDS = 0.001  # how long "no notification waiting" is believed
# a silently dead connection is noticed within seconds (and by the SELECT 1 between waits)
_OPTIONS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}
log = logging.getLogger("hubdepot.coherence")


def _connect(url: str) -> psycopg.Connection:
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(make_conninfo(url, **_OPTIONS), autocommit=True)


def encode(origin: int, slots: frozenset[int] | None) -> str:
    return f"{origin:x} " + ("*" if slots is None else ",".join(map(str, sorted(slots))))


def decode(payload: str) -> tuple[int, frozenset[int] | None]:
    """(origin, the slots written or None for all); a payload that does not read (a stray NOTIFY, a
    host of another version) counts as a write to everything, from nobody."""
    origin, _, marked = payload.partition(" ")
    try:
        return int(origin, 16), None if marked == "*" else frozenset(int(s) for s in marked.split(",") if s)
    except ValueError:
        log.warning("unreadable notification %r: every cached answer dropped", payload[:100])
        return -1, None


class Publisher:
    """Generation.publish for PostgreSQL: one NOTIFY per write, on a connection of its own."""

    def __init__(self, url: str, generation: Generation):
        self.url, self.origin = url, generation.origin
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()

    def __call__(self, slots: frozenset[int] | None) -> None:
        payload = encode(self.origin, slots)
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = _connect(self.url)
                    self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return
                except psycopg.Error as exc:
                    self.close()
                    if attempt == 2:
                        log.warning("could not tell the other hosts about a write: %s", exc)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Listener:
    """A daemon thread applying the other hosts' writes to this host's counters."""

    def __init__(self, url: str, generation: Generation, check_seconds: float = 2.0):
        self.url, self.generation, self.check_seconds = url, generation, check_seconds
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._polled: psycopg.Connection | None = None
        self._poll = select.poll()
        self._quiet_until = 0.0
        self._thread = threading.Thread(target=self._run, name="hubdepot-coherence", daemon=True)
        generation.coherent = False  # until listening
        generation.pending = self._pending

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _pending(self) -> bool:
        """Whether a notification waits unread on the socket. A system call (which also hands the GIL
        round) costs a cached request half its time, so a "no" is reused for PEEK_SECONDS."""
        now = time.monotonic()
        if now < self._quiet_until:
            return False
        conn = self._conn
        try:
            waiting = conn is not None and bool(self._poll.poll(0)) if self._polled == conn else True
            if waiting and self._polled == conn:
                time.sleep(0)  # hand the GIL to the listening thread, woken by the same data
                waiting = bool(self._poll.poll(0))
        except (OSError, ValueError, psycopg.Error):
            return True
        if not waiting:
            self._quiet_until = now + PEEK_SECONDS
        return waiting

    def _watch(self, conn: psycopg.Connection) -> None:
        self._poll = select.poll()
        self._poll.register(conn.fileno(), select.POLLIN)
        self._polled = conn

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except (psycopg.Error, OSError) as exc:
                if self.generation.coherent:
                    log.warning("lost the notification connection, caches off until caught up: %s", exc)
            self.generation.coherent = False
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
            self._stop.wait(0.5)

    def _listen(self) -> None:
        conn = _connect(self.url)
        self._watch(conn)
        self._conn = conn
        conn.execute(f"LISTEN {CHANNEL}")
        self.generation.apply(None)  # whatever was missed meanwhile: everything counts as written
        self.generation.coherent = True
        while not self._stop.is_set():
            for notice in conn.notifies(timeout=self.check_seconds, stop_after=64):
                origin, slots = decode(notice.payload)
                if origin != self.generation.origin:
                    self.generation.apply(slots)
            conn.execute("SELECT 1")  # a connection that went away silently shows here
