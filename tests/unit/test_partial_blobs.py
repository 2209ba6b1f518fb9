"""Local storage's partial blobs (what a killed mirror leaves to take up again): kept by abort(),
taken up with their bytes hashed, emptied by `fresh`, never shared by two writers at once, dropped by
prefix; and the plain writer still leaves nothing behind."""

from __future__ import annotations

import hashlib

from hubdepot.storage import key_for
from hubdepot.storage.local import LocalStorage


def test_a_partial_blob_survives_abort_and_is_taken_up(tmp_path):
    storage = LocalStorage(tmp_path)
    first = storage.writer("7-42")
    first.write(b"hello ")
    first.abort()  # (as a crash would leave it)
    again = storage.writer("7-42")
    assert again.size == 6
    again.write(b"world")
    key, digest = again.commit()
    assert digest == hashlib.sha256(b"hello world").hexdigest() and key == key_for(digest)
    assert b"".join(storage.read(key)) == b"hello world"
    assert storage.writer("7-42").size == 0  # committed: nothing left to take up


def test_fresh_empties_and_a_second_writer_gets_its_own_file(tmp_path):
    storage = LocalStorage(tmp_path)
    kept = storage.writer("1-1")
    kept.write(b"abc")
    kept.abort()
    holder = storage.writer("1-1")
    other = storage.writer("1-1")  # another process or thread has it open: a plain temp file
    assert holder.size == 3 and other.size == 0
    other.write(b"xyz")
    other.abort()
    holder.abort()
    assert storage.writer("1-1", fresh=True).size == 0


def test_drop_partials_by_prefix_and_plain_writers_leave_nothing(tmp_path):
    storage = LocalStorage(tmp_path)
    for name in ("5-1", "5-2", "50-1"):
        w = storage.writer(name)
        w.write(b"x")
        w.abort()
    busy = storage.writer("5-3")  # being written: not dropped
    assert storage.drop_partials("5-") == 2
    busy.write(b"more")
    busy.commit()
    assert storage.writer("50-1").size == 1 and storage.writer("5-1").size == 0
    plain = storage.writer()
    plain.write(b"gone")
    plain.abort()
    assert not list((tmp_path / "tmp").glob("upload-*"))
