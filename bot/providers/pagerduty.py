"""PagerDuty REST API v2 client (only `/schedules*` and `/users*`).

Request budget, to stay far below PagerDuty's 960 requests/minute per key:

- `list_schedules`: the schedule list with `include[]=schedule_layers` (one request per 100
  schedules) and nothing else: members carry the layers' ids and names (emails only of users
  this instance already knows), which is all a listing shows.
- `get_schedule` (linking, which matches members by email): `GET /schedules/{id}`, then the
  users on its layers: one `GET /users/{id}` each when there are few, else the paginated user
  list once. Users are cached per provider instance.
- `rendered`: one `GET /schedules/{id}?since&until` (its `final_schedule`).
- `list_overrides`: one `GET /schedules/{id}/overrides` for the whole window (split only past
  `OVERRIDE_WINDOW`): a 90-day destination's window runs a shift past 90 days and is one read.
- `create_overrides`: one bulk POST per 50 overrides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .base import (
    AuthError,
    CreateResult,
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
)
from .client import HttpProvider, quote_id
from .http import Retry, header_seconds, status_error
from .timefmt import iso, parse, parse_opt, utc

log = logging.getLogger(__name__)

ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_LIMIT = 100
OFFSET_CAP = 10_000  # PagerDuty refuses offset + limit > 10,000 on classic pagination
# The spec documents no range limit on the overrides listing (its 90-day limit is `/oncalls`'): one
# request covers the longest horizon (365 days) plus its last shift; longer windows are split.
OVERRIDE_WINDOW = timedelta(days=400)
USER_LOOKUPS = 25  # more distinct users than this: list all users once instead of one GET each
ALLOWED_PATHS = re.compile(r"/(schedules|users)(/[^?#]*)?")
# how PagerDuty words a refusal to delete an override that already ended
_PAST = re.compile(r"\bpast\b|already ended|has ended|ended|historical", re.I)


def _detail(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return ""
    if not isinstance(error, dict):
        return str(error)
    parts = [str(error.get("message") or "")] + [str(e) for e in error.get("errors") or []]
    return "; ".join(p for p in parts if p)


def _hint(response: httpx.Response) -> float | None:
    return header_seconds(response, "ratelimit-reset", "retry-after")



class PagerDutyProvider(HttpProvider):
    """A PagerDuty account. Datetimes in are taken as UTC when naive; datetimes out are aware UTC."""

    kind = ProviderKind.PAGERDUTY
    label = "PagerDuty"
    base_urls = {Region.US: "https://api.pagerduty.com", Region.EU: "https://api.eu.pagerduty.com"}
    base_url_setting = "PAGERDUTY_API_URL"
    allowed_paths = ALLOWED_PATHS
    headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
    auth_scheme = "Token token="
    requests_per_minute = 900  # PagerDuty allows 960 per key: a burst of syncs and commands never meets a 429
    create_batch = 50  # one bulk POST per 50 overrides
    key_help = "Integrations → API Access Keys (a read-only key can import but not export)."
    rate_limit_hint = staticmethod(_hint)
    error_detail = staticmethod(_detail)

    def __init__(self, api_key: str, **kwargs):
        super().__init__(api_key, **kwargs)
        self._users: dict[str, RemoteUser] = {}

    # ------------------------------------------------------------ reading

    def _paginate(
        self, path: str, key: str, *, what: str, params: list[tuple[str, Any]] = ()
    ) -> Iterator[dict]:
        """Classic pagination: `limit`/`offset` until `more` is false or the 10,000 cap."""
        offset = 0
        while True:
            if offset + PAGE_LIMIT > OFFSET_CAP:
                log.warning(
                    "PagerDuty: %s stops at %d entries (PagerDuty's pagination limit); the rest is not read",
                    what,
                    offset,
                )
                return
            page = self._api.request(
                "GET", path, what=what, params=[*params, ("limit", PAGE_LIMIT), ("offset", offset)]
            ).json()
            items = page.get(key) or []
            yield from items
            if not page.get("more") or not items:
                return
            offset += len(items)

    def list_users(self) -> list[RemoteUser]:
        users = [self._user(raw) for raw in self._paginate("/users", "users", what="the user list")]
        self._users.update((u.id, u) for u in users)
        return users

    def list_schedules(self) -> list[RemoteSchedule]:
        raws = list(
            self._paginate(
                "/schedules", "schedules", what="the schedule list", params=[("include[]", "schedule_layers")]
            )
        )
        return [self._schedule(raw) for raw in raws]

    def get_schedule(self, schedule_id: str) -> RemoteSchedule:
        raw = self._api.request("GET", f"/schedules/{quote_id(schedule_id)}", what=f"schedule {schedule_id}").json()
        raw = raw["schedule"]
        self._resolve_users(_layer_user_ids(raw))
        return self._schedule(raw)

    def rendered(self, schedule_id: str, since: datetime, until: datetime) -> list[RenderedShift]:
        return self.rendered_layers(schedule_id, since, until)[0]

    def rendered_layers(
        self, schedule_id: str, since: datetime, until: datetime
    ) -> tuple[list[RenderedShift], list[RenderedShift]]:
        """One `GET /schedules/{id}` with `since`/`until`: the final schedule and the overrides
        sub-schedule (who each override layer entry pages; entries carry no override ids)."""
        since, until = utc(since), utc(until)
        if until <= since:
            return [], []
        raw = self._api.request(
            "GET",
            f"/schedules/{quote_id(schedule_id)}",
            what=f"schedule {schedule_id}",
            params=[("since", iso(since)), ("until", iso(until)), ("time_zone", "UTC")],
        ).json()["schedule"]
        return (self._entries(raw.get("final_schedule"), since, until),
                self._entries(raw.get("overrides_subschedule"), since, until))

    def _entries(self, sub: dict | None, since: datetime, until: datetime) -> list[RenderedShift]:
        entries = ((sub or {}).get("rendered_schedule_entries")) or []
        shifts = []
        for entry in entries:
            user = entry.get("user") or {}
            if not user.get("id"):
                continue  # a gap: nobody is on call
            start, end = max(parse(entry["start"]), since), min(parse(entry["end"]), until)
            if start >= end:
                continue
            known = self._users.get(user["id"])
            shifts.append(
                RenderedShift(
                    user_id=user["id"],
                    start=start,
                    end=end,
                    user_email=known.email if known else None,
                    user_name=(known.name if known else None) or user.get("summary"),
                )
            )
        return shifts

    def list_overrides(self, schedule_id: str, since: datetime, until: datetime) -> list[RemoteOverride]:
        since, until = utc(since), utc(until)
        found: dict[str, RemoteOverride] = {}
        start = since
        while start < until:
            end = min(start + OVERRIDE_WINDOW, until)
            body = self._api.request(
                "GET",
                f"/schedules/{quote_id(schedule_id)}/overrides",
                what=f"the overrides of schedule {schedule_id}",
                params=[("since", iso(start)), ("until", iso(end))],
            ).json()
            for raw in body.get("overrides") or []:
                override = self._override(raw)
                found.setdefault(override.id, override)
            start = end
        return sorted(found.values(), key=lambda o: (o.start, o.end, o.id))

    # ------------------------------------------------------------ writing

    def create_overrides(self, schedule_id: str, requests: Sequence[OverrideRequest]) -> list[CreateResult]:
        """Bulk-create in chunks of 50, checking PagerDuty's per-item status.

        A create is not idempotent here, so a chunk is retried only when PagerDuty surely did
        nothing (429, or the connection never opened). A failure that stops a chunk is raised
        when nothing was created yet; later it becomes the error of every item not done.
        """
        results: list[CreateResult] = []
        for i in range(0, len(requests), self.create_batch):
            chunk = list(requests[i : i + self.create_batch])
            try:
                results.extend(self._create_chunk(schedule_id, chunk))
            except ProviderError as exc:
                if not any(r.ok for r in results):
                    raise
                results.extend(CreateResult(request=r, error=exc) for r in requests[i:])
                break
        return results

    def _create_chunk(self, schedule_id: str, chunk: list[OverrideRequest]) -> list[CreateResult]:
        body = {
            "overrides": [
                {
                    "start": iso(r.start),
                    "end": iso(r.end),
                    "user": {"id": r.user_id, "type": "user_reference"},
                }
                for r in chunk
            ]
        }
        response = self._api.request(
            "POST",
            f"/schedules/{quote_id(schedule_id)}/overrides",
            what=f"schedule {schedule_id}",
            json=body,
            retry=Retry.UNSAFE,
            write=True,
        )
        items = response.json()
        if isinstance(items, dict):  # the deprecated single-override answer
            items = [{"status": response.status_code, "override": items.get("override") or items}]
        if len(items) != len(chunk):
            return self._match_by_content(chunk, items)
        return [self._item_result(r, item) for r, item in zip(chunk, items, strict=True)]

    def _match_by_content(self, chunk: list[OverrideRequest], items: list[dict]) -> list[CreateResult]:
        """PagerDuty answered with a different count: pair items by (user, start, end)."""
        by_key: dict[tuple, dict] = {}
        for item in items:
            ov = item.get("override") or {}
            try:
                by_key[((ov.get("user") or {}).get("id"), parse(ov["start"]), parse(ov["end"]))] = item
            except (KeyError, ValueError):
                continue
        results = []
        for r in chunk:
            item = by_key.get(
                (r.user_id, utc(r.start).replace(microsecond=0), utc(r.end).replace(microsecond=0))
            )
            if item is None:
                error = ProviderError(
                    "PagerDuty did not report on this override; the next sync reads back what exists.",
                    provider="PagerDuty",
                )
                results.append(CreateResult(request=r, error=error))
            else:
                results.append(self._item_result(r, item))
        return results

    def _item_result(self, request: OverrideRequest, item: dict) -> CreateResult:
        status = int(item.get("status") or 201)
        override = item.get("override") or {}
        if 200 <= status < 300 and override.get("id"):
            return CreateResult(request=request, override=self._override(override, email=request.user_email))
        detail = "; ".join(str(e) for e in item.get("errors") or []) or "no reason given"
        what = f"the override for {request.user_email or request.user_id} from {iso(request.start)}"
        return CreateResult(
            request=request,
            error=status_error(
                "PagerDuty", status if status >= 400 else 400, what=what, write=True, detail=detail
            ),
        )

    def delete_override(self, schedule_id: str, override_id: str) -> DeleteOutcome:
        try:
            response = self._api.request(
                "DELETE",
                f"/schedules/{quote_id(schedule_id)}/overrides/{quote_id(override_id)}",
                what=f"override {override_id}",
                write=True,
                allow=(404,),
            )
        except InvalidRequest as exc:
            if exc.detail and _PAST.search(exc.detail):
                return DeleteOutcome.PAST
            raise
        if response.status_code == 404:
            return DeleteOutcome.MISSING
        if response.status_code == 200:
            return DeleteOutcome.TRUNCATED
        return DeleteOutcome.DELETED

    def can_write(self) -> bool | None:
        """Ask for a schedule *preview* (`POST /schedules/preview`), which PagerDuty never saves
        but only allows to keys that may write schedules. None when it cannot be asked."""
        try:
            page = self._api.request(
                "GET", "/users", what="the user list", params=[("limit", 1), ("offset", 0)]
            ).json()
        except (PermissionDenied, NotFound, InvalidRequest):
            return None
        users = page.get("users") or []
        if not users:
            return None
        now = datetime.now(UTC).replace(microsecond=0)
        body = {
            "schedule": {
                "type": "schedule",
                "name": "oncall-bot write check (preview, never saved)",
                "time_zone": "UTC",
                "schedule_layers": [
                    {
                        "start": iso(now),
                        "rotation_virtual_start": iso(now),
                        "rotation_turn_length_seconds": 86400,
                        "users": [{"user": {"id": users[0]["id"], "type": "user_reference"}}],
                    }
                ],
            }
        }
        try:
            self._api.request(
                "POST",
                "/schedules/preview",
                what="a schedule preview",
                params=[("since", iso(now)), ("until", iso(now + timedelta(days=1)))],
                json=body,
                write=True,
            )
        except PermissionDenied:
            return False
        except AuthError:
            raise
        except (InvalidRequest, NotFound):
            return None
        return True

    # ------------------------------------------------------------ mapping

    def _resolve_users(self, ids: Iterator[str] | Sequence[str]) -> None:
        missing = list(dict.fromkeys(i for i in ids if i not in self._users))
        if not missing:
            return
        if len(missing) > USER_LOOKUPS:
            self.list_users()
            return
        for user_id in missing:
            try:
                raw = self._api.request("GET", f"/users/{quote_id(user_id)}", what=f"user {user_id}").json()
            except NotFound:
                continue  # deleted since: keep the layer's reference (name only)
            self._users[user_id] = self._user(raw["user"])

    @staticmethod
    def _user(raw: dict) -> RemoteUser:
        # only these three fields are ever kept: never contact methods or phone numbers
        return RemoteUser(
            id=raw["id"], email=raw.get("email") or "", name=raw.get("name") or raw.get("summary") or ""
        )

    def _ref_user(self, ref: dict) -> RemoteUser:
        return self._users.get(ref["id"]) or RemoteUser(id=ref["id"], email="", name=ref.get("summary") or "")

    def _schedule(self, raw: dict) -> RemoteSchedule:
        return RemoteSchedule(
            id=raw["id"],
            name=raw.get("name") or raw.get("summary") or raw["id"],
            time_zone=raw.get("time_zone") or "UTC",
            description=raw.get("description") or "",
            rotations=tuple(self._rotation(layer) for layer in raw.get("schedule_layers") or []),
        )

    def _rotation(self, layer: dict) -> RemoteRotation:
        turn = int(layer["rotation_turn_length_seconds"])
        if turn % 604800 == 0:
            kind, length = "weekly", turn // 604800
        elif turn % 86400 == 0:
            kind, length = "daily", turn // 86400
        else:
            kind, length = "custom", 1
        return RemoteRotation(
            id=layer.get("id") or "",
            name=layer.get("name") or "",
            start=parse(layer["rotation_virtual_start"]),
            turn_length_seconds=turn,
            users=tuple(self._ref_user(u["user"]) for u in layer.get("users") or [] if u.get("user")),
            kind=kind,
            length=length,
            end=parse_opt(layer.get("end")),
            restrictions=tuple(_restriction(r) for r in layer.get("restrictions") or []),
        )

    def _override(self, raw: dict, email: str | None = None) -> RemoteOverride:
        user = raw.get("user") or {}
        known = self._users.get(user.get("id", ""))
        return RemoteOverride(
            id=raw["id"],
            user_id=user.get("id", ""),
            start=parse(raw["start"]),
            end=parse(raw["end"]),
            user_email=email or (known.email if known else None) or None,
        )


def _layer_user_ids(raw: dict) -> list[str]:
    return [
        u["user"]["id"]
        for layer in raw.get("schedule_layers") or []
        for u in layer.get("users") or []
        if (u.get("user") or {}).get("id")
    ]


def _restriction(raw: dict) -> Restriction:
    weekly = raw.get("type") == "weekly_restriction"
    return Restriction(
        kind="weekly" if weekly else "daily",
        start_time=raw.get("start_time_of_day") or "00:00:00",
        duration_seconds=int(raw.get("duration_seconds") or 0),
        start_day_of_week=int(raw["start_day_of_week"]) if weekly and raw.get("start_day_of_week") else None,
    )
