"""The OAuth `state` store: signed, expiring, single-use tokens.

Issuing writes nothing: a state is `<expiry>.<nonce>.<signature>`, so the install page costs no row.
Consuming checks the signature and the expiry, then records a digest of the state in
`oauth_states_used` (primary key) until it expires: a second use, from this replica or any other
on the same database, hits the key and is refused. bolt also pins the state in a browser cookie
and checks it on the callback, so a state cannot be used from another browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from slack_sdk.oauth.state_store import OAuthStateStore
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from bot.store.slack_oauth import oauth_states_used

FORGET_AFTER = 3600  # seconds after its expiry that a used state is still remembered


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class SignedOAuthStateStore(OAuthStateStore):
    def __init__(self, secret: str, engine: Engine, expiration_seconds: int = 600,
                 clock: Callable[[], float] = time.time):
        self._key = hashlib.sha256(b"oncall-bot oauth state\0" + secret.encode()).digest()
        self._engine = engine
        self.expiration_seconds = expiration_seconds
        self._clock = clock

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self, *args, **kwargs) -> str:
        payload = f"{int(self._clock()) + self.expiration_seconds}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{self._sign(payload)}"

    def consume(self, state: str) -> bool:
        """True once for a state this store issued and that has not expired; False ever after."""
        payload, _, signature = (state or "").rpartition(".")
        if not payload or not hmac.compare_digest(self._sign(payload).encode(), signature.encode()):
            return False  # bytes: compare_digest refuses non-ASCII str with a TypeError
        expires, _, _ = payload.partition(".")
        now = self._clock()
        if not (expires.isascii() and expires.isdigit()) or int(expires) < now:
            return False
        return self._use(hashlib.sha256(state.encode()).hexdigest(), int(expires), now)

    def _use(self, digest: str, expires: int, now: float) -> bool:
        try:
            with self._engine.begin() as conn:
                # forget states long expired (the margin covers clocks of replicas running behind)
                conn.execute(delete(oauth_states_used).where(oauth_states_used.c.expires_at < _at(now - FORGET_AFTER)))
                conn.execute(insert(oauth_states_used).values(digest=digest, expires_at=_at(expires)))
        except IntegrityError:  # used before (here or on another replica)
            return False
        return True
