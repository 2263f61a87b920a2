"""What every listener needs: the request's who/where, replies, authorisation, error ids, hand-off
to the work pool (`later`) and `private_metadata` (`encode_meta`, `decode_meta`). Form helpers are
`bot.commands.forms`.

`Request.reply(payload)` is how to post an ephemeral answer from anywhere (slash command,
button, modal submission, App Home): it uses the response_url when there is one, else an
ephemeral message in the channel, else a direct message.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.commands.values import STALE_BUTTON, StaleInput
from bot.context import Context
from bot.services import authz, background
from bot.services.auth import person
from bot.services.authz import Action, Managed
from bot.services.directory import Directory
from bot.services.errors import UserError
from bot.views.common import error_message, message, notice_modal

log = logging.getLogger(__name__)
CONTEXT_KEY = "oncall_ctx"


def ctx_of(context: Any) -> Context:
    return context[CONTEXT_KEY]


def new_error_id() -> str:
    return uuid.uuid4().hex[:8]


def encode_meta(**values: Any) -> str:
    """private_metadata: ids and the response_url only — never secrets."""
    return json.dumps({k: v for k, v in values.items() if v is not None}, separators=(",", ":"))


def decode_meta(raw: str | None) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


SLACK_HOOK_ORIGINS = ("https://hooks.slack.com", "https://hooks.slack-gov.com")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _slack_hook(ctx: Context, url: Any) -> str | None:
    """A response_url carried in private_metadata, only when it points at Slack (or the configured
    Slack API host: a proxy or test server): the metadata comes back from the client and can be forged."""
    if not isinstance(url, str) or not url:
        return None
    return url if _origin(url) in (*SLACK_HOOK_ORIGINS, _origin(ctx.settings.slack_api_url)) else None


@dataclass
class Request:
    """Who asked, where, and how to answer; built from any Slack payload."""

    ctx: Context
    client: WebClient
    team_id: str
    user_id: str
    channel_id: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    view: dict | None = field(default=None, repr=False)
    _person: authz.Person | None = field(default=None, repr=False)

    @classmethod
    def from_body(cls, body: dict, context: Any, client: WebClient) -> Request:
        meta = decode_meta((body.get("view") or {}).get("private_metadata"))
        user = body.get("user_id") or (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
        channel = body.get("channel_id") or (body.get("channel") or {}).get("id") or meta.get("c")
        team = (context.get("team_id") if context else None) or body.get("team_id") or (body.get("team") or {}).get("id")
        return cls(
            ctx=ctx_of(context),
            client=client,
            team_id=team or "",
            user_id=user or "",
            channel_id=channel,
            trigger_id=body.get("trigger_id"),
            response_url=body.get("response_url") or _slack_hook(ctx_of(context), meta.get("r")),
            view=body.get("view"),
        )

    @property
    def directory(self) -> Directory:
        return Directory(self.client)

    @property
    def in_home(self) -> bool:
        return bool(self.view and self.view.get("type") == "home")

    def meta(self, **extra: Any) -> str:
        return encode_meta(c=self.channel_id, r=self.response_url, **extra)

    def reply(self, payload: dict | str, *, replace_original: bool = False) -> None:
        """An ephemeral answer to this person (see the module docstring for the fallbacks)."""
        body = message(payload) if isinstance(payload, str) else payload
        if self.response_url:
            resp = WebhookClient(self.response_url).send(
                text=body["text"], blocks=body.get("blocks"), response_type="ephemeral",
                replace_original=replace_original,
            )
            if resp.status_code < 300:
                return
            log.info("response_url answered %s; falling back to a message", resp.status_code)
        try:
            if self.channel_id and self.channel_id[0] in "CG":
                self.client.chat_postEphemeral(channel=self.channel_id, user=self.user_id, **body)
                return
        except SlackApiError as exc:
            log.info("ephemeral message failed (%s); sending a direct message", exc.response.get("error"))
        self.client.chat_postMessage(channel=self.user_id, **body)

    def error(self, text: str, usage: str | None = None) -> None:
        self.reply(error_message(text, usage))

    @property
    def person(self) -> authz.Person:
        """Who asks, for `bot.services.authz` (admin status asked of Slack once, when needed)."""
        if self._person is None:
            self._person = person(self.ctx, self.directory, self.user_id)
        return self._person

    def is_admin(self) -> bool:
        return self.person.is_admin()

    def may(self, action: Action, schedule: Managed | None = None) -> bool:
        return authz.may(self.person, action, schedule)

    def require(self, action: Action, schedule: Managed | None = None) -> bool:
        """True when allowed; otherwise tells the person who can (a modal in App Home), and returns False."""
        if self.may(action, schedule):
            return True
        text = authz.refusal(self.person, action, schedule)
        if self.in_home and self.trigger_id:
            self.open_view(notice_modal("Not allowed", text))
        else:
            self.reply(message(text))
        return False

    def open_view(self, view: dict) -> str | None:
        """Open a modal (push it when the action came from a modal); returns the view id."""
        if self.view and self.view.get("type") == "modal":
            resp = self.client.views_push(trigger_id=self.trigger_id, view=view)
        else:
            resp = self.client.views_open(trigger_id=self.trigger_id, view=view)
        return (resp.get("view") or {}).get("id")


def _unexpected_text(error_id: str) -> str:
    return (f":boom: Something went wrong on our side (error id `{error_id}`). Try again; if it keeps "
            "happening, give that id to whoever runs the bot.")


def report_unexpected(error: Exception, body: dict, context: Any, client: WebClient) -> str:
    """Log the exception with a short id and tell the person only that id. Returns the id."""
    error_id = new_error_id()
    log.error("unexpected error %s while handling a Slack request", error_id, exc_info=error)
    try:
        req = Request.from_body(body or {}, context, client)
        if req.user_id:
            req.reply(message(_unexpected_text(error_id)))
    except Exception:  # the report itself must never raise
        log.exception("could not tell the user about error %s", error_id)
    return error_id


BUSY = (":hourglass: The bot is busy with other requests right now, so nothing was done. "
        "Try again in a minute.")


def late_text(seconds: float) -> str:
    return (f":hourglass: The bot was too busy to start this within {seconds:g} seconds, so nothing "
            "was done. Try again in a minute.")


def later(req: Request, work: Callable[[], None], *, what: str, usage: str | None = None,
          seconds: float = background.DEFAULT_SECONDS) -> bool:
    """Hand `work` (which answers the person itself) to the work pool after the ack, so this
    listener thread is free at once. The person is told when the pool is full, when the work
    could not start within `seconds`, about a UserError it raises (with `usage`), and the id of
    an unexpected error. False when the pool refused it."""

    def job() -> None:
        try:
            work()
        except StaleInput as exc:  # a value the bot did not send, read in the job: as the guard answers
            log.info("refused a value the bot did not send: %s", exc)
            req.reply(message(STALE_BUTTON))
        except UserError as exc:
            req.reply(error_message(exc.message, usage))
        except Exception as exc:
            error_id = new_error_id()
            log.error("unexpected error %s while the bot was busy with: %s", error_id, what, exc_info=exc)
            req.reply(message(_unexpected_text(error_id)))

    if background.submit(job, name=what, seconds=seconds, on_late=lambda: req.reply(message(late_text(seconds)))):
        return True
    req.reply(message(BUSY))
    return False
