"""Slow work off the listener thread: `in_background` hands it off after the ack, and
`run_with_deadline` bounds a call (modal submissions must be answered within 3 s; background
work still gets an overall deadline)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The call did not finish in time; it keeps running in a daemon thread and is ignored."""


def run_with_deadline(fn: Callable[[], T], seconds: float) -> T:
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name="deadline-call", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DeadlineExceeded(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def in_background(fn: Callable[[], None], name: str) -> None:
    """Run `fn` in a daemon thread, so the listener returns right after its ack; `fn` bounds its
    own provider calls (`run_with_deadline`) and reports its errors itself."""
    threading.Thread(target=fn, name=name, daemon=True).start()
