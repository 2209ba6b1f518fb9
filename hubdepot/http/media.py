"""Accept negotiation: GitHub's vnd.github media types. Anything unknown is JSON; never 406."""

from __future__ import annotations

import dataclasses
import functools
import re

_VND = re.compile(r"application/vnd\.github(?:\.v3)?(?:\.(?P<param>[a-z-]+))?(?:\+(?P<suffix>json))?")
_PARAMS = {"raw", "html", "object", "full", "text", "diff", "patch", "sha", "base64"}


@dataclasses.dataclass(frozen=True)
class Media:
    param: str | None  # raw | html | object | full | text | None (plain JSON)
    json: bool  # a +json suffix (or plain JSON)
    octet: bool  # application/octet-stream asked for
    requested: str  # the media type as the client wrote it (echoed for raw responses)

    @property
    def github_header(self) -> str:
        """X-GitHub-Media-Type."""
        if self.param is None:
            return "github.v3; format=json"
        return f"github.v3; param={self.param}" + ("; format=json" if self.json else "")


@functools.lru_cache(maxsize=256)  # (clients send a few Accept headers over and over)
def negotiate(accept: str | None) -> Media:
    accept = accept or ""
    octet = "application/octet-stream" in accept
    for part in accept.split(","):
        text = part.split(";")[0].strip().lower()
        match = _VND.fullmatch(text)
        if match and match.group("param") in _PARAMS:
            return Media(match.group("param"), bool(match.group("suffix")), octet, text)
    return Media(None, True, octet, "application/json")
