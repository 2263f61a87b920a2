"""Jira Service Management (JSM) Operations client: Opsgenie's successor.

Tested against Atlassian's "JSM Operations API" description, info.version "1" (the schedule,
rotation, override and timeline paths under `/jsm/ops/api/{cloudId}/v1`; Atlassian marks them
experimental, so every mapping reads only the fields it needs and ignores the rest).

- One global host (`https://api.atlassian.com`); the site's `cloudId` comes from
  `https://<site>.atlassian.net/_edge/tenant_info` (once, at connect time; stored with the token).
- HTTP Basic with the Atlassian account's email and an API token: every call acts as that person.
  API tokens expire (within a year), so a 401 says in plain words to renew the token.
- People are Atlassian account ids. Emails come from Jira's user API on the same site
  (`GET /rest/api/3/user/bulk`, 50 ids a request); a person whose profile hides the email gets
  `email=""`, so they stay unmapped (never guessed by name).
- Overrides: the server makes the alias (the client cannot choose it), so a create is not
  idempotent: it is sent once (retried only when it certainly did not arrive, or on 429), and its
  alias is what the apply layer records at once; a retry after a lost answer finds the override
  already there and adopts it (plan rule 6). Listing returns only ongoing and future overrides,
  50 a page; earlier ones come from the timeline (`expand=override`). Deleting an override that is
  in progress would erase what was paged, so it is cut to now with a full-replace `PUT` instead.
- Rate limits are not published beyond 429: `Retry-After` is honoured when present, otherwise the
  retries back off exponentially, and the account's token bucket is conservative
  (`bot.sync.ratelimit.JSM_PER_MINUTE`).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from .base import (
    AuthError,
    CreateResult,
    CredentialField,
    CredentialProblem,
    DeleteOutcome,
    InvalidRequest,
    NotFound,
    OverrideRequest,
    PermissionDenied,
    ProviderError,
    ProviderKind,
    Region,
    RemoteOverride,
    RemoteRotation,
    RemoteSchedule,
    RemoteUser,
    RenderedShift,
    Restriction,
    Unavailable,
    WriteCheck,
)
from .client import HttpProvider, quote_id
from .http import ApiClient, Retry, header_seconds
from .timefmt import iso, parse, parse_opt, utc

API_URL = "https://api.atlassian.com"  # one global host
SITE_URL = "https://{site}.atlassian.net"
API_VERSION = "JSM Operations API v1 (info.version 1 of Atlassian's OpenAPI description)"
PAGE_SIZE = 50  # the most a listing page holds
USERS_PER_REQUEST = 50
ALLOWED_PATHS = re.compile(r"/jsm/ops/api/[^/?#]+/v1/schedules(/[^/?#]+(/(rotations|timeline|overrides)"
                           r"(/[^/?#]+)?)?)?")
SITE_PATHS = re.compile(r"/_edge/tenant_info|/rest/api/3/user/bulk")
_SITE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TURN = {"hourly": 3600, "daily": 86400, "weekly": 604800}
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PROBE_START = datetime(2036, 1, 1, tzinfo=UTC)
PROBE_END = PROBE_START + timedelta(minutes=1)
RENEW = ("JSM refused the API token (401): Atlassian API tokens expire (at most a year after they are made) "
         "or may have been revoked. Create a new token at id.atlassian.com → Security → API tokens, then "
         "connect again with `/oncall connect` using the same email.")


_EMAIL = re.compile(r"^[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+$")


def site_name(text: str) -> str | None:
    """The site name of `acme`, `acme.atlassian.net` or `https://acme.atlassian.net/…`; None when it
    is not a valid Atlassian site name (letters, digits and hyphens)."""
    text = (text or "").strip().lower()
    if "//" in text:
        text = urlsplit(text).hostname or ""
    text = text.split("/")[0].removesuffix(".atlassian.net")
    return text if _SITE.fullmatch(text) else None


@dataclass(frozen=True)
class JsmCredentials:
    """What a JSM connection needs, stored together as the connection's encrypted secret."""

    site: str
    email: str
    token: str
    cloud_id: str = ""

    def pack(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def unpack(cls, secret: str) -> JsmCredentials:
        try:
            raw = json.loads(secret)
            return cls(str(raw["site"]), str(raw["email"]), str(raw["token"]), str(raw.get("cloud_id") or ""))
        except (ValueError, KeyError, TypeError):
            raise ValueError("not a JSM credential (site, email, token)") from None

    @property
    def basic(self) -> str:
        return base64.b64encode(f"{self.email}:{self.token}".encode()).decode()

    def __repr__(self) -> str:
        return f"JsmCredentials(site={self.site!r}, email={self.email!r}, cloud_id={self.cloud_id!r})"


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list):
        return "; ".join(str(e.get("title") or e.get("code") or "") for e in errors if isinstance(e, dict))
    messages = body.get("errorMessages")
    if isinstance(messages, list):
        return "; ".join(map(str, messages))
    return str(body.get("message") or "")


