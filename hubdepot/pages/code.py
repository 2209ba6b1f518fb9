"""Files as page content: source lines highlighted by Pygments (kept by blob sha, since a blob never
changes), markdown rendered and sanitised by markdown.py with its relative links pointed at this
repository, and the small decisions (text or binary, image or not)."""

from __future__ import annotations

import functools
import html
import posixpath
import re
from collections.abc import Iterable, Iterator

from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_for_filename
from pygments.lexers.special import TextLexer
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

from hubdepot import markdown
from hubdepot.bounded import Bounded
from hubdepot.pages import packing
from hubdepot.urls import PATHS

HIGHLIGHT_LIMIT = 512 * 1024  # larger text files are shown without colours
CACHE_BYTES = 64 * 1024 * 1024  # highlighted files: markup and its deflated form
IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico"}
_LINK = re.compile(r'(href|src)="([^"]*)"')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def is_binary(data: bytes) -> bool:
    return b"\x00" in data[:8000]


def is_image(path: str) -> bool:
    return posixpath.splitext(path.lower())[1] in IMAGES


@functools.lru_cache(maxsize=1)
def _styled() -> frozenset[str]:
    """The short classes the stylesheet colours (style "default"); other tokens need no span."""
    return frozenset(HtmlFormatter(style="default").class2style) - {"o", "w"}  # (operators stay plain)


@functools.lru_cache(maxsize=512)
def _css_class(ttype: _TokenType) -> str:
    name = STANDARD_TYPES.get(ttype)
    while name is None:
        ttype = ttype.parent
        name = STANDARD_TYPES.get(ttype)
    return name if name in _styled() else ""


def _lexer(name: str, text: str) -> Lexer:
    if len(text) > HIGHLIGHT_LIMIT:
        return TextLexer()
    try:
        return get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


def highlight(name: str, data: bytes) -> list[str]:
    """The file's lines as HTML, one string per line: escaped text, coloured tokens as <b class=k>
    (Pygments' short classes; a short tag, since a 5,000-line file has tens of thousands of them)."""
    text = data.decode("utf-8", "replace")
    lines: list[list[str]] = [[]]
    for cls, value in _merged(_lexer(name, text).get_tokens(text)):
        for i, piece in enumerate(value.split("\n")):
            if i:
                lines.append([])
            if piece:
                escaped = html.escape(piece, quote=False)
                lines[-1].append(f"<b class={cls}>{escaped}</b>" if cls and piece.strip() else escaped)
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # the final newline ends the last line, it does not start another
    return ["".join(parts) for parts in lines]


def _merged(tokens: Iterable[tuple[_TokenType, str]]) -> Iterator[tuple[str, str]]:
    """(class, text) with neighbours of the same class joined: fewer spans."""
    current = ""
    parts: list[str] = []
    for ttype, value in tokens:
        cls = _css_class(ttype)
        if cls != current and parts:
            yield current, "".join(parts)
            parts = []
        current = cls
        parts.append(value)
    if parts:
        yield current, "".join(parts)


# (the file's markup as a packing.Chunk, its line count) by (blob sha, name): a blob never changes
_files: Bounded[tuple[packing.Chunk, int]] = Bounded(CACHE_BYTES, lambda f: len(f[0].data) + len(f[0].deflated))


def _numbered(name: str, data: bytes) -> tuple[packing.Chunk, int]:
    """The whole file as one chunk of markup, each line a span with its anchor id (L1, L2, ...; the
    numbers themselves come from the stylesheet), and how many lines."""
    lines = highlight(name, data)
    return packing.chunk("".join(f"<span id=L{i}>{line}</span>" for i, line in enumerate(lines, 1))), len(lines)


def highlighted(sha: str, name: str, data: bytes) -> tuple[packing.Chunk, int]:
    """(markup ready to splice into a page, line count) of a text file, made once per blob."""
    return _files.made((sha, name), lambda: _numbered(name, data))


def rendered_markdown(full_name: str, ref: str, path: str, sha: str, data: bytes, readme: bool = False) -> str:
    """Sanitised HTML of a markdown file, relative links made to point into the repository at `ref`."""
    page = markdown.render_cached(path, sha, data, readme)
    folder = posixpath.dirname(path)
    return _LINK.sub(lambda m: _relink(m, full_name, ref, folder), page)


def _relink(match: re.Match[str], full_name: str, ref: str, folder: str) -> str:
    attr, value = match.group(1), html.unescape(match.group(2))
    if not value or value.startswith(("#", "/", "?")) or _SCHEME.match(value):
        return match.group(0)
    target, _, fragment = value.partition("#")
    joined = posixpath.normpath(posixpath.join(folder, target)).lstrip("/")
    if joined.startswith(".."):
        return match.group(0)
    if attr == "src":
        url = PATHS.raw(full_name, ref, joined)
    else:
        url = PATHS.blob_html(full_name, ref, joined) + (f"#{fragment}" if fragment else "")
    return f'{attr}="{html.escape(url)}"'
