"""Logging set-up for the entry point: one format, the configured level, secrets masked."""

from __future__ import annotations

import logging

from bot import redact


def setup_logging(level: str) -> None:
    redact.install()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO; keep that at WARNING unless debugging
    if level != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)
