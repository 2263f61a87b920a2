"""End to end: the real `oncall-bot run` process against the sandbox's Slack, PagerDuty and Opsgenie
simulators over HTTP, driven by sandbox scripts (the tour and harder ones), judged by the simulators'
final state (whom each provider pages at every hour up to the exported horizon) and by what Slack
received. Every provider request is checked against the official specs and every Slack call against
Slack's rules, wired as `oncall-bot sandbox` wires them (`Options.checked`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, create_engine, select

from bot.sandbox.provider import ProviderSim
from bot.sandbox.seed import OG_KEY, OG_READ_ONLY_KEY, PD_KEY, PD_READ_ONLY_KEY, PEOPLE, seed_pagerduty
from bot.sandbox.session import Options, Sandbox
from bot.sandbox.tour import TOUR
from bot.store import Destination, Member, Schedule, Shift

HOUR = timedelta(hours=1)


@pytest.fixture
def sandbox(tmp_path):
    out: list[str] = []
    box = Sandbox(Options.checked(sync_seconds=3, workdir=tmp_path), out=out.append)
    box.start()
    try:
        yield box
    finally:
        box.stop()
        print("\n".join(out))  # shown when a test fails
    log = (tmp_path / "bot.log").read_text()
    sent = json.dumps(box.slack.calls)
    for key in (PD_KEY, PD_READ_ONLY_KEY, OG_KEY, OG_READ_ONLY_KEY):
        assert key not in log and key not in sent, "an API key reached Slack or the log"
    assert not box.pd.problems and not box.og.problems, box.pd.problems + box.og.problems
    assert not box.slack.problems, box.slack.problems


def run(box: Sandbox, script: str) -> None:
    box.run(script.strip().splitlines())
    box.bot.stop()  # the final state: nothing writes any more


def bot_state(box: Sandbox, schedule: str) -> tuple[list[tuple[datetime, datetime, str]], dict[str, datetime | None]]:
    """The bot's shifts (start, end, email) and each destination's exported_until, from its database."""
    engine = create_engine(box.bot.env["DATABASE_URL"])
    with Session(engine) as session:
        sched = session.exec(select(Schedule).where(Schedule.name == schedule)).one()
        email = {m.id: m.email for m in session.exec(select(Member).where(Member.schedule_id == sched.id))}
        shifts = [(_utc(s.start), _utc(s.end), email[s.member_id]) for s in session.exec(
            select(Shift).where(Shift.schedule_id == sched.id, Shift.role == "primary").order_by(Shift.start))]
        marks = {d.provider_schedule_id: _utc(d.exported_until) if d.exported_until else None
                 for d in session.exec(select(Destination).where(Destination.schedule_id == sched.id))}
    engine.dispose()
    return shifts, marks


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def hours(until: datetime) -> list[datetime]:
    t = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + HOUR
    out = []
    while t < until:
        out.append(t)
        t += HOUR
    return out


def assigned(shifts, t: datetime) -> str:
    return next(email for start, end, email in shifts if start <= t < end)


def mismatches(sim: ProviderSim, schedule_id: str, shifts, until: datetime, skip=()) -> list:
    """Hours up to `until` at which the provider pages someone other than the bot assigned."""
    out = []
    for t in hours(until):
        want = assigned(shifts, t)
        if want in skip:
            continue
        paged = sim.user_email(sim.who(schedule_id, t))
        if paged != want:
            out.append((t.isoformat(), want, paged))
    return out


def texts(box: Sandbox, kind: str, audience: str | None = None) -> str:
    return "\n".join(json.dumps(e.payload) for e in box.slack.events
                     if e.surface.kind == kind and (audience is None or e.surface.audience == audience))


def uid(name: str) -> str:
    return next(p.slack_id for p in PEOPLE if p.name == name)


# ---------------------------------------------------------------- the tour


def test_tour(sandbox):
    run(sandbox, TOUR)
    shifts, marks = bot_state(sandbox, "Platform")
    assert set(marks) == {"PPLATF1", "og-platform"}
    mark = marks["PPLATF1"]
    assert mark is not None and mark == marks["og-platform"] and mark >= datetime.now(UTC) + timedelta(days=20)
    assert mismatches(sandbox.pd, "PPLATF1", shifts, mark) == []
    assert mismatches(sandbox.og, "og-platform", shifts, mark) == []

    channel = texts(sandbox, "channel")
    assert "hand-made override" in channel and "Re-apply bot assignments" in channel, "the drift alert"
    assert "re-applied" in channel and "Swap #1" in channel
    assert "Accept" in texts(sandbox, "dm", uid("alice")), "Alice was asked to consent"
    assert "moved" in texts(sandbox, "dm", uid("bob")) and "moved" in texts(sandbox, "dm", uid("alice"))
    assert "time off" in texts(sandbox, "dm", uid("carol"))
    assert all(email != "carol@example.com" for s, e, email in shifts
               if s <= datetime.now(UTC) + timedelta(days=19, hours=12) < e), "Carol's holiday is covered"
    status = [e.payload for e in sandbox.slack.events if e.surface.kind == "ephemeral"
              and "Destinations" in json.dumps(e.payload)][-1]
    assert json.dumps(status).count("Exported until") == 2


# ---------------------------------------------------------------- harder scripts

CONNECT_PD = """
as frank: /oncall connect
as frank: fill Provider=PagerDuty; Display name=Acme PagerDuty; API key={key}
as frank: submit
expect Connected
"""
LINK = """
as frank: /oncall link
as frank: fill Provider account={account}
as frank: fill Provider schedule={schedule}; Horizon=7; Channel=#oncall{extra}
as frank: submit
expect Linked
"""


def test_a_provider_failing_then_recovering_and_throttling(sandbox):
    run(sandbox, CONNECT_PD.format(key=PD_KEY) + """
