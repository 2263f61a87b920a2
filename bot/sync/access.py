"""Write access of a connection: asked of the provider, stored on `Connection.can_write`, and the
one guard every export passes (`export_refusal`).

A key is written to only when its write access is known to be granted: False (read-only) never
writes; None (unknown, e.g. an Opsgenie key whose probe could not run at connect time) is probed
again on the destination's own schedule before the first export, and while it stays unknown
nothing is written that round.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlmodel import Session

from bot.providers import Provider, ProviderError, WriteCheck
from bot.store.models import Connection, Destination

log = logging.getLogger(__name__)


def probe_write(engine: Engine, connection_id: int, provider: Provider, schedule_id: str | None,
                schedule_name: str = "") -> WriteCheck:
    """Ask the provider whether the key may write (on `schedule_id` where it needs a schedule) and
    store a definite answer on the connection (an unknown one leaves what was known). Provider
    failures are an unknown answer, in words."""
    try:
        check = provider.check_write(schedule_id, schedule_name)
    except ProviderError as exc:
        log.warning("write check for connection %s failed: %s", connection_id, exc)
        check = WriteCheck(None, f"The write check failed: {exc}")
    if check.note:
        log.warning("write check for connection %s: %s", connection_id, check.note)
    if check.can_write is None:
        return check
    with Session(engine) as session:
        conn = session.get(Connection, connection_id)
        if conn is not None:
            conn.can_write = check.can_write
            session.commit()
    return check


def read_only_text(conn: Connection) -> str:
    return (f"The API key of connection {conn.name} is read-only: the bot can read this schedule but never "
            "writes to it. Connect a key with write access to export.")


def export_refusal(engine: Engine, provider: Provider, conn: Connection, dest: Destination) -> tuple[str, bool] | None:
    """None when `dest` may be written with `conn`'s key; else (why, read_only). Unknown write
    access is probed first, on the destination's schedule."""
    can_write = conn.can_write
    note = ""
    if can_write is None:
        check = probe_write(engine, conn.id, provider, dest.provider_schedule_id,
                            dest.provider_schedule_name or dest.provider_schedule_id)
        can_write, note = check.can_write, check.note
    if can_write is True:
        return None
    if can_write is False:
        return (read_only_text(conn) + (f" {note}" if note else "")), True
    return (f"Write access of connection {conn.name} could not be checked, so nothing was exported: "
            f"{note or 'no answer'} The next sync checks again."), False
