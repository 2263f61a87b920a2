"""The unlink confirmation modal."""

from __future__ import annotations

from bot.ids import CallbackId
from bot.views.common import modal, section


def unlink_modal(name: str, private_metadata: str) -> dict:
    text = (f"Unlink *{name}*? The bot forgets its members, shifts, history and destinations, and stops "
            "exporting. Overrides already created in the provider stay there. This cannot be undone.")
    return modal(CallbackId.UNLINK, "Unlink schedule", [section(text)], submit="Unlink", close="Cancel",
                 private_metadata=private_metadata)
