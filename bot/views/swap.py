"""Block Kit for swaps and covers (pure): preview, refusal, consent request, outcomes, pickers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import SwapBlockId, SwapButtonId, SwapCallbackId
from bot.services.swaps import Choice, Ready, Refused, SwapInfo
from bot.services.swaps.select import COVER, Proposal, ShiftRef, local, span, zone_name
from bot.views.common import (
    BUTTON_VALUE_MAX,
    Block,
    actions,
    button,
    cap_options,
    context,
    joined,
    message,
    modal,
    option,
    plain,
    section,
)

OPTION_TEXT = 75


def _bullets(shifts: Sequence[ShiftRef], tz: str) -> str:
    return joined([f"• {span(s, tz)}" for s in shifts], limit=1200) or "• (none)"


def moves_text(p: Proposal) -> str:
    """Exactly which shifts move, in the schedule's time zone."""
    a, b = f"<@{p.a.slack_user_id}>", f"<@{p.b.slack_user_id}>"
    if p.kind == COVER:
        return f"*{b} takes over from {a}:*\n{_bullets(p.give_a, p.time_zone)}"
    return (f"*{a} → {b}:*\n{_bullets(p.give_a, p.time_zone)}\n"
            f"*{b} → {a}:*\n{_bullets(p.give_b, p.time_zone)}")


def _zone(p: Proposal) -> str:
    return f"Times in {p.time_zone} ({zone_name(p.time_zone, p.first_start)})."


def _what(p: Proposal) -> str:
    return "Cover" if p.kind == COVER else "Swap"


def _warnings(lines: Sequence[str]) -> list[Block]:
    """Warnings in one section (cut at Slack's 3,000 characters), so many of them never push the
    buttons below out of a message's 50 blocks."""
    text = "\n".join(f":warning: {line}" for line in lines if line)
    return [section(text)] if text else []


def _proposal_actions(text: str, action_id: str, p: Proposal, style: str) -> list[Block]:
    """The button that carries the proposal (its token) with Cancel; when the token is longer than a
    button value may be, a note instead of a button that could not be read back."""
    cancel = button("Cancel", SwapButtonId.CANCEL, "cancel")
    token = p.token()
    if len(token) > BUTTON_VALUE_MAX:
        n = len(p.give_a) + len(p.give_b)
        return [context(f":scissors: {n} shifts are too many for one request: pick a shorter range or fewer shifts."),
                actions(cancel, block_id=SwapBlockId.ACTIONS)]
    return [actions(button(text, action_id, token, style=style), cancel, block_id=SwapBlockId.ACTIONS)]


def preview_message(ready: Ready) -> dict:
    """The requester's ephemeral check before anything changes: Confirm / Cancel."""
    p = ready.proposal
    if ready.direct:
        how = "You manage this schedule: confirming makes the change at once and re-exports it."
    else:
        who = " and ".join(f"<@{u}>" for u in ready.consent_from)
        how = (f"{who} will be asked to accept. The request expires when the first shift starts "
               f"({local(p.first_start, p.time_zone)}).")
    blocks = [section(f"*{_what(p)} in {p.schedule_name}* — check before anything changes:"),
              section(moves_text(p)), context(_zone(p))]
    blocks += _warnings(ready.warnings)
    blocks += [section(how), *_proposal_actions("Confirm" if ready.direct else "Send request", SwapButtonId.CONFIRM,
                                                p, "primary")]
    return message(f"{_what(p)} in {p.schedule_name}: confirm which shifts move", blocks)


def refused_message(refused: Refused) -> dict:
    verb = "cover" if refused.proposal and refused.proposal.kind == COVER else "swap"
    reasons = "\n".join(f"• {r}" for r in refused.reasons)
    blocks = [section(f":no_entry: Cannot {verb}:\n{reasons}")]
    if refused.proposal is not None:
        blocks.append(section(moves_text(refused.proposal)))
    if refused.forceable and refused.proposal is not None:
        forced = Proposal(**{**refused.proposal.__dict__, "forced": True})
        blocks.append(context("As a manager you can make it happen anyway; the messages will say it was forced."))
        blocks += _proposal_actions("Swap anyway" if verb == "swap" else "Cover anyway", SwapButtonId.FORCE, forced,
                                    "danger")
    return message(f"Cannot {verb}: " + " ".join(refused.reasons), blocks)


def consent_message(info: SwapInfo) -> dict:
    """The DM asking for consent, with Accept / Decline."""
    p = info.as_proposal()
    ask = ("take over" if info.kind == COVER else "swap") + " shifts"
    blocks = [section(f"<@{info.requested_by}> asks you to {ask} in *{info.schedule_name}* (request #{info.id}):"),
              section(moves_text(p)), context(_zone(p))]
    blocks += _warnings(info.note.splitlines())
    blocks += [context(f"Answer before the first shift starts ({local(info.expires_at, info.time_zone)}); "
                       "after that the request expires."),
               actions(button("Accept", SwapButtonId.ACCEPT, str(info.id), style="primary"),
                       button("Decline", SwapButtonId.DECLINE, str(info.id)), block_id=SwapBlockId.ACTIONS)]
    return message(f"<@{info.requested_by}> asks you to {ask} in {info.schedule_name}", blocks)


def request_sent_message(info: SwapInfo) -> dict:
    who = " and ".join(f"<@{u}>" for u in info.consent_from)
    p = info.as_proposal()
    blocks = [section(f":envelope: Asked {who} (request #{info.id}). You will hear back here or by direct message; "
                      f"it expires when the first shift starts ({local(info.expires_at, info.time_zone)})."),
              section(moves_text(p)),
              actions(button("Withdraw request", SwapButtonId.WITHDRAW, str(info.id)), block_id=SwapBlockId.ACTIONS)]
    return message(f"Asked {who} to accept swap request #{info.id}", blocks)


