"""`oncall-bot sandbox [--tour | --script FILE] [--sync-seconds N]`.

Every provider request is checked against the official API descriptions (when present) and every
Slack call against Slack's rules; what a simulator refuses is counted and printed at the end, and
a `--script` or `--tour` with any refused request exits 1.
"""

from __future__ import annotations

import argparse
import sys

from bot.sandbox.process import BotNotStarted
from bot.sandbox.session import Options, Sandbox
from bot.sandbox.slack_user import SandboxError
from bot.sandbox.tour import TOUR


def run_sandbox(args: argparse.Namespace) -> int:
    lines = TOUR.splitlines() if args.tour else args.script.read().splitlines() if args.script else None
    interactive = lines is None
    ask = input if interactive else None
    options = Options.checked(sync_seconds=max(1, args.sync_seconds))
    sandbox = Sandbox(options, out=lambda t: print(t, flush=True), ask=ask)
    print("Starting the simulators and the bot…", flush=True)
    try:
        sandbox.start()
    except BotNotStarted as exc:
        print(f"oncall-bot sandbox: {exc}", file=sys.stderr)
        sandbox.stop()
        return 1
    try:
        print(sandbox.intro(), flush=True)
        if not interactive:
            sandbox.run(lines)
            return _report(sandbox, strict=True)
        code = _interactive(sandbox)
        _report(sandbox, strict=False)
        return code
    except SandboxError as exc:
        tail = "\n".join(sandbox.bot.log().splitlines()[-15:]) if sandbox.bot else ""
        print(f"oncall-bot sandbox: {exc}\n--- the bot's log, last lines ---\n{tail}", file=sys.stderr)
        _report(sandbox, strict=False)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        sandbox.stop()


def _report(sandbox: Sandbox, *, strict: bool) -> int:
    """Print the count of refused requests (and the first of them); 1 when `strict` and any."""
    refused = sandbox.refused()
    print(sandbox.summary(), flush=True)
    for problem in refused[:10]:
        print(f"  ! {problem}", file=sys.stderr, flush=True)
    return 1 if strict and refused else 0


def _interactive(sandbox: Sandbox) -> int:
    while True:
        sandbox.flush(quiet=0.05, timeout=0.1)
        try:
            line = input("sandbox> ").strip()
        except EOFError:
            return 0
        if line in ("quit", "exit"):
            return 0
        if not line or line.startswith("#"):
            continue
        try:
            sandbox.step(line)
        except SandboxError as exc:
            print(f"  ! {exc}", flush=True)
