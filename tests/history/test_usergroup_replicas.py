"""The on-call user group with several replicas on PostgreSQL: at a handoff every replica's minute job
(and a swap's hook) refreshes the group at the same moment, each with its own engine; the
compare-and-set on `Schedule.usergroup_members` (bot.services.oncall_group.claim) lets exactly one of
them call `usergroups.users.update`. Slack is the stub (Slack's usergroup rules)."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
from slack_sdk import WebClient
from sqlalchemy import update

from bot.notify import usergroup
from bot.store import Schedule, make_engine, session_scope
from tests.plugins.world import Clock, add_world, make_ctx
from tests.sync_io.fakes import T0

REPLICAS = 6


def at_once(contexts, client: WebClient, schedule_id: int) -> list[Exception]:
    """Every replica refreshes at the same moment: half as the minute job, half as a swap's hook."""
    gate = threading.Barrier(len(contexts))
    errors: list[Exception] = []

    def replica(i, c):
        try:
            gate.wait()
            if i % 2:
                usergroup.refresh_quietly(c, client, schedule_id)
            else:
                usergroup.refresh_all(c, lambda team: client)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(i, c)) for i, c in enumerate(contexts)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return errors


def test_replicas_racing_at_a_handoff_update_the_group_once(pg_engine, pg_url, slack_stub):
    for uid in ("U1", "U2", "U3"):
        slack_stub.add_user(uid, name=uid.lower(), email=f"{uid.lower()}@example.com")
    client = WebClient(token="xoxb-test", base_url=slack_stub.api_url)
    group = slack_stub.usergroups.add("Platform on-call", "platform-oncall", users=("U3",))
    clock = Clock(T0 + timedelta(minutes=1))  # Alice's week (U1) has just begun
    with httpx.Client() as http:
        world = add_world(make_ctx(pg_engine, clock, http), weeks=3)
        with session_scope(pg_engine) as s:
            s.exec(update(Schedule).where(Schedule.id == world.schedule_id)
                   .values(usergroup_handle="platform-oncall", usergroup_id=group["id"], usergroup_members="U3"))
        engines = [make_engine(pg_url) for _ in range(REPLICAS)]
        try:
            contexts = [make_ctx(e, clock, http) for e in engines]
            assert at_once(contexts, client, world.schedule_id) == []
            assert [b["users"] for b in slack_stub.bodies("usergroups.users.update")] == ["U1"]
            assert slack_stub.usergroups.members(group["id"]) == ["U1"]

            clock.now = T0 + timedelta(days=7, minutes=1)  # the handoff to Bob (U2)
            assert at_once(contexts, client, world.schedule_id) == []
            assert at_once(contexts, client, world.schedule_id) == [], "a round after it: nothing to do"
        finally:
            for e in engines:
                e.dispose()
    assert [b["users"] for b in slack_stub.bodies("usergroups.users.update")] == ["U1", "U2"]
    with session_scope(pg_engine) as s:
        sched = s.get(Schedule, world.schedule_id)
        assert sched.usergroup_members == "U2" and sched.usergroup_status.startswith("ok: @platform-oncall is <@U2>")
