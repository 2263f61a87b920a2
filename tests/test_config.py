import pytest

from bot.config import ConfigError, Settings


def test_defaults():
    s = Settings.from_env({})
    assert s.database_url.startswith("sqlite:///")
    assert s.sync_interval_minutes == 15
    assert s.provider_base_url("pagerduty", "eu") == "https://api.eu.pagerduty.com"
    assert s.provider_base_url("opsgenie", "us") == "https://api.opsgenie.com"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SYNC_INTERVAL_MINUTES": "often"}, "SYNC_INTERVAL_MINUTES"),
        ({"SYNC_INTERVAL_MINUTES": "0"}, "SYNC_INTERVAL_MINUTES"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"PAGERDUTY_API_URL": "ftp://x"}, "PAGERDUTY_API_URL"),
        ({"OPSGENIE_API_URL": "nope"}, "OPSGENIE_API_URL"),
        ({"DATABASE_URL": "oncall.db"}, "DATABASE_URL"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"PORT": "x"}, "PORT"),
    ],
)
def test_invalid_values_name_the_variable(env, variable):
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_base_url_overrides_apply_to_both_regions():
    s = Settings.from_env({"PAGERDUTY_API_URL": "http://127.0.0.1:9/", "OPSGENIE_API_URL": "http://og.test"})
    assert s.provider_base_url("pagerduty", "eu") == "http://127.0.0.1:9"
    assert s.provider_base_url("opsgenie", "us") == "http://og.test"


def test_missing_for_run_names_each_variable_and_where_to_get_it():
    missing = " ".join(Settings.from_env({}).missing_for_run())
    assert "SLACK_BOT_TOKEN" in missing and "OAuth & Permissions" in missing
    assert "SLACK_APP_TOKEN" in missing and "SLACK_SIGNING_SECRET" in missing
    ok = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert ok.missing_for_run() == []


def test_repr_never_shows_tokens():
    s = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-secret-token", "ONCALL_SECRET_KEY": "k" * 44})
    assert "xoxb-secret-token" not in repr(s) and "kkkk" not in repr(s)


PG_WITH_PASSWORD = "postgresql+psycopg://bot:hunter2-db-pass@db.example:5432/oncall"


def test_repr_masks_the_database_password():
    s = Settings.from_env({"DATABASE_URL": PG_WITH_PASSWORD})
    assert s.database_url == PG_WITH_PASSWORD  # the engine still gets the real one
    assert "hunter2-db-pass" not in repr(s) and "bot:***@db.example" in repr(s)
    assert s.safe_database_url == "postgresql+psycopg://bot:***@db.example:5432/oncall"


@pytest.mark.parametrize("url", ["bot:hunter2-db-pass@db.example/oncall",
                                 "postgresql://bot:hunter2-db-pass@db.example:port/oncall"])
def test_a_malformed_database_url_is_named_without_its_password(url):
    with pytest.raises(ConfigError, match="DATABASE_URL") as err:
        Settings.from_env({"DATABASE_URL": url})
    assert "hunter2-db-pass" not in str(err.value)
