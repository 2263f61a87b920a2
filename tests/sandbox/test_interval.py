"""The sandbox runs the sync job every few seconds: SYNC_INTERVAL_SECONDS, when set, wins over minutes."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from bot.config import ConfigError, Settings
from bot.context import Context
from bot.crypto import KeyBox


def test_seconds_setting_is_read_and_checked():
    assert Settings.from_env({}).sync_interval_seconds is None
    assert Settings.from_env({"SYNC_INTERVAL_SECONDS": "5"}).sync_interval_seconds == 5
    with pytest.raises(ConfigError, match="SYNC_INTERVAL_SECONDS"):
        Settings.from_env({"SYNC_INTERVAL_SECONDS": "0"})


@pytest.mark.parametrize(("env", "interval"), [({}, timedelta(minutes=15)),
                                               ({"SYNC_INTERVAL_SECONDS": "4"}, timedelta(seconds=4))])
def test_job_runs_at_the_configured_interval(env, interval, job_module):
    settings = Settings.from_env({**env, "ONCALL_SECRET_KEY": Fernet.generate_key().decode()})
    ctx = Context(settings=settings, engine=None, keys=KeyBox(settings.secret_key))
    scheduler = job_module.start_scheduler(ctx, None, start=False)
    assert scheduler.get_job(job_module.JOB_ID).trigger.interval == interval


def test_run_or_sandbox_without_slack_says_so_in_one_line_and_starts_the_sandbox(tmp_path):
    """`make run` on a fresh clone: no .env, so the sandbox (here fed an empty terminal: it ends at once)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "ONCALL_", "SYNC_"))}
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--or-sandbox"], cwd=tmp_path, env=env,
                            input="", capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert first.startswith("Slack is not configured") and "SLACK_BOT_TOKEN" in first and "sandbox" in first
    assert any(line.startswith("oncall-bot sandbox:") for line in rest), result.stdout
