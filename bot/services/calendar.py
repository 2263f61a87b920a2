"""Per-member calendar feeds (ICS URLs): store, fetch, turn blocking events into time off.

A feed is stored in `Member.ics_url` on every membership of the person. Each fetch replaces
that person's calendar time off (`TimeOff.source == "calendar"`) from now to the furthest
horizon of their schedules, then runs the time-off replacement when anything changed.
Feed URLs are secrets (Google's "secret address"): they are never shown back (`url_hint`),
never written to the audit log, and masked in log lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.context import Context
from bot.crypto import KeyBox, SecretKeyError
from bot.redact import register_secret
from bot.rota.calendar_feed import read_feed
from bot.rota.model import Window
from bot.services import calendar_jobs
from bot.services.calendar_fetch import (
    FeedAddressRefused,
    FeedError,
    FeedURLInvalid,
    fetch_ics,
    parse_feed_url,
)
from bot.services.directory import Directory
from bot.services.errors import UserError
from bot.services.timeoff import ReplacementOutcome, memberships, replace_for_user, user_zone
from bot.store import Member, Schedule, TimeOff, audit, session_scope
from bot.sync.locks import CALENDAR_FEEDS_KEY, try_lock

log = logging.getLogger(__name__)
HOW_TO = ("Give the calendar's ICS address: Google Calendar → Settings → your calendar → *Secret address in "
          "iCal format*; Outlook → Settings → Calendar → Shared calendars → *Publish* → ICS link.")


@dataclass(frozen=True)
class FeedRefresh:
    """One fetch of one person's feed."""

    slack_user_id: str
    blocks: int = 0  # blocking intervals in the window
    changed: bool = False  # calendar time off differed from the last fetch
    outcome: ReplacementOutcome = field(default_factory=ReplacementOutcome)
    error: str | None = None
    limited: str | None = None  # what a reading limit cut ("stopped after 1000 events")

    @property
    def status(self) -> str:
        """The feed's stored status: what `/oncall calendar` shows about the last read."""
        if self.error:
            return self.error
        return f"ok: {self.blocks} blocking event(s)" + (f"; {self.limited}" if self.limited else "")


def clean_url(text: str) -> str:
    """The URL inside Slack's `<https://…|label>` escaping, checked whole (`parse_feed_url`);
    UserError, which never repeats the address, when it is not a usable feed address."""
    url = text.strip().strip("<>").split("|", 1)[0].strip()
    try:
        parse_feed_url(url)
    except FeedURLInvalid as exc:
        raise UserError(f"That does not look like a calendar address: {exc}. {HOW_TO}") from None
    return url


def url_hint(url: str | None) -> str:
    """`calendar.google.com/…`: enough to recognise a feed, never its secret part."""
    if not url:
        return "none"
    try:
        host = urlsplit(url).hostname or "?"
    except ValueError:
        host = "?"
    return f"{host}/…"


def _protect(url: str) -> None:
    parts = urlsplit(url)
    register_secret(url)
    register_secret(parts.path + (f"?{parts.query}" if parts.query else ""))


def _memberships_of(session: Session, team_id: str, actor: str, target: str) -> list[Member]:
    """The person's memberships; UserError when there are none (nothing a calendar could block)."""
    rows = memberships(session, team_id, target)
    if not rows:
        who = "You are" if actor == target else f"<@{target}> is"
        raise UserError(f"{who} not a member of any schedule, so there is nothing a calendar could block.")
    return rows


def require_member(engine: Engine, team_id: str, actor: str, target: str) -> None:
    """UserError when the person is in no schedule (before a feed is read for them)."""
    with session_scope(engine) as session:
        _memberships_of(session, team_id, actor, target)


def remove_feed(ctx: Context, team_id: str, actor: str, target: str) -> int:
    """Turn the person's feed off (and drop its time off); returns on how many memberships."""
    with session_scope(ctx.engine) as session:
        return set_feed(session, ctx.keys, team_id, actor, target, None)


def set_feed(session: Session, keys: KeyBox, team_id: str, actor: str, target: str, url: str | None) -> int:
    """Store encrypted (or with None remove) the person's feed on all their memberships; returns how many."""
    rows = _memberships_of(session, team_id, actor, target)
    token = keys.encrypt(url) if url else None
    for m in rows:
        m.ics_url_encrypted, m.ics_status, m.ics_checked_at = token, None, None
    if url is None:
        for t in _calendar_rows(session, team_id, target, None):
            session.delete(t)
    action = "calendar.set" if url else "calendar.off"
    audit.record(session, team_id, actor, action,
                 detail=f"of <@{target}>: {url_hint(url)}")
    session.flush()
    return len(rows)