def _hint(response: httpx.Response) -> float | None:
    return header_seconds(response, "retry-after")


class JsmProvider(HttpProvider):
    """A JSM Operations site, acting as the person whose email and API token it holds.

    `api_key` is the packed `JsmCredentials`; `base_url` the API root (`JSM_API_URL`);
    `site_url` the site's URL template (`JSM_SITE_URL`, `{site}` is replaced)."""

    kind = ProviderKind.JSM
    label = "JSM"
    base_urls = {Region.US: API_URL}  # one global host, whatever the region
    base_url_setting = "JSM_API_URL"
    allowed_paths = ALLOWED_PATHS
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    auth_scheme = "Basic "
    requests_per_minute = 300  # Atlassian publishes no limit beyond answering 429: conservative
    burst = 20
    create_batch = 1  # one POST per override, its server-made alias recorded before the next
    key_help = ("an Atlassian API token (id.atlassian.com → Security → API tokens; it expires within a "
                "year) with the email of its account and the site name; the bot acts as that person.")
    rate_limit_hint = staticmethod(_hint)
    error_detail = staticmethod(_detail)
    credential_fields = (
        CredentialField("site", "Atlassian site", "The site name: acme for acme.atlassian.net.", 100),
        CredentialField("email", "Atlassian account email",
                        "The account the API token belongs to: the bot acts as this person.", 254),
    )
    succeeds = ProviderKind.OPSGENIE  # Atlassian ends Opsgenie; teams move their schedules to JSM

    @classmethod
    def default_base_url(cls, region: Region | str) -> str:
        return API_URL

    @classmethod
    def pack_secret(cls, api_key: str, fields: Mapping[str, str]) -> str:
        site = site_name(fields.get("site") or "")
        if not site:
            raise CredentialProblem("site", "Type the Atlassian site name, e.g. `acme` for acme.atlassian.net "
                                            "(letters, digits and hyphens).")
        email = (fields.get("email") or "").strip()
        if not _EMAIL.fullmatch(email):
            raise CredentialProblem("email", "Type the email of the Atlassian account the API token belongs "
                                             "to, e.g. ops@example.com.")
        return JsmCredentials(site, email, api_key).pack()

    def secret_to_store(self) -> str | None:
        """The credentials with the site's cloudId, once the check has read it."""
        return self.credentials.pack()

    @classmethod
    def refusal(cls, error: Exception, fields: Mapping[str, str]) -> CredentialProblem | None:
        if isinstance(error, AuthError):
            return CredentialProblem("api_key", f"{error} Check the email too: it must be the account the "
                                                "token belongs to.")
        if isinstance(error, NotFound) or (isinstance(error, Unavailable) and error.status is None):
            site = site_name(fields.get("site") or "") or fields.get("site") or ""
            return CredentialProblem("site", f"{error} Check the site name ({site}.atlassian.net).")
        return None

    @classmethod
    def authorization(cls, secret: str) -> str:
        return f"Basic {JsmCredentials.unpack(secret).basic}"

    @classmethod
    def pacing_key(cls, secret: str) -> str:
        """The person and token: one bucket whether the cloudId is known yet (connect) or stored."""
        return JsmCredentials.unpack(secret).basic

    @classmethod
    def site(cls, secret: str) -> str | None:
        """`acme.atlassian.net`: the site only, never the email or token."""
        return f"{JsmCredentials.unpack(secret).site}.atlassian.net"

    @classmethod
    def secrets(cls, secret: str) -> tuple[str, ...]:
        creds = JsmCredentials.unpack(secret)
        return secret, creds.token, creds.basic

    @classmethod
    def options(cls, settings: object) -> dict[str, object]:
        site_url = getattr(settings, "jsm_site_url", None)
        return {"site_url": site_url.rstrip("/")} if site_url else {}

    def __init__(self, api_key: str, *, site_url: str = SITE_URL, **kwargs: Any):
        self.credentials = JsmCredentials.unpack(api_key)
        super().__init__(api_key, **kwargs)
        self._clock = self.clock
        site = {"label": "JSM", "client": self._client, "base_url": site_url.replace("{site}", self.credentials.site),
                "headers": {"Accept": "application/json"}, "timeout": self._api.timeout, "sleep": self._api._sleep,
                "policy": self._api.policy, "hint": _hint, "detail": _detail}
        self._site = ApiClient(auth_header=lambda: self.authorization(self._key.reveal()), allowed_paths=SITE_PATHS,
                               **site)
        # the site's cloudId is public: the token is not sent there
        self._tenant = ApiClient(auth_header=lambda: "", allowed_paths=re.compile("/_edge/tenant_info"), **site)
        self._users: dict[str, RemoteUser] = {}
        self._seen: dict[tuple[str, str], RemoteOverride] = {}  # (schedule, alias) -> as last listed

    @property
    def key_hint(self) -> str:
        token = self.credentials.token
        return "…" + token[-4:] if len(token) >= 12 else "…"

    @property
    def site_url(self) -> str:
        return self._site.base_url

    def __repr__(self) -> str:
        return f"JsmProvider(site={self.credentials.site!r}, base_url={self.base_url!r})"

    # ------------------------------------------------------------ requests

    def cloud_id(self) -> str:
        """The site's cloudId (read once from `/_edge/tenant_info` when the credentials lack it)."""
        if not self.credentials.cloud_id:
            body = self._tenant.request("GET", "/_edge/tenant_info", what=f"site {self.credentials.site}").json()
            cloud = str((body or {}).get("cloudId") or "") if isinstance(body, dict) else ""
            if not cloud:
                raise InvalidRequest(f"{self.credentials.site}.atlassian.net did not say its cloud id; check "
                                     "the site name.", provider=self.label)
            self.credentials = replace(self.credentials, cloud_id=cloud)
        return self.credentials.cloud_id

    def _call(self, method: str, path: str, *, what: str, **kw: Any) -> httpx.Response:
        """One ops API request; `path` is after `/v1`. A 401 says to renew the token."""
        try:
            return self._api.request(method, f"/jsm/ops/api/{quote_id(self.cloud_id())}/v1{path}", what=what, **kw)
        except AuthError as exc:
            raise AuthError(RENEW, status=401, provider=self.label, detail=exc.detail) from None

    def _pages(self, path: str, *, what: str, params: Sequence[tuple[str, Any]] = ()) -> Iterator[dict]:
        """Every item of a listing, 50 a page, while the answer names a next page."""
        offset = 0
        while True:
            body = self._call("GET", path, what=what,
                              params=[*params, ("size", PAGE_SIZE), ("offset", offset)]).json() or {}
            values = [v for v in body.get("values") or [] if isinstance(v, dict)]
            yield from values
            if not values or not (body.get("links") or {}).get("next"):
                return
            offset += len(values)

    # ------------------------------------------------------------ people

    def _lookup(self, account_ids: Sequence[str]) -> None:
        """Fill the user cache for these account ids from Jira's user API (50 ids a request)."""
        wanted = [a for a in dict.fromkeys(account_ids) if a and a not in self._users]
        for i in range(0, len(wanted), USERS_PER_REQUEST):
            chunk = wanted[i:i + USERS_PER_REQUEST]
            try:
                body = self._site.request(
                    "GET", "/rest/api/3/user/bulk", what="the site's users",
                    params=[*(("accountId", a) for a in chunk), ("maxResults", USERS_PER_REQUEST)],
                ).json() or {}
            except AuthError as exc:
                raise AuthError(RENEW, status=401, provider=self.label, detail=exc.detail) from None
            for raw in body.get("values") or []:
                if isinstance(raw, dict) and raw.get("accountId"):
                    aid = str(raw["accountId"])
                    email = str(raw.get("emailAddress") or "")
                    self._users[aid] = RemoteUser(aid, email, str(raw.get("displayName") or email or aid))
        for aid in wanted:  # not returned at all: keep the id, no email
            self._users.setdefault(aid, RemoteUser(aid, "", aid))

    def _user(self, account_id: str) -> RemoteUser:
        return self._users.get(account_id) or RemoteUser(account_id, "", account_id)

    def list_users(self) -> list[RemoteUser]:
        """Everyone in a rotation of any schedule the account sees, with emails where visible."""
        schedules = self._schedules(expand=True)
        ids = [u for raw in schedules for r in raw.get("rotations") or [] for u in _participant_ids(r)]
        self._lookup(ids)
        return [self._user(a) for a in dict.fromkeys(ids)]

    # ------------------------------------------------------------ schedules

    def _schedules(self, *, expand: bool) -> list[dict]:
        params = [("expand", "rotation")] if expand else []
        return list(self._pages("/schedules", what="the schedule list", params=params))

    def list_schedules(self) -> list[RemoteSchedule]:
        return [self._schedule(raw, raw.get("rotations") or []) for raw in self._schedules(expand=True)]

    def get_schedule(self, schedule_id: str) -> RemoteSchedule:
        path = f"/schedules/{quote_id(schedule_id)}"
        raw = self._call("GET", path, what=f"schedule {schedule_id}").json() or {}
        rotations = raw.get("rotations")
        if not rotations:
            rotations = list(self._pages(f"{path}/rotations", what=f"the rotations of schedule {schedule_id}"))
        self._lookup([u for r in rotations for u in _participant_ids(r)])
        return self._schedule({**raw, "id": raw.get("id") or schedule_id}, rotations)

    def _schedule(self, raw: dict, rotations: list) -> RemoteSchedule:
        return RemoteSchedule(
            id=str(raw.get("id") or ""),
            name=str(raw.get("name") or raw.get("id") or ""),
            time_zone=str(raw.get("timezone") or "UTC"),
            description=str(raw.get("description") or ""),
            rotations=tuple(self._rotation(r) for r in rotations if isinstance(r, dict) and r.get("startDate")),
        )

    def _rotation(self, raw: dict) -> RemoteRotation:
        kind = raw.get("type") if raw.get("type") in _TURN else "weekly"
        length = int(raw.get("length") or 1)
        return RemoteRotation(
            id=str(raw.get("id") or ""),
            name=str(raw.get("name") or ""),
            start=parse(raw["startDate"]),
            turn_length_seconds=_TURN[kind] * length,
            users=tuple(self._user(a) for a in _participant_ids(raw)),
            kind=kind,
            length=length,
            end=parse_opt(raw.get("endDate")),
            restrictions=_restrictions(raw.get("timeRestriction") or {}),
        )

    # ------------------------------------------------------------ timeline

    def _timeline(self, schedule_id: str, since: datetime, until: datetime, *, overrides: bool) -> dict:
        days = max(1, math.ceil((until - since).total_seconds() / 86400))
        params: list[tuple[str, Any]] = [("date", iso(since)), ("interval", days), ("intervalUnit", "days")]
        if overrides:
            params.append(("expand", "override"))
        return self._call("GET", f"/schedules/{quote_id(schedule_id)}/timeline",
                          what=f"the timeline of schedule {schedule_id}", params=params).json() or {}

    def rendered(self, schedule_id: str, since: datetime, until: datetime) -> list[RenderedShift]:
        since, until = utc(since), utc(until)
        if until <= since:
            return []
        body = self._timeline(schedule_id, since, until, overrides=False)
        shifts = []
        for period in _periods(body.get("finalTimeline")):
            start, end = max(period[1], since), min(period[2], until)
            if start < end:
                shifts.append(RenderedShift(user_id=period[0], start=start, end=end,
                                            user_email=self._user(period[0]).email or None))
        return sorted(shifts, key=lambda s: (s.start, s.end, s.user_id))

    # ------------------------------------------------------------ overrides

    def list_overrides(self, schedule_id: str, since: datetime, until: datetime) -> list[RemoteOverride]:
        """Ongoing and future overrides from the listing (every page); the part of the window
        before now from the timeline's override layer (those have no alias: `past-…` ids)."""
        since, until = utc(since), utc(until)
        now = utc(self._clock())
        out = []
        for raw in self._pages(f"/schedules/{quote_id(schedule_id)}/overrides",
                               what=f"the overrides of schedule {schedule_id}"):
            o = _override(raw)
            if o is not None:
                self._seen[(schedule_id, o.id)] = o
                if o.start < until and o.end > since:
                    out.append(o)
        if since < now:
            body = self._timeline(schedule_id, since, min(until, now), overrides=True)
            for user, start, end in _periods(body.get("overrideTimeline")):
                if end <= now and start < until and end > since:
                    out.append(RemoteOverride(f"past-{iso(start)}-{user}", user, start, end))
        return sorted(out, key=lambda o: (o.start, o.end, o.id))

    def create_overrides(self, schedule_id: str, requests: Sequence[OverrideRequest]) -> list[CreateResult]:
        """One POST per override (the caller records each alias before the next). A content error
        (400/422) fails only that item; any other failure stops, raised when nothing was created."""
        return self.create_one_by_one(schedule_id, requests, self._create)

    def _create(self, schedule_id: str, request: OverrideRequest) -> RemoteOverride:
        body = {"responder": {"type": "user", "id": request.user_id},
                "startDate": iso(request.start), "endDate": iso(request.end)}
        raw = self._call("POST", f"/schedules/{quote_id(schedule_id)}/overrides", what=f"schedule {schedule_id}",
                         json=body, write=True, retry=Retry.UNSAFE).json()
        made = _override(raw) if isinstance(raw, dict) else None
        if made is None:
            raise InvalidRequest("JSM created the override but did not say its alias; the next sync finds it "
                                 "and adopts it.", provider=self.label)
        mine = RemoteOverride(made.id, request.user_id, utc(request.start).replace(microsecond=0),
                              utc(request.end).replace(microsecond=0), request.user_email)
        self._seen[(schedule_id, made.id)] = mine
        return mine

    def delete_override(self, schedule_id: str, override_id: str) -> DeleteOutcome:
        """`override_id` is the alias. One in progress (as last listed) is cut to now by a PUT."""
        path = f"/schedules/{quote_id(schedule_id)}/overrides/{quote_id(override_id)}"
        what = f"override {override_id}"
        if override_id.startswith("past-"):
            return DeleteOutcome.PAST
        known = self._seen.get((schedule_id, override_id))
        now = utc(self._clock()).replace(microsecond=0)
        if known is not None and known.end <= now:
            return DeleteOutcome.PAST
        if known is not None and known.start < now:
            body = {"responder": {"type": "user", "id": known.user_id}, "startDate": iso(known.start),
                    "endDate": iso(now)}
            response = self._call("PUT", path, what=what, json=body, write=True, allow=(404,))
            if response.status_code == 404:
                return DeleteOutcome.MISSING
            self._seen[(schedule_id, override_id)] = replace(known, end=now)
            return DeleteOutcome.TRUNCATED
        response = self._call("DELETE", path, what=what, write=True, allow=(404,))
        self._seen.pop((schedule_id, override_id), None)
        return DeleteOutcome.MISSING if response.status_code == 404 else DeleteOutcome.DELETED

    # ------------------------------------------------------------ write access

    def can_write(self) -> bool | None:
        schedules = self._schedules(expand=False)
        first = schedules[0] if schedules else None
        return self.check_write(first.get("id") if first else None, (first or {}).get("name") or "").can_write

    def check_write(self, schedule_id: str | None, schedule_name: str = "") -> WriteCheck:
        """JSM has no read-only way to tell: a one-minute override for nobody on 1 January 2036,
        deleted again at once by the alias the server gave it. 403 on either: read-only."""
        if schedule_id is None:
            return WriteCheck(None, "The account sees no JSM schedule, so write access cannot be tried yet.")
        path = f"/schedules/{quote_id(schedule_id)}/overrides"
        body = {"responder": {"type": "noone"}, "startDate": iso(PROBE_START), "endDate": iso(PROBE_END)}
        try:
            raw = self._call("POST", path, what=f"schedule {schedule_id}", json=body, write=True,
                             retry=Retry.UNSAFE).json()
        except PermissionDenied:
            return WriteCheck(False)
        except InvalidRequest as exc:
            return WriteCheck(None, f"The write check was refused: {exc}")
        alias = str(raw.get("alias") or "") if isinstance(raw, dict) else ""
        where = f"a one-minute test override on {PROBE_START:%d %B %Y} in schedule {schedule_name or schedule_id}"
        if not alias:
            return WriteCheck(True, f"JSM did not name {where}: delete it in JSM.")
        for attempt in (1, 2):
            try:
                self._call("DELETE", f"{path}/{quote_id(alias)}", what=f"override {alias}", write=True, allow=(404,))
                return WriteCheck(True)
            except PermissionDenied:
                return WriteCheck(False, f"The account may create but not delete overrides, which exporting "
                                         f"needs; {where} remains: delete it in JSM.")
            except ProviderError as exc:
                if attempt == 2:
                    return WriteCheck(None, f"Removing {where} failed ({exc}): delete it in JSM.")
        raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------- mapping


