"""`oncall-bot sandbox`: the simulators, the real bot process and a terminal session on one machine.

Steps (typed, or one per line of a `--script` file; `#` starts a comment):

    as bob: /oncall swap @alice          a slash command in #oncall (mentions and #channels as Slack sends them)
    as bob: press Confirm                 the newest button with that label bob can see (modal, messages, Home)
    as alice: fill API key=pd-… ; Display name=Acme
    as alice: submit | cancel | home | modal
    pd who Platform [now|+2d|+1d6h|2026-12-07 10:00]    whom PagerDuty pages (og … for Opsgenie)
    pd timeline Platform [days]           who is paged, segment by segment
    pd edit Platform carol|other +1d +1d6h   a hand-made override (other: anyone but the one paged)
    pd fail 503 [times] [writes] · pd throttle [reset-seconds] · pd recover · pd latency 0.5
    expect <text> [within 60]             wait until the bot shows this text (fails the script otherwise)
    wait 5 · note <text> · people · help

In an interactive session, a modal that opens asks for its fields one by one and submits.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from bot.sandbox import render
from bot.sandbox.conformance import PUBLIC_BASE, simulator_check, specs_dir, unchecked_reason
from bot.sandbox.http import LoopbackServer
from bot.sandbox.jsm import JsmSim
from bot.sandbox.opsgenie import OpsgenieSim
from bot.sandbox.pagerduty import PagerDutySim
from bot.sandbox.process import BotRunner
from bot.sandbox.provider import ProviderSim, SimRequest
from bot.sandbox.seed import CHANNEL, PEOPLE, seed_jsm, seed_opsgenie, seed_pagerduty, seed_slack
from bot.sandbox.slack_api import Event, Rules, SlackSim
from bot.sandbox.slack_rules import violations
from bot.sandbox.slack_user import SandboxError, SlackPeople, fields

_AS = re.compile(r"^as\s+@?(?P<who>[\w.-]+)\s*:\s*(?P<what>.*)$", re.I)
_REL = re.compile(r"^\+((?P<d>\d+)d)?((?P<h>\d+)h)?((?P<m>\d+)m)?$")
_DATE = re.compile(r"\{date([+-]\d+)d\}")


@dataclass
class Options:
    sync_seconds: int = 5
    rules: Rules | None = violations  # Slack's rules: (method, body) -> problems; None: anything goes
    pagerduty_check: Callable[[SimRequest], list[str]] | None = None  # provider request validation
    opsgenie_check: Callable[[SimRequest], list[str]] | None = None
    jsm_check: Callable[[SimRequest], list[str]] | None = None
    unchecked: str | None = None  # why provider requests are not checked (a line of the intro)
    workdir: Path | None = None
    echo: bool = True  # print each step before its output

    @classmethod
    def checked(cls, **kw: object) -> Options:
        """What `oncall-bot sandbox` runs: every provider request validated against the official API
        descriptions when they (and the validator libraries) are present, else `unchecked` says why."""
        reason = unchecked_reason()
        if reason:
            return cls(unchecked=reason, **kw)
        return cls(pagerduty_check=simulator_check(PUBLIC_BASE["pagerduty"]),
                   opsgenie_check=simulator_check(PUBLIC_BASE["opsgenie"]),
                   jsm_check=simulator_check(PUBLIC_BASE["jsm"]), **kw)


@dataclass
class Sandbox:
    options: Options = field(default_factory=Options)
    out: Callable[[str], None] = print
    ask: Callable[[str], str] | None = None  # interactive: prompts for modal fields

    def __post_init__(self) -> None:
        self.slack = SlackSim(token="xoxb-sandbox-" + secrets.token_hex(8), rules=self.options.rules)
        self.pd = PagerDutySim(check=self.options.pagerduty_check)
        self.og = OpsgenieSim(check=self.options.opsgenie_check)
        self.jsm = JsmSim(check=self.options.jsm_check)
        self.providers: dict[str, ProviderSim] = {"pd": self.pd, "og": self.og, "jsm": self.jsm}
        self.servers: list[LoopbackServer] = []
        self.bot: BotRunner | None = None
        self.people: SlackPeople | None = None
        self.printed = 0  # events shown so far
        self.step_from = 0  # events before the current step
        self.transcript: list[str] = []
        self.homes_open: set[str] = set()  # people whose Home tab is shown as it changes
        self._tmp: tempfile.TemporaryDirectory | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Sandbox:
        now = datetime.now(UTC)
        seed_slack(self.slack)
        seed_pagerduty(self.pd, now)
        seed_opsgenie(self.og, now)
        seed_jsm(self.jsm, now)
        slack_server = LoopbackServer(self.slack.handle, "slack-sim").start()
        self.slack.base_url = slack_server.url
        self.servers = [slack_server, LoopbackServer(self.pd.handle, "pagerduty-sim").start(),
                        LoopbackServer(self.og.handle, "opsgenie-sim").start(),
                        LoopbackServer(self.jsm.handle, "jsm-sim").start()]
        workdir = self.options.workdir
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="oncall-sandbox-")
            workdir = Path(self._tmp.name)
        secret = secrets.token_hex(16)
        env = {"SLACK_BOT_TOKEN": self.slack.token, "SLACK_SIGNING_SECRET": secret,
               "SLACK_API_URL": f"{slack_server.url}/api/", "PAGERDUTY_API_URL": self.servers[1].url,
               "OPSGENIE_API_URL": self.servers[2].url, "JSM_API_URL": self.servers[3].url,
               "JSM_SITE_URL": self.servers[3].url, "ONCALL_SECRET_KEY": Fernet.generate_key().decode(),
               "SYNC_INTERVAL_SECONDS": str(self.options.sync_seconds)}
        self.bot = BotRunner(workdir, env).start()
        self.people = SlackPeople(self.slack, self.bot.events_url, secret, channel=CHANNEL[0])
        return self

    def stop(self) -> None:
        if self.people:
            self.people.close()
        if self.bot:
            self.bot.stop()
        for server in self.servers:
            server.stop()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def intro(self) -> str:
        from bot.sandbox.seed import (
            JSM_EMAIL,
            JSM_SITE,
            JSM_TOKEN,
            OG_KEY,
            OG_READ_ONLY_KEY,
            PD_KEY,
            PD_READ_ONLY_KEY,
        )

        who = ", ".join(f"{p.name}{' (admin)' if p.admin else ''}" for p in PEOPLE)
        lines = [
            "oncall-bot sandbox: the real bot, with simulated Slack, PagerDuty, Opsgenie and JSM on this machine.",
            f"People: {who}. Channel: #{CHANNEL[1]}. Sync every {self.options.sync_seconds} s.",
            "PagerDuty schedules: Platform (weekly, Berlin), Database (daily, New York); "
            "Opsgenie: Platform (weekly, Berlin), Payments (daily, New York); "
            "JSM: Platform (weekly, Berlin, as a migration from Opsgenie leaves it).",
            f"API keys: PagerDuty {PD_KEY} (read-only: {PD_READ_ONLY_KEY}); "
            f"Opsgenie {OG_KEY} (read-only: {OG_READ_ONLY_KEY}); "
            f"JSM site {JSM_SITE}, email {JSM_EMAIL}, API token {JSM_TOKEN}.",
            self.checks_line(),
            "Try: as alice: /oncall connect   ·   pd who Platform   ·   help   ·   quit   "
            "(Enter shows what the bot did in the background)",
        ]
        return "\n".join(lines)

    def checks_line(self) -> str:
        o = self.options
        slack = "Slack calls against Slack's rules" if o.rules else "Slack calls unchecked"
        if o.pagerduty_check and o.opsgenie_check and o.jsm_check:
            return f"Checked: provider requests against the official API descriptions in {specs_dir()}; {slack}."
        return f"Provider requests are not checked ({o.unchecked or 'no check given'}); {slack}."

    def refused(self) -> list[str]:
        """Every request a simulator refused: not conforming to a provider's API description, or
        something Slack's rules refuse."""
        out = []
        for sim in (self.pd, self.og, self.jsm):
            with sim.lock:
                out += [f"{sim.name}: {p}" for p in sim.problems]
        return out + [f"Slack: {p}" for p in list(self.slack.problems)]

    def summary(self) -> str:
        provider = len(self.pd.problems) + len(self.og.problems) + len(self.jsm.problems)
        counted = "not checked" if not (self.options.pagerduty_check and self.options.opsgenie_check) else \
            f"{provider} not conforming to the API descriptions (answered 400)"
        return f"Refused requests: provider {counted}; Slack {len(self.slack.problems)} refused by its rules."

    # ------------------------------------------------------------ output

    def emit(self, text: str) -> None:
        self.transcript.append(text)
        self.out(text)

    def flush(self, *, quiet: float = 0.8, timeout: float = 20.0) -> None:
        """Wait until the bot is quiet, then show what changed in Slack since the last look."""
        self.slack.wait_quiet(quiet, timeout)
        events = self.slack.events[self.printed:]
        self.printed += len(events)
        homes: list[str] = []
        for event in events:
            s = event.surface
            if s.kind == "home" and s.audience not in self.homes_open:
                homes += [] if "@" + self.slack.name_of(s.audience) in homes else ["@" + self.slack.name_of(s.audience)]
            else:
                self.emit(self.describe(event))
        if homes:
            self.emit(f"  ◇ Home tab re-published for {', '.join(homes)} (`as NAME: home` shows it)")

    def names(self, viewer: str | None) -> render.Names:
        tz = self.slack.users.get(viewer or "", {}).get("tz", "UTC")
        return render.Names(self.slack.name_of,
                            lambda cid: (self.slack.channels.get(cid) or {}).get("name", cid), tz)

    def describe(self, event: Event) -> str:
        s = event.surface
        who = "@" + self.slack.name_of(s.audience) if s.audience else ""
        channel = "#" + (self.slack.channels.get(s.channel or "") or {}).get("name", s.channel or "")
        heads = {"channel": f"in {channel}", "dm": f"DM to {who}", "ephemeral": f"to {who} only, in {channel}",
                 "modal": f"modal for {who}", "home": f"Home tab of {who}"}
        head = heads[s.kind] + {"new": "", "updated": " (updated)", "closed": " (closed)"}[event.what]
        if event.what == "closed":
            return f"  ◇ {head}"
        names = self.names(s.audience)
        body = render.view(event.payload, names) if s.kind in ("modal", "home") else render.message(event.payload, names)
        return f"  ◆ {head}\n{render.indent(body)}"

    def text_since(self, seq: int) -> str:
        return "\n".join(self.describe(e) for e in self.slack.events[seq:])

    # ------------------------------------------------------------ steps

    def run(self, lines: Iterable[str]) -> None:
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                self.step(line)
            except SandboxError as exc:
                raise SandboxError(f"line {number}: {line}\n  {exc}") from None
        self.flush(quiet=1.5)

    def step(self, line: str) -> None:
        line = _DATE.sub(lambda m: (datetime.now(UTC) + timedelta(days=int(m[1]))).strftime("%Y-%m-%d"), line)
        if line.startswith("note "):
            self.emit(f"\n── {line[5:].strip()}")
            return
        if self.options.echo:
            self.emit(f"› {line}")
        self.flush(quiet=0.05, timeout=0.1)  # what arrived in between (e.g. a background sync)
        if not line.startswith("expect "):  # expect looks at what the previous step brought
            self.step_from = len(self.slack.events)
        if m := _AS.match(line):
            self.act(m["who"], m["what"].strip())
        elif line.split()[0] in self.providers:
            self.provider(self.providers[line.split()[0]], shlex.split(line)[1:])
        elif line.startswith("expect "):
            self.expect(line[7:])
        elif line.startswith("wait"):
            time.sleep(float(line.split()[1]) if len(line.split()) > 1 else 1.0)
            self.flush()
        elif line == "people":
            self.emit("\n".join(f"  {p.name:6} {p.email:20} {p.tz:20} PagerDuty {p.pagerduty_id or '—':8} "
                                f"Opsgenie {p.opsgenie_id}" for p in PEOPLE))
        elif line == "help":
            self.emit(__doc__.split("\n\n", 2)[2] if __doc__ else "")
        else:
            raise SandboxError("unknown step; type `help`")

    def person(self, ref: str) -> str:
        uid = self.slack.user_id(ref)
        if uid is None:
            raise SandboxError(f"nobody called {ref!r} here; people: {', '.join(p.name for p in PEOPLE)}")
        return uid

    def act(self, who: str, what: str) -> None:
        user, people = self.person(who), self.people
        verb, _, rest = what.partition(" ")
        calls = len(self.slack.calls)
        if verb == "/oncall":
            resp = people.command(user, self.slack_text(rest.strip()))
            if resp.status_code != 200:
                raise SandboxError(f"the bot answered {resp.status_code}: {resp.text[:200]}")
            if resp.content.strip():  # an immediate answer in the HTTP response
                self.slack.reply(user, people.channel, _answer(resp.text))
        elif verb == "press":
            people.press(user, rest)
        elif verb == "fill":
            answers = dict(_pair(p) for p in rest.split(";") if p.strip())
            people.fill(user, answers)
        elif verb == "submit":
            self.flush()
            self._submit(user)
        elif verb == "cancel":
            people.cancel(user)
        elif verb == "home":
            self.homes_open.add(user)
            people.home(user)
        elif verb == "modal":
            modal = people.modal(user)
            self.emit(render.indent(render.view(modal.payload, self.names(user))))
        else:
            raise SandboxError("after `as NAME:` comes /oncall …, press LABEL, fill FIELD=VALUE, submit, cancel, home")
        if verb in ("/oncall", "press", "submit", "home"):  # the bot answers after its ack: give it a moment
            self.slack.wait_for(lambda: len(self.slack.calls) > calls, timeout=3)
        self.flush()
        if self.ask is not None:
            self.fill_interactively(user)

    def slack_text(self, text: str) -> str:
        """Mentions and channels as Slack sends them with should_escape: <@U…|name>, <#C…|name>."""
        def person(m: re.Match) -> str:
            uid = self.slack.user_id(m[1])
            return f"<@{uid}|{self.slack.name_of(uid)}>" if uid else m[0]

        def channel(m: re.Match) -> str:
            cid = self.slack.channel_id(m[1])
            return f"<#{cid}|{m[1]}>" if cid else m[0]

        return re.sub(r"#([\w-]+)", channel, re.sub(r"(?<![\w<])@([\w.-]+)", person, text))

    def fill_interactively(self, user: str) -> None:
        while (modal := self.slack.open_modal(user)) is not None and modal.payload.get("submit"):
            self.emit(f"  (filling the modal as @{self.slack.name_of(user)}: Enter keeps the shown value, "
                      "`-` cancels)")
            for f in fields(modal.payload):
                raw = self.ask(f"  {f.label}{' (optional)' if f.optional else ''}: ")
                if raw.strip() == "-":
                    self.people.cancel(user)
                    self.flush()
                    return
                if raw.strip():
                    try:
                        self.people.fill(user, {f.block_id: raw.strip()})
                    except SandboxError as exc:
                        self.emit(f"  {exc}")
            self._submit(user)

    def _submit(self, user: str) -> None:
        answer = self.people.submit(user)
        if answer and answer.get("response_action") == "errors":
            self.emit("  ◆ the modal says: " + "; ".join(f"{k}: {v}" for k, v in answer["errors"].items()))
        self.flush()

    def expect(self, rest: str) -> None:
        timeout = 30.0
        if m := re.search(r"\s+within\s+(\d+)\s*s?$", rest):
            timeout, rest = float(m[1]), rest[: m.start()]
        wanted = rest.strip().strip('"').lower()

        def seen() -> bool:
            return wanted in self.text_since(self.step_from).lower()

        if not self.slack.wait_for(seen, timeout=timeout):
            self.flush()
            raise SandboxError(f"the bot did not show {wanted!r} within {timeout:.0f} s")
        self.flush()

    # ------------------------------------------------------------ providers

    def provider(self, sim: ProviderSim, args: list[str]) -> None:
        if not args:
            raise SandboxError("pd/og who|timeline|edit|fail|throttle|recover|latency …")
        verb, rest = args[0], args[1:]
        if verb in ("who", "timeline", "edit") and not rest:
            raise SandboxError(f"which schedule? {', '.join(s.name for s in sim.schedules.values())}")
        schedule = sim.schedule(rest[0]) if rest else None
        if verb in ("who", "timeline", "edit") and schedule is None:
            raise SandboxError(f"{sim.name} has no schedule {rest[0]!r}; it has "
                               f"{', '.join(s.name for s in sim.schedules.values())}")
        if verb == "who":
            at = parse_when(" ".join(rest[1:]) or "now", schedule.time_zone)
            uid = sim.who(schedule.id, at)
            self.emit(f"  {sim.name} {schedule.name} pages {self.provider_person(sim, uid)} at "
                      f"{at.astimezone(ZoneInfo(schedule.time_zone)):%a %d %b %H:%M %Z}")
        elif verb == "timeline":
            days = int(rest[1]) if len(rest) > 1 else 7
            now = datetime.now(UTC)
            with sim.lock:
                segments = schedule.sim.rendered(now, now + timedelta(days=days))
            zone = ZoneInfo(schedule.time_zone)
            for seg in segments:
                self.emit(f"  {seg.start.astimezone(zone):%a %d %b %H:%M} → {seg.end.astimezone(zone):%a %d %b %H:%M}"
                          f"  {self.provider_person(sim, seg.user_id)}")
        elif verb == "edit":
            if len(rest) != 4:
                raise SandboxError("pd edit SCHEDULE PERSON|other FROM TO   e.g. pd edit Platform other +1d +1d6h")
            start, end = (parse_when(t, schedule.time_zone) for t in rest[2:4])
            uid = self.provider_user(sim, schedule.id, rest[1], start)
            sim.hand_override(schedule.id, uid, start, end)
            self.emit(f"  by hand in {sim.name} {schedule.name}: {self.provider_person(sim, uid)} from "
                      f"{start.astimezone(ZoneInfo(schedule.time_zone)):%a %d %b %H:%M} to "
                      f"{end.astimezone(ZoneInfo(schedule.time_zone)):%a %d %b %H:%M}")
        elif verb == "fail":
            status = int(rest[0]) if rest else 503
            times = int(rest[1]) if len(rest) > 1 else 1000
            sim.fail(status, times=times, writes_only="writes" in rest)
            self.emit(f"  {sim.name} now answers {status} ({times} times{', writes only' if 'writes' in rest else ''})")
        elif verb == "throttle":
            sim.fail(429, times=1, reset=float(rest[0]) if rest else None)
            self.emit(f"  {sim.name} throttles the next request")
        elif verb == "recover":
            sim.recover()
            sim.latency = 0.0
            self.emit(f"  {sim.name} works again")
        elif verb == "latency":
            sim.latency = float(rest[0]) if rest else 0.5
            self.emit(f"  {sim.name} answers after {sim.latency:.2f} s")
        else:
            raise SandboxError(f"unknown {sim.name} step {verb!r}")

    def provider_person(self, sim: ProviderSim, user_id: str) -> str:
        email = sim.user_email(user_id)
        return email.split("@")[0] if email.endswith("@example.com") else user_id

    def provider_user(self, sim: ProviderSim, schedule_id: str, ref: str, at: datetime) -> str:
        if ref == "other":
            paged = sim.who(schedule_id, at)
            rotation = sim.schedules[schedule_id].sim.rotation.users
            return next(u for u in rotation if u != paged)
        email = f"{ref.lstrip('@').lower()}@example.com"
        found = next((u for u, (_n, e) in sim.users.items() if e == email or u == ref), None)
        if found is None:
            raise SandboxError(f"{ref!r} has no {sim.name} account")
        return found

    # ------------------------------------------------------------ inspection (tests)

    def paged(self, sim: ProviderSim, schedule: str, since: datetime, until: datetime,
              step: timedelta = timedelta(hours=1)) -> list[tuple[datetime, str]]:
        """(instant, email) of whom the provider pages at every `step` of [since, until)."""
        found = sim.schedule(schedule)
        out, t = [], since
        while t < until:
            out.append((t, sim.user_email(sim.who(found.id, t))))
            t += step
        return out


def _answer(body: str) -> dict:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"text": body}
    return parsed if isinstance(parsed, dict) else {"text": body}


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise SandboxError(f"fill wants FIELD=VALUE, got {text.strip()!r}")
    return name.strip(), value.strip()


def parse_when(text: str, zone: str) -> datetime:
    """now · +2d · +1d6h · +30m · 2026-12-07 · 2026-12-07 10:00 (in the schedule's zone)."""
    text = text.strip()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if text in ("", "now"):
        return now
    if m := _REL.match(text):
        if not any(m.groupdict().values()):
            raise SandboxError(f"cannot read the time {text!r}")
        return now + timedelta(days=int(m["d"] or 0), hours=int(m["h"] or 0), minutes=int(m["m"] or 0))
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        except ValueError:
            continue
    raise SandboxError(f"cannot read the time {text!r}: now, +2d, +1d6h, 2026-12-07 or 2026-12-07 10:00")
