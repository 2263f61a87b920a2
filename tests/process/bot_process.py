"""The bot as one real process: `python -m bot db upgrade`, then `python -m bot run` in HTTP mode on a
free loopback port, pointed at the Slack stub and at provider doubles served over real HTTP.

    with BotProcess(tmp_path, slack_api_url=stub.api_url, pagerduty_url=pd.url) as bot:
        bot.command("help", response_url=stub.response_url("help"))

Requests are signed exactly as Slack signs them (`tests.slack.payloads.sign`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from tests.slack.payloads import SIGNING_SECRET, form, interactive, sign, slash_command

ENV_PREFIXES = ("SLACK_", "DATABASE_URL", "ONCALL_", "SYNC_", "PAGERDUTY_", "OPSGENIE_", "LOG_LEVEL", "PORT",
                "CALENDAR_", "PROVIDER_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, workdir: Path, *, slack_api_url: str, **env: str):
        self.workdir = workdir
        self.port = free_port()
        self.db_path = workdir / "bot.db"
        self.log_path = workdir / "bot.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        self.env = {**clean, "SLACK_BOT_TOKEN": "xoxb-process-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                    "SLACK_API_URL": slack_api_url, "PORT": str(self.port),
                    "DATABASE_URL": f"sqlite:///{self.db_path}", "ONCALL_SECRET_KEY": Fernet.generate_key().decode(),
                    "LOG_LEVEL": "INFO", "SYNC_INTERVAL_MINUTES": "600", **env}
        self.proc: subprocess.Popen | None = None
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def __enter__(self) -> BotProcess:
        upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=self.workdir, env=self.env,
                                 capture_output=True, text=True, timeout=60)
        assert upgrade.returncode == 0, upgrade.stderr
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.workdir, env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the bot exited {self.proc.returncode}:\n{self.log()}"
            try:
                if self.http.get("/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise AssertionError(f"the bot did not answer /healthz within 30 s:\n{self.log()}")

    def __exit__(self, *exc: Any) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.http.close()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
        headers = {**sign(body), "Content-Type": content_type}
        return self.http.post("/slack/events", content=body.encode(), headers=headers)

    def command(self, text: str, **kw: Any) -> httpx.Response:
        return self.post(form(slash_command(text, **kw)))

    def interact(self, payload: dict) -> httpx.Response:
        return self.post(interactive(payload))

    def event(self, payload: dict) -> httpx.Response:
        return self.post(json.dumps(payload), content_type="application/json")
