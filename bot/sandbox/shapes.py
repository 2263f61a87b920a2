"""Provider response bodies shaped like the documented examples of PagerDuty `openapiv3.json`
and Opsgenie `swagger.json` (checked against them by tests/providers/test_fixtures_conform.py):
what the sandbox simulators answer, and what the provider tests feed the clients.
"""

from __future__ import annotations

from typing import Any

PD = "https://api.pagerduty.com"
OG = "https://api.opsgenie.com"


# ---------------------------------------------------------------- PagerDuty


def pd_ref(kind: str, id_: str, summary: str) -> dict[str, Any]:
    return {
        "id": id_,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{PD}/{kind}s/{id_}",
        "html_url": f"https://subdomain.pagerduty.com/{kind}s/{id_}",
    }


def pd_user(id_: str, name: str, email: str) -> dict[str, Any]:
    """A user as GET /users returns it, contact method references included (we must drop them)."""
    return {
        "id": id_,
        "type": "user",
        "summary": name,
        "self": f"{PD}/users/{id_}",
        "html_url": f"https://subdomain.pagerduty.com/users/{id_}",
        "name": name,
        "email": email,
        "time_zone": "Europe/Berlin",
        "color": "green",
        "role": "user",
        "description": None,
        "invitation_sent": False,
        "job_title": "Engineer",
        "contact_methods": [
            {"id": "PCM" + id_, "type": "phone_contact_method_reference", "summary": "Mobile", "self": None}
        ],
        "notification_rules": [],
        "teams": [],
    }


def pd_users_page(
    users: list[dict], *, offset: int = 0, more: bool = False, limit: int = 100
) -> dict[str, Any]:
    return {"users": users, "limit": limit, "offset": offset, "more": more, "total": None}


def pd_layer(
    id_: str,
    user_ids: list[tuple[str, str]],
    *,
    start: str = "2025-01-06T09:00:00+01:00",
    turn: int = 604800,
    end: str | None = None,
    restrictions: list[dict] | None = None,
    name: str = "Layer 1",
) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "id": id_,
        "name": name,
        "start": start,
        "rotation_virtual_start": start,
        "rotation_turn_length_seconds": turn,
        "users": [{"user": pd_ref("user", uid, name)} for uid, name in user_ids],
        "restrictions": restrictions or [],
    }
    if end is not None:  # the spec does not allow null here
        layer["end"] = end
    return layer


def pd_schedule(
    id_: str = "PSCHED1",
    name: str = "Platform primary",
    *,
    layers: list[dict] | None = None,
    time_zone: str = "Europe/Berlin",
    final_entries: list[dict] | None = None,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "id": id_,
        "type": "schedule",
        "summary": name,
        "self": f"{PD}/schedules/{id_}",
        "html_url": f"https://subdomain.pagerduty.com/schedules/{id_}",
        "name": name,
        "time_zone": time_zone,
        "description": "Rotation schedule for engineering",
        "escalation_policies": [],
        "users": [],
        "teams": [],
        "schedule_layers": layers if layers is not None else [],
    }
    if final_entries is not None:
        schedule["final_schedule"] = {
            "name": "Final Schedule",
            "rendered_schedule_entries": final_entries,
            "rendered_coverage_percentage": 100,
        }
        schedule["overrides_subschedule"] = {
            "name": "Overrides",
            "rendered_schedule_entries": [],
            "rendered_coverage_percentage": 0,
        }
    return schedule


def pd_entry(user_id: str, name: str, start: str, end: str) -> dict[str, Any]:
    return {"start": start, "end": end, "user": pd_ref("user", user_id, name)}


def pd_override(id_: str, user_id: str, start: str, end: str, name: str = "Someone") -> dict[str, Any]:
    return {"id": id_, "start": start, "end": end, "user": pd_ref("user", user_id, name)}


def pd_create_item(status: int, override: dict, errors: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"status": status, "override": override}
    if errors:
        item["errors"] = errors
    return item


