"""What happens around a swap besides the database: asking for consent, the immediate
re-export through the sync engine, and telling everyone (DMs, the schedule channel, App Home).

Called by the Slack handlers after `ack()` (so provider calls never delay the 3 s ack) and by
the periodic job (`expire_swap_requests`). Slack failures are logged and never undo a swap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.context import Context
from bot.notify.home import publish_home
from bot.notify.sync import sync_and_notify
from bot.notify.usergroup import refresh_quietly
from bot.providers import ProviderKind
from bot.services.swaps import SwapInfo
from bot.services.swaps.answer import expire_due
from bot.services.swaps.select import COVER
from bot.services.swaps.store import record_messages
from bot.store import session_scope
from bot.store.models import Connection, Destination
from bot.views import swap as views

log = logging.getLogger(__name__)
EXPORT_WAIT_SECONDS = 20.0  # how long a re-export waits for a running sync of the same schedule
EXPIRY_SWEEP_MINUTES = 5


# ---------------------------------------------------------------- re-export


def reexport(ctx: Context, client: WebClient | None, info: SwapInfo) -> list[str]:
    """Export the moved shifts now (only their overrides change); one line per destination."""
    refresh_quietly(ctx, client, info.schedule_id)  # the holder may have changed: first, it is quick
    try:
        report = sync_and_notify(ctx, info.schedule_id, client=client, only_shift_ids=info.shift_ids,
                                 wait=EXPORT_WAIT_SECONDS)
    except Exception:
        log.exception("re-export after swap %s failed", info.id)
        return [":warning: The export failed unexpectedly: the bot retries at its next sync."]
    if report.skipped:
        return [f":hourglass: Not exported yet ({report.skipped}): the next sync exports the change."]
    labels = destination_labels(ctx, [d.destination_id for d in report.destinations])
    lines = []
    for d in report.destinations:
        label = labels.get(d.destination_id, d.label)
        touched = d.created + d.adopted
        if d.error and not (touched or d.deleted):
            lines.append(f":warning: {label}: not updated — {d.error}. The bot retries at its next sync.")
        elif touched or d.deleted:
            n = max(touched, d.deleted)
            line = f":white_check_mark: {label}: updated {n} override{'s' if n != 1 else ''}"
            if d.error:
                line += f" (but: {d.error} — the rest is retried at the next sync)"
            lines.append(line)
    if not report.destinations:
        return ["This schedule exports to no provider schedule yet."]
    return lines or ["No provider override needed a change."]


def destination_labels(ctx: Context, destination_ids: Iterable[int]) -> dict[int, str]:
    """`PagerDuty · Platform primary` per destination id."""
    ids = list(destination_ids)
    if not ids:
        return {}
    out = {}
    with session_scope(ctx.engine) as session:
        for dest in session.exec(select(Destination).where(Destination.id.in_(ids))):
            conn = session.get(Connection, dest.connection_id)
            try:
                kind = ProviderKind(conn.provider).label if conn else "?"
            except ValueError:
                kind = conn.provider
            out[dest.id] = f"{kind} · {dest.provider_schedule_name or dest.provider_schedule_id}"
    return out


# ---------------------------------------------------------------- Slack helpers


def _post(client: WebClient, channel: str, payload: dict, thread_ts: str | None = None) -> tuple[str, str] | None:
    try:
        resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, **payload)
        return resp.get("channel") or channel, resp.get("ts") or ""
    except SlackApiError as exc:
        log.warning("could not post to %s: %s", channel, exc.response.get("error"))
        return None


def _update(client: WebClient, channel: str, ts: str, payload: dict) -> None:
    try:
        client.chat_update(channel=channel, ts=ts, **payload)
    except SlackApiError as exc:
        log.warning("could not update message %s in %s: %s", ts, channel, exc.response.get("error"))


def update_dms(client: WebClient, info: SwapInfo, payload: dict) -> None:
    for channel, ts in info.dm_refs.values():
        _update(client, channel, ts, payload)


def _channel(client: WebClient, info: SwapInfo, status: str, reply: dict | None = None) -> None:
    """Update the channel message's status line and add `reply` to its thread."""
    if not (info.message_channel and info.message_ts):
        return
    _update(client, info.message_channel, info.message_ts, views.channel_message(info, status))
    if reply is not None:
        _post(client, info.message_channel, reply, thread_ts=info.message_ts)


def _homes(ctx: Context, client: WebClient, info: SwapInfo) -> None:
    for user in info.parties:
        try:
            publish_home(ctx, client, info.team_id, user)
        except SlackApiError as exc:
            log.warning("could not publish App Home for %s: %s", user, exc.response.get("error"))


# ---------------------------------------------------------------- flows


