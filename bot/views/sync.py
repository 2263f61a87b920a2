"""`/oncall sync` summaries and `/oncall plan` dry runs (pure Block Kit builders)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.sync.report import DestinationReport, SyncReport
from bot.views.common import Block, context, divider, message, section, when
from bot.views.drift import local_span
from bot.views.status import STATUS_ICONS

PLAN_LINES_MAX = 25
VERBS = {"create": ":heavy_plus_sign: create", "delete": ":heavy_minus_sign: delete", "adopt": ":link: adopt"}


def _dest_text(d: DestinationReport, dry_run: bool) -> str:
    icon = STATUS_ICONS.get(d.status, ":white_circle:")
    if dry_run:
        counts = f"would create {d.created}, delete {d.deleted}, adopt {d.adopted}; {d.unchanged} unchanged"
        until = when(d.exported_until, empty="nothing")
        text = f"{icon} *{d.label}*\n{counts} · exported until afterwards: *{until}*"
    else:
        counts = f"created {d.created}, deleted {d.deleted}, adopted {d.adopted}, unchanged {d.unchanged}"
        until = when(d.exported_until, empty="nothing exported yet")
        text = f"{icon} *{d.label}* — {d.status.replace('_', '-')}\n{counts} · latest exported: *{until}*"
        if d.drifting:
            text += f"\n:warning: {d.drifting} shift{'s' if d.drifting != 1 else ''} drift (see the channel alert)"
    if d.error:
        text += f"\n{d.error}"
    return text


def _report_blocks(r: SyncReport) -> list[Block]:
    head = f"*{r.schedule_name}*"
    if r.skipped:
        return [section(f"{head}: skipped, {r.skipped}.")]
    blocks: list[Block] = [section(head)]
    if not r.destinations:
        blocks.append(section("No destinations: shifts are not exported anywhere."))
    for d in r.destinations:
        blocks.append(section(_dest_text(d, r.dry_run)))
        if r.dry_run and d.lines:
            blocks.append(section(_plan_lines(d, r.time_zone)))
    notes = []
    if r.assigned:
        notes.append(f"{r.assigned} shift{'s' if r.assigned != 1 else ''} assigned or reassigned first.")
    if r.assign_error:
        notes.append(r.assign_error)
    if notes:
        blocks.append(context(*notes))
    return blocks


def _plan_lines(d: DestinationReport, tz: str) -> str:
    rows = [f"{VERBS.get(ln.action, ln.action)} {d.names.get(ln.user_id, ln.user_id)}: "
            f"{local_span(ln.start, ln.end, tz)} ({ln.reason})" for ln in d.lines[:PLAN_LINES_MAX]]
    if len(d.lines) > PLAN_LINES_MAX:
        rows.append(f"…and {len(d.lines) - PLAN_LINES_MAX} more.")
    return "\n".join(rows)


def sync_message(reports: Sequence[SyncReport]) -> dict:
    if not reports:
        return message("No schedule is linked yet. Link one with `/oncall link`.")
    blocks: list[Block] = []
    for i, r in enumerate(reports):
        if i:
            blocks.append(divider())
        blocks.extend(_report_blocks(r))
    dry = reports[0].dry_run
    if dry:
        blocks.append(context("Dry run: nothing was written. `/oncall sync` exports for real."))
    title = "Export plan" if dry else "Sync done"
    return message(f"{title}: {', '.join(r.schedule_name for r in reports)}", blocks)


def syncing_message(names: Sequence[str], dry_run: bool = False) -> dict:
    what = "Planning" if dry_run else "Syncing"
    return message(f":hourglass_flowing_sand: {what} {', '.join(names)}…")