@dataclass(frozen=True)
class FeedInfo:
    url: str
    status: str | None  # of the last read (None: not read yet)
    checked_at: datetime | None


def feed_of(session: Session, keys: KeyBox, team_id: str, slack_user_id: str) -> FeedInfo | None:
    m = next((m for m in memberships(session, team_id, slack_user_id) if m.ics_url_encrypted), None)
    return None if m is None else FeedInfo(keys.decrypt(m.ics_url_encrypted), m.ics_status, m.ics_checked_at)


def feed_overview(ctx: Context, team_id: str, slack_user_id: str, now: datetime) -> tuple[FeedInfo | None, int]:
    """The person's feed (None: none) and how many upcoming time off entries it blocks."""
    with session_scope(ctx.engine) as session:
        return (feed_of(session, ctx.keys, team_id, slack_user_id),
                upcoming_calendar_time_off(session, team_id, slack_user_id, now))


def _record(session: Session, team_id: str, slack_user_id: str, result: FeedRefresh, now: datetime) -> None:
    for m in memberships(session, team_id, slack_user_id):
        if m.ics_url_encrypted:
            m.ics_status, m.ics_checked_at = result.status[:250], now


def _calendar_rows(session: Session, team_id: str, slack_user_id: str, now: datetime | None) -> list[TimeOff]:
    q = select(TimeOff).where(TimeOff.team_id == team_id, TimeOff.slack_user_id == slack_user_id,
                              TimeOff.source == "calendar", TimeOff.cancelled_at.is_(None))
    if now is not None:
        q = q.where(TimeOff.end > now)
    return list(session.exec(q))


def upcoming_calendar_time_off(session: Session, team_id: str, slack_user_id: str, now: datetime) -> int:
    return len(_calendar_rows(session, team_id, slack_user_id, now))


def _horizon_days(session: Session, rows: list[Member]) -> int:
    days = [s.horizon_days for m in rows if (s := session.get(Schedule, m.schedule_id)) is not None]
    return max(days or [30])


def _fetch(ctx: Context, url: str) -> str:
    """The feed's text, within the fetch limits; raises a FeedError subclass."""
    _protect(url)
    return fetch_ics(url, allow_private=ctx.settings.calendar_allow_private_hosts)


def refresh_feed(ctx: Context, team_id: str, slack_user_id: str, url: str, time_zone: str, now: datetime,
                 *, actor: str = "calendar") -> FeedRefresh:
    """Fetch one feed, replace the person's calendar time off in [now, horizon), replace shifts."""
    try:
        text = _fetch(ctx, url)
    except FeedError as exc:
        return _failed(ctx, team_id, slack_user_id, str(exc), now)
    return _apply(ctx, team_id, slack_user_id, text, time_zone, now, actor)


def _failed(ctx: Context, team_id: str, slack_user_id: str, error: str, now: datetime) -> FeedRefresh:
    result = FeedRefresh(slack_user_id, error=error)
    with session_scope(ctx.engine) as session:
        _record(session, team_id, slack_user_id, result, now)
    return result


def add_feed(ctx: Context, team_id: str, actor: str, target: str, url: str, time_zone: str,
             now: datetime) -> tuple[int, FeedRefresh]:
    """The first read of a new feed (off the listener threads): (memberships saved on, result).

    A refused address is not saved (0); a feed that cannot be read yet is saved, and retried
    by the periodic refresh.
    """
    try:
        text, error = _fetch(ctx, url), None
    except FeedAddressRefused as exc:
        return 0, FeedRefresh(target, error=str(exc))
    except FeedError as exc:
        text, error = None, str(exc)
    with session_scope(ctx.engine) as session:
        count = set_feed(session, ctx.keys, team_id, actor, target, url)
    if text is None:
        return count, _failed(ctx, team_id, target, error, now)
    return count, _apply(ctx, team_id, target, text, time_zone, now, actor)


def _apply(ctx: Context, team_id: str, slack_user_id: str, text: str, time_zone: str, now: datetime,
           actor: str) -> FeedRefresh:
    with session_scope(ctx.engine) as session:
        rows = memberships(session, team_id, slack_user_id, now)
        window = Window(now, now + timedelta(days=_horizon_days(session, rows)))
        try:
            feed = read_feed(text, slack_user_id, window, time_zone)
        except Exception as exc:  # whatever a broken or hostile feed makes the parser raise
            log.info("calendar feed of %s is not valid ICS: %s", slack_user_id, type(exc).__name__)
            result = FeedRefresh(slack_user_id, error="the address does not return a valid ICS calendar")
            _record(session, team_id, slack_user_id, result, now)
            return result
        blocks = feed.time_off
        old = _calendar_rows(session, team_id, slack_user_id, now)
        if {(max(t.start, now), t.end) for t in old} == {(b.start, b.end) for b in blocks}:
            result = FeedRefresh(slack_user_id, len(blocks), limited=feed.limited)
            _record(session, team_id, slack_user_id, result, now)
            return result
        for t in old:
            session.delete(t)
        for b in blocks:
            session.add(TimeOff(team_id=team_id, slack_user_id=slack_user_id, start=b.start, end=b.end,
                                reason=b.reason[:200], source="calendar", created_by=actor))
        session.flush()
        outcome = replace_for_user(ctx, session, team_id, slack_user_id, actor, now)
        result = FeedRefresh(slack_user_id, len(blocks), True, outcome, limited=feed.limited)
        _record(session, team_id, slack_user_id, result, now)
    return result


