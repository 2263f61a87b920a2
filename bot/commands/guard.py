"""Every listener acks, whatever it raises.

Bolt answers HTTP 404 when a listener raises (it resets a done ack, and a raise before ack() leaves
none), so Slack shows its own failure on top of ours. `register_all` hands each command module a
`GuardedApp`, so every `app.command/action/view/event` listener is wrapped by `guard`:

- `StaleInput` (a button value or metadata the bot did not send) → "out of date", no error id;
- an escaped `UserError` → its message;
- anything else → logged with an error id, and the person is told only that id;

each as one answer: the modal itself for a submission not yet acked, else an ephemeral message
(a notice modal in App Home). The listener is acked first if it had not been.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.kwargs_injection.args import Args

from bot.commands.request import Request, new_error_id, report_unexpected
from bot.commands.values import STALE_BUTTON, STALE_FORM, StaleInput
from bot.services.errors import UserError
from bot.views.common import error_message, notice_modal

log = logging.getLogger(__name__)
_GUARDED = "__oncall_guarded__"


def is_guarded(fn: Callable) -> bool:
    return getattr(fn, _GUARDED, None) is not None


def guard(fn: Callable) -> Callable:
    """Wrap a bolt listener (any of bolt's argument names) so it always acks and answers once."""
    if is_guarded(fn):
        return fn
    names = inspect.getfullargspec(inspect.unwrap(fn)).args

    def listener(args: Args) -> None:  # bolt passes everything as one `Args` to a parameter named `args`
        acked = False

        def ack(*a: Any, **kw: Any) -> Any:
            nonlocal acked
            acked = True
            return args.ack(*a, **kw)

        try:
            fn(**{name: ack if name == "ack" else getattr(args, name, None) for name in names})
        except Exception as exc:  # the one place that answers for every listener
            _answer(exc, args, acked)

    listener.__name__ = listener.__qualname__ = getattr(fn, "__name__", "listener")
    listener.__module__ = getattr(fn, "__module__", __name__)
    listener.__doc__ = fn.__doc__
    setattr(listener, _GUARDED, fn)
    return listener


def _answer(exc: Exception, args: Args, acked: bool) -> None:
    body = args.body or {}
    submission = body.get("type") == "view_submission"
    if isinstance(exc, StaleInput):
        log.info("refused a %s the bot did not send: %s", body.get("type") or "request", exc)
        title, text = "Out of date", STALE_FORM if submission else STALE_BUTTON
    elif isinstance(exc, UserError):
        title, text = "Not done", exc.message
    elif submission and not acked:
        error_id = new_error_id()
        log.error("unexpected error %s in a modal submission", error_id, exc_info=exc)
        title, text = "Something went wrong", (f":boom: Something went wrong on our side (error id `{error_id}`). "
                                               "Nothing was saved; try again.")
    else:
        if not acked:
            args.ack()
        report_unexpected(exc, body, args.context, args.client)
        return
    if submission and not acked:
        args.ack(response_action="update", view=notice_modal(title, text))
        return
    if not acked:
        args.ack()
    try:
        req = Request.from_body(body, args.context, args.client)
        if req.in_home and req.trigger_id and not submission:
            req.open_view(notice_modal(title, text))
        elif req.user_id:
            req.reply(error_message(text))
    except Exception:  # the answer itself must never raise
        log.exception("could not answer a refused %s", body.get("type") or "request")


class GuardedApp:
    """An App whose listener decorators wrap every listener with `guard` (what modules register on)."""

    DECORATORS = frozenset({"command", "action", "view", "event", "options", "shortcut"})

    def __init__(self, app: App):
        self._app = app

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._app, name)
        if name not in self.DECORATORS:
            return attr

        def method(*a: Any, **kw: Any) -> Callable[[Callable], Callable]:
            register = attr(*a, **kw)

            def decorator(fn: Callable) -> Callable:
                register(guard(fn))
                return fn

            return decorator

        return method
