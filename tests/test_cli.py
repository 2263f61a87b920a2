"""The `oncall-bot` command line, run as a real subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV_KEYS = ("SLACK_", "DATABASE_URL", "ONCALL_", "SYNC_", "PAGERDUTY_", "OPSGENIE_", "LOG_LEVEL", "PORT")


def run(args, cwd: Path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ENV_KEYS)}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_run_without_slack_tokens_names_every_missing_variable(tmp_path):
    result = run(["run"], tmp_path)
    assert result.returncode != 0
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "manifest.yml"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_value_fails_with_one_line_naming_the_variable(tmp_path):
    result = run(["run"], tmp_path, SYNC_INTERVAL_MINUTES="soon")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SYNC_INTERVAL_MINUTES" in lines[0]


def test_dotenv_is_read_at_the_entry_point(tmp_path):
    (tmp_path / ".env").write_text("SLACK_API_URL=not-a-url\n")
    result = run(["check"], tmp_path)
    assert result.returncode != 0 and "SLACK_API_URL" in result.stderr


def test_run_refuses_an_unmigrated_database_then_db_upgrade_fixes_it(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    refused = run(["run"], tmp_path, **env)
    assert refused.returncode != 0 and "oncall-bot db upgrade" in refused.stderr
    upgraded = run(["db", "upgrade"], tmp_path, **env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded" in upgraded.stdout
    again = run(["db", "upgrade"], tmp_path, **env)
    assert "already at revision" in again.stdout


def test_first_run_generates_a_private_secret_key_file_once(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    run(["db", "upgrade"], tmp_path, **env)
    first = run(["check"], tmp_path, **env)
    key_file = tmp_path / ".oncall-secret-key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert "generated one into" in first.stderr
    second = run(["check"], tmp_path, **env)
    assert "generated one into" not in second.stderr


@pytest.mark.parametrize("slack", [{}, {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"}])
def test_check_reports_each_item_in_plain_words(tmp_path, slack):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "SLACK_API_URL": "http://127.0.0.1:9/api/", **slack}
    result = run(["check"], tmp_path, **env)
    assert result.returncode == 1
    assert "run `oncall-bot db upgrade`" in result.stdout
    if slack:
        assert "Slack API at http://127.0.0.1:9/api/ unreachable" in result.stdout
    else:
        assert "missing SLACK_BOT_TOKEN" in result.stdout


def test_run_refuses_a_key_file_others_can_read_in_one_line(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    key_file = tmp_path / ".oncall-secret-key"
    key_file.write_text("x" * 43 + "=\n")
    key_file.chmod(0o644)
    result = run(["run"], tmp_path, **env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0 and len(lines) == 1, result.stderr
    assert ".oncall-secret-key" in lines[0] and "chmod 600" in lines[0]


@pytest.mark.parametrize("args", [["check"], ["run"], ["db", "upgrade"]])
def test_database_password_is_never_printed(tmp_path, args):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret", "ONCALL_SECRET_KEY": "k" * 43 + "=",
           "SLACK_API_URL": "http://127.0.0.1:9/api/",
           "DATABASE_URL": "postgresql+psycopg://bot:hunter2-db-pass@127.0.0.1:9/oncall?connect_timeout=2"}
    result = run(args, tmp_path, **env)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "hunter2-db-pass" not in out and "bot:***@127.0.0.1:9" in out, out
    assert "Traceback" not in out


def test_check_asks_each_connection_for_its_write_access_again(tmp_path, respx_mock, capsys):
    """A key whose write access was taken away since connecting is found read-only by `check`."""
    from cryptography.fernet import Fernet
    from sqlmodel import Session

    from bot.cli import cmd_check
    from bot.config import Settings
    from bot.crypto import KeyBox
    from bot.store.db import make_engine, upgrade
    from bot.store.models import Connection
    from tests.providers.fixtures import OG, og_envelope, og_error, og_schedule

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}", secret_key=Fernet.generate_key().decode())
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with Session(engine) as session:
        session.add(Connection(team_id="T1", provider="opsgenie", region="us", name="Acme OG", key_hint="…abcd",
                               api_key_encrypted=KeyBox(settings.secret_key).encrypt("og-key-0123456789abcd"),
                               can_write=True))
        session.commit()
    respx_mock.get(f"{OG}/v2/schedules").respond(200, json=og_envelope([og_schedule("S1", "Platform")]))
    respx_mock.post(f"{OG}/v2/schedules/S1/overrides").respond(403, json=og_error("You are not authorized"))
    cmd_check(settings)
    out = capsys.readouterr().out
    assert "opsgenie connection 'Acme OG' (…abcd): 1 schedules visible, read-only (never exported to)" in out
    with Session(engine) as session:
        assert session.get(Connection, 1).can_write is False
