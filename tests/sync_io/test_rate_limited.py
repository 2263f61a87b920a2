"""A sync that ends on 429 (still rate limited after the retries) is not "ok": it says so and
that the next sync retries."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from slack_sdk import WebClient

from bot.notify.sync import sync_and_notify
from bot.store.models import DestinationStatus
from bot.sync.status import StatusInput, destination_status
from tests.plugins.world import Clock, add_world, destination
from tests.providers.fixtures import og_error, pd_error
from tests.sync_io.fakes import T0, FakeOpsgenie, FakePagerDuty

NOW = T0 + timedelta(days=2, hours=3)


@pytest.fixture
def env(slack, conformant_respx):
    clock = Clock(NOW)
    slack.ctx.clock = clock
    client = WebClient(token="xoxb-test-token", base_url=slack.stub.api_url)
    return slack, conformant_respx, clock, client


def too_many(provider: str):
    if provider == "pagerduty":
        return lambda r: httpx.Response(429, headers={"ratelimit-reset": "1"},
                                        json=pd_error(2020, "Rate Limit Exceeded"))
    return lambda r: httpx.Response(429, headers={"X-RateLimit-Period-In-Sec": "1"},
                                    json=og_error("Too many requests"))


@pytest.mark.parametrize("provider", ["pagerduty", "opsgenie"])
def test_rate_limited_run_is_not_ok_and_says_it_will_retry(env, provider):
    slack, router, clock, client = env
    fake = (FakePagerDuty if provider == "pagerduty" else FakeOpsgenie)(router, clock)
    world = add_world(slack.ctx, provider=provider, weeks=3)
    assert sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0].status == "ok"
    clock.advance(minutes=15)
    fake.fail = too_many(provider)  # every request, retries included
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "rate_limited"
    assert "rate limit" in d.error and "next sync" in d.error
    assert destination(slack.ctx, world.destination_id).status == "rate_limited"
    fake.fail = None  # the next run recovers
    clock.advance(minutes=15)
    assert sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0].status == "ok"


def test_rate_limited_only_on_the_read_back_is_not_ok(env):
    slack, router, clock, client = env
    fake = FakePagerDuty(router, clock)
    world = add_world(slack.ctx, weeks=3)
    sync_and_notify(slack.ctx, world.schedule_id, client=client)
    clock.advance(minutes=15)
    # the listing answers; the read-back of what PagerDuty will page is refused
    fake.fail = lambda r: too_many("pagerduty")(r) if "since" in r.url.params and "overrides" not in r.url.path \
        else None
    d = sync_and_notify(slack.ctx, world.schedule_id, client=client).destinations[0]
    assert d.status == "rate_limited" and "rate limit" in d.error


def test_status_words_for_a_rate_limited_run():
    status, error = destination_status(StatusInput(NOW, NOW + timedelta(days=9), [], ["PagerDuty: 429"],
                                                   rate_limited=True))
    assert status is DestinationStatus.RATE_LIMITED
    assert error.startswith("PagerDuty: 429") and "the next sync retries" in error
    # shifts due soon that could not be exported stay an error, still saying why
    status, error = destination_status(StatusInput(NOW, None, [NOW + timedelta(hours=1)], ["429"],
                                                   rate_limited=True))
    assert status is DestinationStatus.ERROR and "rate limit" in error
    # a read-only key is what it is, whatever the pace
    status, _ = destination_status(StatusInput(NOW, None, [], [], read_only="read-only", rate_limited=True))
    assert status is DestinationStatus.READ_ONLY
