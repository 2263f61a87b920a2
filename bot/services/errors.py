"""Errors the person in Slack can act on: the message is shown to them as is."""

from __future__ import annotations

from enum import StrEnum


class UserError(Exception):
    """Something the user can fix (unknown name, schedule in use, …). `str()` is the message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Field(StrEnum):
    """The fields of a form (connect, link, edit), by what they hold; the Slack edge knows which
    block shows each one (`bot.views.*.FIELD_BLOCKS`)."""

    PROVIDER = "provider"
    NAME = "name"
    API_KEY = "api_key"
    REGION = "region"
    CREDENTIAL = "credential"  # key: (name,): a provider's own credential field (JSM: site, email)
    SCHEDULE = "schedule"
    HORIZON = "horizon"
    CHANNEL = "channel"
    DESTINATIONS = "destinations"
    SECONDARY = "secondary_destinations"
    MEMBERS = "members"
    MANAGERS = "managers"
    USERGROUP = "usergroup"
    MAP_SLACK = "map_slack"  # key: (member id,): the Slack account of a member not in Slack
    MAP_USER = "map_user"  # key: (member id, connection id): a provider user picked by hand


class FieldError(UserError):
    """An input is wrong: shown under its `field` (in a modal: `response_action: errors`)."""

    def __init__(self, field: Field, message: str, key: tuple[int | str, ...] = ()):
        super().__init__(message)
        self.field = field
        self.key = key  # which one, for a field repeated per member (MAP_SLACK, MAP_USER)


def credential_error(name: str, message: str) -> FieldError:
    """A problem with the API key ("api_key") or with one of a provider's own credential fields."""
    if name == Field.API_KEY:
        return FieldError(Field.API_KEY, message)
    return FieldError(Field.CREDENTIAL, message, key=(name,))


class InUse(UserError):
    """Refused because other objects depend on this one; `users` names them."""

    def __init__(self, message: str, users: list[str]):
        super().__init__(message)
        self.users = users
