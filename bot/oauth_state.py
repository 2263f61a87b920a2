"""A stateless OAuth `state` store: signed, expiring tokens instead of a table.

bolt's OAuth flow also pins the state in a browser cookie and checks it on the callback, so a
state cannot be used from another browser; the signature proves we issued it and the expiry bounds
its life. Works unchanged with several replicas.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from slack_sdk.oauth.state_store import OAuthStateStore


class SignedOAuthStateStore(OAuthStateStore):
    def __init__(self, secret: str, expiration_seconds: int = 600, clock: Callable[[], float] = time.time):
        self._key = hashlib.sha256(b"oncall-bot oauth state\0" + secret.encode()).digest()
        self.expiration_seconds = expiration_seconds
        self._clock = clock

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, *args, **kwargs) -> str:
        payload = f"{int(self._clock()) + self.expiration_seconds}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{self._sign(payload)}"

    def consume(self, state: str) -> bool:
        payload, _, signature = (state or "").rpartition(".")
        if not payload or not hmac.compare_digest(self._sign(payload).encode(), signature.encode()):
            return False  # bytes: compare_digest refuses non-ASCII str with a TypeError
        expires, _, _ = payload.partition(".")
        return expires.isascii() and expires.isdigit() and int(expires) >= self._clock()
