"""Who is an admin: workspace admins/owners, or the user ids in ONCALL_ADMIN_USER_IDS.
What admins and a schedule's managers may do is `bot.services.authz`."""

from __future__ import annotations

from bot.context import Context
from bot.services.authz import Person
from bot.services.directory import Directory


def is_admin(ctx: Context, directory: Directory, user_id: str) -> bool:
    if user_id in ctx.settings.admin_user_ids:
        return True
    user = directory.user(user_id)
    return bool(user and user.is_admin and not user.deleted)


def person(ctx: Context, directory: Directory, user_id: str) -> Person:
    """`user_id` as authorisation sees them; admin status is asked of Slack only when needed."""
    return Person(user_id, lambda: is_admin(ctx, directory, user_id), tuple(ctx.settings.admin_user_ids))