def channel_message(info: SwapInfo, status: str) -> dict:
    """The schedule channel's message about a request; `status` is its current state in words."""
    p = info.as_proposal()
    verb = "a cover" if info.kind == COVER else "a swap"
    blocks = [section(f":arrows_counterclockwise: <@{info.requested_by}> requested {verb} in *{info.schedule_name}* "
                      f"(#{info.id}):"), section(moves_text(p)), context(_zone(p) + f" · {status}")]
    return message(f"Swap request #{info.id} in {info.schedule_name}: {status}", blocks)


def decided_message(info: SwapInfo, text: str) -> dict:
    """A consent DM once answered (no buttons any more)."""
    blocks = [section(text), section(moves_text(info.as_proposal()))]
    return message(text, blocks)


def executed_message(info: SwapInfo, export_lines: Sequence[str], *, undo: bool = True, title: str = "") -> dict:
    """Done: what moved, how each destination took it, and an Undo button."""
    verb = "Cover" if info.kind == COVER else "Swap"
    title = title or f":white_check_mark: {verb} #{info.id} in *{info.schedule_name}* is done."
    blocks = [section(title), section(moves_text(info.as_proposal()))]
    blocks += _warnings(info.note.splitlines())
    if export_lines:
        blocks.append(section("\n".join(export_lines)))
    if undo:
        blocks.append(actions(button("Undo", SwapButtonId.UNDO, str(info.id)), block_id=SwapBlockId.ACTIONS))
        blocks.append(context(f"Undo works until the first shift starts ({local(info.first_start, info.time_zone)})."))
    plain_lines = " ".join(line.replace("*", "") for line in export_lines)
    return message(f"{verb} #{info.id} in {info.schedule_name} is done. {plain_lines}".strip(), blocks)


def undone_message(info: SwapInfo, export_lines: Sequence[str]) -> dict:
    verb = "Cover" if info.kind == COVER else "Swap"
    return executed_message(info, export_lines, undo=False,
                            title=f":leftwards_arrow_with_hook: {verb} #{info.id} in *{info.schedule_name}* was undone"
                                  f" by <@{info.undone_by}>: every shift is back with its owner.")


def moved_dm(info: SwapInfo, user: str, *, undone: bool = False) -> dict:
    """"Your shift moved": the shifts this person lost and got, old and new times."""
    tz = info.time_zone
    if info.a.slack_user_id == user:
        lost, got = info.give_a, info.give_b
    else:
        lost, got = info.give_b, info.give_a
    if undone:
        lost, got = got, lost
    why = f"swap #{info.id} was undone" if undone else f"{'cover' if info.kind == COVER else 'swap'} #{info.id}"
    lines = [f":calendar: Your on-call shifts in *{info.schedule_name}* moved ({why}):"]
    if lost:
        lines.append("*No longer yours:*\n" + _bullets(lost, tz))
    if got:
        lines.append("*Now yours:*\n" + _bullets(got, tz))
    blocks = [section(t) for t in lines] + [context(_zone(info.as_proposal()))]
    return message(f"Your shifts in {info.schedule_name} moved", blocks)


# ---------------------------------------------------------------- modals


def schedule_picker(choice: Choice, private_metadata: str) -> dict:
    """Step 1 when the two people share several schedules."""
    options = [option(name, str(sid)) for sid, name in choice.schedules[:100]]
    blocks = [section(choice.reason), {
        "type": "input", "block_id": SwapBlockId.SCHEDULE, "label": plain("Schedule"),
        "element": {"type": "static_select", "action_id": SwapBlockId.INPUT, "options": options,
                    "initial_option": options[0]},
    }]
    return modal(SwapCallbackId.PICK_SCHEDULE, "Swap: pick a schedule", blocks, submit="Next",
                 close="Cancel", private_metadata=private_metadata)


def _shift_input(block_id: str, label: str, options: Sequence[ShiftRef], selected: Sequence[int], tz: str) -> dict:
    opts = cap_options([option(span(s, tz), str(s.id)) for s in options], [str(i) for i in selected])
    element: dict = {"type": "multi_static_select", "action_id": SwapBlockId.INPUT, "options": opts,
                     "placeholder": plain("Pick shifts")}
    initial = [o for o in opts if int(o["value"]) in set(selected)]
    if initial:
        element["initial_options"] = initial
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element}


def shift_picker(choice: Choice, private_metadata: str) -> dict:
    """Step 2: the candidate shifts of each person, the likely ones preselected."""
    tz = choice.time_zone
    a, b = choice.a, choice.b
    cover = choice.query.kind == COVER
    blocks = [section(f"*{choice.schedule_name}* — {choice.reason}"),
              context(f"Times in {tz}. Nothing changes until you confirm the next message.")]
    a_name = (a.name or a.slack_user_id) if a else "A"
    b_name = (b.name or b.slack_user_id) if b else "B"
    label_a = f"Shifts of {a_name} that {b_name} takes" if cover else f"Shifts of {a_name} (go to {b_name})"
    blocks.append(_shift_input(SwapBlockId.SHIFTS_A, label_a, choice.options_a, choice.selected_a, tz))
    if not cover:
        blocks.append(_shift_input(SwapBlockId.SHIFTS_B, f"Shifts of {b_name} (go to {a_name})",
                                   choice.options_b, choice.selected_b, tz))
    return modal(SwapCallbackId.PICK_SHIFTS, "Cover: pick shifts" if cover else "Swap: pick shifts", blocks,
                 submit="Preview", close="Cancel", private_metadata=private_metadata)
