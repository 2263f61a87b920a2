"""Changing who holds a shift, safely under concurrency."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from bot.store.models import Shift


def reassign_shift(session: Session, shift_id: int, *, from_member: int | None, version: int, to_member: int,
                   now: datetime, **values) -> bool:
    """Compare-and-set: give the shift to `to_member` and bump its version, only if it still is
    held by `from_member` at `version`. False means someone else changed it first (a swap, a
    replacement, another replica): the caller decides whether to retry or report."""
    res = session.exec(
        update(Shift)
        .where(Shift.id == shift_id, Shift.member_id == from_member, Shift.version == version)
        .values(member_id=to_member, version=version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1
