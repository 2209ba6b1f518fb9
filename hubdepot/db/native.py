"""SQLite reads that keep the GIL: the event loop's quick reads, run on libsqlite3 itself.

Python's sqlite3 releases the GIL around every step of a statement. On the event loop's thread, under
load, the ASGI server's own thread takes it at each release and the loop waits to get it back: the
handovers cost a small indexed read more than the read (bench/reads.py, read cache off). A Reader
runs a statement through ctypes.PyDLL, which keeps the GIL for the few microseconds a read takes.

Only for what db/prepared runs on the event loop's own reading connection (db/session.Database.read):
each statement in autocommit, as that connection runs them, except that the reads of one pass of the
event loop share one read transaction while no write has ended (Reader._share). A statement returns
its rows as one JSON array each (`SELECT json_array(...)`, one call to read a row), which db/prepared
converts with SQLAlchemy's column conversions as it does sqlite3's rows. Anything unusual — a lock
held (no waiting here: the GIL is held), a value JSON cannot carry (a BLOB), any error — answers
None, and the caller runs the statement through sqlite3 as before (which waits, raises and is
translated).

The library must be the very one Python's sqlite3 module uses: SQLite's POSIX locks are per process
and only one copy of the library can keep track of them (two copies in a process corrupt databases).
`open_reader` finds it among the process's mapped files and refuses when sqlite3 has its own copy.
"""

from __future__ import annotations

import asyncio
import ctypes
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

READER = "hubdepot.native_reader"  # a connection's info key: its Reader (db/session puts it there)
_ROW, _DONE = 100, 101
_OPEN_READWRITE, _OPEN_NOMUTEX = 0x2, 0x8000  # (never writes: only what db/prepared gives it runs)
_TRANSIENT = ctypes.c_void_p(-1)  # SQLITE_TRANSIENT: SQLite copies a bound value
MAX_COLUMNS = 100  # json_array takes at most 127 arguments (SQLITE_MAX_FUNCTION_ARG)
# a read a pass of the loop keeps open on its first row: SQLite keeps a connection's read transaction
# while any of its statements is open, so the pass's other reads run in it (Reader._share)
_ANCHOR = "SELECT 1 FROM sqlite_schema"

_library: ctypes.PyDLL | None = None
_found = False
_lock = threading.Lock()


def _sqlite3_library() -> str | None:
    """The path of the libsqlite3 Python's sqlite3 module has loaded, or None (linked in statically)."""
    sqlite3.sqlite_version  # noqa: B018 (the module, and with it the library, is loaded)
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {line.split()[-1] for line in maps.splitlines() if "/libsqlite3" in line}
    return paths.pop() if len(paths) == 1 else None


def _load() -> ctypes.PyDLL | None:
    global _library, _found
    with _lock:
        if not _found:
            _found = True
            path = _sqlite3_library()
            _library = _declare(ctypes.PyDLL(path)) if path else None
    return _library


def _declare(lib: ctypes.PyDLL) -> ctypes.PyDLL:
    p, i, i64, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64, ctypes.c_char_p
    for name, args, result in (
        ("sqlite3_open_v2", [s, ctypes.POINTER(p), i, s], i),
        ("sqlite3_close_v2", [p], i),
        ("sqlite3_prepare_v2", [p, s, i, ctypes.POINTER(p), p], i),
        ("sqlite3_finalize", [p], i),
        ("sqlite3_reset", [p], i),
        ("sqlite3_step", [p], i),
        ("sqlite3_bind_int64", [p, i, i64], i),
        ("sqlite3_bind_double", [p, i, ctypes.c_double], i),
        ("sqlite3_bind_text", [p, i, s, i, p], i),
        ("sqlite3_bind_null", [p, i], i),
        ("sqlite3_column_text", [p, i], s),
    ):
        function = getattr(lib, name)
        function.argtypes, function.restype = args, result
    return lib


def open_reader(path: str, epoch: Callable[[], int] | None = None) -> Reader | None:
    """A Reader of the database file at `path`, or None where this cannot work (see the module).
    `epoch`: what every write moves once it has committed (db/generation's current()); with one, the
    reads of one pass of the event loop share a read transaction while it stays put (Reader.rows)."""
    lib = _load() if path and path != ":memory:" and not path.startswith("file:") else None
    if lib is None:
        return None
    handle = ctypes.c_void_p()
    if lib.sqlite3_open_v2(path.encode(), ctypes.byref(handle), _OPEN_READWRITE | _OPEN_NOMUTEX, None) != 0:
        lib.sqlite3_close_v2(handle)
        return None
    return Reader(lib, handle, epoch)


