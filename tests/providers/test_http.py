"""Retries, error mapping and key hygiene of the shared request helper, through both providers."""

from __future__ import annotations

import http.server
import logging
import random
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.providers import (
    AuthError,
    InvalidRequest,
    NotFound,
    OpsgenieProvider,
    OverrideRequest,
    PagerDutyProvider,
    PermissionDenied,
    ProviderError,
    RateLimited,
    Unavailable,
    make_provider,
)
from bot.providers.http import ApiClient, RetryPolicy, Secret
from bot.sandbox.http import serve_in_thread

from .fixtures import OG, OG_KEY, PD, PD_KEY, og_error, pd_error, pd_users_page

SID = "PS1"


def make(kind: str, sleeps: list[float], **kw):
    cls, key = (PagerDutyProvider, PD_KEY) if kind == "pd" else (OpsgenieProvider, OG_KEY)
    return cls(key, client=httpx.Client(), sleep=sleeps.append, rng=random.Random(1), **kw)


def read_url(kind: str) -> str:
    return f"{PD}/schedules/{SID}" if kind == "pd" else f"{OG}/v2/schedules/{SID}"


def error_body(kind: str, message: str) -> dict:
    return pd_error(2001, message, [message]) if kind == "pd" else og_error(message)


# ---------------------------------------------------------------- error classes and messages


@pytest.mark.parametrize("kind", ["pd", "og"])
@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (401, AuthError, "rejected the API key (401): check it was copied whole"),
        (403, PermissionDenied, "refused access to schedule PS1 (403)"),
        (404, NotFound, "has no schedule PS1 (404)"),
        (400, InvalidRequest, "rejected the request for schedule PS1 (400): Bad thing"),
        (422, InvalidRequest, "(422): Bad thing"),
        (429, RateLimited, "rate-limiting this API key (429) after 4 attempts"),
        (500, Unavailable, "failed GET /"),
        (503, Unavailable, "with 503 after 4 attempts"),
    ],
)
def test_status_maps_to_error_class_with_actionable_message(conformant_respx, kind, status, error, words):
    sleeps: list[float] = []
    label = "PagerDuty" if kind == "pd" else "Opsgenie"
    route = conformant_respx.get(read_url(kind)).respond(status, json=error_body(kind, "Bad thing"))
    with pytest.raises(error) as caught:
        make(kind, sleeps).get_schedule(SID)
    assert str(caught.value).startswith(label)
    assert words in str(caught.value)
    assert caught.value.status == status and caught.value.provider == label
    retried = status in (429, 500, 503)
    assert route.call_count == (4 if retried else 1)
    assert len(sleeps) == (3 if retried else 0)


@pytest.mark.parametrize("kind", ["pd", "og"])
def test_timeouts_are_retried_then_unavailable(conformant_respx, kind):
    sleeps: list[float] = []
    route = conformant_respx.get(read_url(kind)).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(Unavailable, match=r"did not answer GET .* within 2s after 4 attempts"):
        make(kind, sleeps, timeout=2).get_schedule(SID)
    assert route.call_count == 4 and len(sleeps) == 3


@pytest.mark.parametrize("kind", ["pd", "og"])
def test_connect_errors_name_the_setting(conformant_respx, kind):
    conformant_respx.get(read_url(kind)).mock(side_effect=httpx.ConnectError("refused"))
    name = "PAGERDUTY_API_URL" if kind == "pd" else "OPSGENIE_API_URL"
    with pytest.raises(Unavailable, match=f"Could not reach .* check the network, any proxy, and the {name}"):
        make(kind, []).get_schedule(SID)


def test_every_call_has_a_timeout(conformant_respx):
    seen = []
    conformant_respx.get(f"{PD}/users").mock(
        side_effect=lambda r: (
            seen.append(r.extensions.get("timeout")) or httpx.Response(200, json=pd_users_page([]))
        )
    )
    make("pd", [], timeout=3.5).list_users()
    assert seen and seen[0] == {"connect": 3.5, "read": 3.5, "write": 3.5, "pool": 3.5}


def test_read_only_write_message(conformant_respx):
    conformant_respx.delete(f"{PD}/schedules/{SID}/overrides/PO1").respond(
        403, json=pd_error(2010, "Access Denied")
    )
    with pytest.raises(PermissionDenied, match="the API key is read-only"):
        make("pd", []).delete_override(SID, "PO1")


# ---------------------------------------------------------------- retry timing


def test_pagerduty_ratelimit_reset_is_honoured(conformant_respx):
    sleeps: list[float] = []
    limited = httpx.Response(
        429, headers={"ratelimit-reset": "7"}, json=pd_error(2020, "Rate Limit Exceeded")
    )
    conformant_respx.get(f"{PD}/users").mock(
        side_effect=[limited, limited, httpx.Response(200, json=pd_users_page([]))]
    )
    make("pd", sleeps).list_users()
    assert len(sleeps) == 2
    assert all(7 <= s <= 7.5 for s in sleeps)  # the hint plus at most base_delay of jitter


def test_pagerduty_rate_limit_gives_up_after_bounded_attempts(conformant_respx):
    sleeps: list[float] = []
    route = conformant_respx.get(f"{PD}/users").respond(429, headers={"ratelimit-reset": "2"})
    with pytest.raises(RateLimited) as caught:
        make("pd", sleeps).list_users()
    assert route.call_count == 4 and len(sleeps) == 3
    assert caught.value.retry_after == 2 and "try again in 2s" in str(caught.value)


