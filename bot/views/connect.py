"""The connect modal, the view shown while the key is checked, and the result (modal or message)."""

from __future__ import annotations

from bot.ids import ActionId, BlockId, ButtonId, CallbackId, ViewId
from bot.providers import CredentialField, ProviderKind, Region, kinds, specs
from bot.services.connect import Connected, ConnectForm
from bot.services.errors import Field, FieldError
from bot.views.common import (
    Block,
    actions,
    button,
    context,
    loading_modal,
    message,
    modal,
    option,
    plain,
    section,
)
from bot.views.schedules import schedule_rows

TITLE = "Connect an account"
REGIONS = {Region.US: "US (default)", Region.EU: "EU"}
AGAIN = "Enter the key again."


FIELD_BLOCKS = {Field.PROVIDER: BlockId.CONNECT_PROVIDER, Field.NAME: BlockId.CONNECT_NAME,
                Field.API_KEY: BlockId.CONNECT_API_KEY, Field.REGION: BlockId.CONNECT_REGION}


def credential_block(name: str) -> str:
    """The block of a provider's own credential field (its action_id is `name`)."""
    return f"connect_{name}"


def credential_fields() -> dict[str, tuple[CredentialField, tuple[str, ...]]]:
    """Every provider's own credential fields, by name, with the providers asking each (the form
    shows them all, each marked with who needs it: the provider radio cannot hide blocks)."""
    out: dict[str, tuple[CredentialField, tuple[str, ...]]] = {}
    for spec in specs():
        for f in spec.credential_fields:
            first, who = out.get(f.name, (f, ()))
            out[f.name] = (first, (*who, spec.label))
    return out


def block_of(error: FieldError) -> str:
    """The block that shows `error` in the connect modal."""
    if error.field == Field.CREDENTIAL:
        return credential_block(str(error.key[0]))
    return FIELD_BLOCKS[error.field]


def connect_modal(private_metadata: str = "", form: ConnectForm | None = None, error: FieldError | None = None) -> dict:
    """Provider, display name, API key, region. The key input never gets an initial value.

    `form` and `error`: shown again after a failed check, every value kept but the key, the
    reason under its field and "enter the key again" under the key."""
    kind = form.provider if form else kinds()[0]
    region = form.region if form else Region.US
    offered = {r for spec in specs() for r in spec.regions()}
    regions = {r: label for r, label in REGIONS.items() if r in offered}
    problems = {block_of(error): f"⚠️ {error.message}"} if error else {}
    if form:
        problems[BlockId.CONNECT_API_KEY] = " ".join(filter(None, [problems.get(BlockId.CONNECT_API_KEY), AGAIN]))
    name_element: dict = {"type": "plain_text_input", "action_id": ActionId.CONNECT_NAME, "max_length": 60}
    if form:
        name_element["initial_value"] = form.name
    extra: list[Block] = []
    for name, (f, who) in credential_fields().items():
        element: dict = {"type": "plain_text_input", "action_id": name, "max_length": f.max_length}
        if form and form.value(name):
            element["initial_value"] = form.value(name)
        extra.append({"type": "input", "block_id": credential_block(name), "optional": True,
                      "label": plain(f"{f.label} ({', '.join(who)} only)"), "hint": plain(f.hint, 150),
                      "element": element})
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": BlockId.CONNECT_PROVIDER,
            "label": plain("Provider"),
            "element": {
                "type": "radio_buttons",
                "action_id": ActionId.CONNECT_PROVIDER,
                "options": [option(k.label, k.value) for k in kinds()],
                "initial_option": option(kind.label, kind.value),
            },
        },
        {
            "type": "input",
            "block_id": BlockId.CONNECT_NAME,
            "label": plain("Display name"),
            "hint": plain("How the account is called in Slack, e.g. Acme PagerDuty.", 150),
            "element": name_element,
        },
        {
            "type": "input",
            "block_id": BlockId.CONNECT_API_KEY,
            "label": plain("API key"),
            "hint": plain(key_hint(), 2000),
            "element": {"type": "plain_text_input", "action_id": ActionId.CONNECT_API_KEY, "max_length": 200},
        },
        *extra,
        {
            "type": "input",
            "block_id": BlockId.CONNECT_REGION,
            "label": plain("Region"),
            "element": {
                "type": "radio_buttons",
                "action_id": ActionId.CONNECT_REGION,
                "options": [option(label, r.value) for r, label in regions.items()],
                "initial_option": option(regions[region], region.value),
            },
        },
    ]
    for block in blocks:  # the reason replaces the field's hint: Slack shows it right under the field
        if block["block_id"] in problems:
            block["hint"] = plain(problems[block["block_id"]], 2000)
    return modal(CallbackId.CONNECT, TITLE, blocks, submit="Connect", close="Cancel",
                 private_metadata=private_metadata)


def key_hint() -> str:
    """Where each provider's key is found, and how it is kept."""
    where = " ".join(f"{spec.label}: {spec.key_help}" for spec in specs())
    return f"{where} Stored encrypted; only its last 4 characters are shown."


def checking_modal(provider: ProviderKind) -> dict:
    """The answer to the submission while the key is checked in the background (no inputs)."""
    return loading_modal(TITLE, text=f":hourglass: Checking the key with {provider.label}… this can take a few "
                                     "seconds; the result appears here.")


def write_access_text(can_write: bool | None, provider: str, note: str = "") -> str:
    if can_write is True:
        text = ":white_check_mark: The key can write: the bot can export shifts as overrides."
    elif can_write is False:
        text = (f":lock: The key is *read-only*: you can link and import schedules, but the bot cannot export "
                f"overrides to {provider}. Connect a read-write key to export.")
    else:
        text = (":grey_question: Write access is not known yet: nothing is exported with this key until a check "
                "before the first export shows it can write.")
    return f"{text} {note}" if note else text


def _connected_blocks(result: Connected, link_buttons: bool) -> list[Block]:
    label = result.provider.label
    blocks = [
        section(f":electric_plug: Connected *{result.name}* ({label}"
                f"{f' on {result.site}' if result.site else ''}, key {result.key_hint})."),
        context(write_access_text(result.can_write, label, result.write.note)),
    ]
    if result.schedules:
        blocks.append(section(f"*Schedules in {result.name}* — link one to let the bot manage its shifts:"))
    blocks.extend(schedule_rows(result.connection_id, result.schedules, {}, result.name, link_buttons=link_buttons))
    return blocks


def connected_message(result: Connected) -> dict:
    """The result as a message (when the modal was closed meanwhile): a Link button per schedule."""
    return message(f"Connected {result.name} ({result.provider.label})", _connected_blocks(result, True))


def connected_modal(result: Connected) -> dict:
    """The connect modal's last state: what was connected, write access, the schedules, and one
    Link button (action ids stay unique in a view), preset to the schedule when there is one."""
    blocks = _connected_blocks(result, False)
    if result.schedules:
        only = result.schedules[0].id if len(result.schedules) == 1 else ""
        blocks.append(actions(button("Link a schedule", ButtonId.LINK, f"{result.connection_id}:{only}",
                                     style="primary")))
    return modal(ViewId.NOTICE, "Account connected", blocks, close="Done")