class Reader:
    """One connection to the database, for one thread (the event loop's); statements kept prepared."""

    def __init__(self, lib: ctypes.PyDLL, handle: ctypes.c_void_p, epoch: Callable[[], int] | None = None):
        self._lib = lib
        self._handle: ctypes.c_void_p | None = handle
        self._statements: dict[str, ctypes.c_void_p] = {}
        self._owner = threading.get_ident()  # (opened without SQLite's mutex: one thread only)
        self._epoch = epoch
        self._shared: int | None = None  # the epoch the open shared read transaction began at
        self._pass: asyncio.AbstractEventLoop | None = None  # the loop whose pass shares it

    def rows(self, sql: str, values: Sequence[Any], one: bool) -> list[list[Any]] | None:
        """The rows of `sql` (each a JSON array of its columns) with `values` bound in order, or
        None: run it through sqlite3 instead."""
        statement = self._statement(sql) if threading.get_ident() == self._owner else None
        if statement is None:
            return None
        if self._epoch is not None:
            self._share()
        lib = self._lib
        try:
            if not self._bind(statement, values):
                return None
            found = []
            while (step := lib.sqlite3_step(statement)) == _ROW:
                found.append(orjson.loads(lib.sqlite3_column_text(statement, 0)))
                if one:
                    return found
            return found if step == _DONE else None
        except (orjson.JSONDecodeError, TypeError):
            return None
        finally:
            lib.sqlite3_reset(statement)  # (its read ends, unless the pass's shared read holds it: _share)

    def _share(self) -> None:
        """Run this read in the read transaction the loop's current pass shares, begun at its first
        read and ended at the start of the next pass (or as soon as a write has ended: the epoch moved).
        SQLite's read lock (two system calls, ~5 us each inside a request on a virtual machine) is then
        taken once a pass, not once a statement. A read never sees less than every write that had ended
        when it began: each write moves the epoch after it commits and before it is answered. Outside
        a running event loop (commands, tests calling services) each statement reads on its own."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        assert self._epoch is not None, "only called with an epoch"
        now = self._epoch()
        if self._shared is not None and (self._shared != now or self._pass is not loop):
            self.end_shared()  # (a write has ended since, or another loop runs: its end never came)
        anchor = self._statement(_ANCHOR) if self._shared is None and now >= 0 else None
        if anchor is None:
            return
        if self._lib.sqlite3_step(anchor) != _ROW:  # (no schema yet, or busy: no sharing this time)
            self._lib.sqlite3_reset(anchor)
            return
        self._shared, self._pass = now, loop  # (the anchor, open on its first row, holds the read)
        loop.call_soon(self.end_shared)

    def end_shared(self) -> None:
        """End the shared read transaction, if one is open (a write on this thread ends it too)."""
        if self._shared is not None:
            self._shared = None
            self._lib.sqlite3_reset(self._statements[_ANCHOR])

    def _statement(self, sql: str) -> ctypes.c_void_p | None:
        statement = self._statements.get(sql)
        if statement is None and self._handle is not None:
            made = ctypes.c_void_p()
            if self._lib.sqlite3_prepare_v2(self._handle, sql.encode(), -1, ctypes.byref(made), None) != 0:
                self._lib.sqlite3_finalize(made)
                return None
            statement = self._statements[sql] = made
        return statement

    def _bind(self, statement: ctypes.c_void_p, values: Sequence[Any]) -> bool:
        lib = self._lib
        for i, value in enumerate(values, 1):
            if value is None:
                rc = lib.sqlite3_bind_null(statement, i)
            elif isinstance(value, int) and -(2**63) <= value < 2**63:
                rc = lib.sqlite3_bind_int64(statement, i, value)
            elif isinstance(value, float):
                rc = lib.sqlite3_bind_double(statement, i, value)
            elif isinstance(value, str):
                data = value.encode()
                rc = lib.sqlite3_bind_text(statement, i, data, len(data), _TRANSIENT)
            else:
                return False  # (bytes and the rest: sqlite3's own binding)
            if rc != 0:
                return False
        return True

    def close(self) -> None:
        if threading.get_ident() == self._owner:
            self.end_shared()
        for statement in self._statements.values():
            self._lib.sqlite3_finalize(statement)
        self._statements.clear()
        if self._handle is not None:
            self._lib.sqlite3_close_v2(self._handle)
            self._handle = None
