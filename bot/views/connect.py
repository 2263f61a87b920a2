"""The connect modal and the message sent once an account is connected."""

from __future__ import annotations

from bot.ids import ActionId, BlockId, CallbackId
from bot.providers import ProviderKind, Region
from bot.services.connect import Connected
from bot.views.common import context, message, modal, option, plain, section
from bot.views.schedules import schedule_rows


def connect_modal(private_metadata: str = "") -> dict:
    """Provider, display name, API key, region. The key input never gets an initial value."""
    blocks = [
        {
            "type": "input",
            "block_id": BlockId.CONNECT_PROVIDER,
            "label": plain("Provider"),
            "element": {
                "type": "radio_buttons",
                "action_id": ActionId.CONNECT_PROVIDER,
                "options": [option(k.label, k.value) for k in ProviderKind],
                "initial_option": option(ProviderKind.PAGERDUTY.label, ProviderKind.PAGERDUTY.value),
            },
        },
        {
            "type": "input",
            "block_id": BlockId.CONNECT_NAME,
            "label": plain("Display name"),
            "hint": plain("How the account is called in Slack, e.g. Acme PagerDuty.", 150),
            "element": {"type": "plain_text_input", "action_id": ActionId.CONNECT_NAME, "max_length": 60},
        },
        {
            "type": "input",
            "block_id": BlockId.CONNECT_API_KEY,
            "label": plain("API key"),
            "hint": plain(
                "PagerDuty: Integrations → API Access Keys (a read-only key can import but not export). "
                "Opsgenie: Settings → API key management. Stored encrypted; only its last 4 characters are shown.",
                2000,
            ),
            "element": {"type": "plain_text_input", "action_id": ActionId.CONNECT_API_KEY, "max_length": 200},
        },
        {
            "type": "input",
            "block_id": BlockId.CONNECT_REGION,
            "label": plain("Region"),
            "element": {
                "type": "radio_buttons",
                "action_id": ActionId.CONNECT_REGION,
                "options": [option("US (default)", Region.US.value), option("EU", Region.EU.value)],
                "initial_option": option("US (default)", Region.US.value),
            },
        },
    ]
    return modal(CallbackId.CONNECT, "Connect an account", blocks, submit="Connect",
                 close="Cancel", private_metadata=private_metadata)


def write_access_text(can_write: bool | None, provider: str) -> str:
    if can_write is True:
        return ":white_check_mark: The key can write: the bot can export shifts as overrides."
    if can_write is False:
        return (f":lock: The key is *read-only*: you can link and import schedules, but the bot cannot export "
                f"overrides to {provider}. Connect a read-write key to export.")
    return ":grey_question: Write access could not be checked: the first export will tell."


def connected_message(result: Connected, can_write: bool | None) -> dict:
    label = result.provider.label
    blocks = [
        section(f":electric_plug: Connected *{result.name}* ({label}, key {result.key_hint})."),
        context(write_access_text(can_write, label)),
    ]
    if result.schedules:
        blocks.append(section(f"*Schedules in {result.name}* — link one to let the bot manage its shifts:"))
    blocks.extend(schedule_rows(result.connection_id, result.schedules, {}, result.name))
    return message(f"Connected {result.name} ({label})", blocks)
