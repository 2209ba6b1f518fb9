"""The source's API: one httpx client, every request through send(), which waits out rate limits
(X-RateLimit-Remaining/Reset, Retry-After, secondary-limit 403s), retries 5xx answers and cut
connections with backoff, and counts what it costs. The token goes to the API host only: an asset
redirect to a blob host is followed without it. The source is hostile (docs/security.md): the pages
and asset URLs it names must be on its API's origin, redirects may only lead to http(s), and git
fetches from the host the user named.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from hubdepot.storage import BlobStorage
from hubdepot.storage.intake import Intake

CHUNK = 256 * 1024  # fits the CPU cache from recv to hash to write (1 MiB measured 1.5-3x slower)
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
GITHUB_HOSTS = ("github.com", "www.github.com")
_REPO_PATH = re.compile(r"^/[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}\.git$")


class Headers(Protocol):
    """An answer's headers: httpx's (the API) or http.client's (asset bytes)."""

    def get(self, key: str, /) -> str | None: ...


class MirrorError(Exception):
    """A one-line reason the mirror cannot go on (wrong URL, bad token, missing repository...)."""


class Target:
    """A source repository named by its web URL: https://github.com/o/r or https://host/o/r."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url.strip())
        path = [p for p in parts.path.split("/") if p]
        if parts.scheme not in ("http", "https") or not parts.netloc or len(path) != 2:
            raise MirrorError(f"not a repository URL: {url!r} (expected https://HOST/OWNER/NAME)")
        self.owner, self.name = path[0], path[1].removesuffix(".git")
        origin = f"{parts.scheme}://{parts.netloc}"
        self.web_url = f"{origin}/{self.owner}/{self.name}"
        self.host = parts.hostname or parts.netloc
        github = self.host.lower() in GITHUB_HOSTS
        self.api_root = "https://api.github.com" if github else f"{origin}/api/v3"
        self.api_repo = f"{self.api_root}/repos/{self.owner}/{self.name}"
        self.git_origin = "https://github.com" if github else origin

    def clone_url(self, offered: object) -> str:
        """Where git fetches from: the source's clone_url when it is a plain OWNER/NAME URL on the
        host the user named (a renamed repository), else the user's own URL. Never a local path,
        another host or anything git could read as an option."""
        built = f"{self.git_origin}/{self.owner}/{self.name}.git"
        if not isinstance(offered, str):
            return built
        parts = urlsplit(offered)
        same = f"{parts.scheme}://{parts.netloc}".lower() == self.git_origin.lower()
        if same and _REPO_PATH.match(parts.path) and not parts.query and not parts.fragment:
            return offered
        return built


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


class Source:
    """A GitHub-compatible API, politely: `concurrency` connections at most."""

    def __init__(
        self,
        target: Target,
        token: str | None,
        *,
        concurrency: int = 4,
        note: Callable[[str], None] = print,
        retries: int = 6,
        max_wait: float = 3600,
    ) -> None:
        self.target, self.token, self.note = target, token, note
        self.retries, self.max_wait = retries, max_wait
        self.client = httpx.Client(
            timeout=httpx.Timeout(60, connect=15),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2),
            headers={"User-Agent": "hubdepot-mirror", "X-GitHub-Api-Version": "2022-11-28"},
        )
        self.requests = 0
        self.not_modified = 0
        self.stopped = False  # set when the run is being abandoned: downloads stop
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------------

    def _headers(self, url: str, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token and _origin(url) == _origin(self.target.api_root):
            headers["Authorization"] = f"token {self.token}"
        return headers

    def send(
        self, url: str, headers: dict[str, str] | None = None, *, stream: bool = False, retries: int | None = None
    ) -> httpx.Response:
        """GET `url`; rate limits waited out, 5xx and transport errors retried with backoff."""
        delay, failures, last = 0.5, 0, ""
        while failures < (retries or self.retries):
            self._wait_budget()
            try:
                request = self.client.build_request("GET", url, headers=self._headers(url, headers))
                response = self.client.send(request, stream=stream)
            except httpx.TransportError as exc:
                failures, last = failures + 1, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self.note(f"{urlsplit(url).netloc}: {last}; retrying in {delay:g}s")
                time.sleep(delay)
                delay = min(delay * 2, 30)
                continue
            self._note_budget(response.status_code, response.headers)
            wait = self._rate_limited(response)
            if wait is not None:
                response.close()
                self.note(f"{urlsplit(url).netloc}: rate limited, waiting {wait:.0f}s")
                time.sleep(wait)
                continue
            if response.status_code >= 500:
                response.close()
                failures, last = failures + 1, f"HTTP {response.status_code}"
                self.note(f"{urlsplit(url).netloc}: {last}; retrying in {delay:g}s")
                time.sleep(delay)
                delay = min(delay * 2, 30)
                continue
            return response
        raise MirrorError(f"cannot reach {urlsplit(url).netloc}: {last}")

    def _rate_limited(self, response: httpx.Response) -> float | None:
        if response.status_code not in (403, 429):
            return None
        return self._slow_down(response.status_code, response.headers, _message(response))

    def _slow_down(self, status: int, headers: Headers, message: str) -> float | None:
        """Seconds to wait before asking again, when the answer says "slow down"."""
        if status not in (403, 429):
            return None
        retry_after = headers.get("retry-after") or ""
        if retry_after.isdigit():
            return self._bounded(float(retry_after))
        if headers.get("x-ratelimit-remaining") == "0":
            return self._bounded(self._reset_in(headers))
        if status == 429 or "rate limit" in message.lower():
            return 60.0  # GitHub: wait at least a minute after a secondary rate limit
        return None

    def _bounded(self, seconds: float) -> float:
        if seconds > self.max_wait:
            raise MirrorError(f"rate limited by {self.target.host} for {seconds:.0f}s more (over {self.max_wait:.0f}s)")
        return max(seconds, 0.0) + 0.1

    @staticmethod
    def _reset_in(headers: Headers) -> float:
        reset = headers.get("x-ratelimit-reset") or ""
        return float(reset) - time.time() if reset.isdigit() else 60.0

    def _note_budget(self, status: int, headers: Headers) -> None:
        """Out of budget: no request goes out before the window resets."""
        with self._lock:
            self.requests += 1
            if headers.get("x-ratelimit-remaining") == "0" and status < 400:
                self._paused_until = max(self._paused_until, time.time() + self._bounded(self._reset_in(headers)))

    def _wait_budget(self) -> None:
        wait = self._paused_until - time.time()
        if wait > 0:
            self.note(f"{self.target.host}: rate limit used up, waiting {wait:.0f}s for the reset")
            time.sleep(wait)

    # -- JSON ----------------------------------------------------------------------------------

    def get_json(
        self, url: str, etag: str | None = None, *, what: str = "", retries: int | None = None
    ) -> tuple[Any, str | None]:
        """(200 body, its ETag) or (None, etag) when the source answers 304 Not Modified. The body is
        the source's JSON as parsed, unchecked: the caller reads it field by field."""
        headers = {"Accept": "application/vnd.github+json"}
        if etag:
            headers["If-None-Match"] = etag
        response = self.send(url, headers, retries=retries)
        if response.status_code == 304:
            with self._lock:
                self.not_modified += 1
            return None, etag
        self.check(response, what or url)
        try:
            return response.json(), response.headers.get("etag")
        except ValueError:
            raise MirrorError(f"{url} did not answer JSON: is {self.target.host} a GitHub-compatible server?") from None

    def check(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 300:
            self._fail(response.status_code, _message(response), what)

    def _fail(self, status: int, message: str, what: str) -> None:
        if status == 401:
            raise MirrorError(f"bad credentials for {self.target.host} (HTTP 401: {message or 'Bad credentials'})")
        if status == 404:
            raise MirrorError(f"{what} not found at {self.target.host} (HTTP 404; a private repository needs a token)")
        raise MirrorError(f"{what}: HTTP {status} from {self.target.host}" + (f": {message}" if message else ""))

    def next_page(self, response_headers: httpx.Headers) -> str | None:
        """The Link header's next page, which must be on the API's origin."""
        found = _LINK_NEXT.search(response_headers.get("link", ""))
        if not found:
            return None
        if not self.on_api(found.group(1)):
            raise MirrorError(f"{self.target.host} named a next page elsewhere: {found.group(1)[:200]!r}")
        return found.group(1)

    def on_api(self, url: object) -> bool:
        """Whether `url` is on the source API's origin (what the token may go to)."""
        return isinstance(url, str) and url.isascii() and _origin(url) == _origin(self.target.api_root)

    def page(self, url: str, etag: str | None) -> tuple[Any, str | None, str | None]:
        """One page of a list: (items or None when not modified, etag, next page URL or None); the
        items are the source's JSON as parsed, unchecked."""
        headers = {"Accept": "application/vnd.github+json"}
        if etag:
            headers["If-None-Match"] = etag
        response = self.send(url, headers)
        if response.status_code == 304:
            with self._lock:
                self.not_modified += 1
            return None, etag, None
        self.check(response, url)
        return response.json(), response.headers.get("etag"), self.next_page(response.headers)

    # -- asset bytes ---------------------------------------------------------------------------
    # http.client, not httpx, carries the bytes: readinto() a 256 KiB buffer is several times faster.

    def download(
        self,
        url: str,
        storage: BlobStorage,
        expected_size: int,
        progress: Callable[[int], None],
        partial: str | None = None,
    ) -> Intake:
        """Stream an asset's bytes into a storage intake (never more than `expected_size`); a cut
        connection resumes with a Range request where the source allows it, and so do the bytes a
        killed run left under `partial`. Returns the uncommitted intake holding every byte."""
        too_large = MirrorError(f"{url}: the source sent more than the asset's size ({expected_size} bytes)")
        writer = Intake(storage, expected_size, lambda: too_large, partial)
        failures, buffer = 0, bytearray(CHUNK)
        if writer.size > expected_size:  # not what this asset's first bytes can be: start over
            writer.restart()
        if writer.size:
            self.note(f"{urlsplit(url).netloc}: resuming at {writer.size} bytes, kept from an earlier run")
            progress(writer.size)
        try:
            while True:
                try:
                    conn, response = self._open_asset(url, writer.size)
                except _Answer as answer:
                    failures = self._after_answer(answer, url, failures)
                    continue
                except (OSError, http.client.HTTPException) as exc:
                    failures = self._after_cut(exc, url, writer.size, failures)
                    continue
                try:
                    if writer.size and response.status == 200:  # no range support: start over
                        progress(-writer.size)
                        writer.restart()
                    self._copy(response, writer, buffer, progress)
                    if writer.size >= expected_size:
                        return writer
                    raise http.client.IncompleteRead(b"", expected_size - writer.size)
                except (OSError, http.client.HTTPException) as exc:
                    failures = self._after_cut(exc, url, writer.size, failures)
                finally:
                    conn.close()
        except BaseException:
            writer.abort()
            raise

    def _copy(
        self, response: http.client.HTTPResponse, writer: Intake, buffer: bytearray, progress: Callable[[int], None]
    ) -> None:
        view = memoryview(buffer)
        while True:
            if self.stopped:
                raise MirrorError("stopped")
            n = response.readinto(buffer)
            if not n:
                return
            writer.write(view[:n])  # every backend copies what it keeps (file, buffer, part)
            progress(n)

    def _after_cut(self, exc: Exception, url: str, offset: int, failures: int) -> int:
        if failures >= self.retries:
            raise MirrorError(f"download of {url} kept failing: {type(exc).__name__}: {exc}") from None
        self.note(f"{urlsplit(url).netloc}: download cut at {offset} bytes ({type(exc).__name__}); resuming")
        time.sleep(min(0.5 * (failures + 1), 5))
        return failures + 1

    def _after_answer(self, answer: _Answer, url: str, failures: int) -> int:
        """A non-200 answer to an asset request: wait out limits, retry 5xx, else fail."""
        wait = self._slow_down(answer.status, answer.headers, answer.message)
        if wait is not None:
            self.note(f"{urlsplit(url).netloc}: rate limited, waiting {wait:.0f}s")
            time.sleep(wait)
            return failures
        if answer.status >= 500 and failures < self.retries:
            self.note(f"{urlsplit(url).netloc}: HTTP {answer.status}; retrying")
            time.sleep(min(0.5 * 2**failures, 30))
            return failures + 1
        self._fail(answer.status, answer.message, f"asset {url}")
        raise MirrorError(f"asset {url}: HTTP {answer.status}")

    def _open_asset(self, url: str, offset: int) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """GET the asset API URL as bytes, following redirects (the token stays with the API host):
        (connection, response) positioned at the body."""
        headers = {"Accept": "application/octet-stream", "Accept-Encoding": "identity", "User-Agent": "hubdepot-mirror"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        for _ in range(5):
            self._wait_budget()
            conn, response = _raw_get(url, self._headers(url, headers))
            self._note_budget(response.status, response.headers)
            if response.status in (301, 302, 303, 307, 308) and response.getheader("location"):
                response.read()
                conn.close()
                url = urljoin(url, response.getheader("location"))
                if urlsplit(url).scheme not in ("http", "https"):
                    raise MirrorError(f"asset redirect to a URL that is not http(s): {url[:200]!r}")
                continue
            if response.status == 206:
                found = _CONTENT_RANGE.match(response.getheader("content-range") or "")
                if not found or int(found.group(1)) != offset:
                    conn.close()
                    raise http.client.HTTPException("the source answered another range")
            elif response.status != 200:
                body = response.read(65536)
                conn.close()
                raise _Answer(response.status, response.headers, _json_message(body))
            return conn, response
        raise MirrorError(f"too many redirects for {url}")


class _Answer(Exception):
    def __init__(self, status: int, headers: Headers, message: str) -> None:
        super().__init__(status)
        self.status, self.headers, self.message = status, headers, message


def _raw_get(url: str, headers: dict[str, str]) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(host, parts.port or 443, timeout=60, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, parts.port or 80, timeout=60)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def _json_message(body: bytes) -> str:
    try:
        found = json.loads(body)
        return str(found.get("message", "")) if isinstance(found, dict) else ""
    except ValueError:
        return ""


def _message(response: httpx.Response) -> str:
    try:
        response.read()
        body = response.json()
        return str(body.get("message", "")) if isinstance(body, dict) else ""
    except (ValueError, httpx.HTTPError):
        return ""