def test_a_hint_beyond_max_delay_is_raised_not_slept(conformant_respx):
    sleeps: list[float] = []
    route = conformant_respx.get(f"{PD}/users").respond(429, headers={"ratelimit-reset": "600"})
    with pytest.raises(RateLimited) as caught:
        make("pd", sleeps).list_users()
    assert sleeps == [] and route.call_count == 1 and caught.value.retry_after == 600


@pytest.mark.parametrize(
    ("headers", "low"),
    [
        ({"Retry-After": "4", "X-RateLimit-Period-In-Sec": "60"}, 4),
        ({"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "12"}, 12),
    ],
)
def test_opsgenie_rate_limit_headers_are_honoured(conformant_respx, headers, low):
    sleeps: list[float] = []
    conformant_respx.get(f"{OG}/v2/schedules").mock(
        side_effect=[
            httpx.Response(429, headers=headers, json=og_error("Too many requests")),
            httpx.Response(200, json={"data": [], "took": 0, "requestId": "r", "expandable": []}),
        ]
    )
    make("og", sleeps).list_schedules()
    assert len(sleeps) == 1 and low <= sleeps[0] <= low + 0.5


def test_exponential_backoff_with_jitter_without_hint(conformant_respx):
    sleeps: list[float] = []
    conformant_respx.get(f"{PD}/users").respond(503)
    with pytest.raises(Unavailable):
        make("pd", sleeps, policy=RetryPolicy(max_attempts=4, base_delay=1.0)).list_users()
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps, start=1):
        ceiling = 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(sleeps)) == 3


def test_jitter_differs_between_clients():
    delays = []
    for seed in (1, 2):
        sleeps: list[float] = []
        api = ApiClient(
            label="PagerDuty",
            client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))),
            base_url=PD,
            auth_header=lambda: "Token token=x",
            headers={},
            timeout=1,
            sleep=sleeps.append,
            rng=random.Random(seed),
        )
        with pytest.raises(Unavailable):
            api.request("GET", "/users", what="users")
        delays.append(sleeps)
    assert delays[0] != delays[1]


def test_paths_outside_the_allow_list_are_refused_before_sending():
    sent = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)))
    pd = PagerDutyProvider(PD_KEY, client=client)
    with pytest.raises(ValueError, match="outside the endpoints"):
        pd._api.request("GET", "/incidents", what="incidents")
    og = OpsgenieProvider(OG_KEY, client=client)
    with pytest.raises(ValueError, match="outside the endpoints"):
        og._api.request("GET", "/v2/users", what="users")
    assert sent == []


# ---------------------------------------------------------------- the key never leaks


@pytest.fixture
def all_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record at DEBUG from httpx, httpcore and the root, with no redaction installed."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)  # prove our code is clean, not just masked
    root = logging.getLogger()
    loggers = [root, logging.getLogger("httpx"), logging.getLogger("httpcore"), logging.getLogger("bot")]
    levels = [lg.level for lg in loggers]
    root.addHandler(handler)
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        logging.setLogRecordFactory(factory)


def render(record: logging.LogRecord) -> str:
    text = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    return text + repr(record.args) + repr(record.__dict__)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        # the user/schedule listings fail auth, everything else is an outage
        status = 401 if self.path.startswith(("/users", "/v2/schedules?")) else 503
        body = b'{"error": {"message": "Unauthorized", "code": 2006}}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_DELETE = do_GET  # noqa: N815

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    stop = serve_in_thread(server, "provider-errors")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop()


@pytest.mark.parametrize("kind", ["pagerduty", "opsgenie"])
def test_key_never_in_logs_reprs_or_errors(all_logs, local_server, kind):
    """Real sockets (so httpcore's DEBUG trace runs) through success-less paths: 401, 503, refused."""
    key = PD_KEY if kind == "pagerduty" else OG_KEY
    texts: list[str] = []
    client = httpx.Client(trust_env=False)
    provider = make_provider(kind, "eu", key, base_url=local_server, client=client, sleep=lambda s: None)
    texts += [repr(provider), str(provider), repr(vars(provider)), repr(provider._api)]
    start = datetime(2025, 3, 3, tzinfo=UTC)
    calls = [
        provider.list_users,
        lambda: provider.get_schedule("S1"),
        lambda: provider.create_overrides(
            "S1", [OverrideRequest("U1", start, start + timedelta(days=1), "a1")]
        ),
        lambda: provider.delete_override("S1", "O1"),
    ]
    for call in calls:
        try:
            call()
        except ProviderError as exc:
            texts += [str(exc), repr(exc), repr(vars(exc)), "".join(traceback.format_exception(exc))]
    refused = make_provider(
        kind, "us", key, base_url="http://127.0.0.1:9", client=client, sleep=lambda s: None
    )
    with pytest.raises(Unavailable) as caught:
        refused.get_schedule("S1")
    texts += [str(caught.value), "".join(traceback.format_exception(caught.value))]
    texts += [render(r) for r in all_logs]
    assert any(r.name.startswith("httpcore") for r in all_logs), "httpcore DEBUG logging was not exercised"
    assert any("rejected the API key (401)" in t for t in texts)
    leaks = [t for t in texts if key in t]
    assert not leaks, leaks[:3]


def test_secret_hides_itself():
    secret = Secret(PD_KEY)
    assert PD_KEY not in repr(secret) and PD_KEY not in f"{secret}" and secret.reveal() == PD_KEY
    assert secret.hint == "…AAAA"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)
