"""Encryption of provider API keys at rest (Fernet) and the hints shown instead of keys."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)


class SecretKeyError(RuntimeError):
    """ONCALL_SECRET_KEY is malformed, or is not the key the stored secrets were encrypted with."""


def key_hint(secret: str) -> str:
    """What the UI shows instead of a key: its last four characters."""
    return f"…{secret[-4:]}" if len(secret) >= 8 else "…"


class KeyBox:
    """Encrypts and decrypts API keys; its repr never shows the key."""

    def __init__(self, secret_key: str):
        try:
            self._fernet = Fernet(secret_key.encode() if isinstance(secret_key, str) else secret_key)
        except (ValueError, TypeError):
            raise SecretKeyError(
                "ONCALL_SECRET_KEY is not a valid key: it must be 32 url-safe base64-encoded bytes "
                "(generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)"
            ) from None

    def __repr__(self) -> str:
        return "KeyBox(<hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "A stored API key cannot be decrypted with the current ONCALL_SECRET_KEY: the key "
                "was changed or lost. Restore the previous key, or remove and reconnect the account."
            ) from None


def load_or_create_secret_key(explicit: str | None, path: Path) -> str:
    """The configured key, else the one in `path`, else a new one written there with mode 0600.
    Refuses (SecretKeyError) a key file that group or others may read or write."""
    if explicit:
        return explicit
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SecretKeyError(
                f"The secret key file {path} is accessible to other users (mode {mode:04o}): "
                f"run `chmod 600 {path}` and start again."
            )
        return path.read_text().strip()
    key = Fernet.generate_key().decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    log.warning(
        "ONCALL_SECRET_KEY is not set: generated one into %s (mode 0600). Keep that file (or set "
        "ONCALL_SECRET_KEY to its content): without it the stored API keys cannot be read.",
        path,
    )
    return key
