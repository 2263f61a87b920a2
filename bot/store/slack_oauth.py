"""Slack OAuth on the bot's database: slack-sdk's installation store with its tokens encrypted, and
the OAuth `state` values already used.

- `installations` / `bots`: the tables of slack-sdk's `SQLAlchemyInstallationStore` under their
  default names (both carry `team_id`), declared on `SQLModel.metadata` so migrations create and
  compare them (0002; 0005 widens the token columns to fit ciphertext).
- `EncryptedInstallationStore`: that store with every token column (bot, user and refresh tokens,
  the incoming-webhook URL) encrypted with the key of the provider API keys (`bot.crypto`).
  Rows written before encryption are read as they are and sealed at the next save.
- `oauth_states_used`: a digest of each consumed OAuth `state` until an hour past its expiry, so it is
  accepted once across every replica (`bot.oauth_state`). Not keyed by `team_id`: the workspace
  is only known once the state has been used.
"""

from __future__ import annotations

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Column, Engine, MetaData, String, Table, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from bot.crypto import KeyBox
from bot.store.types import UTCDateTime

SEALED_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
_FERNET_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80); no Slack token does


def _widen(table: Table) -> Table:
    """Token columns as Text: a Fernet token is about 1.4 × its plaintext plus 76 characters."""
    for name in SEALED_COLUMNS:
        if name in table.c:
            table.c[name].type = Text()
    return table


installations = _widen(SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, SQLAlchemyInstallationStore.default_installations_table_name
))
bots = _widen(SQLAlchemyInstallationStore.build_bots_table(
    SQLModel.metadata, SQLAlchemyInstallationStore.default_bots_table_name
))

oauth_states_used = Table(
    "oauth_states_used",
    SQLModel.metadata,
    Column("digest", String(64), primary_key=True),  # sha256 of the state, hex
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)


class Sealed(TypeDecorator):
    """A string column stored encrypted; a clear value written before encryption reads as itself."""

    impl = Text
    cache_ok = False  # holds the key box

    def __init__(self, keys: KeyBox):
        super().__init__()
        self.keys = keys

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else self.keys.encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None or not value.startswith(_FERNET_PREFIX):
            return value  # legacy clear row (sealed at the next save)
        return self.keys.decrypt(value)


def _sealed(table: Table, metadata: MetaData, keys: KeyBox) -> Table:
    copy = table.to_metadata(metadata)
    for name in SEALED_COLUMNS:
        if name in copy.c:
            copy.c[name].type = Sealed(keys)
    return copy


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's SQLAlchemy installation store, encrypting tokens on write and decrypting on read."""

    def __init__(self, client_id: str, engine: Engine, keys: KeyBox):
        super().__init__(client_id=client_id, engine=engine)
        self.metadata = MetaData()
        self.bots = _sealed(bots, self.metadata, keys)
        self.installations = _sealed(installations, self.metadata, keys)

    def save(self, installation: Installation) -> None:
        super().save(installation)
        self.seal_legacy_rows()

    def seal_legacy_rows(self) -> int:
        """Encrypt every token still stored in clear (rows from before encryption); returns how many rows."""
        sealed = 0
        for table in (self.bots, self.installations):
            names = [n for n in SEALED_COLUMNS if n in table.c]
            raw = [sa.type_coerce(table.c[n], Text()).label(n) for n in names]
            with self.engine.begin() as conn:
                for row in conn.execute(sa.select(table.c.id, *raw)).mappings():
                    clear = {n: row[n] for n in names if _is_clear(row[n])}
                    if clear:  # bound through the Sealed columns: written encrypted
                        conn.execute(table.update().where(table.c.id == row["id"]).values(**clear))
                        sealed += 1
        return sealed


def _is_clear(value: str | None) -> bool:
    return value is not None and not value.startswith(_FERNET_PREFIX)
