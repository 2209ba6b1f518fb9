"""Short-lived signed URL tokens (archives, raw files and assets of private repositories)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


class Signer:
    def __init__(self, secret: bytes):
        self.secret = secret

    def sign(self, purpose: str, expires_in: int = 300) -> str:
        """A token valid for `purpose` (e.g. 'archive:12:refs/heads/main') until now + expires_in."""
        expires = int(time.time()) + expires_in
        mac = self._mac(purpose, expires)
        return f"{expires}.{mac}"

    def check(self, purpose: str, token: str | None) -> bool:
        if not token or "." not in token:
            return False
        expires_text, mac = token.split(".", 1)
        if not expires_text.isdigit() or int(expires_text) < time.time():
            return False
        return hmac.compare_digest(mac, self._mac(purpose, int(expires_text)))

    def _mac(self, purpose: str, expires: int) -> str:
        digest = hmac.new(self.secret, f"{purpose}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
