"""The bot as one real process (`bot.sandbox.process.BotRunner`: `python -m bot db upgrade`, then
`python -m bot run` in HTTP mode on a free loopback port), pointed at the Slack stub and at provider
doubles served over real HTTP.

    with BotProcess(tmp_path, slack_api_url=stub.api_url, pagerduty_url=pd.url) as bot:
        bot.command("help", response_url=stub.response_url("help"))

Requests are signed exactly as Slack signs them (`tests.slack.payloads.sign`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bot.sandbox.process import BotRunner
from tests.slack.payloads import SIGNING_SECRET, form, interactive, sign, slash_command


class BotProcess(BotRunner):
    def __init__(self, workdir: Path, *, slack_api_url: str, **env: str):
        super().__init__(workdir, {"SLACK_BOT_TOKEN": "xoxb-process-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                                   "SLACK_API_URL": slack_api_url, "ONCALL_SECRET_KEY": Fernet.generate_key().decode(),
                                   "SYNC_INTERVAL_MINUTES": "600", **env})
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        self.http.close()

    def post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
        headers = {**sign(body), "Content-Type": content_type}
        return self.http.post("/slack/events", content=body.encode(), headers=headers)

    def command(self, text: str, **kw: Any) -> httpx.Response:
        return self.post(form(slash_command(text, **kw)))

    def interact(self, payload: dict) -> httpx.Response:
        return self.post(interactive(payload))

    def event(self, payload: dict) -> httpx.Response:
        return self.post(json.dumps(payload), content_type="application/json")
