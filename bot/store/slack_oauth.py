"""Tables of slack-sdk's SQLAlchemy installation store (multi-workspace installs), on the bot's database.

Declared on `SQLModel.metadata` so migration 0002 creates them and autogenerate keeps them; bolt's
`SQLAlchemyInstallationStore` uses them under their default names. Both carry `team_id`. The OAuth
`state` needs no table: see `bot.oauth_state`.
"""

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlmodel import SQLModel

installations = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, SQLAlchemyInstallationStore.default_installations_table_name
)
bots = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, SQLAlchemyInstallationStore.default_bots_table_name)
