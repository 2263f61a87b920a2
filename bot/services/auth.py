"""Who may change things: workspace admins/owners, or the user ids in ONCALL_ADMIN_USER_IDS."""

from __future__ import annotations

from bot.context import Context
from bot.services.directory import Directory


def is_admin(ctx: Context, directory: Directory, user_id: str) -> bool:
    if user_id in ctx.settings.admin_user_ids:
        return True
    user = directory.user(user_id)
    return bool(user and user.is_admin and not user.deleted)


def refusal(ctx: Context, action: str) -> str:
    """The ephemeral refusal text: what was refused and who can do it."""
    listed = ", ".join(f"<@{u}>" for u in ctx.settings.admin_user_ids)
    who = "workspace admins and owners" + (f", and {listed}" if listed else "")
    return (
        f":no_entry: Only {who} can {action}. Ask one of them, or ask whoever runs the bot to add "
        "your Slack member id to `ONCALL_ADMIN_USER_IDS`."
    )


def manager_refusal(ctx: Context, action: str) -> str:
    """The refusal for what a schedule's managers may do too."""
    return refusal(ctx, action).replace("Only ", "Only this schedule's managers, ", 1)