def ask_consent(ctx: Context, client: WebClient, info: SwapInfo) -> None:
    """DM everyone whose consent is needed (Accept / Decline) and announce it in the channel."""
    refs = {}
    for user in info.consent_from:
        posted = _post(client, user, views.consent_message(info))
        if posted:
            refs[user] = list(posted)
    channel = None
    if info.channel_id:
        waiting = "waiting for " + " and ".join(f"<@{u}>" for u in info.waiting_for)
        channel = _post(client, info.channel_id, views.channel_message(info, waiting))
    record_messages(ctx.engine, info.id, dm_refs=refs, channel=channel[0] if channel else None,
                    ts=channel[1] if channel else None)


def after_execute(ctx: Context, client: WebClient, info: SwapInfo, actor: str) -> list[str]:
    """Re-export the moved shifts, then tell everyone. Returns the per-destination lines."""
    lines = reexport(ctx, client, info)
    done = views.executed_message(info, lines)
    update_dms(client, info, done)
    if info.requested_by != actor:
        _post(client, info.requested_by, done)
    _channel(client, info, "done", views.executed_message(info, lines, undo=False))
    for user in info.parties:
        _post(client, user, views.moved_dm(info, user))
    _homes(ctx, client, info)
    return lines


def after_undo(ctx: Context, client: WebClient, info: SwapInfo, actor: str) -> list[str]:
    lines = reexport(ctx, client, info)
    undone = views.undone_message(info, lines)
    update_dms(client, info, undone)
    if info.requested_by != actor:
        _post(client, info.requested_by, undone)
    _channel(client, info, f"undone by <@{actor}>", undone)
    for user in info.parties:
        _post(client, user, views.moved_dm(info, user, undone=True))
    _homes(ctx, client, info)
    return lines


def after_decline(ctx: Context, client: WebClient, info: SwapInfo) -> None:
    text = f":x: <@{info.decided_by}> declined swap request #{info.id} in *{info.schedule_name}*. Nothing changed."
    update_dms(client, info, views.decided_message(info, text))
    _post(client, info.requested_by, views.decided_message(info, text))
    _channel(client, info, f"declined by <@{info.decided_by}>", {"text": text})


def after_withdraw(ctx: Context, client: WebClient, info: SwapInfo) -> None:
    text = f":heavy_minus_sign: <@{info.requested_by}> withdrew swap request #{info.id}. Nothing changed."
    update_dms(client, info, views.decided_message(info, text))
    _channel(client, info, "withdrawn", {"text": text})


def after_lapse(ctx: Context, client: WebClient, info: SwapInfo, why: str) -> None:
    """An expired (or no longer possible) request: say so to the requester, in the DMs and channel."""
    text = f":hourglass: Swap request #{info.id} in *{info.schedule_name}* {why}. Nothing changed."
    update_dms(client, info, views.decided_message(info, text))
    _post(client, info.requested_by, views.decided_message(info, text))
    _channel(client, info, "expired" if "expired" in why else "withdrawn", {"text": text})


def after_refused(ctx: Context, client: WebClient, info: SwapInfo, reasons: Iterable[str], actor: str) -> dict:
    """Accepting found that the request cannot go ahead any more (e.g. time off entered since it was
    sent): tell the requester, the other DMs and the channel why. Returns the answer for `actor`."""
    why = "\n".join(f"• {r}" for r in reasons)
    verb = "cover" if info.kind == COVER else "swap"
    text = (f":no_entry: <@{actor}> accepted, but {verb} request #{info.id} in *{info.schedule_name}* cannot go "
            f"ahead any more:\n{why}\nNothing changed.")
    payload = views.decided_message(info, text)
    for user, (channel, ts) in info.dm_refs.items():
        if user != actor:
            _update(client, channel, ts, payload)
    if info.requested_by != actor:
        _post(client, info.requested_by, views.decided_message(
            info, text + " Fix what stands in the way, or send a new request with other shifts."))
    _channel(client, info, "refused at acceptance", {"text": text})
    return payload


EXPIRED = "expired: its first shift started before everyone accepted"


ClientFor = Callable[[str], WebClient | None]  # team id -> a client for that workspace


def expire_swap_requests(ctx: Context, client_for: ClientFor, now: datetime | None = None) -> int:
    """The periodic sweep: expire pending requests whose first shift has started and say so in
    each workspace (`client_for(team_id)`, one client per workspace with OAuth). Returns how many
    expired."""
    infos = expire_due(ctx.engine, now or ctx.clock())
    for info in infos:
        team_client = client_for(info.team_id)
        if team_client is not None:
            try:
                after_lapse(ctx, team_client, info, EXPIRED)
            except Exception:
                log.exception("telling people that swap request %s expired failed", info.id)
    return len(infos)


def add_expiry_job(scheduler, ctx: Context, client_for: ClientFor, minutes: int = EXPIRY_SWEEP_MINUTES) -> None:
    """Run `expire_swap_requests` every few minutes on the sync scheduler (APScheduler)."""
    scheduler.add_job(expire_swap_requests, "interval", args=(ctx, client_for), minutes=minutes,
                      id="swap-expiry", max_instances=1, coalesce=True, replace_existing=True)
