"""Every Slack callback_id, action_id and block_id the bot uses, in one place."""

from enum import StrEnum


class CallbackId(StrEnum):
    CONNECT = "connect_modal"
    LINK = "link_modal"
    EDIT = "edit_modal"
    UNLINK = "unlink_modal"
    SWAP = "swap_modal"


class BlockId(StrEnum):
    CONNECT_PROVIDER = "connect_provider"
    CONNECT_NAME = "connect_name"
    CONNECT_API_KEY = "connect_api_key"
    CONNECT_REGION = "connect_region"


class ActionId(StrEnum):
    CONNECT_PROVIDER = "provider"
    CONNECT_NAME = "name"
    CONNECT_API_KEY = "api_key"
    CONNECT_REGION = "region"
