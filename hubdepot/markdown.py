"""Rendering files as GitHub's `application/vnd.github.html` does: markup to HTML, always sanitised.

Markdown goes through markdown-it (CommonMark plus tables and strikethrough, raw HTML allowed as on
GitHub) and then nh3, which keeps a safe allow-list of tags and attributes, drops scripts, event
handlers and javascript: URLs, and marks links rel="nofollow". Other files are shown as
preformatted text. The wrapper markup mirrors GitHub's (`markdown-body` article inside a div).
"""

from __future__ import annotations

import functools
import html

import nh3
from markdown_it import MarkdownIt

from hubdepot.bounded import Bounded

MARKDOWN = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")
CACHE_BYTES = 32 * 1024 * 1024  # rendered pages kept by blob sha: markdown-it does ~0.3-1 MB/s
_TAGS = nh3.ALLOWED_TAGS | {"input", "picture", "source", "video"}
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "title", "lang", "dir", "align"},
    "a": {"href", "hreflang", "name"},
    "img": {"src", "alt", "width", "height", "align", "title"},
    "input": {"type", "checked", "disabled"},
    "source": {"srcset", "media", "type"},
    "video": {"src", "controls", "width", "height", "poster"},
    "code": {"class"},
}


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def is_markdown(path: str) -> bool:
    return path.lower().endswith(MARKDOWN)


def sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        link_rel="nofollow noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
    )


def body(path: str, data: bytes) -> str:
    """The sanitised inner HTML for a file: rendered markdown, or its text in a <pre>."""
    text = data.decode("utf-8", "replace")
    if is_markdown(path) or path.rsplit("/", 1)[-1].lower() == "readme":
        return sanitise(_parser().render(text))
    return f"<pre>{html.escape(text)}</pre>"


def render(path: str, data: bytes, readme: bool = False) -> str:
    """GitHub's HTML media type response for a file (or the README)."""
    kind = "md" if is_markdown(path) else "plain"
    outer = "readme" if readme else "file"
    return (
        f'<div id="{outer}" class="{kind}" data-path="{html.escape(path, quote=True)}">'
        f'<article class="markdown-body entry-content container-lg" itemprop="text">'
        f"{body(path, data)}</article></div>"
    )


_rendered: Bounded[str] = Bounded(CACHE_BYTES, len)


def render_cached(path: str, sha: str, data: bytes, readme: bool = False) -> str:
    """render(), remembered by (blob sha, path, readme): a blob's bytes never change."""
    return _rendered.made((sha, path, readme), lambda: render(path, data, readme))
