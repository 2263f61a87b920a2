"""The sandbox's account: eight people with the same email in Slack, PagerDuty and Opsgenie (Heidi
has no PagerDuty account), weekly and daily rotations in two time zones, and a few hand-made
overrides already in place.

| provider | schedule | rotation | zone | people |
| --- | --- | --- | --- | --- |
| PagerDuty | Platform | weekly, Monday 10:00 | Europe/Berlin | alice bob carol dave |
| PagerDuty | Database | daily, 09:00 | America/New_York | erin frank grace |
| Opsgenie | Platform | weekly, Monday 10:00 | Europe/Berlin | alice bob carol dave |
| Opsgenie | Payments | daily, 09:00 | America/New_York | erin grace heidi |
| JSM (site `acme`) | Platform | weekly, Monday 10:00 | Europe/Berlin | alice bob carol dave |

JSM is where the Opsgenie team moves (`/oncall edit` replaces its Opsgenie destination); its
Platform schedule carries the overrides a migration copied. Dave's Atlassian profile hides his email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.sandbox.jsm import JsmSim
from bot.sandbox.opsgenie import OpsgenieSim
from bot.sandbox.pagerduty import PagerDutySim
from bot.sandbox.provider import ProviderSim
from bot.sandbox.schedule import Rotation
from bot.sandbox.slack_api import SlackSim

PD_KEY = "pd-sandbox-read-write-key-0001"
PD_READ_ONLY_KEY = "pd-sandbox-read-only-key-0002"
OG_KEY = "og-sandbox-read-write-key-0003"
OG_READ_ONLY_KEY = "og-sandbox-read-only-key-0004"
JSM_SITE, JSM_EMAIL, JSM_TOKEN = "acme", "alice@example.com", "jsm-sandbox-api-token-0005"
JSM_VIEWER_EMAIL, JSM_VIEWER_TOKEN = "bob@example.com", "jsm-sandbox-viewer-token-0006"  # no edit rights
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
    def jsm_id(self) -> str:
        """The person's Atlassian account id (everyone has one)."""
        return "5b10ac8d82e05b22cc7d" + self.slack_id[1:3] + self.name[:2]

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


# (id, name, zone, rotation origin, turn, people) per provider, and the hand-made overrides
# (schedule, person, days from today's midnight UTC, from hour, to hour)
SCHEDULES = {
    "pagerduty": (("PPLATF1", "Platform", "Europe/Berlin", MONDAY_0900_UTC, WEEK, ("alice", "bob", "carol", "dave")),
                  ("PDATAB2", "Database", "America/New_York", DAILY_1400_UTC, DAY, ("erin", "frank", "grace"))),
    "opsgenie": (("og-platform", "Platform", "Europe/Berlin", MONDAY_0900_UTC, WEEK, ("alice", "bob", "carol", "dave")),
                 ("og-payments", "Payments", "America/New_York", DAILY_1400_UTC, DAY, ("erin", "grace", "heidi"))),
}
HAND_MADE = {
    "pagerduty": (("PPLATF1", "dave", 9, 8, 16), ("PDATAB2", "grace", 2, 14, 22)),
    "opsgenie": (("og-payments", "heidi", 1, 14, 20),),
}


def seed_provider(sim: ProviderSim, kind: str, keys: dict[str, str], now: datetime) -> None:
    """`kind`: pagerduty | opsgenie (which account id of each person, which schedules)."""
    sim.keys = keys
    sim.users.update({getattr(p, f"{kind}_id"): (p.real_name, p.email) for p in PEOPLE if getattr(p, f"{kind}_id")})
    for sid, name, zone, origin, turn, people in SCHEDULES[kind]:
        sim.add_schedule(sid, name, zone, Rotation(origin, turn, _ids(kind, *people)))
    day = _midnight(now)
    for sid, name, days, start, end in HAND_MADE[kind]:
        sim.hand_override(sid, getattr(person(name), f"{kind}_id"), day + timedelta(days=days, hours=start),
                          day + timedelta(days=days, hours=end))


def seed_pagerduty(pd: PagerDutySim, now: datetime) -> None:
    seed_provider(pd, "pagerduty", {PD_KEY: "rw", PD_READ_ONLY_KEY: "ro"}, now)


def seed_opsgenie(og: OpsgenieSim, now: datetime) -> None:
    seed_provider(og, "opsgenie", {OG_KEY: "rw", OG_READ_ONLY_KEY: "ro"}, now)


def seed_jsm(jsm: JsmSim, now: datetime) -> None:
    """The Opsgenie Platform schedule as a migration leaves it in JSM: same rotation, same hand-made
    overrides, people as Atlassian account ids."""
    jsm.site = JSM_SITE
    jsm.keys = {f"{JSM_EMAIL}:{JSM_TOKEN}": "rw", f"{JSM_VIEWER_EMAIL}:{JSM_VIEWER_TOKEN}": "ro"}
    jsm.users.update({p.jsm_id: (p.real_name, p.email) for p in PEOPLE})
    jsm.hidden_emails.add(person("dave").jsm_id)
    platform = SCHEDULES["opsgenie"][0]
    jsm.add_schedule("jsm-platform", platform[1], platform[2],
                     Rotation(platform[3], platform[4], tuple(person(n).jsm_id for n in platform[5])))


def _midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
