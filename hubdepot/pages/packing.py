"""Gzip for a page with one large fixed part (a long file's lines): that part is deflated once and
kept by its holder; each answer deflates only the page around it and splices the three raw deflate
streams into one gzip member. Each part comes from a fresh compressor (no back-references into
another part) and ends with a full flush (byte-aligned, not final), so the concatenation is one
valid deflate stream; the CRC is carried across the parts."""

from __future__ import annotations

import dataclasses
import struct
import zlib

SENTINEL = "\x00hubdepot-chunk\x00"
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no mtime, unknown OS


@dataclasses.dataclass(frozen=True)
class Chunk:
    data: bytes
    deflated: bytes  # raw deflate, full-flushed, not final


def deflate(data: bytes, level: int, final: bool) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def chunk(markup: str) -> Chunk:
    """`markup` as a Chunk (its holder keeps it: pages/code keeps a file's by blob sha)."""
    data = markup.encode()
    return Chunk(data, deflate(data, 6, False))


def spliced(page: bytes, piece: Chunk) -> tuple[bytes, bytes]:
    """(the page with `piece` where SENTINEL is, the same gzipped) for a page rendered with SENTINEL."""
    prefix, _, suffix = page.partition(SENTINEL.encode())
    body = prefix + piece.data + suffix
    crc = zlib.crc32(suffix, zlib.crc32(piece.data, zlib.crc32(prefix)))
    packed = b"".join(
        (
            _HEADER,
            deflate(prefix, 5, False),
            piece.deflated,
            deflate(suffix, 5, True),
            struct.pack("<II", crc & 0xFFFFFFFF, len(body) & 0xFFFFFFFF),
        )
    )
    return body, packed
