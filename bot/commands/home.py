"""App Home: published on `app_home_opened` (other updates go through bot.notify.home.refresh_homes)."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.commands.request import ctx_of
from bot.notify.home import publish_home


def register(app: App) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict, body: dict, client: WebClient, context) -> None:
        if event.get("tab") not in (None, "home"):
            return
        team_id = context.get("team_id") or body.get("team_id") or ""
        publish_home(ctx_of(context), client, team_id, event["user"])
