"""The real bot as its own process: `python -m bot db upgrade`, then `python -m bot run` in HTTP mode on
a free loopback port, in a work directory of its own (so no `.env` of the checkout is read), with
only the environment given here (no SLACK_*, DATABASE_URL … inherited from the caller).

    with BotRunner(workdir, {"SLACK_API_URL": slack_url, ...}) as bot:
        bot.events_url     # http://127.0.0.1:PORT/slack/events
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ENV_PREFIXES = ("SLACK_", "DATABASE_URL", "ONCALL_", "SYNC_", "PAGERDUTY_", "OPSGENIE_", "LOG_LEVEL", "PORT",
                "CALENDAR_", "PROVIDER_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotNotStarted(RuntimeError):
    pass


class BotRunner:
    def __init__(self, workdir: Path, env: dict[str, str], *, start_timeout: float = 45.0):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.log_path = self.workdir / "bot.log"
        self.start_timeout = start_timeout
        clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        # the checkout on the path, so `python -m bot` runs this code from any work directory
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join(p for p in (root, clean.get("PYTHONPATH", "")) if p)
        self.env = {**clean, "PYTHONPATH": path, "PORT": str(self.port), "LOG_LEVEL": "INFO",
                    "DATABASE_URL": f"sqlite:///{self.workdir / 'bot.db'}", **env}
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def start(self) -> BotRunner:
        upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=self.workdir, env=self.env,
                                 capture_output=True, text=True, timeout=120)
        if upgrade.returncode != 0:
            raise BotNotStarted(f"`oncall-bot db upgrade` failed:\n{upgrade.stderr}")
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.workdir, env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        with httpx.Client(timeout=2) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    self.stop()
                    raise BotNotStarted(f"the bot exited {self.proc.returncode}:\n{self.log()}")
                try:
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise BotNotStarted(f"the bot did not answer /healthz within {self.start_timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> BotRunner:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
