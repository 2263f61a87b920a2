"""Errors the person in Slack can act on: the message is shown to them as is."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix (unknown name, schedule in use, …). `str()` is the message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FieldError(UserError):
    """A modal input is wrong: shown under the field `block_id` (`response_action: errors`)."""

    def __init__(self, block_id: str, message: str):
        super().__init__(message)
        self.block_id = block_id


class InUse(UserError):
    """Refused because other objects depend on this one; `users` names them."""

    def __init__(self, message: str, users: list[str]):
        super().__init__(message)
        self.users = users