def _feeds(ctx: Context) -> list[tuple[str, str, str, str]]:
    """(team, user, url, schedule zone) per person with a feed; a feed whose address cannot be
    decrypted (the secret key changed) is logged and left out."""
    with session_scope(ctx.engine) as session:
        rows = session.exec(select(Member, Schedule).join(Schedule, Schedule.id == Member.schedule_id).where(
            Member.ics_url_encrypted.is_not(None), Member.slack_user_id.is_not(None),
            Member.left_at.is_(None))).all()
    out: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for m, s in sorted(rows, key=lambda r: r[0].id):
        if (m.team_id, m.slack_user_id) in out:
            continue
        try:
            url = ctx.keys.decrypt(m.ics_url_encrypted)
        except SecretKeyError:
            log.warning("the calendar feed of %s cannot be decrypted with the current secret key", m.slack_user_id)
            continue
        out[(m.team_id, m.slack_user_id)] = (m.team_id, m.slack_user_id, url, s.time_zone)
    return list(out.values())


Tell = Callable[[WebClient, ReplacementOutcome], None]  # tells Slack what a feed's time off moved


def refresh_calendar_feeds(ctx: Context, now: datetime | None = None, client: WebClient | None = None, *,
                           client_for: Callable[[str], WebClient | None] | None = None,
                           on_change: Callable[[ReplacementOutcome], None] | None = None,
                           tell: Tell | None = None) -> int:
    """Fetch every feed once; returns how many shifts were handed to someone else.

    With a Slack client (`client`, or `client_for(team_id)` with several workspaces), zones come
    from Slack (else the schedule's zone) and `tell(client, outcome)` tells the people of moved
    and uncovered shifts (`bot.notify.timeoff.calendar_notices`). A failing feed is logged and keeps its previous time
    off. Moved shifts have a new version: the next sync round re-exports them.
    """
    now = now or ctx.clock()
    moved = 0
    for team_id, user_id, url, zone in _feeds(ctx):
        client = client_for(team_id) if client_for is not None else client
        if client is not None:
            zone = user_zone(Directory(client), user_id, zone)
        if not calendar_jobs.claim(team_id, user_id):  # `/oncall calendar` is reading it right now
            continue
        try:
            result = refresh_feed(ctx, team_id, user_id, url, zone, now)
        except Exception:
            log.exception("calendar feed of %s failed", user_id)
            continue
        finally:
            calendar_jobs.release(team_id, user_id)
        if result.error:
            log.info("calendar feed of %s: %s", user_id, result.error)
            continue
        moved += len(result.outcome.moved)
        if client is not None and tell is not None and (result.outcome.moved or result.outcome.uncovered):
            tell(client, result.outcome)
        if on_change is not None and result.outcome.moved:
            on_change(result.outcome)
    return moved


CALENDAR_JOB_ID = "oncall-calendar-feeds"
CALENDAR_INTERVAL_MINUTES = 30


def refresh_on_one_replica(ctx: Context, client_for: Callable[[str], WebClient | None],
                           tell: Tell | None = None) -> int | None:
    """The periodic refresh, skipped when another replica is already running it (None then):
    two replicas rewriting the same person's calendar time off at once could duplicate it."""
    with try_lock(ctx.engine, CALENDAR_FEEDS_KEY) as mine:
        return refresh_calendar_feeds(ctx, client_for=client_for, tell=tell) if mine else None


def add_calendar_job(scheduler, ctx: Context, client_for: Callable[[str], WebClient | None],
                     tell: Tell | None = None) -> None:
    """Register the periodic feed refresh on an APScheduler scheduler (see `bot.jobs`)."""
    scheduler.add_job(
        lambda: refresh_on_one_replica(ctx, client_for, tell),
        "interval", minutes=CALENDAR_INTERVAL_MINUTES, id=CALENDAR_JOB_ID, max_instances=1, coalesce=True,
        misfire_grace_time=300, replace_existing=True,
    )
