"""The source's API: one httpx client, every request through send(), which waits out rate limits
(X-RateLimit-Remaining/Reset, Retry-After, secondary-limit 403s), retries 5xx answers and cut
connections with backoff, and counts what it costs. The token goes to the API host only: an asset
redirect to a blob host is followed without it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import httpx

from hubdepot import errors

CHUNK = 1024 * 1024
_LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
GITHUB_HOSTS = ("github.com", "www.github.com")


class MirrorError(Exception):
    """A one-line reason the mirror cannot go on (wrong URL, bad token, missing repository...)."""


class Target:
    """A source repository named by its web URL: https://github.com/o/r or https://host/o/r."""

    def __init__(self, url: str):
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


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


class Source:
    """A GitHub-compatible API, politely: `concurrency` connections at most."""

    def __init__(self, target: Target, token: str | None, *, concurrency: int = 4, note: Callable = print,
                 retries: int = 6, max_wait: float = 3600):
        self.target, self.token, self.note = target, token, note
        self.retries, self.max_wait = retries, max_wait
        self.client = httpx.Client(
            timeout=httpx.Timeout(60, connect=15), follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2),
            headers={"User-Agent": "hubdepot-mirror", "X-GitHub-Api-Version": "2022-11-28"})
        self.requests = 0
        self.not_modified = 0
        self.stopped = False  # set when the run is being abandoned: downloads stop
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------------

    def _headers(self, url: str, extra: dict | None) -> dict:
        headers = dict(extra or {})
        if self.token and _origin(url) == _origin(self.target.api_root):
            headers["Authorization"] = f"token {self.token}"
        return headers

    def send(self, url: str, headers: dict | None = None, *, stream: bool = False,
             retries: int | None = None) -> httpx.Response:
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
            with self._lock:
                self.requests += 1
            self._note_budget(response)
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
        """Seconds to wait before asking again, when the answer says "slow down"."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after and retry_after.isdigit():
            return self._bounded(float(retry_after))
        if response.headers.get("x-ratelimit-remaining") == "0":
            return self._bounded(self._reset_in(response))
        if response.status_code == 429 or "rate limit" in _message(response).lower():
            return 60.0  # GitHub: wait at least a minute after a secondary rate limit
        return None

    def _bounded(self, seconds: float) -> float:
        if seconds > self.max_wait:
            raise MirrorError(f"rate limited by {self.target.host} for {seconds:.0f}s more (over {self.max_wait:.0f}s)")
        return max(seconds, 0.0) + 0.1

    @staticmethod
    def _reset_in(response: httpx.Response) -> float:
        reset = response.headers.get("x-ratelimit-reset", "")
        return float(reset) - time.time() if reset.isdigit() else 60.0

    def _note_budget(self, response: httpx.Response) -> None:
        """Out of budget: no request goes out before the window resets."""
        if response.headers.get("x-ratelimit-remaining") == "0" and response.status_code < 400:
            with self._lock:
                self._paused_until = max(self._paused_until, time.time() + self._bounded(self._reset_in(response)))

    def _wait_budget(self) -> None:
        wait = self._paused_until - time.time()
        if wait > 0:
            self.note(f"{self.target.host}: rate limit used up, waiting {wait:.0f}s for the reset")
            time.sleep(wait)

    # -- JSON ----------------------------------------------------------------------------------

    def get_json(self, url: str, etag: str | None = None, *, what: str = "", retries: int | None = None):
        """(200 body, its ETag) or (None, etag) when the source answers 304 Not Modified."""
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
        status = response.status_code
        if status < 300:
            return
        message = _message(response)
        if status == 401:
            raise MirrorError(f"bad credentials for {self.target.host} (HTTP 401: {message or 'Bad credentials'})")
        if status == 404:
            raise MirrorError(f"{what} not found at {self.target.host} (HTTP 404; a private repository needs a token)")
        raise MirrorError(f"{what}: HTTP {status} from {self.target.host}" + (f": {message}" if message else ""))

    def next_page(self, response_headers) -> str | None:
        found = _LINK_NEXT.search(response_headers.get("link", ""))
        return found.group(1) if found else None

    def page(self, url: str, etag: str | None):
        """One page of a list: (items or None when not modified, etag, next page URL or None)."""
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

    def download(self, url: str, storage, expected_size: int, progress: Callable[[int], None]):
        """Stream an asset's bytes into a storage writer; a cut connection resumes with a Range
        request where the source allows it. Returns the uncommitted writer holding every byte."""
        writer, cuts = storage.writer(), 0
        try:
            while True:
                response = self._open_asset(url, writer.size)
                try:
                    if writer.size and response.status_code == 200:  # no range support: start over
                        progress(-writer.size)
                        writer.abort()
                        writer = storage.writer()
                    for chunk in response.iter_raw():
                        if self.stopped:
                            raise MirrorError("stopped")
                        writer.write(chunk)
                        progress(len(chunk))
                    if writer.size >= expected_size:
                        return writer
                    raise httpx.RemoteProtocolError("connection closed early")
                except httpx.TransportError as exc:
                    cuts += 1
                    if cuts > self.retries:
                        raise MirrorError(f"download of {url} kept failing: {exc}") from None
                    self.note(f"{urlsplit(url).netloc}: download cut at {writer.size} bytes; resuming")
                    time.sleep(min(0.5 * cuts, 5))
                finally:
                    response.close()
        except BaseException:
            writer.abort()
            raise

    def _open_asset(self, url: str, offset: int) -> httpx.Response:
        """GET the asset API URL as bytes, following redirects (the token stays with the API host)."""
        headers = {"Accept": "application/octet-stream", "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        for _ in range(5):
            response = self.send(url, headers, stream=True)
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                response.close()
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code == 206:
                found = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
                if not found or int(found.group(1)) != offset:
                    response.close()
                    raise httpx.RemoteProtocolError("the source answered another range")
            elif response.status_code != 200:
                response.read()
                response.close()
                self.check(response, f"asset {url}")
            return response
        raise MirrorError(f"too many redirects for {url}")


def _message(response: httpx.Response) -> str:
    try:
        response.read()
        body = response.json()
        return str(body.get("message", "")) if isinstance(body, dict) else ""
    except (ValueError, httpx.HTTPError):
        return ""
