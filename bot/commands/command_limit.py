"""The per-person `/oncall` rate limit: a bolt middleware that refuses a slash command, in its
ack and before any listener runs (so before any database or provider work), once the person
has run `ONCALL_COMMANDS_PER_MINUTE` commands in the last 60 seconds."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import App, BoltResponse

from bot.context import Context
from bot.views.common import message

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Refusal:
    count: int  # commands run in the last minute
    retry_after: float  # seconds until the oldest of them leaves the window

    @property
    def text(self) -> str:
        wait = max(1, math.ceil(self.retry_after))
        return (f":hourglass: You've run {self.count} commands in the last minute; try again in {wait} s. "
                "(This limit keeps the provider accounts available to everyone.)")


class CommandLimiter:
    """A sliding one-minute window per (workspace, person). `check` records an allowed command."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, team_id: str, user_id: str) -> Refusal | None:
        now = self._clock()
        with self._lock:
            times = self._seen.setdefault((team_id, user_id), deque())
            while times and times[0] <= now - WINDOW_SECONDS:
                times.popleft()
            if len(times) >= self.per_minute:
                return Refusal(len(times), times[0] + WINDOW_SECONDS - now)
            times.append(now)
            if len(self._seen) > 10_000:  # forget people who have been quiet for a minute
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - WINDOW_SECONDS}
            return None


def install(app: App, ctx: Context, limiter: CommandLimiter | None = None) -> CommandLimiter:
    """Add the limit to `app` (every slash command counts, from either transport)."""
    limiter = limiter or CommandLimiter(ctx.settings.commands_per_minute)

    @app.middleware
    def command_limit(body: dict, next: Callable[[], None]) -> BoltResponse | None:
        if not body.get("command"):
            return next()
        refusal = limiter.check(str(body.get("team_id") or ""), str(body.get("user_id") or ""))
        if refusal is None:
            return next()
        return BoltResponse(status=200, body={"response_type": "ephemeral", **message(refusal.text)})

    return limiter
