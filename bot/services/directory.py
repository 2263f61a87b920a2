"""Slack users and channels as the services need them (users.info, users.lookupByEmail,
conversations.info), with Slack's errors turned into plain answers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    email: str | None
    deleted: bool = False
    is_bot: bool = False
    is_admin: bool = False
    tz: str | None = None  # IANA zone from users.info `tz` (e.g. "Europe/Berlin")

    @classmethod
    def from_api(cls, raw: dict) -> SlackUser:
        profile = raw.get("profile") or {}
        return cls(
            id=raw["id"],
            name=profile.get("real_name") or raw.get("real_name") or raw.get("name") or raw["id"],
            email=profile.get("email"),
            deleted=bool(raw.get("deleted")),
            is_bot=bool(raw.get("is_bot")) or raw["id"] == "USLACKBOT",
            is_admin=bool(raw.get("is_admin") or raw.get("is_owner") or raw.get("is_primary_owner")),
            tz=raw.get("tz") or None,
        )


class Directory:
    """Reads Slack users and channels through one WebClient."""

    def __init__(self, client: WebClient):
        self.client = client

    def user(self, user_id: str) -> SlackUser | None:
        """None when Slack does not know the id."""
        try:
            return SlackUser.from_api(self.client.users_info(user=user_id)["user"])
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "user_not_visible"):
                return None
            raise

    def by_email(self, email: str) -> SlackUser | None:
        """The Slack user with this email; None when there is none (users_not_found)."""
        if not email:
            return None
        try:
            return SlackUser.from_api(self.client.users_lookupByEmail(email=email)["user"])
        except SlackApiError as exc:
            if exc.response.get("error") in ("users_not_found", "user_not_found"):
                return None
            raise

    def bot_in_channel(self, channel_id: str) -> bool:
        """True when the bot is a member (private channels it is not in look like unknown ones)."""
        try:
            channel = self.client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            if exc.response.get("error") in ("channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"):
                return False
            raise
        if channel.get("is_im") or channel.get("is_mpim"):
            return False
        return bool(channel.get("is_member"))
