"""Settings read from the environment.

Importing this module has no side effects: `.env` is loaded only by the entry point
(`bot.cli`), and `Settings.from_env()` reads whatever mapping it is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from bot.providers.registry import spec_for, specs

DEFAULT_DATABASE_URL = "sqlite:///oncall-bot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting is missing or malformed. The message names the variable."""


def mask_database_url(url: str) -> str:
    """`url` safe to print: the password shown as ***. A string SQLAlchemy cannot parse shows only
    what follows its last `@` (user and password precede it)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # malformed: never echo what might be a password
        return ("…@" + url.rsplit("@", 1)[1]) if "@" in url else url


def _database_url(env: Mapping[str, str]) -> str:
    value = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    example = "such as sqlite:///oncall-bot.db or postgresql+psycopg://user@host/db"
    if "://" not in value:
        raise ConfigError(f"DATABASE_URL must be a SQLAlchemy URL {example}, got {mask_database_url(value)!r}")
    try:
        make_url(value)
    except Exception:
        raise ConfigError(f"DATABASE_URL is not a valid SQLAlchemy URL ({example}), got "
                          f"{mask_database_url(value)!r}") from None
    return value


def _url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as https://example.com, got {value!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment (documented in `.env.example`)."""

    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = field(default=None, repr=False)
    secret_key_file: Path = Path(".oncall-secret-key")
    sync_interval_minutes: int = 15
    sync_interval_seconds: int | None = None  # the sandbox and tests: wins over minutes when set
    slack_api_url: str = DEFAULT_SLACK_API_URL
    #: provider kind -> base URL replacing its public API in every region (`PAGERDUTY_API_URL`, …)
    provider_api_urls: Mapping[str, str] = field(default_factory=dict)
    jsm_site_url: str | None = None  # JSM sites' URL, `{site}` replaced (default https://{site}.atlassian.net)
    log_level: str = "INFO"
    admin_user_ids: tuple[str, ...] = ()
    port: int = 3000
    provider_timeout_seconds: float = 10.0
    calendar_allow_private_hosts: bool = False
    commands_per_minute: int = 10
    shared_rate_limits: bool | None = None  # None: when DATABASE_URL is PostgreSQL (several replicas)

    def __repr__(self) -> str:  # never print tokens
        shown = {
            "database_url": self.safe_database_url,
            "slack_api_url": self.slack_api_url,
            "socket_mode": self.socket_mode,
            "sync_interval_minutes": self.sync_interval_minutes,
        }
        return f"Settings({shown})"

    @property
    def safe_database_url(self) -> str:
        """DATABASE_URL as printed anywhere (repr, `oncall-bot check`, errors): password masked."""
        return mask_database_url(self.database_url)

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    def provider_base_url(self, provider: str, region: str) -> str:
        """Base URL for a provider account; an explicit override applies to every region."""
        return spec_for(provider).api_url(region, self.provider_api_urls.get(provider))

    def missing_for_run(self) -> list[str]:
        """Lines naming each missing Slack variable, in plain words."""
        missing: list[str] = []
        if not self.slack_bot_token and not self.oauth_enabled:
            missing.append(
                "SLACK_BOT_TOKEN (xoxb-…): Slack app → OAuth & Permissions → Bot User OAuth Token, "
                "after creating the app from manifest.yml and installing it"
            )
        if self.socket_mode:
            if not self.slack_app_token.startswith("xapp-"):
                missing.append("SLACK_APP_TOKEN must start with xapp- (Basic Information → App-Level Tokens)")
        elif not self.slack_signing_secret:
            missing.append(
                "SLACK_APP_TOKEN (xapp-…, Socket Mode: Slack app → Basic Information → App-Level Tokens, "
                "scope connections:write) or SLACK_SIGNING_SECRET (HTTP mode: Basic Information → "
                "App Credentials → Signing Secret)"
            )
        return missing

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        database_url = _database_url(env)
        timeout = env.get("PROVIDER_TIMEOUT_SECONDS", "").strip()
        try:
            timeout_s = float(timeout) if timeout else 10.0
        except ValueError:
            raise ConfigError(f"PROVIDER_TIMEOUT_SECONDS must be a number, got {timeout!r}") from None
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_client_id=env.get("SLACK_CLIENT_ID") or None,
            slack_client_secret=env.get("SLACK_CLIENT_SECRET") or None,
            database_url=database_url,
            secret_key=env.get("ONCALL_SECRET_KEY") or None,
            secret_key_file=Path(env.get("ONCALL_SECRET_KEY_FILE") or ".oncall-secret-key"),
            sync_interval_minutes=_int(env, "SYNC_INTERVAL_MINUTES", 15),
            sync_interval_seconds=_int(env, "SYNC_INTERVAL_SECONDS", 0) or None,
            slack_api_url=_url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL),
            provider_api_urls={
                spec.kind.value: url for spec in specs() if (url := _url(env, spec.base_url_setting, None))
            },
            jsm_site_url=_url(env, "JSM_SITE_URL", None),
            log_level=level,
            admin_user_ids=_list(env, "ONCALL_ADMIN_USER_IDS"),
            port=_int(env, "PORT", 3000),
            provider_timeout_seconds=timeout_s,
            calendar_allow_private_hosts=_bool(env, "CALENDAR_ALLOW_PRIVATE_HOSTS"),
            commands_per_minute=_int(env, "ONCALL_COMMANDS_PER_MINUTE", 10),
            shared_rate_limits=None if env.get("SHARED_RATE_LIMITS", "").strip().lower() in ("", "auto")
            else _bool(env, "SHARED_RATE_LIMITS"),
        )