pd fail 503 1000 writes
""" + LINK.format(account="Acme PagerDuty", schedule="Database", extra="") + """
as frank: /oncall sync
expect latest exported within 90
pd recover
pd throttle 1
as frank: /oncall sync
expect created within 90
""")
    reports = texts(sandbox, "ephemeral", uid("frank"))
    assert "503" in reports and "The next sync tries again" in reports
    assert not sandbox.pd.faults, "the throttled request was answered 429 (with ratelimit-reset) and retried"
    shifts, marks = bot_state(sandbox, "Database")
    assert marks["PDATAB2"] is not None and marks["PDATAB2"] >= datetime.now(UTC) + timedelta(days=6)
    assert mismatches(sandbox.pd, "PDATAB2", shifts, marks["PDATAB2"]) == []
    failed = [r for r in sandbox.pd.writes() if r.path.endswith("/overrides")]
    assert failed, "the bot tried to write while PagerDuty failed"


def test_a_read_only_key_imports_but_never_writes(sandbox):
    run(sandbox, CONNECT_PD.format(key=PD_READ_ONLY_KEY)
        + LINK.format(account="Acme PagerDuty", schedule="Platform", extra="") + """
as frank: /oncall sync
expect read-only within 60
""")
    said = texts(sandbox, "ephemeral", uid("frank"))
    assert "read-only" in said and "cannot export" in said
    assert [(r.method, r.path) for r in sandbox.pd.writes()] == [("POST", "/schedules/preview")]
    untouched = type(sandbox.pd)()
    seed_pagerduty(untouched, datetime.now(UTC))
    for t in hours(datetime.now(UTC) + timedelta(days=14)):
        assert sandbox.pd.who("PPLATF1", t) == untouched.who("PPLATF1", t), "PagerDuty pages as before"
    _shifts, marks = bot_state(sandbox, "Platform")
    assert marks == {"PPLATF1": None}


def test_a_member_without_an_account_at_one_destination(sandbox):
    run(sandbox, CONNECT_PD.format(key=PD_KEY) + """
as frank: /oncall connect
as frank: fill Provider=Opsgenie; Display name=Acme Opsgenie; API key=og-sandbox-read-write-key-0003
as frank: submit
expect Connected
""" + LINK.format(account="Acme Opsgenie", schedule="Payments", extra="; Also export to=Database") + """
as frank: /oncall sync
expect latest exported within 90
""")
    report = texts(sandbox, "ephemeral", uid("frank"))
    assert "heidi@example.com" in report and "no PagerDuty account" in report
    shifts, marks = bot_state(sandbox, "Payments")
    assert "heidi@example.com" in {email for *_x, email in shifts}
    assert mismatches(sandbox.og, "og-payments", shifts, marks["og-payments"]) == []
    # PagerDuty pages the bot's choice wherever it can; Heidi's shifts stay as PagerDuty had them
    assert mismatches(sandbox.pd, "PDATAB2", shifts, marks["PDATAB2"], skip={"heidi@example.com"}) == []
    assert all(sandbox.pd.user_email(sandbox.pd.who("PDATAB2", t)) != "heidi@example.com"
               for t in hours(marks["PDATAB2"]))


# ---------------------------------------------------------------- the terminal session


def test_an_interactive_session_fills_a_modal_by_answering_prompts(sandbox):
    answers = iter(["PagerDuty", "Acme PagerDuty", PD_KEY, "", "", ""])  # Enter: JSM's fields empty, region kept
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt.strip())
        return next(answers)

    sandbox.ask = ask
    sandbox.step("as alice: /oncall connect")
    assert asked == ["Provider:", "Display name:", "API key:", "Atlassian site (JSM only) (optional):",
                     "Atlassian account email (JSM only) (optional):", "Region:"]
    sandbox.step("expect Connected")
    shown = sandbox.slack.open_modal(uid("alice"))  # the modal turns into the result (checked after the ack)
    assert shown is not None and shown.payload["title"]["text"] == "Account connected"
    transcript = "\n".join(sandbox.transcript)
    assert "Connected *Acme PagerDuty*" in transcript and "[Link a schedule]" in transcript
    assert PD_KEY not in transcript


def test_a_script_step_that_cannot_be_done_stops_with_its_line(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "steps.txt"
    script.write_text("# a comment\npd who Platform +1d\nas nobody: /oncall help\n")
    result = subprocess.run([sys.executable, "-m", "bot", "sandbox", "--script", str(script)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "PagerDuty Platform pages" in result.stdout
    assert "line 3: as nobody: /oncall help" in result.stderr and "nobody called 'nobody'" in result.stderr