def _participant_ids(rotation: dict) -> list[str]:
    """Account ids of the rotation's user participants (teams, escalations and nobody skipped)."""
    return [str(p["id"]) for p in rotation.get("participants") or []
            if isinstance(p, dict) and p.get("type") == "user" and p.get("id")]


def _periods(timeline: Any) -> list[tuple[str, datetime, datetime]]:
    """(account id, start, end) of every period of every rotation that pages one user."""
    out = []
    rotations = timeline.get("rotations") or [] if isinstance(timeline, dict) else []
    for rotation in rotations:
        for period in (rotation or {}).get("periods") or []:
            responder = (period or {}).get("responder") or {}
            if responder.get("type") != "user" or not responder.get("id"):
                continue  # nobody, or a team/escalation: nothing one person is paged for directly
            try:
                out.append((str(responder["id"]), parse(period["startDate"]), parse(period["endDate"])))
            except (KeyError, TypeError, ValueError):
                continue
    return out


def _override(raw: dict) -> RemoteOverride | None:
    responder = raw.get("responder") or {}
    try:
        start, end = parse(raw["startDate"]), parse(raw["endDate"])
    except (KeyError, TypeError, ValueError):
        return None
    if not raw.get("alias"):
        return None
    user = str(responder.get("id") or "") if responder.get("type") == "user" else ""
    return RemoteOverride(str(raw["alias"]), user, start, end)


def _restrictions(raw: dict) -> tuple[Restriction, ...]:
    if raw.get("type") == "time-of-day":
        r = raw.get("restriction") or {}
        start = r.get("startHour", 0) * 60 + r.get("startMin", 0)
        end = r.get("endHour", 0) * 60 + r.get("endMin", 0)
        minutes = (end - start) % 1440 or 1440
        return (Restriction("daily", f"{start // 60:02d}:{start % 60:02d}:00", minutes * 60),)
    if raw.get("type") == "weekday-and-time-of-day":
        out = []
        for r in raw.get("restrictions") or []:
            if r.get("startDay") not in _DAYS:
                continue
            day = _DAYS.index(r["startDay"])
            start = day * 1440 + r.get("startHour", 0) * 60 + r.get("startMin", 0)
            end = (_DAYS.index(r.get("endDay", r["startDay"])) * 1440 + r.get("endHour", 0) * 60
                   + r.get("endMin", 0))
            minutes = (end - start) % 10080 or 10080
            clock = start % 1440
            out.append(Restriction("weekly", f"{clock // 60:02d}:{clock % 60:02d}:00", minutes * 60, day + 1))
        return tuple(out)
    return ()