def pd_error(code: int, message: str, errors: list[str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": errors or []}}


# ---------------------------------------------------------------- Opsgenie


def og_envelope(data: Any, *, expandable: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"data": data, "took": 0.02, "requestId": "6ab2f6b3-0000-4a6b-aaaa-000000000000"}
    if expandable:
        body["expandable"] = ["rotation"]
    return body


def og_participant(id_: str, username: str) -> dict[str, Any]:
    return {"type": "user", "id": id_, "username": username}


def og_rotation(
    id_: str,
    participants: list[dict],
    *,
    kind: str = "weekly",
    length: int = 1,
    start: str = "2025-01-06T08:00:00Z",
    end: str | None = None,
    restriction: dict | None = None,
    name: str = "Primary",
) -> dict[str, Any]:
    rotation: dict[str, Any] = {
        "id": id_,
        "name": name,
        "startDate": start,
        "type": kind,
        "length": length,
        "participants": participants,
    }
    if end:
        rotation["endDate"] = end
    if restriction:
        rotation["timeRestriction"] = restriction
    return rotation


def og_schedule(id_: str = "d875alp4-9b4e-4219-a803-0c26936d18de", name: str = "Platform", *, rotations=None):
    return {
        "id": id_,
        "name": name,
        "description": "",
        "timezone": "Europe/Berlin",
        "enabled": True,
        "ownerTeam": {"id": "90098alp9-f0e3-41d3-a060-0ea895027630", "name": "platform"},
        "rotations": rotations or [],
    }


def og_period(user_id: str, username: str, start: str, end: str, kind: str = "default") -> dict[str, Any]:
    return {
        "startDate": start,
        "endDate": end,
        "type": kind,
        "recipient": {"id": user_id, "type": "user", "name": username},
    }


def og_timeline(schedule_id: str, start: str, end: str, periods: list[dict]) -> dict[str, Any]:
    timeline = {"rotations": [{"id": "rot1", "name": "Primary", "order": 1, "periods": periods}]}
    return {
        "_parent": {"id": schedule_id, "name": "Platform", "enabled": True},
        "startDate": start,
        "endDate": end,
        "finalTimeline": timeline,
        "baseTimeline": timeline,
        "overrideTimeline": {"rotations": []},
    }


def og_override(alias: str, user_id: str, username: str, start: str, end: str) -> dict[str, Any]:
    return {
        "_parent": {"id": "sched", "name": "Platform", "enabled": True},
        "alias": alias,
        "user": {"type": "user", "id": user_id, "username": username},
        "startDate": start,
        "endDate": end,
        "rotations": [],
    }


def og_error(message: str) -> dict[str, Any]:
    return {"message": message, "took": 0.01, "requestId": "6ab2f6b3-0000-4a6b-aaaa-000000000001"}


# ---------------------------------------------------------------- Jira Service Management Operations
# Shaped like `jsm-ops/openapi-schedules.json` (its schemas and examples) and, for the site's user
# API, like Jira Cloud's documented `PageBeanUser` (GET /rest/api/3/user/bulk).

JSM = "https://api.atlassian.com"


def jsm_responder(account_id: str | None, kind: str = "user") -> dict[str, Any]:
    return {"type": kind, "id": account_id} if account_id else {"type": "noone"}


def jsm_rotation(id_: str, participants: list[dict], *, kind: str = "weekly", length: int = 1,
                 start: str = "2025-01-06T08:00:00Z", end: str | None = None, name: str = "Primary",
                 restriction: dict | None = None) -> dict[str, Any]:
    rotation: dict[str, Any] = {"id": id_, "name": name, "startDate": start, "type": kind, "length": length,
                                "participants": participants}
    if end:
        rotation["endDate"] = end
    if restriction:
        rotation["timeRestriction"] = restriction
    return rotation


def jsm_schedule(id_: str, name: str = "Platform", *, time_zone: str = "Europe/Berlin",
                 rotations: list[dict] | None = None) -> dict[str, Any]:
    schedule: dict[str, Any] = {"id": id_, "name": name, "description": "", "timezone": time_zone,
                                "enabled": True, "teamId": "cd68207b-c55d-4611-ab25-72fd0c439e9f"}
    if rotations is not None:
        schedule["rotations"] = rotations
    return schedule


def jsm_page(values: list, next_link: str | None = None) -> dict[str, Any]:
    """A listing page: `values` and, when there is more, `links.next`."""
    return {"values": values, "links": {"next": next_link} if next_link else {}}


def jsm_override(alias: str, account_id: str, start: str, end: str) -> dict[str, Any]:
    return {"alias": alias, "responder": jsm_responder(account_id), "startDate": start, "endDate": end,
            "rotationIds": []}


def jsm_period(account_id: str | None, start: str, end: str, kind: str = "base") -> dict[str, Any]:
    return {"startDate": start, "endDate": end, "type": kind, "responder": jsm_responder(account_id)}


def jsm_timeline(start: str, end: str, periods: list[dict], *, overrides: list[dict] | None = None,
                 rotation_id: str = "072cb9c1-698e-49fa-b1dc-1e8c190a76a6") -> dict[str, Any]:
    def layer(items: list[dict]) -> dict[str, Any]:
        return {"rotations": [{"id": rotation_id, "name": "Primary", "order": 1, "deleted": False,
                               "periods": items}]}

    body: dict[str, Any] = {"startDate": start, "endDate": end, "finalTimeline": layer(periods),
                            "_expands": ["base", "forwarding", "override"]}
    if overrides is not None:
        body["overrideTimeline"] = layer(overrides)
    return body


def jsm_errors(title: str, code: str = "BAD_REQUEST") -> dict[str, Any]:
    return {"errors": [{"title": title, "code": code}]}


def jsm_unauthorized(message: str = "Client must be authenticated to access this resource.") -> dict[str, Any]:
    return {"code": 401, "message": message}


def jira_user(account_id: str, name: str, email: str | None, site: str = "https://acme.atlassian.net") -> dict:
    """A Jira Cloud user; `emailAddress` is absent when the person's profile visibility hides it."""
    user: dict[str, Any] = {"self": f"{site}/rest/api/3/user?accountId={account_id}", "accountId": account_id,
                            "accountType": "atlassian", "displayName": name, "active": True,
                            "timeZone": "Europe/Berlin", "locale": "en_US"}
    if email:
        user["emailAddress"] = email
    return user


def jira_users_page(users: list[dict], *, start_at: int = 0, max_results: int = 50, total: int | None = None,
                    last: bool = True) -> dict[str, Any]:
    return {"maxResults": max_results, "startAt": start_at, "total": len(users) if total is None else total,
            "isLast": last, "values": users}
