"""page/per_page and GitHub's Link header (prev, next, last, first; absolute URLs)."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from hubdepot import errors

MAX_PAGE = 10_000_000  # offsets stay inside every database's integer range; such a page is empty anyway


@dataclasses.dataclass(frozen=True)
class Page:
    number: int
    size: int
    sent_per_page: bool

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _int(value: str | None, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise errors.Unprocessable(f"Invalid request.\n\nInvalid value for {name}: {value!r}") from None


def page_of(query: QueryParams, default_size: int = 30) -> Page:
    size = _int(query.get("per_page"), default_size, "per_page")
    number = _int(query.get("page"), 1, "page")
    size = default_size if size <= 0 else min(size, 100)
    return Page(min(max(number, 1), MAX_PAGE), size, "per_page" in query)


def link_header(base_url: str, query: QueryParams, page: Page, total: int) -> str | None:
    """Link header for `total` items, or None when everything fits on one page."""
    last = max(1, -(-total // page.size))
    if last == 1 and page.number == 1:
        return None
    params = [(k, v) for k, v in query.multi_items() if k not in ("page", "per_page")]
    if page.sent_per_page:
        params.append(("per_page", str(page.size)))

    def url(number: int) -> str:
        return f"{base_url}?{urlencode(params + [('page', str(number))])}"

    links = []
    if page.number > 1:
        links.append(f'<{url(min(page.number - 1, last))}>; rel="prev"')
    if page.number < last:
        links.append(f'<{url(page.number + 1)}>; rel="next"')
        links.append(f'<{url(last)}>; rel="last"')
    if page.number > 1:
        links.append(f'<{url(1)}>; rel="first"')
    return ", ".join(links) or None
