"""Opsgenie API v2 client (only schedule, schedule-rotation and schedule-override endpoints).

Opsgenie has no user endpoint in that set, so users are read from rotation participants
(`username` is the user's email). Overrides are addressed by the bot's deterministic
`alias`, which makes creating one idempotent: a create that meets an existing alias reads
it back and adopts it when it matches. Opsgenie offers no way to test write access without
writing, so `can_write` returns None and a write on a read-only key raises PermissionDenied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx

from .base import (
    CreateResult,
    DeleteOutcome,
    InvalidRequest,
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
    WriteCheck,
)
from .client import HttpProvider, quote_id
from .http import header_seconds
from .timefmt import iso, parse, parse_opt, utc

ALLOWED_PATHS = re.compile(r"/v2/schedules(/[^/?#]+(/(timeline|rotations|overrides)(/[^/?#]+)?)?)?")
_TURN = {"hourly": 3600, "daily": 86400, "weekly": 604800}
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DUPLICATE = re.compile(r"alias.*(exist|already|duplicate|conflict)|(exist|already|duplicate).*alias", re.I)
_PAST = re.compile(r"\bpast\b|already ended|has ended", re.I)
_BY_ID = {"identifierType": "id"}
_SCHEDULE_BY_ID = {"scheduleIdentifierType": "id"}
#: The write probe: a one-minute override for nobody, at a fixed time far ahead, under a fixed alias.
PROBE_ALIAS = "oncall-bot-write-check"
PROBE_START = datetime(2036, 1, 1, tzinfo=UTC)
PROBE_END = PROBE_START + timedelta(minutes=1)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message") or "") if isinstance(body, dict) else ""


def _hint(response: httpx.Response) -> float | None:
    # Retry-After when given; otherwise the throttling period Opsgenie reports (spec: X-RateLimit-*)
    return header_seconds(response, "retry-after", "x-ratelimit-period-in-sec")



class OpsgenieProvider(HttpProvider):
    """An Opsgenie account. Datetimes in are taken as UTC when naive; datetimes out are aware UTC."""

    kind = ProviderKind.OPSGENIE
    label = "Opsgenie"
    base_urls = {Region.US: "https://api.opsgenie.com", Region.EU: "https://api.eu.opsgenie.com"}
    base_url_setting = "OPSGENIE_API_URL"
    allowed_paths = ALLOWED_PATHS
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    auth_scheme = "GenieKey "
    requests_per_minute = 600  # Opsgenie's limits depend on the plan: a conservative budget
    create_batch = 1  # one POST per override (its alias makes a retried create idempotent)
    key_help = "Settings → API key management."
    rate_limit_hint = staticmethod(_hint)
    error_detail = staticmethod(_detail)

    # ------------------------------------------------------------ reading

    def list_schedules(self) -> list[RemoteSchedule]:
        body = self._api.request(
            "GET", "/v2/schedules", what="the schedule list", params={"expand": "rotation"}
        ).json()
        return [_schedule(raw) for raw in body.get("data") or []]

    def get_schedule(self, schedule_id: str) -> RemoteSchedule:
        body = self._api.request(
            "GET", f"/v2/schedules/{quote_id(schedule_id)}", what=f"schedule {schedule_id}", params=_BY_ID
        ).json()
        return _schedule(body["data"])

    def list_users(self) -> list[RemoteUser]:
        """Everyone who takes part in a rotation of any schedule (Opsgenie's user API is not used)."""
        seen: dict[str, RemoteUser] = {}
        for schedule in self.list_schedules():
            for user in schedule.members:
                seen.setdefault(user.id, user)
        return list(seen.values())

    def rendered(self, schedule_id: str, since: datetime, until: datetime) -> list[RenderedShift]:
        since, until = utc(since), utc(until)
        if until <= since:
            return []
        # one spare day: Opsgenie may align the timeline start to a day boundary; periods are clipped below
        days = max(1, math.ceil((until - since).total_seconds() / 86400)) + 1
        body = self._api.request(
            "GET",
            f"/v2/schedules/{quote_id(schedule_id)}/timeline",
            what=f"the timeline of schedule {schedule_id}",
            params={**_BY_ID, "date": iso(since), "interval": days, "intervalUnit": "days"},
        ).json()
        final = ((body.get("data") or {}).get("finalTimeline")) or {}
        shifts = []
        for rotation in final.get("rotations") or []:
            for period in rotation.get("periods") or []:
                recipient = period.get("recipient") or {}
                if recipient.get("type", "user") != "user" or not recipient.get("id"):
                    continue  # nobody, or a team/escalation: nothing a person gets paged for directly
                start = max(parse(period["startDate"]), since)
                end = min(parse(period["endDate"]), until)
                if start < end:
                    shifts.append(
                        RenderedShift(
                            user_id=recipient["id"], start=start, end=end, user_email=recipient.get("name")
                        )
                    )
        return sorted(shifts, key=lambda s: (s.start, s.end, s.user_id))

    def list_overrides(self, schedule_id: str, since: datetime, until: datetime) -> list[RemoteOverride]:
        """Opsgenie lists every override of a schedule; those overlapping [since, until) are kept."""
        since, until = utc(since), utc(until)
        body = self._api.request(
            "GET",
            f"/v2/schedules/{quote_id(schedule_id)}/overrides",
            what=f"the overrides of schedule {schedule_id}",
            params=_SCHEDULE_BY_ID,
        ).json()
        overrides = [_override(raw) for raw in body.get("data") or []]
        return sorted(
            (o for o in overrides if o.start < until and o.end > since), key=lambda o: (o.start, o.end, o.id)
        )

    # ------------------------------------------------------------ writing

    def create_overrides(self, schedule_id: str, requests: Sequence[OverrideRequest]) -> list[CreateResult]:
        """One POST per override under its alias; retried freely since the alias makes it idempotent.

        A content error (400/422) fails only that item. Any other failure stops: it is raised
        when nothing was created yet, else it becomes the error of every item not done.
        """
        return self.create_one_by_one(schedule_id, requests, self._create)

    def _create(self, schedule_id: str, request: OverrideRequest) -> RemoteOverride:
        path = f"/v2/schedules/{quote_id(schedule_id)}/overrides"
        body = {
            "alias": request.alias,
            "user": {"type": "user", "id": request.user_id},
            "startDate": iso(request.start),
            "endDate": iso(request.end),
        }
        what = f"schedule {schedule_id}"
        mine = RemoteOverride(
            id=request.alias,
            user_id=request.user_id,
            start=utc(request.start).replace(microsecond=0),
            end=utc(request.end).replace(microsecond=0),
            user_email=request.user_email,
        )
        try:
            response = self._api.request(
                "POST", path, what=what, params=_SCHEDULE_BY_ID, json=body, write=True, allow=(409,)
            )
            if response.status_code != 409:
                return mine
        except InvalidRequest as exc:
            if not (exc.detail and _DUPLICATE.search(exc.detail)):
                raise
        # The alias exists already (an earlier attempt got through): adopt it if it is this shift.
        existing = self._get_override(schedule_id, request.alias)
        if existing is None:  # gone again in between: what we asked for is not there
            raise InvalidRequest(
                f"Opsgenie reported override {request.alias} as existing but it cannot be read back; "
                "the next sync tries again.",
                status=409,
                provider="Opsgenie",
            )
        if (existing.start, existing.end) != (mine.start, mine.end) or existing.user_id not in (
            request.user_id,
            "",
        ):
            raise InvalidRequest(
                f"Opsgenie already has an override with alias {request.alias} that differs from this "
                "shift; delete it in Opsgenie or let the next sync replace it.",
                status=409,
                provider="Opsgenie",
            )
        return existing

    def _get_override(self, schedule_id: str, alias: str) -> RemoteOverride | None:
        response = self._api.request(
            "GET",
            f"/v2/schedules/{quote_id(schedule_id)}/overrides/{quote_id(alias)}",
            what=f"override {alias}",
            params=_SCHEDULE_BY_ID,
            allow=(404,),
        )
        if response.status_code == 404:
            return None
        return _override(response.json().get("data") or {})

    def delete_override(self, schedule_id: str, override_id: str) -> DeleteOutcome:
        """`override_id` is the alias."""
        try:
            response = self._api.request(
                "DELETE",
                f"/v2/schedules/{quote_id(schedule_id)}/overrides/{quote_id(override_id)}",
                what=f"override {override_id}",
                params=_SCHEDULE_BY_ID,
                write=True,
                allow=(404,),
            )
        except InvalidRequest as exc:
            if exc.detail and _PAST.search(exc.detail):
                return DeleteOutcome.PAST
            raise
        return DeleteOutcome.MISSING if response.status_code == 404 else DeleteOutcome.DELETED

    def can_write(self) -> bool | None:
        schedules = self.list_schedules()
        first = schedules[0] if schedules else None
        return self.check_write(first.id if first else None, first.name if first else "").can_write

    def check_write(self, schedule_id: str | None, schedule_name: str = "") -> WriteCheck:
        """Create and delete the probe override on `schedule_id` (see the module docstring).

        True: both worked. False: a 403 on either. None: no schedule to try it on, or the
        probe could not finish (then `note` says what, and where a probe override was left).
        Failures other than 401/403 on the create are raised.
        """
        if schedule_id is None:
            return WriteCheck(None, "The key sees no Opsgenie schedule, so write access cannot be tried yet.")
        path = f"/v2/schedules/{quote_id(schedule_id)}/overrides"
        try:
            refused = self._create_probe(path, schedule_id, {"type": "none"})
            if refused is not None:  # the API would not take "nobody": a participant of the schedule instead
                user = next(iter(self.get_schedule(schedule_id).members), None)
                if user is not None:
                    refused = self._create_probe(path, schedule_id, {"type": "user", "id": user.id})
            if refused is not None:
                return WriteCheck(None, f"The write check was refused: {refused}")
        except PermissionDenied:
            return WriteCheck(False)
        where = (f"a one-minute test override `{PROBE_ALIAS}` on {PROBE_START:%d %B %Y} in schedule "
                 f"{schedule_name or schedule_id}")
        for attempt in (1, 2):
            try:
                self._api.request("DELETE", f"{path}/{PROBE_ALIAS}", what=f"override {PROBE_ALIAS}",
                                  params=_SCHEDULE_BY_ID, write=True, allow=(404,))
                return WriteCheck(True)
            except PermissionDenied:
                return WriteCheck(False, f"The key may create but not delete overrides, which exporting needs; "
                                         f"{where} remains: delete it in Opsgenie.")
            except ProviderError as exc:
                if attempt == 2:
                    return WriteCheck(None, f"Removing {where} failed ({exc}); the next check removes it.")
        raise AssertionError("unreachable")  # pragma: no cover

    def _create_probe(self, path: str, schedule_id: str, user: dict) -> InvalidRequest | None:
        """POST the probe override for `user`; the content error when refused (a 409 or a duplicate
        alias means an earlier probe was left behind: deleting it tests the same right)."""
        body = {"alias": PROBE_ALIAS, "user": user, "startDate": iso(PROBE_START), "endDate": iso(PROBE_END)}
        try:
            self._api.request("POST", path, what=f"schedule {schedule_id}", params=_SCHEDULE_BY_ID, json=body,
                              write=True, allow=(409,))
        except InvalidRequest as exc:
            if not (exc.detail and _DUPLICATE.search(exc.detail)):
                return exc
        return None


# ---------------------------------------------------------------- mapping


def _schedule(raw: dict) -> RemoteSchedule:
    return RemoteSchedule(
        id=raw["id"],
        name=raw.get("name") or raw["id"],
        time_zone=raw.get("timezone") or "UTC",
        description=raw.get("description") or "",
        rotations=tuple(_rotation(r) for r in raw.get("rotations") or []),
    )


def _participant(raw: dict) -> RemoteUser | None:
    if raw.get("type") != "user" or not raw.get("id"):
        return None
    username = raw.get("username") or ""
    return RemoteUser(id=raw["id"], email=username, name=raw.get("name") or username)


def _rotation(raw: dict) -> RemoteRotation:
    kind = raw.get("type") or "weekly"
    length = int(raw.get("length") or 1)
    users = tuple(u for u in (_participant(p) for p in raw.get("participants") or []) if u)
    return RemoteRotation(
        id=raw.get("id") or "",
        name=raw.get("name") or "",
        start=parse(raw["startDate"]),
        turn_length_seconds=_TURN.get(kind, 604800) * length,
        users=users,
        kind=kind,
        length=length,
        end=parse_opt(raw.get("endDate")),
        restrictions=_restrictions(raw.get("timeRestriction") or {}),
    )


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
            day = _DAYS.index(r.get("startDay", "monday"))
            start = day * 1440 + r.get("startHour", 0) * 60 + r.get("startMin", 0)
            end = (
                _DAYS.index(r.get("endDay", "monday")) * 1440 + r.get("endHour", 0) * 60 + r.get("endMin", 0)
            )
            minutes = (end - start) % 10080 or 10080
            clock = start % 1440
            out.append(Restriction("weekly", f"{clock // 60:02d}:{clock % 60:02d}:00", minutes * 60, day + 1))
        return tuple(out)
    return ()


def _override(raw: dict) -> RemoteOverride:
    user = raw.get("user") or {}
    return RemoteOverride(
        id=raw.get("alias") or "",
        user_id=user.get("id") or "",
        start=parse(raw["startDate"]),
        end=parse(raw["endDate"]),
        user_email=user.get("username") or None,
    )
