"""`/oncall remind` answers, the App Home reminder control, and the modal behind a reminder's
*Swap…* / *Find cover…* buttons (pure Block Kit builders)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import RemindId
from bot.services.reminder_times import DAY_BEFORE, HOUR_BEFORE, offsets_text
from bot.services.swaps.select import COVER
from bot.views.common import Block, context, message, modal, option, plain, section

HOW_TO_CHANGE = "Change them with `/oncall remind 1d`, `1h`, `1d 1h` or `off`, or in the Home tab."
CHOICES = ((f"{DAY_BEFORE},{HOUR_BEFORE}", "Evening before and 1 h before"), (DAY_BEFORE, "Evening before (18:00)"),
           (HOUR_BEFORE, "1 h before"), ("off", "Off"))


def settings_message(offsets: Sequence[str], changed: bool = False) -> dict:
    """What is set now."""
    head = "Saved. " if changed else ""
    line = (f"{head}Your shift reminders: {offsets_text(offsets)}, by DM, on your Slack time zone's clock."
            if offsets else f"{head}Your shift reminders are off.")
    return message(line, [section(f":alarm_clock: {line}"), context(HOW_TO_CHANGE)])


def choice_value(offsets: Sequence[str]) -> str:
    return ",".join(offsets) or "off"


def home_block(offsets: Sequence[str]) -> Block:
    """App Home: the reminders line with a select to change them."""
    options = [option(label, value) for value, label in CHOICES]
    current = next((o for o in options if o["value"] == choice_value(offsets)), options[0])
    return section(f"*Shift reminders* (by DM): {offsets_text(offsets)}",
                   {"type": "static_select", "action_id": RemindId.HOME, "options": options,
                    "initial_option": current})


def pick_modal(kind: str, schedule_name: str, private_metadata: str) -> dict:
    """Who swaps with me / covers my shift; the preview follows as a message."""
    cover = kind == COVER
    label = "Who covers it?" if cover else "Swap with"
    hint = ("They get a request to accept; nothing changes until they do." if cover else
            "Next you pick which of their upcoming shifts you take; nothing changes until they accept.")
    blocks = [section(f"*{schedule_name}*"),
              {"type": "input", "block_id": RemindId.PERSON, "label": plain(label), "hint": plain(hint, 150),
               "element": {"type": "users_select", "action_id": RemindId.INPUT, "placeholder": plain("Person")}}]
    return modal(RemindId.PICK, "Find cover" if cover else "Swap shift", blocks, submit="Preview" if cover else "Next",
                 close="Cancel", private_metadata=private_metadata)
