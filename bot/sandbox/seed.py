"""The sandbox's account: eight people with the same email in Slack, PagerDuty and Opsgenie (Heidi
has no PagerDuty account), weekly and daily rotations in two time zones, and a few hand-made
overrides already in place.

| provider | schedule | rotation | zone | people |
| --- | --- | --- | --- | --- |
| PagerDuty | Platform | weekly, Monday 10:00 | Europe/Berlin | alice bob carol dave |
| PagerDuty | Database | daily, 09:00 | America/New_York | erin frank grace |
| Opsgenie | Platform | weekly, Monday 10:00 | Europe/Berlin | alice bob carol dave |
| Opsgenie | Payments | daily, 09:00 | America/New_York | erin grace heidi |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.sandbox.opsgenie import OpsgenieSim
from bot.sandbox.pagerduty import PagerDutySim
from bot.sandbox.schedule import Rotation
from bot.sandbox.slack_api import SlackSim

PD_KEY = "pd-sandbox-read-write-key-0001"
PD_READ_ONLY_KEY = "pd-sandbox-read-only-key-0002"
OG_KEY = "og-sandbox-read-write-key-0003"
OG_READ_ONLY_KEY = "og-sandbox-read-only-key-0004"
CHANNEL = ("C0ONCALL", "oncall")


@dataclass(frozen=True)
class Person:
    slack_id: str
    name: str
    tz: str
    admin: bool = False
    pagerduty_id: str | None = None
    opsgenie_id: str | None = None

    @property
    def email(self) -> str:
        return f"{self.name}@example.com"

    @property
    def real_name(self) -> str:
        return f"{self.name.title()} {_SURNAMES[self.name]}"


_SURNAMES = {"alice": "Adams", "bob": "Brown", "carol": "Chen", "dave": "Diaz", "erin": "Evans", "frank": "Fox",
             "grace": "Garcia", "heidi": "Hill"}
PEOPLE = (
    Person("U01ALICE", "alice", "Europe/Berlin", admin=True, pagerduty_id="PALICE1", opsgenie_id="og-alice"),
    Person("U02BOB", "bob", "Europe/London", pagerduty_id="PBOB002", opsgenie_id="og-bob"),
    Person("U03CAROL", "carol", "America/New_York", pagerduty_id="PCAROL3", opsgenie_id="og-carol"),
    Person("U04DAVE", "dave", "Europe/Berlin", pagerduty_id="PDAVE04", opsgenie_id="og-dave"),
    Person("U05ERIN", "erin", "America/New_York", pagerduty_id="PERIN05", opsgenie_id="og-erin"),
    Person("U06FRANK", "frank", "America/New_York", admin=True, pagerduty_id="PFRANK6", opsgenie_id="og-frank"),
    Person("U07GRACE", "grace", "America/Los_Angeles", pagerduty_id="PGRACE7", opsgenie_id="og-grace"),
    Person("U08HEIDI", "heidi", "Europe/Berlin", pagerduty_id=None, opsgenie_id="og-heidi"),
)
WEEK, DAY = timedelta(days=7), timedelta(days=1)
MONDAY_0900_UTC = datetime(2026, 1, 5, 9, tzinfo=UTC)  # Monday 10:00 in Berlin (winter)
DAILY_1400_UTC = datetime(2026, 1, 5, 14, tzinfo=UTC)  # 09:00 in New York (winter)


def person(name: str) -> Person:
    return next(p for p in PEOPLE if p.name == name)


def _ids(kind: str, *names: str) -> tuple[str, ...]:
    return tuple(getattr(person(n), f"{kind}_id") for n in names)


def seed_slack(slack: SlackSim) -> None:
    for p in PEOPLE:
        slack.add_user(p.slack_id, p.name, p.email, tz=p.tz, admin=p.admin, real_name=p.real_name)
    slack.add_channel(*CHANNEL)


def seed_pagerduty(pd: PagerDutySim, now: datetime) -> None:
    pd.keys = {PD_KEY: "rw", PD_READ_ONLY_KEY: "ro"}
    pd.users.update({p.pagerduty_id: (p.real_name, p.email) for p in PEOPLE if p.pagerduty_id})
    pd.add_schedule("PPLATF1", "Platform", "Europe/Berlin",
                    Rotation(MONDAY_0900_UTC, WEEK, _ids("pagerduty", "alice", "bob", "carol", "dave")))
    pd.add_schedule("PDATAB2", "Database", "America/New_York",
                    Rotation(DAILY_1400_UTC, DAY, _ids("pagerduty", "erin", "frank", "grace")))
    day = _midnight(now)
    pd.hand_override("PPLATF1", person("dave").pagerduty_id, day + timedelta(days=9, hours=8), day + timedelta(days=9, hours=16))
    pd.hand_override("PDATAB2", person("grace").pagerduty_id, day + timedelta(days=2, hours=14), day + timedelta(days=2, hours=22))


def seed_opsgenie(og: OpsgenieSim, now: datetime) -> None:
    og.keys = {OG_KEY: "rw", OG_READ_ONLY_KEY: "ro"}
    og.users.update({p.opsgenie_id: (p.real_name, p.email) for p in PEOPLE if p.opsgenie_id})
    og.add_schedule("og-platform", "Platform", "Europe/Berlin",
                    Rotation(MONDAY_0900_UTC, WEEK, _ids("opsgenie", "alice", "bob", "carol", "dave")))
    og.add_schedule("og-payments", "Payments", "America/New_York",
                    Rotation(DAILY_1400_UTC, DAY, _ids("opsgenie", "erin", "grace", "heidi")))
    day = _midnight(now)
    og.hand_override("og-payments", person("heidi").opsgenie_id, day + timedelta(days=1, hours=14),
                     day + timedelta(days=1, hours=20))


def _midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
