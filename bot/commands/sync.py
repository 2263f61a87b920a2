"""`/oncall sync [schedule]`: export now and reply with a summary per destination.

Exporting writes to the provider and spends its account's request budget, so it is for the
schedule's managers and workspace/bot admins; the dry run (`/oncall plan`) is for everyone."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.commands import parser, registry
from bot.commands.request import Request
from bot.notify.sync import sync_and_notify
from bot.services import authz, workspace
from bot.services.authz import Action
from bot.services.errors import UserError
from bot.store import Schedule, audit, session_scope
from bot.sync.report import SyncReport
from bot.views.common import message
from bot.views.sync import sync_message, syncing_message

USAGE = "sync [schedule]"
ACTION = Action.SYNC


@dataclass(frozen=True)
class SyncCmd:
    schedule: str | None = None


def parse_sync(args: tuple[parser.Arg, ...]) -> SyncCmd:
    return SyncCmd(parser.name_arg(args, USAGE, what="schedule", required=False))


def target_schedules(req: Request, name: str | None) -> list[tuple[int, str]]:
    """The named schedule; else this channel's schedules; else every schedule of the workspace."""
    with session_scope(req.ctx.engine) as session:
        if name:
            found = [workspace.find_schedule(session, req.team_id, name)]
        else:
            every = workspace.schedules(session, req.team_id)
            found = [s for s in every if req.channel_id and s.channel_id == req.channel_id] or every
        if not found:
            raise UserError("No schedule is linked yet. Link one with `/oncall link`.")
        return [(s.id, s.name) for s in found]


def allowed(req: Request, targets: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], Schedule | None]:
    """The targets this person may export (all for admins, else those they manage), and the first
    refused schedule (for the refusal when none is left)."""
    with session_scope(req.ctx.engine) as session:
        rows = [(t, session.get(Schedule, t[0])) for t in targets]
        ok = {t for t, s in rows if s is not None and req.may(ACTION, s)}
        refused = next((s for t, s in rows if s is not None and t not in ok), None)
    return [t for t in targets if t in ok], refused


def manual_sync_detail(report: SyncReport) -> str:
    """What a manual sync did, for the audit trail."""
    if report.skipped:
        return f"skipped ({report.skipped})"
    parts = [f"{d.label}: {d.created} created, {d.deleted} deleted" + (f", {d.error}" if d.error else "")
             for d in report.destinations]
    return "; ".join(parts)[:500] or "no destinations"


def run(req: Request, cmd: SyncCmd) -> None:
    # the router runs this on the work pool after ack(): it never holds a listener thread
    targets, refused = allowed(req, target_schedules(req, cmd.schedule))
    if not targets:
        req.reply(message(authz.refusal(req.person, ACTION, refused)))
        return
    req.reply(syncing_message([n for _, n in targets]))
    reports = [sync_and_notify(req.ctx, sid, client=req.client, wait=5.0) for sid, _ in targets]
    for report in reports:
        audit.record_now(req.ctx.engine, req.team_id, req.user_id, "sync.manual", schedule_id=report.schedule_id,
                         detail=manual_sync_detail(report), at=req.ctx.clock())
    req.reply(sync_message(reports))


def register(app: App) -> None:
    registry.add(registry.Subcommand(
        "sync", USAGE, "Export now: creates/deletes per destination and how far shifts are exported (managers)",
        parse_sync, run, slow=True,
    ))
