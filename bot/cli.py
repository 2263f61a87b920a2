"""`oncall-bot` entry point: run | db upgrade | check.

This is the only place that reads `.env`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from dotenv import load_dotenv
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot import redact
from bot.config import ConfigError, Settings
from bot.context import Context
from bot.crypto import KeyBox, SecretKeyError, load_or_create_secret_key
from bot.logs import setup_logging
from bot.store.db import (
    DatabaseNotReady,
    current_revision,
    ensure_current,
    head_revision,
    make_engine,
    upgrade,
)
from bot.store.models import Connection
from bot.sync.access import probe_write

log = logging.getLogger("oncall_bot")


def _fail(message: str, code: int = 2) -> int:
    print(f"oncall-bot: {message}", file=sys.stderr)
    return code


def _db_error(settings: Settings, exc: OperationalError) -> str:
    """Why the database cannot be opened, naming it without its password."""
    text = str(exc.orig)
    password = make_url(settings.database_url).password
    if password:
        text = text.replace(str(password), "***")
    return f"{settings.safe_database_url}: {text}"


def build_context(settings: Settings) -> Context:
    engine = make_engine(settings.database_url)
    keys = KeyBox(load_or_create_secret_key(settings.secret_key, settings.secret_key_file))
    return Context(settings=settings, engine=engine, keys=keys)


def cmd_run(settings: Settings) -> int:
    missing = settings.missing_for_run()
    if missing:
        lines = "\n".join(f"  - {m}" for m in missing)
        return _fail(
            "cannot start: Slack credentials are missing.\n"
            f"{lines}\n"
            "Create the Slack app from manifest.yml (api.slack.com/apps → Create New App → From a "
            "manifest), install it, then put these values in .env (see .env.example)."
        )
    try:
        ctx = build_context(settings)
        ensure_current(ctx.engine)
    except (DatabaseNotReady, SecretKeyError) as exc:
        return _fail(str(exc))
    except OperationalError as exc:
        return _fail(f"cannot open the database {_db_error(settings, exc)}")
    from bot.server import serve  # imported late: it pulls in Slack and the scheduler

    return serve(ctx)


def cmd_db_upgrade(settings: Settings) -> int:
    try:
        engine = make_engine(settings.database_url)
        before = current_revision(engine)
        upgrade(engine, keys=lambda: KeyBox(load_or_create_secret_key(settings.secret_key, settings.secret_key_file)))
        after = current_revision(engine)
    except OperationalError as exc:
        return _fail(f"cannot open the database {_db_error(settings, exc)}")
    except SecretKeyError as exc:
        return _fail(str(exc))
    if before == after:
        print(f"Database already at revision {after}.")
    else:
        print(f"Database upgraded from {before or 'empty'} to {after}.")
    return 0


def cmd_check(settings: Settings) -> int:
    """Print one line per check; exit 1 when any fails."""
    problems = 0

    def line(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"{'ok ' if ok else 'FAIL'}  {text}")

    missing = settings.missing_for_run()
    line(not missing, "Slack credentials" + ("" if not missing else ": missing " + "; ".join(missing)))
    line(True, f"mode: {'Socket Mode' if settings.socket_mode else 'HTTP (/slack/events)'}")
    engine = make_engine(settings.database_url)
    try:
        current, head = current_revision(engine), head_revision(engine)
        line(current == head, f"database {settings.safe_database_url}: revision {current or 'none'} (needs {head})"
             + ("" if current == head else " — run `oncall-bot db upgrade`"))
    except OperationalError as exc:
        line(False, f"database {_db_error(settings, exc)} (cannot connect)")
        return 1
    try:
        keys = KeyBox(load_or_create_secret_key(settings.secret_key, settings.secret_key_file))
        line(True, "secret key for stored API keys")
    except SecretKeyError as exc:
        line(False, str(exc))
        return 1
    if settings.slack_bot_token:
        from slack_sdk import WebClient
        from slack_sdk.errors import SlackApiError

        try:
            auth = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url).auth_test()
            line(True, f"Slack: connected to workspace {auth.get('team')} as {auth.get('user')}")
        except SlackApiError as exc:
            line(False, f"Slack rejected SLACK_BOT_TOKEN: {exc.response.get('error')}")
        except OSError as exc:
            line(False, f"Slack API at {settings.slack_api_url} unreachable: {exc}")
    if current == head:
        ctx = Context(settings=settings, engine=engine, keys=keys)
        with Session(engine) as session:
            connections = session.exec(select(Connection)).all()
        for conn in connections:
            label = f"{conn.provider} connection {conn.name!r} ({conn.key_hint})"
            try:
                with ctx.provider(conn, timeout=5) as provider:
                    schedules = provider.list_schedules()
                    first = schedules[0] if schedules else None
                    # asked again, so a key given write access since (or losing it) is noticed
                    check = probe_write(engine, conn.id, provider, first.id if first else None,
                                        first.name if first else "")
                access = {True: "read-write", False: "read-only (never exported to)"}.get(
                    check.can_write, "write access unknown")
                line(True, f"{label}: {len(schedules)} schedules visible, {access}"
                     + (f" ({check.note})" if check.note else ""))
            except SecretKeyError as exc:
                line(False, f"{label}: {exc}")
            except Exception as exc:  # ProviderError and transport errors, reported in words
                line(False, f"{label}: {exc}")
        ctx.close()
    print("All checks passed." if not problems else f"{problems} check(s) failed.")
    return 0 if not problems else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oncall-bot", description="Slack bot for on-call shifts.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (Slack listener and sync scheduler)")
    run.add_argument("--or-sandbox", action="store_true",
                     help="without Slack credentials, say so and start the sandbox instead (make run)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply pending migrations")
    sub.add_parser("check", help="validate configuration and connectivity")
    sandbox = sub.add_parser("sandbox", help="the bot with simulated Slack, PagerDuty, Opsgenie and JSM on this machine")
    sandbox.add_argument("--script", type=argparse.FileType("r"), help="replay the steps of this file, then exit")
    sandbox.add_argument("--tour", action="store_true", help="play the scripted tour, then exit")
    sandbox.add_argument("--sync-seconds", type=int, default=5, help="seconds between background syncs (5)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "sandbox":  # needs no configuration: everything is simulated
        from bot.sandbox.cli import run_sandbox

        return run_sandbox(args)
    load_dotenv(".env")
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    setup_logging(settings.log_level)
    redact.register_secret(make_url(settings.database_url).password)
    if args.command == "run":
        if args.or_sandbox and settings.missing_for_run():
            print("Slack is not configured (no SLACK_BOT_TOKEN and signing secret or app token in .env): starting "
                  "the sandbox, the bot with simulated Slack, PagerDuty, Opsgenie and JSM.", flush=True)
            from bot.sandbox.cli import run_sandbox

            return run_sandbox(argparse.Namespace(script=None, tour=False, sync_seconds=5))
        return cmd_run(settings)
    if args.command == "db":
        return cmd_db_upgrade(settings)
    return cmd_check(settings)


if __name__ == "__main__":
    sys.exit(main())
